package relation

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/repo"
)

// Meta is what a relation declares beside its mapping; package rel fills it from its options.
type Meta struct {
	Name    string
	Default Strategy
	Cascade Cascades
	Err     error // a mistake in the declaration, reported by every use
}

// Through names a many-to-many relation's link table and its two key columns.
type Through struct {
	Table string // the link table
	From  string // its column that refers to the owner's key
	To    string // its column that refers to the collection's key
}

// Rel is the typed core of a relation from P, the side whose field it fills, to C, the rows it
// loads into it.
type Rel[P, C any] struct {
	Meta
	Kind Kind

	from     func() *repo.Repo[P]
	to       func() *repo.Repo[C]
	FromName string // the column of P's table whose value the relation matches
	ToName   string // the column of C's table (of the link table, for ManyToMany) it matches against
	Via      *Through
	LinkTo   string // ManyToMany: the column of C's table the link table's To refers to

	fk         any // the foreign-key column (a repo.Field), nil for ManyToMany
	fkNullable bool
	// keyIsPrimary reports whether the referenced key column is its table's whole primary key.
	keyIsPrimary func() bool
	// hasFK reports whether a row of the side with the foreign key holds one, neither NULL nor zero.
	hasFK func(row any) bool
	// deleteByFK, set on HasMany and HasOne, is the DELETE of the rows whose foreign key is one
	// of owners' keys, RETURNING them, and what reads back the keys of the rows it deleted.
	deleteByFK func(owners []any) (string, []any, func(pgx.Rows) ([]any, error))
	ops        ops[P, C]

	NewMatcher func() Matcher[P, C]
	// init sets p's field to loaded and empty; link adds c to it.
	Reset  func(p *P)
	Attach func(p *P, c *C) error
	// loaded reports whether p's field holds a load (a non-nil collection, a non-nil pointer, a
	// NULL foreign key).
	loaded func(p *P) bool

	// Loader loads the relation for parents in memory (one select-in round trip, through the
	// session if db is one): the load planner's, set by package rel when it declares the relation.
	Loader func(ctx context.Context, db repo.DB, parents []*P) error
}

// From returns the Repo of P, or an error if its column was never given to one.
func (r *Rel[P, C]) From() (*repo.Repo[P], error) {
	if rp := r.from(); rp != nil {
		return rp, nil
	}
	return nil, fmt.Errorf("relation %s: column %s is not part of a Repo (declare the Repo with it)", r.Label(), nameOrNil(r.FromName))
}

// To returns the Repo of C, or an error if its column was never given to one.
func (r *Rel[P, C]) To() (*repo.Repo[C], error) {
	if rc := r.to(); rc != nil {
		return rc, nil
	}
	return nil, fmt.Errorf("relation %s: the column of %s's side is not part of a Repo (declare the Repo with it)", r.Label(), nameOrNil(r.ToName))
}

// nameOrNil names a column for an error: a nil *repo.Column has no name.
func nameOrNil(name string) string {
	if name == "" {
		return "(nil)"
	}
	return name
}

// check reports what makes the relation unusable: a mistake in its declaration, matching
// repo.ErrInvalid.
func (r *Rel[P, C]) check() error {
	err := r.Err
	if err == nil {
		_, err = r.From()
	}
	if err == nil {
		_, err = r.To()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", err, repo.ErrInvalid)
	}
	return nil
}

// Loaded reports whether p's field holds a load of the relation.
func (r *Rel[P, C]) Loaded(p *P) bool { return r.loaded(p) }

// Check reports what makes the relation unusable: a mistake in its declaration, a column not
// part of a Repo.
func (r *Rel[P, C]) Check() error { return r.check() }

// Label returns the relation's name: the one declared, or one made of its tables and columns.
func (r *Rel[P, C]) Label() string {
	if r.Name != "" {
		return r.Name
	}
	table := func(rp interface{ Table() string }, ok bool) string {
		if !ok {
			return "?"
		}
		return rp.Table()
	}
	from, to := r.from(), r.to()
	name := table(from, from != nil) + "." + r.FromName + "→"
	if r.Via != nil {
		name += r.Via.Table + "→"
	}
	return name + table(to, to != nil) + "." + r.ToName
}

// Get on a key column, through an interface, so that the constructors below read the same for
// a Column and a NullColumn.
type keyOf[T any, K comparable] interface {
	Name() string
	Repo() *repo.Repo[T]
	Ref(row *T) (K, bool)
}

// isPrimary reports whether key is the whole primary key of its Repo (asked once the Repo is
// declared, so late).
func isPrimary[T any, K comparable](key keyOf[T, K]) func() bool {
	return func() bool {
		r := key.Repo()
		if r == nil {
			return false
		}
		pk := r.PrimaryKey()
		return len(pk) == 1 && pk[0].Name() == key.Name()
	}
}

// broken is a relation declared with a nil key column: it has no tables to name or load, and
// every use reports err.
func broken[P, C any](k Kind, err error) *Rel[P, C] {
	r := &Rel[P, C]{Kind: k, from: func() *repo.Repo[P] { return nil }, to: func() *repo.Repo[C] { return nil }, FromName: "?", ToName: "?"}
	r.Err = err
	r.keyIsPrimary = func() bool { return false }
	r.loaded = func(*P) bool { return false }
	return r
}

var (
	errNilKey = errors.New("nil key column: give the relation a column declared with repo.New")
	errNilFK  = errors.New("nil foreign key column: give the relation a column declared with repo.New")
)

// NewHasMany is a one-to-many relation: key is P's column that C's foreign key fk refers to, coll
// P's collection.
func NewHasMany[P, C any, K comparable](key keyOf[P, K], fk repo.Ref[C, K], coll func(*P) *[]*C) *Rel[P, C] {
	if key == nil {
		return broken[P, C](HasMany, errNilKey)
	}
	if fk == nil {
		return broken[P, C](HasMany, errNilFK)
	}
	r := &Rel[P, C]{Kind: HasMany, from: key.Repo, to: fk.Repo, FromName: key.Name(), ToName: fk.Name(), fk: fk, fkNullable: fk.Nullable()}
	r.NewMatcher = func() Matcher[P, C] { return newKeyMatcher(key.Ref, fk.Ref) }
	r.Reset, r.Attach, r.loaded = many(coll)
	r.ops = manyOps(coll)
	childFK(&r.ops, key, fk)
	r.keyIsPrimary, r.hasFK = isPrimary(key), setFK(fk)
	r.deleteByFK = deleteByFK(key, fk)
	if coll == nil {
		r.Err = errors.New("nil collection accessor")
	}
	return r
}

// NewBelongsTo is the many-to-one side: P's foreign key fk refers to C's column key; field is P's
// pointer to its C.
func NewBelongsTo[P, C any, K comparable](fk repo.Ref[P, K], key keyOf[C, K], field func(*P) **C) *Rel[P, C] {
	if fk == nil {
		return broken[P, C](BelongsTo, errNilFK)
	}
	if key == nil {
		return broken[P, C](BelongsTo, errNilKey)
	}
	r := &Rel[P, C]{Kind: BelongsTo, from: fk.Repo, to: key.Repo, FromName: fk.Name(), ToName: key.Name(), fk: fk, fkNullable: fk.Nullable()}
	r.NewMatcher = func() Matcher[P, C] { return newKeyMatcher(fk.Ref, key.Ref) }
	null := func(p *P) bool { _, ok := fk.Ref(p); return !ok }
	r.Reset, r.Attach, r.loaded = one(field, null)
	r.ops = oneOps(field, null)
	r.ops.ownerKey, r.ops.itemKey = boxed(fk.Ref), boxed(key.Ref)
	r.ops.relate = func(p *P, c *C) bool {
		k, ok := key.Ref(c)
		return ok && fk.SetRef(p, k, true)
	}
	r.ops.unrelate = func(p *P, _ *C) bool { var zero K; return fk.SetRef(p, zero, false) }
	r.keyIsPrimary, r.hasFK = isPrimary(key), setFK(fk)
	if field == nil {
		r.Err = errors.New("nil field accessor")
	}
	return r
}

// NewHasOne is a one-to-one relation whose foreign key fk is C's, referring to P's column key;
// field is P's pointer to its C.
func NewHasOne[P, C any, K comparable](key keyOf[P, K], fk repo.Ref[C, K], field func(*P) **C) *Rel[P, C] {
	if key == nil {
		return broken[P, C](HasOne, errNilKey)
	}
	if fk == nil {
		return broken[P, C](HasOne, errNilFK)
	}
	r := &Rel[P, C]{Kind: HasOne, from: key.Repo, to: fk.Repo, FromName: key.Name(), ToName: fk.Name(), fk: fk, fkNullable: fk.Nullable()}
	r.NewMatcher = func() Matcher[P, C] { return newKeyMatcher(key.Ref, fk.Ref) }
	r.Reset, r.Attach, r.loaded = one(field, nil)
	r.ops = oneOps(field, nil)
	childFK(&r.ops, key, fk)
	r.keyIsPrimary, r.hasFK = isPrimary(key), setFK(fk)
	r.deleteByFK = deleteByFK(key, fk)
	if field == nil {
		r.Err = errors.New("nil field accessor")
	}
	return r
}

// NewManyToMany relates P's column key to C's column ckey through the link table t; coll is P's
// collection.
func NewManyToMany[P, C any, K, KC comparable](key keyOf[P, K], ckey keyOf[C, KC], t Through, coll func(*P) *[]*C) *Rel[P, C] {
	if key == nil || ckey == nil {
		return broken[P, C](ManyToMany, errNilKey)
	}
	r := &Rel[P, C]{Kind: ManyToMany, from: key.Repo, to: ckey.Repo, FromName: key.Name(), ToName: t.From, Via: &t, LinkTo: ckey.Name()}
	r.NewMatcher = func() Matcher[P, C] { return newKeyMatcher[P, C, K](key.Ref, nil) }
	r.Reset, r.Attach, r.loaded = many(coll)
	r.ops = manyOps(coll)
	r.ops.ownerKey, r.ops.itemKey = boxed(key.Ref), boxed(ckey.Ref)
	r.ops.relate = func(*P, *C) bool { return true }
	r.ops.unrelate = func(*P, *C) bool { return true }
	r.keyIsPrimary = isPrimary(key)
	if err := sqltext.CheckTable(t.Table); err != nil {
		r.Err = fmt.Errorf("link table: %w", err)
	}
	for _, id := range []string{t.From, t.To} {
		if err := sqltext.CheckIdent(id); err != nil {
			r.Err = fmt.Errorf("link table: %w", err)
		}
	}
	if coll == nil {
		r.Err = errors.New("nil collection accessor")
	}
	return r
}

// childFK sets the key operations of a relation whose foreign key fk is the child's.
func childFK[P, C any, K comparable](o *ops[P, C], key keyOf[P, K], fk repo.Ref[C, K]) {
	o.ownerKey, o.itemKey = boxed(key.Ref), boxed(fk.Ref)
	o.relate = func(p *P, c *C) bool {
		k, ok := key.Ref(p)
		return ok && fk.SetRef(c, k, true)
	}
	o.unrelate = func(_ *P, c *C) bool { var zero K; return fk.SetRef(c, zero, false) }
}

// deleteByFK makes the DELETE of the C rows whose foreign key fk holds one of the P owners' keys.
func deleteByFK[P, C any, K comparable](key keyOf[P, K], fk repo.Ref[C, K]) func([]any) (string, []any, func(pgx.Rows) ([]any, error)) {
	return func(owners []any) (string, []any, func(pgx.Rows) ([]any, error)) {
		rc := engine.RowsOf[C](fk.Repo())
		keys := make([]K, 0, len(owners))
		for _, p := range owners {
			if k, ok := key.Ref(p.(*P)); ok {
				keys = append(keys, k)
			}
		}
		sql := "DELETE FROM " + rc.QuotedTable() + " WHERE " + sqltext.Quote(fk.Name()) + " = ANY($1) RETURNING " + rc.KeyList()
		read := func(rows pgx.Rows) ([]any, error) {
			var deleted []any
			dest := make([]any, len(rc.KeyNames()))
			row := new(C)
			for rows.Next() {
				rc.KeyDests(row, dest)
				if err := rows.Scan(dest...); err != nil {
					return nil, err
				}
				deleted = append(deleted, rc.Key(row))
			}
			return deleted, rows.Err()
		}
		return sql, []any{keys}, read
	}
}

// setFK makes a row's foreign key, NULL or zero, count as unset.
func setFK[T any, K comparable](fk repo.Ref[T, K]) func(any) bool {
	return func(row any) bool {
		k, ok := fk.Ref(row.(*T))
		var zero K
		return ok && k != zero
	}
}

func many[P, C any](coll func(*P) *[]*C) (func(*P), func(*P, *C) error, func(*P) bool) {
	return func(p *P) { *coll(p) = []*C{} },
		func(p *P, c *C) error { s := coll(p); *s = append(*s, c); return nil },
		func(p *P) bool { return *coll(p) != nil }
}

// one makes the field functions of a to-one relation; null, if not nil, tells that p refers to
// nothing, which counts as loaded.
func one[P, C any](field func(*P) **C, null func(*P) bool) (func(*P), func(*P, *C) error, func(*P) bool) {
	return func(p *P) { *field(p) = nil },
		func(p *P, c *C) error {
			f := field(p)
			if *f != nil && *f != c {
				return errors.New("more than one row for a to-one relation")
			}
			*f = c
			return nil
		},
		func(p *P) bool { return *field(p) != nil || null != nil && null(p) }
}

// matcher matches the rows of one load to the parents they belong to.
type Matcher[P, C any] interface {
	// group indexes parents by the value they match on and returns how many values there are.
	Group(parents []*P) int
	// chunks returns the distinct values, as slices ([]K) of at most size, to bind to = ANY($1).
	Chunks(size int) []any
	// parentsOf returns the parents c belongs to (by the link key scanned into extra, for a
	// many-to-many relation).
	ParentsOf(c *C) []*P
	// extra returns the scan destinations of the columns after C's: the link key, if any.
	Extra() []any
}

type keyMatcher[P, C any, K comparable] struct {
	byKey     map[K][]*P
	keys      []K
	parentKey func(*P) (K, bool)
	childKey  func(*C) (K, bool) // nil: the key is the link column scanned into link
	link      K
}

func newKeyMatcher[P, C any, K comparable](parentKey func(*P) (K, bool), childKey func(*C) (K, bool)) *keyMatcher[P, C, K] {
	return &keyMatcher[P, C, K]{parentKey: parentKey, childKey: childKey}
}

func (m *keyMatcher[P, C, K]) Group(parents []*P) int {
	m.byKey = make(map[K][]*P, len(parents))
	m.keys = make([]K, 0, len(parents))
	for _, p := range parents {
		k, ok := m.parentKey(p)
		if !ok {
			continue
		}
		ps, seen := m.byKey[k]
		if !seen {
			m.keys = append(m.keys, k)
		}
		m.byKey[k] = append(ps, p)
	}
	return len(m.keys)
}

func (m *keyMatcher[P, C, K]) Chunks(size int) []any {
	if size <= 0 {
		size = len(m.keys)
	}
	var out []any
	for start := 0; start < len(m.keys); start += size {
		out = append(out, m.keys[start:min(start+size, len(m.keys))])
	}
	return out
}

func (m *keyMatcher[P, C, K]) ParentsOf(c *C) []*P {
	if m.childKey == nil {
		return m.byKey[m.link]
	}
	k, ok := m.childKey(c)
	if !ok {
		return nil
	}
	return m.byKey[k]
}

func (m *keyMatcher[P, C, K]) Extra() []any {
	if m.childKey == nil {
		return []any{&m.link}
	}
	return nil
}
