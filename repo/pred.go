package repo

import (
	"fmt"

	"github.com/kinship-go/kinship/internal/sqltext"
)

// A Pred is a condition on rows of T: built from a [Column]'s methods (Eq, In, IsNull, …), combined
// with [And], [Or] and [Not], or written by hand with [Raw]. Values always travel as bind
// parameters; only Raw puts text of the caller's into SQL.
//
// The zero Pred is no condition at all. A Pred is an [Option]: passed to [Repo.Find] and the other
// queries, several Preds are joined with AND.
type Pred[T any] struct {
	n node
}

// node writes a condition into b; err reports a malformed Raw fragment.
type node interface {
	build(b *sqltext.Builder) error
}

type compare struct {
	col, op string
	v       any
}

func (c compare) build(b *sqltext.Builder) error {
	b.Col(c.col)
	b.WriteString(c.op)
	b.Arg(c.v)
	return nil
}

type anyOf struct {
	col string
	vs  any // a slice, bound as one array parameter
}

func (a anyOf) build(b *sqltext.Builder) error {
	b.Col(a.col)
	b.WriteString(" = ANY(")
	b.Arg(a.vs)
	b.WriteString(")")
	return nil
}

type isNull struct {
	col string
	not bool
}

func (n isNull) build(b *sqltext.Builder) error {
	b.Col(n.col)
	if n.not {
		b.WriteString(" IS NOT NULL")
	} else {
		b.WriteString(" IS NULL")
	}
	return nil
}

type junction struct {
	op    string // " AND " or " OR "
	nodes []node
}

func (j junction) build(b *sqltext.Builder) error {
	b.WriteString("(")
	for i, n := range j.nodes {
		if i > 0 {
			b.WriteString(j.op)
		}
		if err := n.build(b); err != nil {
			return err
		}
	}
	b.WriteString(")")
	return nil
}

type negation struct{ of node }

func (n negation) build(b *sqltext.Builder) error {
	b.WriteString("NOT (")
	if err := n.of.build(b); err != nil {
		return err
	}
	b.WriteString(")")
	return nil
}

type raw struct {
	sql  string
	args []any
}

func (r raw) build(b *sqltext.Builder) error {
	b.WriteString("(")
	if err := b.Raw(r.sql, r.args); err != nil {
		return err
	}
	b.WriteString(")")
	return nil
}

func cmpPred[T any](c *column[T], op string, v any) Pred[T] {
	return Pred[T]{compare{c.quoted, op, v}}
}

// Eq is the condition column = v.
func (c *Column[T, V]) Eq(v V) Pred[T] { return cmpPred(&c.col, " = ", v) }

// Ne is the condition column <> v.
func (c *Column[T, V]) Ne(v V) Pred[T] { return cmpPred(&c.col, " <> ", v) }

// Lt is the condition column < v.
func (c *Column[T, V]) Lt(v V) Pred[T] { return cmpPred(&c.col, " < ", v) }

// Le is the condition column <= v.
func (c *Column[T, V]) Le(v V) Pred[T] { return cmpPred(&c.col, " <= ", v) }

// Gt is the condition column > v.
func (c *Column[T, V]) Gt(v V) Pred[T] { return cmpPred(&c.col, " > ", v) }

// Ge is the condition column >= v.
func (c *Column[T, V]) Ge(v V) Pred[T] { return cmpPred(&c.col, " >= ", v) }

// In is the condition column = ANY($1), with vs bound as one array parameter: the statement is
// the same whatever the number of values, and there is no ceiling of bind parameters. An empty
// vs matches no row.
func (c *Column[T, V]) In(vs ...V) Pred[T] {
	if vs == nil {
		vs = []V{}
	}
	return Pred[T]{anyOf{c.col.quoted, vs}}
}

// IsNull is the condition column IS NULL.
func (c *Column[T, V]) IsNull() Pred[T] { return Pred[T]{isNull{c.col.quoted, false}} }

// NotNull is the condition column IS NOT NULL.
func (c *Column[T, V]) NotNull() Pred[T] { return Pred[T]{isNull{c.col.quoted, true}} }

// Like is the condition column LIKE pattern (case-sensitive; % and _ are wildcards, \ escapes).
// PostgreSQL accepts it on text columns only.
func (c *Column[T, V]) Like(pattern string) Pred[T] { return cmpPred(&c.col, " LIKE ", pattern) }

// ILike is the condition column ILIKE pattern: Like, ignoring case.
func (c *Column[T, V]) ILike(pattern string) Pred[T] { return cmpPred(&c.col, " ILIKE ", pattern) }

// Eq is the condition column = v; use IsNull for NULL.
func (c *NullColumn[T, V]) Eq(v V) Pred[T] { return cmpPred(&c.col, " = ", v) }

// Ne is the condition column <> v (false where the column is NULL, as in SQL).
func (c *NullColumn[T, V]) Ne(v V) Pred[T] { return cmpPred(&c.col, " <> ", v) }

// Lt is the condition column < v.
func (c *NullColumn[T, V]) Lt(v V) Pred[T] { return cmpPred(&c.col, " < ", v) }

// Le is the condition column <= v.
func (c *NullColumn[T, V]) Le(v V) Pred[T] { return cmpPred(&c.col, " <= ", v) }

// Gt is the condition column > v.
func (c *NullColumn[T, V]) Gt(v V) Pred[T] { return cmpPred(&c.col, " > ", v) }

// Ge is the condition column >= v.
func (c *NullColumn[T, V]) Ge(v V) Pred[T] { return cmpPred(&c.col, " >= ", v) }

// In is the condition column = ANY($1), with vs bound as one array parameter.
func (c *NullColumn[T, V]) In(vs ...V) Pred[T] {
	if vs == nil {
		vs = []V{}
	}
	return Pred[T]{anyOf{c.col.quoted, vs}}
}

// And is true where every one of preds is; zero Preds among them are skipped, and And of nothing
// is the zero Pred (no condition).
func And[T any](preds ...Pred[T]) Pred[T] { return junctionOf(" AND ", preds) }

// Or is true where any one of preds is; zero Preds among them are skipped. Or of nothing is the
// zero Pred (no condition), not false.
func Or[T any](preds ...Pred[T]) Pred[T] { return junctionOf(" OR ", preds) }

func junctionOf[T any](op string, preds []Pred[T]) Pred[T] {
	nodes := make([]node, 0, len(preds))
	for _, p := range preds {
		if p.n != nil {
			nodes = append(nodes, p.n)
		}
	}
	switch len(nodes) {
	case 0:
		return Pred[T]{}
	case 1:
		return Pred[T]{nodes[0]}
	}
	return Pred[T]{junction{op, nodes}}
}

// Not is true where p is false. Not of the zero Pred is the zero Pred.
func Not[T any](p Pred[T]) Pred[T] {
	if p.n == nil {
		return p
	}
	return Pred[T]{negation{p.n}}
}

// Raw is a condition written in SQL, for what the typed predicates cannot say. Its placeholders
// $1…$n refer to args and are renumbered to fit the query it joins; a placeholder without an
// argument, or an argument without a placeholder, is an error when the query is built. Raw is the
// only way to put caller-written text into kinship's SQL: never build sql from untrusted input.
// T is the table the condition is about: repo.Raw[Employee]("lower(name) = $1", name).
func Raw[T any](sql string, args ...any) Pred[T] {
	return Pred[T]{raw{sql, args}}
}

// SQL renders the condition for a query of one's own: its columns qualified by alias (none if
// empty), its placeholders numbered after the first argBase arguments of that query. Raw
// fragments are written as they are, unqualified. The zero Pred renders as TRUE.
func (p Pred[T]) SQL(alias string, argBase int) (sql string, args []any, err error) {
	if p.n == nil {
		return "TRUE", nil, nil
	}
	b := sqltext.Builder{Args: make([]any, argBase), Qual: alias}
	if err := p.n.build(&b); err != nil {
		return "", nil, invalid{err.Error()}
	}
	return b.String(), b.Args[argBase:], nil
}

// String returns the condition's SQL text and arguments, for logs and tests.
func (p Pred[T]) String() string {
	var b sqltext.Builder
	if p.n == nil {
		return "TRUE"
	}
	if err := p.n.build(&b); err != nil {
		return "!" + err.Error()
	}
	return fmt.Sprintf("%s %v", b.String(), b.Args)
}
