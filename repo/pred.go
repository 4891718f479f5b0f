package repo

import (
	"fmt"
	"strings"

	"github.com/kinship-go/kinship/internal/engine"
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

// node writes a condition into b; err reports a malformed Raw fragment, or the mistake a broken
// node holds.
type node interface {
	build(b *sqltext.Builder) error
	// check reports a column of the condition that is not one of owner's (the Repo of table),
	// and the mistake a broken node holds, before anything is built.
	check(owner any, table string) error
}

type compare struct {
	col colRef
	op  string
	v   any
}

func (c compare) build(b *sqltext.Builder) error {
	b.Col(c.col.sqlName())
	b.WriteString(c.op)
	b.Arg(c.v)
	return nil
}

func (c compare) check(owner any, table string) error { return c.col.belongsTo(owner, table) }

type anyOf struct {
	col colRef
	vs  any // a slice, bound as one array parameter
}

func (a anyOf) build(b *sqltext.Builder) error {
	b.Col(a.col.sqlName())
	b.WriteString(" = ANY(")
	b.Arg(a.vs)
	b.WriteString(")")
	return nil
}

func (a anyOf) check(owner any, table string) error { return a.col.belongsTo(owner, table) }

type isNull struct {
	col colRef
	not bool
}

func (n isNull) build(b *sqltext.Builder) error {
	b.Col(n.col.sqlName())
	if n.not {
		b.WriteString(" IS NOT NULL")
	} else {
		b.WriteString(" IS NULL")
	}
	return nil
}

func (n isNull) check(owner any, table string) error { return n.col.belongsTo(owner, table) }

// like is column LIKE (or ILIKE) pattern, with the escape character written out when the
// pattern was escaped by EscapeLike.
type like struct {
	col     colRef
	op      string // " LIKE " or " ILIKE "
	pattern string
	escaped bool
}

// escapeClause names the backslash as LIKE's escape character. E'\\' is one backslash under either
// setting of standard_conforming_strings, where '\' would be an unterminated literal with the
// setting off.
const escapeClause = ` ESCAPE E'\\'`

func (l like) build(b *sqltext.Builder) error {
	b.Col(l.col.sqlName())
	b.WriteString(l.op)
	b.Arg(l.pattern)
	if l.escaped {
		b.WriteString(escapeClause)
	}
	return nil
}

func (l like) check(owner any, table string) error { return l.col.belongsTo(owner, table) }

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

func (j junction) check(owner any, table string) error {
	for _, n := range j.nodes {
		if err := n.check(owner, table); err != nil {
			return err
		}
	}
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

func (n negation) check(owner any, table string) error { return n.of.check(owner, table) }

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

// check has nothing to check: a Raw fragment names no column of kinship's.
func (r raw) check(any, string) error { return nil }

// cond is a condition another package writes (EXISTS through a relation, from package rel).
type cond struct{ c engine.Cond }

func (c cond) build(b *sqltext.Builder) error      { return c.c.Build(b) }
func (c cond) check(owner any, table string) error { return c.c.Check(owner, table) }

// broken is a condition that could not be made (on a nil column): its error is reported when the
// query is built.
type broken struct{ err error }

func (n broken) build(*sqltext.Builder) error { return n.err }
func (n broken) check(any, string) error      { return n.err }

// onColumn returns the Pred that n makes of col, or a broken one if col is nil; what names the
// method, for the error.
func onColumn[T any](col colRef, what string, n func(colRef) node) Pred[T] {
	if col == nil {
		return Pred[T]{broken{invalidf("%s on a nil column", what)}}
	}
	return Pred[T]{n(col)}
}

func cmpPred[T any](col colRef, what, op string, v any) Pred[T] {
	return onColumn[T](col, what, func(c colRef) node { return compare{c, op, v} })
}

func likePred[T any](col colRef, what, op, pattern string, escaped bool) Pred[T] {
	return onColumn[T](col, what, func(c colRef) node { return like{c, op, pattern, escaped} })
}

// ref is the column as a condition keeps it, nil for a nil column.
func (c *Column[T, V]) ref() colRef {
	if c == nil {
		return nil
	}
	return &c.col
}

// ref is the column as a condition keeps it, nil for a nil column.
func (c *NullColumn[T, V]) ref() colRef {
	if c == nil || c.Column == nil {
		return nil
	}
	return &c.col
}

// Eq is the condition column = v.
func (c *Column[T, V]) Eq(v V) Pred[T] { return cmpPred[T](c.ref(), "Eq", " = ", v) }

// Ne is the condition column <> v.
func (c *Column[T, V]) Ne(v V) Pred[T] { return cmpPred[T](c.ref(), "Ne", " <> ", v) }

// Lt is the condition column < v.
func (c *Column[T, V]) Lt(v V) Pred[T] { return cmpPred[T](c.ref(), "Lt", " < ", v) }

// Le is the condition column <= v.
func (c *Column[T, V]) Le(v V) Pred[T] { return cmpPred[T](c.ref(), "Le", " <= ", v) }

// Gt is the condition column > v.
func (c *Column[T, V]) Gt(v V) Pred[T] { return cmpPred[T](c.ref(), "Gt", " > ", v) }

// Ge is the condition column >= v.
func (c *Column[T, V]) Ge(v V) Pred[T] { return cmpPred[T](c.ref(), "Ge", " >= ", v) }

// In is the condition column = ANY($1), with vs bound as one array parameter: the statement is
// the same whatever the number of values, and there is no ceiling of bind parameters. An empty
// vs matches no row.
func (c *Column[T, V]) In(vs ...V) Pred[T] {
	if vs == nil {
		vs = []V{}
	}
	return onColumn[T](c.ref(), "In", func(col colRef) node { return anyOf{col, vs} })
}

// IsNull is the condition column IS NULL.
func (c *Column[T, V]) IsNull() Pred[T] {
	return onColumn[T](c.ref(), "IsNull", func(col colRef) node { return isNull{col, false} })
}

// NotNull is the condition column IS NOT NULL.
func (c *Column[T, V]) NotNull() Pred[T] {
	return onColumn[T](c.ref(), "NotNull", func(col colRef) node { return isNull{col, true} })
}

// Like is the condition column LIKE pattern (case-sensitive). The pattern is taken as it is: %
// matches any run of characters, _ any one character, and \ makes the character after it match
// itself. A pattern built from a user's input must be escaped, or that input's % and _ are
// wildcards: use [Column.Contains], [Column.HasPrefix] or [Column.HasSuffix], which escape their
// argument, or write the pattern around [EscapeLike]. PostgreSQL accepts LIKE on text columns
// only (text, varchar, char; a Go string, *string, pgtype.Text or sql.Null[string] field).
func (c *Column[T, V]) Like(pattern string) Pred[T] {
	return likePred[T](c.ref(), "Like", " LIKE ", pattern, false)
}

// ILike is the condition column ILIKE pattern: Like, ignoring case as the column's collation
// folds it (see [Column.ContainsFold]). The pattern is taken as it is, as Like takes it.
func (c *Column[T, V]) ILike(pattern string) Pred[T] {
	return likePred[T](c.ref(), "ILike", " ILIKE ", pattern, false)
}

// Contains is the condition that the column holds s anywhere: column LIKE $1 ESCAPE E'\\', $1
// being '%' + s + '%' with s escaped by [EscapeLike], so that its %, _ and \ match themselves,
// bound as one parameter. The escape character is written into the statement, as E'\\', which is
// one backslash whatever standard_conforming_strings says. An empty s matches every non-NULL
// value. Like [Column.Like], it is for text columns.
func (c *Column[T, V]) Contains(s string) Pred[T] {
	return likePred[T](c.ref(), "Contains", " LIKE ", "%"+EscapeLike(s)+"%", true)
}

// HasPrefix is the condition that the column starts with s, escaped as [Column.Contains]
// escapes it: column LIKE s || '%'.
func (c *Column[T, V]) HasPrefix(s string) Pred[T] {
	return likePred[T](c.ref(), "HasPrefix", " LIKE ", EscapeLike(s)+"%", true)
}

// HasSuffix is the condition that the column ends with s, escaped as [Column.Contains]
// escapes it: column LIKE '%' || s.
func (c *Column[T, V]) HasSuffix(s string) Pred[T] {
	return likePred[T](c.ref(), "HasSuffix", " LIKE ", "%"+EscapeLike(s), true)
}

// ContainsFold is [Column.Contains] ignoring case: column ILIKE '%' || s || '%', s escaped. Case
// is folded as the column's collation folds it: under an ICU collation or a libc UTF-8 one
// (und-x-icu, C.utf8, en_US.utf8) 'ÄB' matches 'äb'; under the C collation, the default of a
// database created with the C locale, only ASCII letters fold.
func (c *Column[T, V]) ContainsFold(s string) Pred[T] {
	return likePred[T](c.ref(), "ContainsFold", " ILIKE ", "%"+EscapeLike(s)+"%", true)
}

// HasPrefixFold is [Column.HasPrefix] ignoring case, as [Column.ContainsFold] does.
func (c *Column[T, V]) HasPrefixFold(s string) Pred[T] {
	return likePred[T](c.ref(), "HasPrefixFold", " ILIKE ", EscapeLike(s)+"%", true)
}

// HasSuffixFold is [Column.HasSuffix] ignoring case, as [Column.ContainsFold] does.
func (c *Column[T, V]) HasSuffixFold(s string) Pred[T] {
	return likePred[T](c.ref(), "HasSuffixFold", " ILIKE ", "%"+EscapeLike(s), true)
}

// likeEscaper puts a backslash before each character that LIKE would not take as itself.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike returns s with LIKE's special characters escaped by a backslash (\ becomes \\, %
// becomes \%, _ becomes \_), so that a pattern built around it matches s literally:
// name.Like("%" + repo.EscapeLike(input) + "%") is what [Column.Contains] does. Backslash is
// LIKE's default escape character, so the result works in [Column.Like] and [Column.ILike]
// without an ESCAPE clause; in SQL of one's own, bind it as a parameter (a backslash in a literal
// means something else where standard_conforming_strings is off). Multibyte characters are left
// as they are: no byte of one is an ASCII %, _ or \.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }

// Eq is the condition column = v; use IsNull for NULL.
func (c *NullColumn[T, V]) Eq(v V) Pred[T] { return cmpPred[T](c.ref(), "Eq", " = ", v) }

// Ne is the condition column <> v (false where the column is NULL, as in SQL).
func (c *NullColumn[T, V]) Ne(v V) Pred[T] { return cmpPred[T](c.ref(), "Ne", " <> ", v) }

// Lt is the condition column < v.
func (c *NullColumn[T, V]) Lt(v V) Pred[T] { return cmpPred[T](c.ref(), "Lt", " < ", v) }

// Le is the condition column <= v.
func (c *NullColumn[T, V]) Le(v V) Pred[T] { return cmpPred[T](c.ref(), "Le", " <= ", v) }

// Gt is the condition column > v.
func (c *NullColumn[T, V]) Gt(v V) Pred[T] { return cmpPred[T](c.ref(), "Gt", " > ", v) }

// Ge is the condition column >= v.
func (c *NullColumn[T, V]) Ge(v V) Pred[T] { return cmpPred[T](c.ref(), "Ge", " >= ", v) }

// In is the condition column = ANY($1), with vs bound as one array parameter.
func (c *NullColumn[T, V]) In(vs ...V) Pred[T] {
	if vs == nil {
		vs = []V{}
	}
	return onColumn[T](c.ref(), "In", func(col colRef) node { return anyOf{col, vs} })
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
// $1…$n refer to args and are renumbered to fit the query it joins. Raw is the only way to put
// caller-written text into kinship's SQL: never build sql from untrusted input. T is the table
// the condition is about: repo.Raw[Employee]("lower(name) = $1", name). Raw names no column of a
// Repo, so unlike the typed conditions it is not checked against the table queried.
//
// The fragment is checked when the query that uses it is built, which then fails with an error
// matching [ErrInvalid] and sends nothing, if it
//
//   - is empty (only spaces);
//   - has a placeholder without an argument, or an argument without a placeholder;
//   - has a statement separator ; outside its string literals, quoted identifiers, dollar-quoted
//     strings and comments: under the simple protocol (pgx's QueryExecModeSimpleProtocol, the
//     mode a PgBouncer in transaction mode asks for, and pgx's Exec without arguments in any
//     mode) the text after it would run as a second statement;
//   - leaves a literal, quoted identifier, dollar-quoted string or block comment open, which
//     would swallow the SQL after the fragment.
//
// It is read both as PostgreSQL reads it with standard_conforming_strings on and with it off
// (where a backslash in '…' escapes the next character), and refused if either reading finds
// one of these, so a literal with a backslash before its closing quote ('C:\') is refused: write
// it as E'C:\\'. A fragment that ends in a -- comment is fine: a newline ends the comment.
func Raw[T any](sql string, args ...any) Pred[T] {
	return Pred[T]{raw{sql, args}}
}

// SQL renders the condition for a query of one's own: its columns qualified by alias (none if
// empty), its placeholders numbered after the first argBase arguments of that query. Raw
// fragments are written as they are, unqualified. The zero Pred renders as TRUE. Its errors match
// [ErrInvalid]: a malformed Raw fragment (see [Raw]), a condition on a nil column, a negative
// argBase. SQL does not know which table the query is about, so it does not check that the
// columns are that table's, as [Repo.Find] does.
func (p Pred[T]) SQL(alias string, argBase int) (sql string, args []any, err error) {
	if argBase < 0 {
		return "", nil, invalidf("repo: Pred.SQL: argBase %d is negative", argBase)
	}
	if p.n == nil {
		return "TRUE", nil, nil
	}
	b := sqltext.Builder{Args: make([]any, argBase), Qual: alias}
	if err := p.n.build(&b); err != nil {
		return "", nil, invalid{"repo: " + err.Error()}
	}
	return b.String(), b.Args[argBase:], nil
}

// On reports whether every column the condition names is one of r's: nil, or an error matching
// [ErrInvalid] naming the column and its table. [Repo.Find] and the other queries check this
// themselves; a load option's condition (package loadopts) is checked with it.
func (p Pred[T]) On(r *Repo[T]) error {
	if p.n == nil {
		return nil
	}
	if r == nil {
		return invalidf("nil Repo")
	}
	return p.n.check(r, r.table)
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
