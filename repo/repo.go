package repo

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/kinship-go/kinship/internal/pipe"
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
	writes  []*column[T] // what Insert writes: every column but the generated key and the ReadOnly ones
	sets    []*column[T] // what Update writes by default: every non-key column but the ReadOnly ones
	deep    []*column[T] // the columns whose snapshot is a clone (deepCopy), not a plain copy
	// insBack and updBack are the columns an INSERT and an UPDATE read back with RETURNING: the
	// generated key first, then the Default, ReadOnly and ReadBack columns (ReadOnly and
	// ReadBack only, for an UPDATE). defaults are the positions in writes of the Default
	// columns, sent as DEFAULT where a row holds the zero value.
	insBack  []*column[T]
	updBack  []*column[T]
	defaults []int

	selectSQL  string   // SELECT cols FROM t
	getSQL     string   // SELECT cols FROM t WHERE key = $1 …
	insertSQL  string   // INSERT INTO t (writes) VALUES ($1, …) [RETURNING generated key]
	updateSQL  string   // UPDATE t SET sets = $1, … WHERE key = $n …
	deleteSQL  string   // DELETE FROM t WHERE key = $1 …
	countSQL   string   // SELECT count(*) FROM t
	existsSQL  string   // SELECT EXISTS (SELECT 1 FROM t
	returning  string   // " RETURNING insBack", or ""
	updReturn  string   // " RETURNING updBack", or ""
	keyWhere   string   // "key1" = $1 AND …, placeholders from 1
	insertMany sync.Map // rows per statement (int) → SQL text
	updateSome sync.Map // bit set of updated columns (uint64) → SQL text
	nullSome   sync.Map // bit set of columns set NULL (uint64) → SQL text
	insertSome sync.Map // bit set of defaults sent as DEFAULT (int) → one row's INSERT
}

// New declares the table name with its columns. A name with a dot is qualified with its
// schema, billing.invoices: every statement writes it as two quoted identifiers,
// "billing"."invoices", and Verify looks for it there, not through search_path (a table whose
// name holds a dot cannot be declared). It checks what can be checked without a
// database, and returns an error matching [ErrInvalid] that names the table and the column at
// fault:
//
//   - a table or column name that is empty, longer than 63 bytes (PostgreSQL would truncate it)
//     or holds a NUL byte;
//   - no columns, a nil column, a column declared twice or already part of another Repo;
//   - a column declared without an accessor, or with [ColFunc] without an equality function;
//   - an accessor that returns nil, or panics, for a zero row (a field reached through a nil
//     pointer): scanning a row into it could not work;
//   - two columns whose accessors return the same field (the same address and Go type in one
//     zero row), which would carry either column's value;
//   - no primary key ([Key], [Serial], [Generated]), or more than one generated key, or a
//     second [Version] column;
//   - [Column.Default], [Column.ReadOnly] or [Column.ReadBack] on a key or Version column (a
//     key the database assigns is [Generated]), or a column both Default and ReadOnly.
//
// A primary key is one [Generated] or [Serial] column, one or more [Key] columns, or one
// generated column with Key columns (the key of a partitioned table).
func New[T any](table string, columns ...Field[T]) (*Repo[T], error) {
	r := &Repo[T]{table: table, quoted: sqltext.QuoteTable(table), zero: new(T)}
	fail := func(col string, err error) (*Repo[T], error) {
		return nil, &Error{Op: "declare", Table: table, Column: col, Err: err}
	}
	if err := sqltext.CheckTable(table); err != nil {
		return fail("", invalid{"table name: " + err.Error()})
	}
	if len(columns) == 0 {
		return fail("", invalidf("no columns"))
	}
	seen := make(map[string]bool, len(columns))
	fields := make(map[any]*column[T], len(columns)) // the pointer each accessor returns for r.zero
	for i, f := range columns {
		var c *column[T]
		if f != nil {
			c = f.column()
		}
		if c == nil {
			return fail("", invalidf("column %d is nil", i))
		}
		if err := sqltext.CheckIdent(c.name); err != nil {
			return fail(c.name, invalid{"column name: " + err.Error()})
		}
		if c.addr == nil {
			return fail(c.name, invalidf("declared without an accessor"))
		}
		if c.equal == nil {
			return fail(c.name, invalidf("declared without an equality function: pass one to repo.ColFunc"))
		}
		if seen[c.name] {
			return fail(c.name, invalidf("column declared twice"))
		}
		seen[c.name] = true
		if c.owner != nil {
			return fail(c.name, invalidf("this column value already belongs to another Repo; declare a new one for this table"))
		}
		if c.owned != 0 && c.kind != kindPlain {
			return fail(c.name, invalidf("Default, ReadOnly and ReadBack are for columns that are neither key nor Version; a key the database assigns is declared with repo.Generated or repo.Serial"))
		}
		if c.owned&ownDefault != 0 && c.owned&ownReadOnly != 0 {
			return fail(c.name, invalidf("both Default and ReadOnly: a ReadOnly column is never written, so it has no value to leave to a default; keep one"))
		}
		switch c.kind {
		case kindSerial:
			if r.serial != nil {
				return fail(c.name, invalidf("second generated key, Serial or Generated (first: %s); a Repo has one at most", r.serial.name))
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
		case kindPlain:
			if c.owned&ownReadOnly != 0 {
				break
			}
			if c.owned&ownDefault != 0 {
				if len(r.defaults) == 63 {
					return fail(c.name, invalidf("more than 63 Default columns"))
				}
				r.defaults = append(r.defaults, len(r.writes))
			}
			r.writes = append(r.writes, c)
			r.sets = append(r.sets, c)
		}
		p, err := fieldOf(c, r.zero)
		if err != nil {
			return fail(c.name, err)
		}
		// Two pointers held in an any are equal when they have the same type and address: a
		// struct and its first field, or a field of zero size and the next one, share an address
		// but not a type.
		if other, dup := fields[p]; dup {
			return fail(c.name, invalidf("columns %s and %s have accessors that return the same field (a %T), which would hold either column's value; give each column its own field", other.name, c.name, p))
		}
		fields[p] = c
		r.cols = append(r.cols, c)
		r.fields = append(r.fields, f)
		if c.deepCopy != nil {
			r.deep = append(r.deep, c)
		}
	}
	if len(r.key) == 0 {
		return fail("", invalidf("no primary key: declare its column(s) with repo.Key, repo.Serial or repo.Generated"))
	}
	for _, c := range r.cols {
		c.owner, c.table = r, table
	}
	r.buildSQL()
	return r, nil
}

// fieldOf returns what c's accessor returns for row, refusing nil and a panic.
func fieldOf[T any](c *column[T], row *T) (p any, err error) {
	defer func() {
		if x := recover(); x != nil {
			p, err = nil, invalidf("the accessor panics on a zero row (%v): it must return a field of the row itself, not one reached through a pointer the row may not hold", x)
		}
	}()
	if c.isNil(row) {
		return nil, invalidf("the accessor returns nil for a zero row: it must return the address of a field of the row")
	}
	return c.addr(row), nil
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
		r.insBack = append(r.insBack, r.serial)
	}
	for _, c := range r.cols {
		if c.backOnInsert() {
			r.insBack = append(r.insBack, c)
		}
		if c.backOnUpdate() {
			r.updBack = append(r.updBack, c)
		}
	}
	if len(r.insBack) > 0 {
		r.returning = " RETURNING " + quotedList(r.insBack)
	}
	if len(r.updBack) > 0 {
		r.updReturn = " RETURNING " + quotedList(r.updBack)
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

// Table returns the table's name as declared ("" for a nil Repo).
func (r *Repo[T]) Table() string {
	if r == nil {
		return ""
	}
	return r.table
}

// Columns returns the columns in declaration order (nil for a nil Repo). The slice is shared: do
// not modify it.
func (r *Repo[T]) Columns() []Field[T] {
	if r == nil {
		return nil
	}
	return r.fields
}

// PrimaryKey returns the primary-key columns in declaration order (nil for a nil Repo).
func (r *Repo[T]) PrimaryKey() []Field[T] {
	if r == nil {
		return nil
	}
	var key []Field[T]
	for i, c := range r.cols {
		if c.kind == kindKey || c.kind == kindSerial {
			key = append(key, r.fields[i])
		}
	}
	return key
}

// Key returns row's primary key: the value itself for a one-column key, a []any in declaration
// order for a composite one — the form [Repo.Get] and [Repo.Delete] take. A nil row (or Repo) has
// no key: Key returns nil.
func (r *Repo[T]) Key(row *T) any {
	if r == nil || row == nil || len(r.key) == 0 {
		return nil
	}
	if len(r.key) == 1 {
		return r.key[0].value(row)
	}
	k := make([]any, len(r.key))
	for i, c := range r.key {
		k[i] = c.value(row)
	}
	return k
}

// keyArgs turns a key given to Get or Delete into bind arguments, each converted to its
// column's Go type (an int for an int64 key), once checkKey has accepted it.
func (r *Repo[T]) keyArgs(key any) ([]any, error) {
	if err := r.checkKey(key); err != nil {
		return nil, err
	}
	if len(r.key) == 1 {
		v, _ := r.key[0].convert(key)
		return []any{v}, nil
	}
	parts := key.([]any)
	var args []any // nil while every part has its column's type, so that parts can be sent as they are
	for i, p := range parts {
		if r.key[i].exact(p) {
			if args != nil {
				args = append(args, p)
			}
			continue
		}
		if args == nil {
			args = append(make([]any, 0, len(parts)), parts[:i]...)
		}
		v, _ := r.key[i].convert(p)
		args = append(args, v)
	}
	if args == nil {
		return parts, nil
	}
	return args, nil
}

// checkKey reports why key cannot be a key of r: nil, a value of another Go type than the key
// column's (an integer of another integer type is converted), a composite key that is not a
// []any of one value per column, or with a nil or ill-typed value. It allocates nothing for a
// key it accepts.
func (r *Repo[T]) checkKey(key any) error {
	parts, composite := key.([]any)
	switch {
	case key == nil:
		return invalidf("nil key: pass the value of %s", r.describeKey())
	case len(r.key) == 1 && !composite:
		if _, ok := r.key[0].convert(key); !ok {
			return invalidf("key %s has type %T, but the key column %s has type %s", show(key), key, r.key[0].name, r.key[0].typ)
		}
		return nil
	case len(r.key) == 1:
		return invalidf("key %v is a []any but the primary key of %s is one column (%s)", key, r.table, r.key[0].name)
	case !composite:
		return invalidf("the primary key of %s has %d columns (%s): pass them as a []any", r.table, len(r.key), quotedList(r.key))
	case len(parts) != len(r.key):
		return invalidf("key has %d values but the primary key of %s has %d columns (%s)", len(parts), r.table, len(r.key), quotedList(r.key))
	}
	for i, p := range parts {
		c := r.key[i]
		if p == nil {
			return invalidf("key value %d (%s) is nil", i+1, c.name)
		}
		if _, ok := c.convert(p); !ok {
			return invalidf("key value %d (%s) %s has type %T, but the column has type %s", i+1, c.name, show(p), p, c.typ)
		}
	}
	return nil
}

// describeKey names the primary key's columns, for messages.
func (r *Repo[T]) describeKey() string {
	if len(r.key) == 1 {
		return "the key column " + r.key[0].name + " (" + r.key[0].typ + ")"
	}
	return "the key columns (" + quotedList(r.key) + ") as a []any"
}

// show is v for a message: a string quoted.
func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// owns reports whether f is one of r's columns, with an error naming it if not.
func (r *Repo[T]) owns(f Field[T]) (*column[T], error) {
	var c *column[T]
	if f != nil {
		c = f.column()
	}
	if c == nil {
		return nil, invalidf("nil column")
	}
	if err := c.belongsTo(r, r.table); err != nil {
		return nil, err
	}
	return c, nil
}

// check reports why r cannot run a query: a nil Repo or one not made by New, a nil context or a
// nil DB (nil, or a nil *pgxpool.Pool, *pgxpool.Conn, *pgxpool.Tx or *pgx.Conn in it). op names
// the operation for the error.
func (r *Repo[T]) check(ctx context.Context, db DB, op string) error {
	var err error
	switch {
	case r == nil:
		return &Error{Op: op, Err: invalidf("nil Repo: declare it with repo.New")}
	case len(r.cols) == 0:
		err = invalidf("the Repo was not declared with repo.New")
	case ctx == nil:
		err = invalidf("nil context: pass context.Background() or the caller's context")
	case pipe.IsNil(db):
		err = invalidf("nil DB: pass a pool, a connection, a transaction or a unit-of-work session")
	default:
		return nil
	}
	return &Error{Op: op, Table: r.table, Err: err}
}
