// Package relation is the core of a relation, below package rel: its typed declaration
// ([Rel]: the two Repos, the key columns, the accessor of the field it fills, how to attach a
// row to an owner), its shape ([Kind]), cascades, default strategy, link table, and the same
// relation with its types erased ([Relation]), which is what a unit-of-work session keeps in its
// maps and applies fix-up and cascades through. It knows nothing of load plans: a Rel loads
// through its Loader, which package rel sets from the planner (package load) when it declares
// the relation.
package relation

import (
	"errors"
	"fmt"
)

// Strategy is how a relation is loaded.
type Strategy uint8

const (
	Lazy      Strategy = iota // not by the query; on first access
	Joined                    // LEFT OUTER JOIN in the parents' query
	SelectIn                  // a second query: WHERE fk = ANY($1)
	Subquery                  // a second query: WHERE fk IN (the parents' query)
	Pipelined                 // Subquery's SQL, sent in the parents' batch: one round trip
	Raise                     // not loaded; access is ErrNotLoaded
	NoLoad                    // not loaded; the field is set empty
)

var strategyNames = [...]string{"Lazy", "Joined", "SelectIn", "Subquery", "Pipelined", "Raise", "NoLoad"}

func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", s)
}

// Eager reports whether the strategy loads with the query.
func (s Strategy) Eager() bool { return s >= Joined && s <= Pipelined }

// Kind is the shape of a relation.
type Kind uint8

const (
	HasMany    Kind = iota // P has a []*C; C holds the foreign key
	BelongsTo              // P holds the foreign key and a *C
	HasOne                 // P has a *C; C holds the foreign key
	ManyToMany             // P has a []*C through a link table
)

var kindNames = [...]string{"HasMany", "BelongsTo", "HasOne", "ManyToMany"}

func (k Kind) String() string { return kindNames[k] }

// ToMany reports whether the relation's field is a collection.
func (k Kind) ToMany() bool { return k == HasMany || k == ManyToMany }

// DefaultBatch is how many parent keys one select-in statement carries unless told otherwise.
const DefaultBatch = 1000

// Cascades is a set of cascade flags, bit for bit package rel's Cascades: what a unit of work
// does to a relation's rows when something happens to their owner.
type Cascades uint8

// The flags, as package rel documents them.
const (
	SaveUpdate Cascades = 1 << iota
	Delete
	DeleteOrphan
	PassiveDeletes
	Restrict
)

// Has reports whether every flag of f is in c.
func (c Cascades) Has(f Cascades) bool { return c&f == f }

// ErrNotLoaded is what touching a relation loaded with Raise returns: package rel sets it to
// rel.ErrNotLoaded when it is initialised.
var ErrNotLoaded = errors.New("rel: relation not loaded")

// NotLoaded is ErrNotLoaded for the relation named name.
func NotLoaded(name string) error { return notLoaded(name) }

type notLoaded string

func (e notLoaded) Error() string {
	return "rel: relation " + string(e) + " not loaded, and Raise forbids loading it here"
}
func (e notLoaded) Is(target error) bool { return target == ErrNotLoaded }
