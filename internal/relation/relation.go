package relation

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/repo"
)

// Relation is a relation with its types erased, every row a *P or *C in an any: what a
// unit-of-work session uses for cascades and fix-up. It is implemented by *Rel.
type Relation interface {
	// Label names the relation in errors.
	Label() string
	// Check reports what makes the relation unusable: a mistake in its declaration, a column not
	// part of a Repo.
	Check() error
	Shape() Kind
	Cascades() Cascades
	// Owner is the Repo of the side with the field (P), Other that of the rows it holds (C).
	Owner() (engine.Table, error)
	Other() (engine.Table, error)
	// FK is the foreign-key column (nil for ManyToMany): the same value for a HasMany and the
	// BelongsTo over the same key, which are each other's inverse.
	FK() any
	// FKNullable reports whether the foreign key can be set NULL.
	FKNullable() bool
	// FieldAddr returns the address of p's field, which tells two relations on one field apart.
	FieldAddr(p any) any
	// Items returns what p's field holds, and whether it is loaded; it copies a collection.
	Items(p any) ([]any, bool)
	// IsLoaded reports whether p's field is loaded, without copying it.
	IsLoaded(p any) bool
	// NilAt returns the position of the first nil row in p's collection, or -1.
	NilAt(p any) int
	// Append adds c to p's field (sets it, for a to-one relation); Detach removes it.
	Append(p, c any)
	Detach(p, c any)
	Init(p any)
	// OwnerKey is the value p matches with: its key column, or for BelongsTo its foreign key.
	OwnerKey(p any) (any, bool)
	// ItemKey is the value c matches with: its foreign key, or for BelongsTo and ManyToMany
	// its key column.
	ItemKey(c any) (any, bool)
	// Relate makes the foreign key agree with p holding c: c's foreign key takes p's key
	// (HasMany, HasOne), or p's takes c's (BelongsTo). It reports false if the key it copies
	// is not assigned yet.
	Relate(p, c any) bool
	// Unrelate sets the foreign key of c (HasMany, HasOne) or of p (BelongsTo) NULL, and
	// reports false if it cannot be.
	Unrelate(p, c any) bool
	// Link is a ManyToMany relation's link table.
	Link() *Through
	// LoadFor loads the relation for one parent, as Rel.Load does; LoadAll for several, in as
	// few statements as Rel.Load takes for them.
	LoadFor(ctx context.Context, db repo.DB, p any) error
	LoadAll(ctx context.Context, db repo.DB, ps []any) error
	// Field returns what p's field holds (a []*C or a *C, boxed), SetField puts such a value back.
	Field(p any) any
	SetField(p, v any)
	// KeyIsPrimary reports whether the key the foreign key refers to is the whole primary key
	// of its table (false for a unique column such as a code).
	KeyIsPrimary() bool
	// HasFK reports whether row, the side with the foreign key (C for HasMany and HasOne, P for
	// BelongsTo), holds one that is neither NULL nor the zero value of its type: a new row whose
	// foreign key was never set holds none.
	HasFK(row any) bool
	// DeleteByFK is the DELETE of the rows (HasMany, HasOne) whose foreign key refers to one of
	// owners, RETURNING them, and what reads back the keys of the rows it deleted.
	DeleteByFK(owners []any) (sql string, args []any, keys func(pgx.Rows) ([]any, error))
	// Default is the relation's declared strategy.
	DefaultStrategy() Strategy
}

func (r *Rel[P, C]) LoadFor(ctx context.Context, db repo.DB, p any) error {
	return r.LoadAll(ctx, db, []any{p})
}

func (r *Rel[P, C]) LoadAll(ctx context.Context, db repo.DB, ps []any) error {
	typed := make([]*P, len(ps))
	for i, p := range ps {
		t, ok := p.(*P)
		if !ok || t == nil {
			return fmt.Errorf("parent %d is a %T, not a row of the relation's owner (a non-nil %T): %w", i, p, t, repo.ErrInvalid)
		}
		typed[i] = t
	}
	if r.Loader == nil {
		return fmt.Errorf("relation %s: no loader: %w", r.Label(), repo.ErrInvalid)
	}
	return r.Loader(ctx, db, typed)
}

func (r *Rel[P, C]) DefaultStrategy() Strategy { return r.Default }
func (r *Rel[P, C]) KeyIsPrimary() bool        { return r.keyIsPrimary() }

var _ Relation = (*Rel[struct{}, struct{}])(nil)

func (r *Rel[P, C]) Shape() Kind        { return r.Kind }
func (r *Rel[P, C]) Cascades() Cascades { return r.Cascade }
func (r *Rel[P, C]) FK() any            { return r.fk }
func (r *Rel[P, C]) FKNullable() bool   { return r.fkNullable }
func (r *Rel[P, C]) Link() *Through     { return r.Via }

func (r *Rel[P, C]) Owner() (engine.Table, error) {
	rp, err := r.From()
	if err != nil {
		return nil, err
	}
	return engine.TableOf(rp), nil
}

func (r *Rel[P, C]) Other() (engine.Table, error) {
	rc, err := r.To()
	if err != nil {
		return nil, err
	}
	return engine.TableOf(rc), nil
}

func (r *Rel[P, C]) FieldAddr(p any) any       { return r.ops.fieldAddr(p.(*P)) }
func (r *Rel[P, C]) Items(p any) ([]any, bool) { return r.ops.items(p.(*P)) }
func (r *Rel[P, C]) IsLoaded(p any) bool       { return r.loaded(p.(*P)) }
func (r *Rel[P, C]) NilAt(p any) int {
	if r.ops.nilAt == nil {
		return -1
	}
	return r.ops.nilAt(p.(*P))
}
func (r *Rel[P, C]) Append(p, c any)            { r.ops.add(p.(*P), c.(*C)) }
func (r *Rel[P, C]) Detach(p, c any)            { r.ops.detach(p.(*P), c.(*C)) }
func (r *Rel[P, C]) Init(p any)                 { r.Reset(p.(*P)) }
func (r *Rel[P, C]) OwnerKey(p any) (any, bool) { return r.ops.ownerKey(p.(*P)) }
func (r *Rel[P, C]) ItemKey(c any) (any, bool)  { return r.ops.itemKey(c.(*C)) }
func (r *Rel[P, C]) Relate(p, c any) bool       { return r.ops.relate(p.(*P), c.(*C)) }
func (r *Rel[P, C]) Unrelate(p, c any) bool {
	pp, _ := p.(*P) // nil: an owner the session does not hold
	cc, _ := c.(*C)
	return r.ops.unrelate(pp, cc)
}
func (r *Rel[P, C]) Field(p any) any    { return r.ops.field(p.(*P)) }
func (r *Rel[P, C]) SetField(p, v any)  { r.ops.setField(p.(*P), v) }
func (r *Rel[P, C]) HasFK(row any) bool { return r.hasFK != nil && r.hasFK(row) }

func (r *Rel[P, C]) DeleteByFK(owners []any) (string, []any, func(pgx.Rows) ([]any, error)) {
	return r.deleteByFK(owners)
}

// ops are the typed operations behind Relation, made by the constructors where K is known.
type ops[P, C any] struct {
	fieldAddr func(*P) any
	items     func(*P) ([]any, bool)
	add       func(*P, *C)
	detach    func(*P, *C)
	ownerKey  func(*P) (any, bool)
	itemKey   func(*C) (any, bool)
	relate    func(*P, *C) bool
	unrelate  func(*P, *C) bool
	field     func(*P) any
	setField  func(*P, any)
	nilAt     func(*P) int // set on collections
}

func boxed[T any, K comparable](f func(*T) (K, bool)) func(*T) (any, bool) {
	return func(t *T) (any, bool) {
		k, ok := f(t)
		if !ok {
			return nil, false
		}
		return k, true
	}
}

func manyOps[P, C any](coll func(*P) *[]*C) ops[P, C] {
	return ops[P, C]{
		fieldAddr: func(p *P) any { return coll(p) },
		field:     func(p *P) any { return *coll(p) },
		setField:  func(p *P, v any) { *coll(p), _ = v.([]*C) },
		nilAt: func(p *P) int {
			for i, c := range *coll(p) {
				if c == nil {
					return i
				}
			}
			return -1
		},
		items: func(p *P) ([]any, bool) {
			s := *coll(p)
			if s == nil {
				return nil, false
			}
			out := make([]any, len(s))
			for i, c := range s {
				out[i] = c
			}
			return out, true
		},
		add: func(p *P, c *C) {
			s := coll(p)
			for _, x := range *s {
				if x == c {
					return
				}
			}
			*s = append(*s, c)
		},
		detach: func(p *P, c *C) {
			s := coll(p)
			for i, x := range *s {
				if x == c {
					*s = append((*s)[:i:i], (*s)[i+1:]...)
					return
				}
			}
		},
	}
}

func oneOps[P, C any](field func(*P) **C, nullMeansLoaded func(*P) bool) ops[P, C] {
	return ops[P, C]{
		fieldAddr: func(p *P) any { return field(p) },
		field:     func(p *P) any { return *field(p) },
		setField:  func(p *P, v any) { *field(p), _ = v.(*C) },
		items: func(p *P) ([]any, bool) {
			if c := *field(p); c != nil {
				return []any{c}, true
			}
			return nil, nullMeansLoaded != nil && nullMeansLoaded(p)
		},
		add: func(p *P, c *C) { *field(p) = c },
		detach: func(p *P, c *C) {
			if *field(p) == c {
				*field(p) = nil
			}
		},
	}
}

var declared func(r any) Relation

// RegisterDeclared is called once, by package rel: f(r) returns the core of r, a rel.Relation,
// nil for anything else or a nil or zero relation.
func RegisterDeclared(f func(r any) Relation) { declared = f }

// Of returns the core of r, a relation declared with package rel; nil if it is not one, or is
// nil or zero.
func Of(r any) Relation {
	if declared == nil || r == nil {
		return nil
	}
	return declared(r)
}
