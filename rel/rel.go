package rel

import (
	"context"
	"fmt"

	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/repo"
)

// Strategy is how a relation is loaded; see package loadopts for each one's SQL and cost.
type Strategy = load.Strategy

// The strategies; package loadopts has the same constants, for queries.
const (
	Lazy      = load.Lazy
	Joined    = load.Joined
	SelectIn  = load.SelectIn
	Subquery  = load.Subquery
	Pipelined = load.Pipelined
	Raise     = load.Raise
	NoLoad    = load.NoLoad
)

// ErrNotLoaded is what [Many.Of] and [One.Of] return for a relation that was not loaded and
// whose strategy is Raise: the query that should have loaded it is missing, and no query is run
// in its place.
var ErrNotLoaded = load.ErrNotLoaded

// Through names a many-to-many relation's link table and its two key columns: From refers to
// the owner's key, To to the key of the rows in the collection.
type Through = load.Through

// Path is a chain of relations from P to C: one relation, or several joined by [Then]. Load
// options (package loadopts) take a Path.
type Path[P, C any] interface {
	// Edges returns the relations of the path, first to last, for package loadopts.
	Edges() []load.Edge
	// Target returns the last relation, for package loadopts.
	Target() load.Target[C]
	// from ties the path to its types, so that they can be inferred.
	from(*P, *C)
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
	fe, ne, last := first.Edges(), next.Edges(), next.Target()
	if len(fe) == 0 || len(ne) == 0 || first.Target() == nil || last == nil {
		return path[A, C]{}
	}
	edges := append(append([]load.Edge(nil), fe...), ne...)
	return path[A, C]{edges, last}
}

type path[A, C any] struct {
	edges  []load.Edge
	target load.Target[C]
}

func (path[A, C]) from(*A, *C)              {}
func (*Many[P, C]) from(*P, *C)             {}
func (*One[P, C]) from(*P, *C)              {}
func (p path[A, C]) Edges() []load.Edge     { return p.edges }
func (p path[A, C]) Target() load.Target[C] { return p.target }

// Edges and Target of a nil or zero relation are nil: a path of no relations.

func (m *Many[P, C]) Edges() []load.Edge {
	if m == nil || m.core == nil {
		return nil
	}
	return []load.Edge{m.core}
}

func (m *Many[P, C]) Target() load.Target[C] {
	if m == nil || m.core == nil {
		return nil
	}
	return m.core
}

func (o *One[P, C]) Edges() []load.Edge {
	if o == nil || o.core == nil {
		return nil
	}
	return []load.Edge{o.core}
}

func (o *One[P, C]) Target() load.Target[C] {
	if o == nil || o.core == nil {
		return nil
	}
	return o.core
}

// Many is a to-many relation: P holds a []*C. [HasMany] and [ManyToMany] make it.
type Many[P, C any] struct {
	core *load.Rel[P, C]
	coll func(*P) *[]*C
}

// One is a to-one relation: P holds a *C. [BelongsTo] and [HasOne] make it.
type One[P, C any] struct {
	core  *load.Rel[P, C]
	field func(*P) **C
}

// HasMany declares a one-to-many relation: C's foreign key fk refers to P's key column key
// (usually its primary key), and coll is P's collection of C. The compiler rejects a foreign key
// of another type than the key, and accessors of the wrong structs. Without options the relation
// is Lazy and cascades SaveUpdate.
//
// A loaded collection is a non-nil slice, empty when there are no rows; nil means not loaded.
func HasMany[P, C any, K comparable](key repo.Ref[P, K], fk repo.Ref[C, K], coll func(*P) *[]*C, opts ...Option) *Many[P, C] {
	m := &Many[P, C]{core: load.NewHasMany(key, fk, coll), coll: coll}
	configure(&m.core.Meta, opts)
	return m
}

// ManyToMany declares a many-to-many relation through a link table whose From column refers to
// P's column key and whose To column refers to C's column ckey; coll is P's collection. A unit of
// work writes and deletes the link table's rows as the collection changes.
func ManyToMany[P, C any, K, KC comparable](key repo.Ref[P, K], ckey repo.Ref[C, KC], through Through, coll func(*P) *[]*C, opts ...Option) *Many[P, C] {
	m := &Many[P, C]{core: load.NewManyToMany(key, ckey, through, coll), coll: coll}
	configure(&m.core.Meta, opts)
	return m
}

// BelongsTo declares a many-to-one relation: P's foreign key fk refers to C's key column key,
// and field is P's pointer to its C (an employee's company; with P and C the same type, an
// employee's manager). A NULL foreign key counts as loaded: field stays nil and no query runs.
func BelongsTo[P, C any, K comparable](fk repo.Ref[P, K], key repo.Ref[C, K], field func(*P) **C, opts ...Option) *One[P, C] {
	o := &One[P, C]{core: load.NewBelongsTo(fk, key, field), field: field}
	configure(&o.core.Meta, opts)
	return o
}

// HasOne declares a one-to-one relation whose foreign key fk is C's, referring to P's key column
// key; field is P's pointer to its C. More than one C for one P is an error when loading.
func HasOne[P, C any, K comparable](key repo.Ref[P, K], fk repo.Ref[C, K], field func(*P) **C, opts ...Option) *One[P, C] {
	o := &One[P, C]{core: load.NewHasOne(key, fk, field), field: field}
	configure(&o.core.Meta, opts)
	return o
}

// Name returns the relation's name: the one given with [Named], or one made of its tables; ""
// for a nil or zero relation.
func (m *Many[P, C]) Name() string {
	if m == nil || m.core == nil {
		return ""
	}
	return m.core.Label()
}

// Name returns the relation's name: the one given with [Named], or one made of its tables; ""
// for a nil or zero relation.
func (o *One[P, C]) Name() string {
	if o == nil || o.core == nil {
		return ""
	}
	return o.core.Label()
}

// Core returns kinship's description of the relation, for packages loadopts and uow (nil for a
// nil or zero relation).
func (m *Many[P, C]) Core() *load.Rel[P, C] {
	if m == nil {
		return nil
	}
	return m.core
}

// Core returns kinship's description of the relation, for packages loadopts and uow (nil for a
// nil or zero relation).
func (o *One[P, C]) Core() *load.Rel[P, C] {
	if o == nil {
		return nil
	}
	return o.core
}

// Loaded reports whether p's collection was loaded (is not nil). It is false for a nil p, and
// for a relation that is nil or declared wrong.
func (m *Many[P, C]) Loaded(p *P) bool {
	return p != nil && m != nil && m.core != nil && m.core.Check() == nil && m.core.Loaded(p)
}

// Loaded reports whether p's field was loaded: it is set, or p's foreign key is NULL. It is false
// for a nil p, and for a relation that is nil or declared wrong.
func (o *One[P, C]) Loaded(p *P) bool {
	return p != nil && o != nil && o.core != nil && o.core.Check() == nil && o.core.Loaded(p)
}

// Load loads the relation for parents already in memory: one statement per batch of 1,000
// distinct keys, all in one round trip (select-in). It replaces what their fields held.
//
// A nil or zero relation, one declared wrong (see the package documentation), a nil context,
// a nil DB and a nil parent are errors matching repo.ErrInvalid that say which; nothing is sent.
func (m *Many[P, C]) Load(ctx context.Context, db repo.DB, parents ...*P) error {
	if m == nil {
		return errNilRelation
	}
	if m.core == nil {
		return errZeroMany
	}
	if err := usable(ctx, db, parents); err != nil {
		return wrap(m.core.Label(), err)
	}
	return wrap(m.core.Label(), m.core.Load(ctx, db, parents, nil))
}

// Load loads the relation for rows already in memory, as [Many.Load] does, with the same errors.
func (o *One[P, C]) Load(ctx context.Context, db repo.DB, parents ...*P) error {
	if o == nil {
		return errNilRelation
	}
	if o.core == nil {
		return errZeroOne
	}
	if err := usable(ctx, db, parents); err != nil {
		return wrap(o.core.Label(), err)
	}
	return wrap(o.core.Label(), o.core.Load(ctx, db, parents, nil))
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
	if m.core == nil {
		return nil, errZeroMany
	}
	if err := access(ctx, db, m.core, p); err != nil {
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
	if o.core == nil {
		return nil, errZeroOne
	}
	if err := access(ctx, db, o.core, p); err != nil {
		return nil, err
	}
	return *o.field(p), nil
}

// Accessor is implemented by a DB that decides how an unloaded relation is reached, as a
// unit-of-work session does (loading it once, or refusing it after a query's Raise).
type Accessor interface {
	repo.DB
	// Access is called for a relation that is not loaded for parent; it loads it or says why not.
	Access(ctx context.Context, relation any, parent any) error
}

func access[P, C any](ctx context.Context, db repo.DB, r *load.Rel[P, C], p *P) error {
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
	if a, ok := db.(Accessor); ok {
		return a.Access(ctx, r, p)
	}
	if r.Default == Raise {
		return load.NotLoaded(r.Label())
	}
	return wrap(r.Label(), r.Load(ctx, db, []*P{p}, nil))
}

func wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("rel: %s: %w", name, err)
}
