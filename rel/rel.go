package rel

import (
	"context"
	"errors"
	"fmt"

	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/track"
	"github.com/kinship-go/kinship/repo"
)

// Strategy is how a relation is loaded; see package loadopts for each one's SQL and cost.
type Strategy uint8

// The strategies; package loadopts has the same constants, for queries.
const (
	Lazy      Strategy = iota // not by the query; on first access ([Many.Of], [One.Of])
	Joined                    // LEFT OUTER JOIN in the parents' query
	SelectIn                  // a second query: WHERE fk = ANY($1)
	Subquery                  // a second query: WHERE fk IN (the parents' query)
	Pipelined                 // Subquery's SQL, sent in the parents' batch: one round trip
	Raise                     // not loaded; reaching it is ErrNotLoaded
	NoLoad                    // not loaded; the field is set empty
)

// String names the strategy: "SelectIn".
func (s Strategy) String() string { return relation.Strategy(s).String() }

// Eager reports whether the strategy loads the relation with the query: Joined, SelectIn,
// Subquery or Pipelined.
func (s Strategy) Eager() bool { return relation.Strategy(s).Eager() }

// ErrNotLoaded is what [Many.Of] and [One.Of] return for a relation that was not loaded and
// whose strategy is Raise: the query that should have loaded it is missing, and no query is run
// in its place.
var ErrNotLoaded = errors.New("rel: relation not loaded")

// Through names a many-to-many relation's link table and its two key columns: From refers to
// the owner's key, To to the key of the rows in the collection.
type Through struct {
	Table string // the link table
	From  string // its column that refers to the owner's key
	To    string // its column that refers to the collection's key
}

// Path is a chain of relations from P to C: one relation ([Many], [One]), or several joined by
// [Then]. Load options (package loadopts) take a Path; nothing else implements it.
type Path[P, C any] interface {
	// edges returns the relations of the path, first to last, and the last one as a
	// load.Target[C]; none for a nil or zero relation.
	edges() ([]load.Edge, any)
	// from ties the path to its types, so that they can be inferred.
	from(*P, *C)
}

// Relation is a relation declared with this package, of any types: a *[Many] or a *[One].
// Package uow's NewModel takes Relations; nothing else implements it.
type Relation interface {
	// Name returns the relation's name (see [Many.Name]).
	Name() string
	// core returns the relation's core, nil for a nil or zero relation.
	core() relation.Relation
}

// Then is the path from A through B to C: rel.Then(CompanyEmployees, EmployeeAddresses) loads
// employees and their addresses. A path whose links do not chain does not compile. Paths nest:
// Then(Then(a, b), c) and Then(a, Then(b, c)) are the same three levels.
//
// Then of a nil path or relation (or of a path made so) is a path of no relations, which a load
// option refuses: the query's error matches repo.ErrInvalid, and nothing is sent.
func Then[A, B, C any](first Path[A, B], next Path[B, C]) Path[A, C] {
	if first == nil || next == nil {
		return path[A, C]{}
	}
	fe, ft := first.edges()
	ne, last := next.edges()
	if len(fe) == 0 || len(ne) == 0 || ft == nil || last == nil {
		return path[A, C]{}
	}
	return path[A, C]{append(append([]load.Edge(nil), fe...), ne...), last}
}

type path[A, C any] struct {
	list   []load.Edge
	target any
}

func (path[A, C]) from(*A, *C)                 {}
func (*Many[P, C]) from(*P, *C)                {}
func (*One[P, C]) from(*P, *C)                 {}
func (p path[A, C]) edges() ([]load.Edge, any) { return p.list, p.target }

func (m *Many[P, C]) edges() ([]load.Edge, any) {
	if m == nil || m.rel == nil {
		return nil, nil
	}
	return []load.Edge{m.edge}, m.edge
}

func (o *One[P, C]) edges() ([]load.Edge, any) {
	if o == nil || o.rel == nil {
		return nil, nil
	}
	return []load.Edge{o.edge}, o.edge
}

func (m *Many[P, C]) core() relation.Relation {
	if m == nil || m.rel == nil {
		return nil
	}
	return m.rel
}

func (o *One[P, C]) core() relation.Relation {
	if o == nil || o.rel == nil {
		return nil
	}
	return o.rel
}

func init() {
	relation.ErrNotLoaded = ErrNotLoaded
	load.RegisterPaths(func(p any) ([]load.Edge, any) {
		if x, ok := p.(interface{ edges() ([]load.Edge, any) }); ok {
			return x.edges()
		}
		return nil, nil
	})
	relation.RegisterDeclared(func(r any) relation.Relation {
		if x, ok := r.(Relation); ok {
			return x.core()
		}
		return nil
	})
}

// Many is a to-many relation: P holds a []*C. [HasMany] and [ManyToMany] make it.
type Many[P, C any] struct {
	rel  *relation.Rel[P, C]
	edge load.Target[C]
	coll func(*P) *[]*C
}

// One is a to-one relation: P holds a *C. [BelongsTo] and [HasOne] make it.
type One[P, C any] struct {
	rel   *relation.Rel[P, C]
	edge  load.Target[C]
	field func(*P) **C
}

// HasMany declares a one-to-many relation: C's foreign key fk refers to P's key column key
// (usually its primary key), and coll is P's collection of C. The compiler rejects a foreign key
// of another type than the key, and accessors of the wrong structs. Without options the relation
// is Lazy and cascades SaveUpdate.
//
// A loaded collection is a non-nil slice, empty when there are no rows; nil means not loaded.
func HasMany[P, C any, K comparable](key repo.Ref[P, K], fk repo.Ref[C, K], coll func(*P) *[]*C, opts ...Option) *Many[P, C] {
	return newMany(relation.NewHasMany(key, fk, coll), coll, opts)
}

// ManyToMany declares a many-to-many relation through a link table whose From column refers to
// P's column key and whose To column refers to C's column ckey; coll is P's collection. A unit of
// work writes and deletes the link table's rows as the collection changes.
func ManyToMany[P, C any, K, KC comparable](key repo.Ref[P, K], ckey repo.Ref[C, KC], through Through, coll func(*P) *[]*C, opts ...Option) *Many[P, C] {
	return newMany(relation.NewManyToMany(key, ckey, relation.Through(through), coll), coll, opts)
}

// BelongsTo declares a many-to-one relation: P's foreign key fk refers to C's key column key,
// and field is P's pointer to its C (an employee's company; with P and C the same type, an
// employee's manager). A NULL foreign key counts as loaded: field stays nil and no query runs.
func BelongsTo[P, C any, K comparable](fk repo.Ref[P, K], key repo.Ref[C, K], field func(*P) **C, opts ...Option) *One[P, C] {
	return newOne(relation.NewBelongsTo(fk, key, field), field, opts)
}

// HasOne declares a one-to-one relation whose foreign key fk is C's, referring to P's key column
// key; field is P's pointer to its C. More than one C for one P is an error when loading.
func HasOne[P, C any, K comparable](key repo.Ref[P, K], fk repo.Ref[C, K], field func(*P) **C, opts ...Option) *One[P, C] {
	return newOne(relation.NewHasOne(key, fk, field), field, opts)
}

// Name returns the relation's name: the one given with [Named], or one made of its tables; ""
// for a nil or zero relation.
func (m *Many[P, C]) Name() string {
	if m == nil || m.rel == nil {
		return ""
	}
	return m.rel.Label()
}

// Name returns the relation's name: the one given with [Named], or one made of its tables; ""
// for a nil or zero relation.
func (o *One[P, C]) Name() string {
	if o == nil || o.rel == nil {
		return ""
	}
	return o.rel.Label()
}

func newMany[P, C any](r *relation.Rel[P, C], coll func(*P) *[]*C, opts []Option) *Many[P, C] {
	configure(&r.Meta, opts)
	r.Loader = load.SelectIn(r)
	return &Many[P, C]{rel: r, edge: load.EdgeOf(r), coll: coll}
}

func newOne[P, C any](r *relation.Rel[P, C], field func(*P) **C, opts []Option) *One[P, C] {
	configure(&r.Meta, opts)
	r.Loader = load.SelectIn(r)
	return &One[P, C]{rel: r, edge: load.EdgeOf(r), field: field}
}

// Loaded reports whether p's collection was loaded (is not nil). It is false for a nil p, and
// for a relation that is nil or declared wrong.
func (m *Many[P, C]) Loaded(p *P) bool {
	return p != nil && m != nil && m.rel != nil && m.rel.Check() == nil && m.rel.Loaded(p)
}

// Loaded reports whether p's field was loaded: it is set, or p's foreign key is NULL. It is false
// for a nil p, and for a relation that is nil or declared wrong. Outside a session the field is
// all there is to go by, so a HasOne loaded for a p that has no row (the field left nil) reads
// as not loaded, and its Of queries again; through a session, Of asks the session, which knows
// what it loaded.
func (o *One[P, C]) Loaded(p *P) bool {
	return p != nil && o != nil && o.rel != nil && o.rel.Check() == nil && o.rel.Loaded(p)
}

// Load loads the relation for parents already in memory: one statement per batch of 1,000
// distinct keys, all in one round trip (select-in). It replaces what their fields held. To
// load only some rows, or the first n of each parent (Where, OrderBy, LimitPerParent), use
// loadopts.Load, which takes the options of a query's loadopts.With.
//
// A nil or zero relation, one declared wrong (see the package documentation), a nil context,
// a nil DB and a nil parent are errors matching repo.ErrInvalid that say which; nothing is sent.
func (m *Many[P, C]) Load(ctx context.Context, db repo.DB, parents ...*P) error {
	if m == nil {
		return errNilRelation
	}
	if m.rel == nil {
		return errZeroMany
	}
	if err := usable(ctx, db, parents); err != nil {
		return wrap(m.rel.Label(), err)
	}
	return wrap(m.rel.Label(), m.rel.Loader(ctx, db, parents))
}

// Load loads the relation for rows already in memory, as [Many.Load] does, with the same errors.
func (o *One[P, C]) Load(ctx context.Context, db repo.DB, parents ...*P) error {
	if o == nil {
		return errNilRelation
	}
	if o.rel == nil {
		return errZeroOne
	}
	if err := usable(ctx, db, parents); err != nil {
		return wrap(o.rel.Label(), err)
	}
	return wrap(o.rel.Label(), o.rel.Loader(ctx, db, parents))
}

// Any is the condition on parents that they have at least one row through the relation matching
// every one of preds (any row at all, without preds): a correlated EXISTS subquery, typed, with
// no table named in a string — SQLAlchemy's any(), ent's HasEmployeesWith. It is a repo.Pred of
// P, so it goes wherever one does: Find, Count, Exists, DeleteWhere, a load's loadopts.Where,
// And, Or, Not. Conditions nest, so a path of relations is an Any inside an Any:
//
//	Companies.Find(ctx, db, CompanyEmployees.Any(EmployeeAddresses.Any(AddressCity.Eq("Oslo"))))
//
// writes
//
//	SELECT … FROM "companies" WHERE EXISTS (SELECT 1 FROM "employees" AS kinship_x
//		WHERE kinship_x."company_id" = "companies"."id" AND EXISTS (SELECT 1 FROM "addresses" AS kinship_x_x
//			WHERE kinship_x_x."employee_id" = kinship_x."id" AND kinship_x_x."city" = $1))
//
// A many-to-many relation's subquery joins its link table. The condition costs what the
// subquery costs: an index on the foreign key (which Verify asks for) makes it one index probe
// per parent. A nil or zero relation, or one declared wrong, is the query's error, matching
// repo.ErrInvalid, as is a condition of preds on a column of another table.
func (m *Many[P, C]) Any(preds ...repo.Pred[C]) repo.Pred[P] {
	return existsOf(m.relOf(), repo.And(preds...), false)
}

// None is the condition that parents have no row through the relation matching every one of
// preds (no row at all, without preds): NOT EXISTS, the negation of [Many.Any].
func (m *Many[P, C]) None(preds ...repo.Pred[C]) repo.Pred[P] {
	return existsOf(m.relOf(), repo.And(preds...), true)
}

// Has is the condition that rows have their row through the relation and that it matches every
// one of preds: EXISTS, as [Many.Any] writes it (SQLAlchemy's has()). repo.Not(r.Has(…)) is
// "has none, or one that does not match".
func (o *One[P, C]) Has(preds ...repo.Pred[C]) repo.Pred[P] {
	var r *relation.Rel[P, C]
	if o != nil {
		r = o.rel
	}
	return existsOf(r, repo.And(preds...), false)
}

func (m *Many[P, C]) relOf() *relation.Rel[P, C] {
	if m == nil {
		return nil
	}
	return m.rel
}

func existsOf[P, C any](r *relation.Rel[P, C], inner repo.Pred[C], not bool) repo.Pred[P] {
	var err error
	if r == nil {
		err = errNilRelation
	}
	return relation.Exists(r, err, inner, not)
}

var (
	errNilRelation = fmt.Errorf("rel: nil relation: declare it with rel.HasMany, rel.BelongsTo, rel.HasOne or rel.ManyToMany: %w", repo.ErrInvalid)
	errZeroMany    = fmt.Errorf("rel: a zero Many, not declared with rel.HasMany or rel.ManyToMany: %w", repo.ErrInvalid)
	errZeroOne     = fmt.Errorf("rel: a zero One, not declared with rel.BelongsTo or rel.HasOne: %w", repo.ErrInvalid)
)

// usable refuses a nil context, a nil DB or a nil parent, which would otherwise panic in the
// load.
func usable[P any](ctx context.Context, db repo.DB, parents []*P) error {
	if ctx == nil {
		return fmt.Errorf("nil context: pass context.Background() or the caller's context: %w", repo.ErrInvalid)
	}
	if pipe.IsNil(db) {
		return fmt.Errorf("nil DB: %w", repo.ErrInvalid)
	}
	for i, p := range parents {
		if p == nil {
			return fmt.Errorf("parent %d is nil: %w", i, repo.ErrInvalid)
		}
	}
	return nil
}

// Of returns p's collection, loading it first if it is not loaded, unless the relation's
// strategy is Raise: then it is [ErrNotLoaded] and no query runs. Through a unit-of-work session
// the session decides, and loads each collection at most once.
//
// A nil or zero relation, one declared wrong, a nil context, a nil DB and a nil p are errors
// matching repo.ErrInvalid that say which; nothing is sent.
func (m *Many[P, C]) Of(ctx context.Context, db repo.DB, p *P) ([]*C, error) {
	if m == nil {
		return nil, errNilRelation
	}
	if m.rel == nil {
		return nil, errZeroMany
	}
	if err := access(ctx, db, m.rel, p); err != nil {
		return nil, err
	}
	return *m.coll(p), nil
}

// Of returns p's row of the relation (nil if there is none), loading it first if it is not
// loaded, as [Many.Of] does, with the same errors.
func (o *One[P, C]) Of(ctx context.Context, db repo.DB, p *P) (*C, error) {
	if o == nil {
		return nil, errNilRelation
	}
	if o.rel == nil {
		return nil, errZeroOne
	}
	if err := access(ctx, db, o.rel, p); err != nil {
		return nil, err
	}
	return *o.field(p), nil
}

func access[P, C any](ctx context.Context, db repo.DB, r *relation.Rel[P, C], p *P) error {
	if err := r.Check(); err != nil {
		return wrap(r.Label(), err)
	}
	if p == nil {
		return fmt.Errorf("rel: %s: nil row: %w", r.Label(), repo.ErrInvalid)
	}
	if ctx == nil {
		return fmt.Errorf("rel: %s: nil context: pass context.Background() or the caller's context: %w", r.Label(), repo.ErrInvalid)
	}
	if pipe.IsNil(db) {
		return fmt.Errorf("rel: %s: nil DB: %w", r.Label(), repo.ErrInvalid)
	}
	if r.Loaded(p) {
		return nil
	}
	if s := track.Of(db); s != nil {
		return s.Access(ctx, r, p)
	}
	if r.Default == relation.Raise {
		return relation.NotLoaded(r.Label())
	}
	return wrap(r.Label(), r.Loader(ctx, db, []*P{p}))
}

func wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("rel: %s: %w", name, err)
}

// Package relation numbers the strategies as Strategy does: a mismatch does not compile.
var _ = [1]struct{}{}[int(Joined)*1+int(SelectIn)*2+int(Subquery)*4+int(Pipelined)*8+int(Raise)*16+int(NoLoad)*32-
	(int(relation.Joined)*1+int(relation.SelectIn)*2+int(relation.Subquery)*4+int(relation.Pipelined)*8+int(relation.Raise)*16+int(relation.NoLoad)*32)]
