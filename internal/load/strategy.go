// Package load is the machinery behind packages rel and loadopts: the typed core of a relation,
// the plan of what a query loads, and its execution (select-in, subquery, pipelined and joined
// loads). Users see it only through rel and loadopts.
package load

import "fmt"

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
