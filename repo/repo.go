package repo

import (
	"fmt"
	"strings"
	"sync"

	"github.com/kinship-go/kinship/internal/sqltext"
)

// A Repo is one table: its name, its columns bound to the fields of T, and its primary key. It is
// declared once, usually at package level, with [New] or [MustNew], and is safe for concurrent
// use. The SQL text of its fixed statements is built when it is declared; a query with options
// builds only the WHERE, ORDER BY and LIMIT that the options add.
type Repo[T any] struct {
	table   string
	quoted  string
	cols    []*column[T]
	fields  []Field[T]
	key     []*column[T] // the primary key, in declaration order
	zero    *T           // a zero row, to compare with
	serial  *column[T]   // the generated key (Generated, Serial), or nil
	version *column[T]   // the version column, or nil
	writes  []*column[T] // what Insert writes: every column but the generated key
	sets    []*column[T] // what Update writes by default: every non-key column
	deep    []*column[T] // the columns whose snapshot is a clone (deepCopy), not a plain copy

	selectSQL  string   // SELECT cols FROM t
	getSQL     string   // SELECT cols FROM t WHERE key = $1 …
	insertSQL  string   // INSERT INTO t (writes) VALUES ($1, …) [RETURNING generated key]
	updateSQL  string   // UPDATE t SET sets = $1, … WHERE key = $n …
	deleteSQL  string   // DELETE FROM t WHERE key = $1 …
	countSQL   string   // SELECT count(*) FROM t
	existsSQL  string   // SELECT EXISTS (SELECT 1 FROM t
	returning  string   // " RETURNING generated key", or ""
	keyWhere   string   // "key1" = $1 AND …, placeholders from 1
	insertMany sync.Map // rows per statement (int) → SQL text
	updateSome sync.Map // bit set of updated columns (uint64) → SQL text
}

// New declares the table name with its columns. It checks what can be checked without a
// database: a table and columns with valid names (non-empty, at most 63 bytes, no NUL), no column
// twice, a primary key, at most one generated key ([Serial] or [Generated]) and no other key
// beside it, every column declared with an accessor and not already part of another Repo. Errors
// match [ErrInvalid].
func New[T any](table string, columns ...Field[T]) (*Repo[T], error) {
	r := &Repo[T]{table: table, quoted: sqltext.Quote(table), zero: new(T)}
	fail := func(col string, err error) (*Repo[T], error) {
		return nil, &Error{Op: "declare", Table: table, Column: col, Err: err}
	}
	if err := sqltext.CheckIdent(table); err != nil {
		return fail("", invalid{"table name: " + err.Error()})
	}
	if len(columns) == 0 {
		return fail("", invalidf("no columns"))
	}
	seen := make(map[string]bool, len(columns))
	for i, f := range columns {
		if f == nil {
			return fail("", invalidf("column %d is nil", i))
		}
		c := f.column()
		if err := sqltext.CheckIdent(c.name); err != nil {
			return fail(c.name, invalid{"column name: " + err.Error()})
		}
		if c.addr == nil {
			return fail(c.name, invalidf("declared without an accessor"))
		}
		if seen[c.name] {
			return fail(c.name, invalidf("column declared twice"))
		}
		seen[c.name] = true
		if c.owner != nil {
			return fail(c.name, invalidf("this column value already belongs to another Repo; declare a new one for this table"))
		}
		switch c.kind {
		case kindSerial:
			if r.serial != nil {
				return fail(c.name, invalidf("second generated key, Serial or Generated (first: %s)", r.serial.name))
			}
			r.serial = c
			r.key = append(r.key, c)
		case kindKey:
			r.key = append(r.key, c)
			r.writes = append(r.writes, c)
		case kindVersion:
			if r.version != nil {
				return fail(c.name, invalidf("second Version column (first: %s)", r.version.name))
			}
			r.version = c
			r.writes = append(r.writes, c)
		default:
			r.writes = append(r.writes, c)
			r.sets = append(r.sets, c)
		}
		r.cols = append(r.cols, c)
		r.fields = append(r.fields, f)
		if c.deepCopy != nil {
			r.deep = append(r.deep, c)
		}
	}
	if len(r.key) == 0 {
		return fail("", invalidf("no primary key: declare its column(s) with repo.Key, repo.Serial or repo.Generated"))
	}
	if r.serial != nil && len(r.key) > 1 {
		return fail(r.serial.name, invalidf("a generated key (Serial or Generated) must be the whole primary key; declare the others with repo.Col and a unique constraint"))
	}
	for _, c := range r.cols {
		c.owner = r
	}
	r.buildSQL()
	return r, nil
}

// MustNew is [New] for package-level declarations: it panics on an invalid declaration, which is a
// bug in the program, never a condition at run time.
func MustNew[T any](table string, columns ...Field[T]) *Repo[T] {
	r, err := New(table, columns...)
	if err != nil {
		panic(err)
	}
	return r
}

func (r *Repo[T]) buildSQL() {
	list := quotedList(r.cols)
	r.selectSQL = "SELECT " + list + " FROM " + r.quoted
	var kw strings.Builder
	for i, k := range r.key {
		if i > 0 {
			kw.WriteString(" AND ")
		}
		fmt.Fprintf(&kw, "%s = $%d", k.quoted, i+1)
	}
	r.keyWhere = kw.String()
	r.getSQL = r.selectSQL + " WHERE " + r.keyWhere
	if r.serial != nil {
		r.returning = " RETURNING " + r.serial.quoted
	}
	r.insertSQL = r.insertStatement(1)
	r.updateSQL = r.updateStatement(r.sets)
	r.deleteSQL = "DELETE FROM " + r.quoted + " WHERE " + r.keyWhere
	r.countSQL = "SELECT count(*) FROM " + r.quoted
	r.existsSQL = "SELECT EXISTS (SELECT 1 FROM " + r.quoted
}

func quotedList[T any](cols []*column[T]) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.quoted
	}
	return strings.Join(names, ", ")
}

// Table returns the table's name as declared.
func (r *Repo[T]) Table() string { return r.table }

// Columns returns the columns in declaration order. The slice is shared: do not modify it.
func (r *Repo[T]) Columns() []Field[T] { return r.fields }

// PrimaryKey returns the primary-key columns in declaration order.
func (r *Repo[T]) PrimaryKey() []Field[T] {
	var key []Field[T]
	for i, c := range r.cols {
		if c.kind == kindKey || c.kind == kindSerial {
			key = append(key, r.fields[i])
		}
	}
	return key
}

// Key returns row's primary key: the value itself for a one-column key, a []any in declaration
// order for a composite one — the form [Repo.Get] and [Repo.Delete] take.
func (r *Repo[T]) Key(row *T) any {
	if len(r.key) == 1 {
		return r.key[0].value(row)
	}
	k := make([]any, len(r.key))
	for i, c := range r.key {
		k[i] = c.value(row)
	}
	return k
}

// keyArgs turns a key given to Get or Delete into bind arguments.
func (r *Repo[T]) keyArgs(key any) ([]any, error) {
	parts, composite := key.([]any)
	switch {
	case len(r.key) == 1 && !composite:
		return []any{key}, nil
	case len(r.key) == 1:
		return nil, invalidf("key %v is a []any but the primary key of %s is one column (%s)", key, r.table, r.key[0].name)
	case !composite:
		return nil, invalidf("the primary key of %s has %d columns (%s): pass them as a []any", r.table, len(r.key), quotedList(r.key))
	case len(parts) != len(r.key):
		return nil, invalidf("key has %d values but the primary key of %s has %d columns (%s)", len(parts), r.table, len(r.key), quotedList(r.key))
	}
	return parts, nil
}

// owns reports whether f is one of r's columns, with an error naming it if not.
func (r *Repo[T]) owns(f Field[T]) (*column[T], error) {
	if f == nil {
		return nil, invalidf("nil column")
	}
	c := f.column()
	if c.owner != any(r) {
		return nil, invalidf("column %s is not a column of %s", c.name, r.table)
	}
	return c, nil
}
