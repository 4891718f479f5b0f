package rel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kinship-go/kinship/internal/relation"
)

// Cascades is a set of cascade flags: what a unit of work does to the rows of a relation when
// something happens to their owner. Package uow applies them.
type Cascades uint8

const (
	// SaveUpdate: adding the owner to a session adds the rows of its collection (or field), and
	// rows added to a loaded collection later. On by default.
	SaveUpdate Cascades = 1 << iota
	// Delete: deleting the owner deletes its rows, children before parents, loading them first
	// if they are not loaded.
	Delete
	// DeleteOrphan: a row removed from its owner's collection (or a collection replaced) is
	// deleted, rather than having its foreign key set NULL.
	DeleteOrphan
	// PassiveDeletes: with Delete, trust the database's ON DELETE CASCADE rather than loading the
	// rows to delete them.
	PassiveDeletes
	// Restrict: deleting an owner that still has rows is refused (ON DELETE RESTRICT, EF Core's
	// DeleteBehavior.Restrict), for HasMany and HasOne. A flush that deletes an owner whose rows
	// the session knows — its loaded collection or field, or rows it holds whose foreign key
	// names the owner, less the rows deleted in the same flush — fails before any SQL with an
	// error matching uow.ErrRestricted that names the relation and the owner; an owner whose
	// rows it does not know is deleted without loading them, and the database's refusal
	// (foreign_key_violation or restrict_violation) matches uow.ErrRestricted too. It cannot be
	// combined with Delete. A foreign key that cannot be NULL needs Restrict or Delete.
	Restrict
	// All is SaveUpdate and Delete (SQLAlchemy's "all"; add DeleteOrphan for owned rows).
	All = SaveUpdate | Delete
)

// String names the flags: "SaveUpdate, Delete, DeleteOrphan".
func (c Cascades) String() string {
	var names []string
	for i, name := range []string{"SaveUpdate", "Delete", "DeleteOrphan", "PassiveDeletes", "Restrict"} {
		if c&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Has reports whether every flag of f is in c.
func (c Cascades) Has(f Cascades) bool { return c&f == f }

// An Option configures a relation when it is declared.
type Option interface {
	apply(m *relation.Meta)
}

type optionFunc func(*relation.Meta)

func (f optionFunc) apply(m *relation.Meta) { f(m) }

// Cascade sets the relation's cascades to exactly flags (without the option: SaveUpdate).
func Cascade(flags ...Cascades) Option {
	return optionFunc(func(m *relation.Meta) {
		var c Cascades
		for _, f := range flags {
			c |= f
		}
		if c.Has(PassiveDeletes) && !c.Has(Delete) {
			m.Err = errors.New("PassiveDeletes needs Delete: it says how deleting cascades")
		}
		if c.Has(Restrict) && c.Has(Delete) {
			m.Err = errors.New("rel.Restrict with rel.Delete: Restrict refuses to delete an owner that has rows, Delete deletes them; keep one")
		}
		m.Cascade = relation.Cascades(c)
	})
}

// DefaultLoad sets how the relation loads when a query asks for it without a strategy, and how
// [Many.Of] and [One.Of] reach it (Raise refuses). Without the option: Lazy.
func DefaultLoad(s Strategy) Option {
	return optionFunc(func(m *relation.Meta) {
		if s > NoLoad {
			m.Err = fmt.Errorf("unknown strategy %v", s)
		}
		m.Default = relation.Strategy(s)
	})
}

// Named names the relation in errors and logs (without it: its tables, e.g. "companies→employees").
func Named(name string) Option {
	return optionFunc(func(m *relation.Meta) { m.Name = name })
}

func configure(m *relation.Meta, opts []Option) {
	m.Cascade = relation.Cascades(SaveUpdate)
	for _, o := range opts {
		if o == nil {
			m.Err = errors.New("nil option")
			continue
		}
		o.apply(m)
	}
}

// Cascade returns the relation's cascades (none for a nil or zero relation).
func (m *Many[P, C]) Cascade() Cascades {
	if m == nil || m.rel == nil {
		return 0
	}
	return Cascades(m.rel.Cascade)
}

// Cascade returns the relation's cascades (none for a nil or zero relation).
func (o *One[P, C]) Cascade() Cascades {
	if o == nil || o.rel == nil {
		return 0
	}
	return Cascades(o.rel.Cascade)
}

// Package relation keeps the cascades bit for bit as Cascades are: a mismatch does not compile.
var _ = [1]struct{}{}[int(SaveUpdate|Delete<<1|DeleteOrphan<<2|PassiveDeletes<<3)-int(relation.SaveUpdate|relation.Delete<<1|relation.DeleteOrphan<<2|relation.PassiveDeletes<<3)]
var _ = [1]struct{}{}[int(Restrict)-int(relation.Restrict)]
