package repo

import (
	"fmt"

	"github.com/kinship-go/kinship/internal/engine"
)

// An Option shapes a query: a [Pred] (joined with AND), an [Order], [Limit] or [Offset]. Package
// loadopts adds options that load relations.
type Option[T any] interface {
	apply(q *query[T])
}

// query is what a query's options add up to.
type query[T any] struct {
	where    []node
	order    []Order[T]
	limit    int64
	offset   int64
	hasLimit bool
	loading  engine.Loader[T]
	only     []Field[T] // Only's columns; nil without it
	err      error      // the first invalid option
}

func (p Pred[T]) apply(q *query[T]) {
	if p.n != nil {
		q.where = append(q.where, p.n)
	}
}

// An Order sorts the rows of a query by one column, ascending or descending, with NULLs first or
// last. Several Orders sort by the first, then the next. It is built from a column ([Column.Asc],
// [Column.Desc]); a query refuses the zero Order, and an Order of a nil column, with an error
// matching [ErrInvalid].
type Order[T any] struct {
	col   colRef // nil in the zero Order
	what  string // "Asc" or "Desc", for the error about a nil column
	desc  bool
	nulls string // "", " NULLS FIRST" or " NULLS LAST"
}

// Asc orders by the column, smallest first (NULLs last, PostgreSQL's default).
func (c *Column[T, V]) Asc() Order[T] { return Order[T]{col: c.ref(), what: "Asc"} }

// Desc orders by the column, largest first (NULLs first, PostgreSQL's default).
func (c *Column[T, V]) Desc() Order[T] { return Order[T]{col: c.ref(), what: "Desc", desc: true} }

// NullsFirst puts NULLs before every value.
func (o Order[T]) NullsFirst() Order[T] { o.nulls = " NULLS FIRST"; return o }

// NullsLast puts NULLs after every value.
func (o Order[T]) NullsLast() Order[T] { o.nulls = " NULLS LAST"; return o }

func (o Order[T]) apply(q *query[T]) { q.order = append(q.order, o) }

// check reports why o cannot order a query of owner's table: the zero Order, a nil column, or a
// column of another Repo.
func (o Order[T]) check(owner any, table string) error {
	switch {
	case o.col != nil:
		if err := o.col.belongsTo(owner, table); err != nil {
			return invalidf("ordering: %v", err)
		}
		return nil
	case o.what != "":
		return invalidf("ordering by a nil column (%s of a nil *Column)", o.what)
	}
	return invalidf("the zero Order orders by nothing: build one with a column's Asc or Desc")
}

// On reports whether the ordering orders by one of r's columns: nil, or an error matching
// [ErrInvalid] (the zero Order, a nil column, a column of another Repo).
func (o Order[T]) On(r *Repo[T]) error {
	if r == nil {
		return invalidf("nil Repo")
	}
	return o.check(r, r.table)
}

// SQL renders the ordering, its column qualified by alias (none if empty): "c"."name" DESC. The
// zero Order, or one of a nil column, renders as "".
func (o Order[T]) SQL(alias string) string {
	if o.col == nil {
		return ""
	}
	s := o.col.sqlName()
	if alias != "" {
		s = alias + "." + s
	}
	if o.desc {
		s += " DESC"
	}
	return s + o.nulls
}

type limit[T any] int64

func (n limit[T]) apply(q *query[T]) {
	if n < 0 && q.err == nil {
		q.err = fmt.Errorf("Limit(%d): a limit cannot be negative", n)
	}
	q.limit, q.hasLimit = int64(n), true
}

// Limit returns at most n rows (n may be 0). T is the table queried: repo.Limit[Employee](10).
func Limit[T any](n int64) Option[T] { return limit[T](n) }

type offset[T any] int64

func (n offset[T]) apply(q *query[T]) {
	if n < 0 && q.err == nil {
		q.err = fmt.Errorf("Offset(%d): an offset cannot be negative", n)
	}
	q.offset = int64(n)
}

// Offset skips the first n rows. Without an Order, which rows are skipped is up to PostgreSQL.
func Offset[T any](n int64) Option[T] { return offset[T](n) }
