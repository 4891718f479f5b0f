package repo

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// A Result is the shape of the rows of a query of one's own — an aggregate, a GROUP BY report,
// a join across tables — bound to the fields of R through typed accessors, as a [Repo]'s
// columns are, but with no table: the step from typed CRUD to a report without hand-written
// Scan calls or reflection. Declare it once, from columns made with [Col], [Nullable], [Slice],
// [ColFunc] or [Numeric], each named as the query's result column is (its alias):
//
//	type Payroll struct {
//		Company   string
//		Headcount int64
//		Total     *int64 // sum() of no rows is NULL
//	}
//	var payrolls = repo.MustResult(
//		repo.Col("company", func(p *Payroll) *string { return &p.Company }),
//		repo.Col("headcount", func(p *Payroll) *int64 { return &p.Headcount }),
//		repo.Nullable("total", func(p *Payroll) **int64 { return &p.Total }))
//
//	rows, err := payrolls.Query(ctx, db, `SELECT c.name AS company, count(e.id) AS headcount,
//		sum(e.salary) AS total FROM companies c LEFT JOIN employees e ON e.company_id = c.id
//		GROUP BY c.name ORDER BY c.name`)
//
// The statement's text is the caller's, or built from kinship's names: [Repo.TableSQL],
// [Column.SQL] and [Pred.SQL]. Result columns are matched to fields by name, whatever their
// order: a result column with no field, or a field with no result column, is an error matching
// [ErrInvalid] that names it, read from the statement's first reply, before any row is scanned.
// A Result is safe for concurrent use. Its rows are not tracked by a unit of work: they are no
// table's rows.
type Result[R any] struct {
	cols   []*column[R]
	fields []Field[R]
	byName map[string]int
}

// NewResult declares a Result from its columns. Its errors match ErrInvalid and name the column
// at fault: no columns, a nil column, one declared twice or already part of a Repo or another
// Result, an empty or too long name, a column without an accessor or equality, an accessor
// that returns nil or panics on a zero R, two columns on one field.
func NewResult[R any](columns ...Field[R]) (*Result[R], error) {
	fail := func(col string, err error) (*Result[R], error) {
		return nil, &Error{Op: "declare result", Column: col, Err: err}
	}
	if len(columns) == 0 {
		return fail("", invalidf("no columns"))
	}
	res := &Result[R]{byName: make(map[string]int, len(columns))}
	zero := new(R)
	fields := make(map[any]*column[R], len(columns))
	for i, f := range columns {
		var c *column[R]
		if f != nil {
			c = f.column()
		}
		switch {
		case c == nil:
			return fail("", invalidf("column %d is nil", i))
		case sqltext.CheckIdent(c.name) != nil:
			return fail(c.name, invalid{"column name: " + sqltext.CheckIdent(c.name).Error()})
		case c.addr == nil:
			return fail(c.name, invalidf("declared without an accessor"))
		case c.owner != nil:
			return fail(c.name, invalidf("this column value already belongs to a Repo or a Result; declare a new one"))
		}
		if _, dup := res.byName[c.name]; dup {
			return fail(c.name, invalidf("column declared twice"))
		}
		p, err := fieldOf(c, zero)
		if err != nil {
			return fail(c.name, err)
		}
		if other, dup := fields[p]; dup {
			return fail(c.name, invalidf("columns %s and %s have accessors that return the same field", other.name, c.name))
		}
		fields[p] = c
		res.byName[c.name] = len(res.cols)
		res.cols = append(res.cols, c)
		res.fields = append(res.fields, f)
	}
	for _, c := range res.cols {
		c.owner, c.table = res, "result"
	}
	return res, nil
}

// Columns returns the Result's columns in declaration order (nil for a nil Result). The slice is
// shared: do not modify it.
func (r *Result[R]) Columns() []Field[R] {
	if r == nil {
		return nil
	}
	return r.fields
}

// MustResult is [NewResult] for package-level declarations: it panics on an invalid one.
func MustResult[R any](columns ...Field[R]) *Result[R] {
	r, err := NewResult(columns...)
	if err != nil {
		panic(err)
	}
	return r
}

// Query runs sql with args on db and returns its rows, each scanned into a new R: one round
// trip. Its errors: those of Query (the server's, a nil context or DB, a nil or undeclared
// Result, all matching ErrInvalid but the server's), and the mismatches between the result
// columns and the fields.
func (r *Result[R]) Query(ctx context.Context, db DB, sql string, args ...any) ([]*R, error) {
	var out []*R
	for row, err := range r.All(ctx, db, sql, args...) {
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// One runs sql, which must return one row, and returns it: [ErrNotFound] if it returns none,
// an error if it returns more than one.
func (r *Result[R]) One(ctx context.Context, db DB, sql string, args ...any) (*R, error) {
	var one *R
	for row, err := range r.All(ctx, db, sql, args...) {
		if err != nil {
			return nil, err
		}
		if one != nil {
			return nil, &Error{Op: "result", Err: fmt.Errorf("the query returned more than one row")}
		}
		one = row
	}
	if one == nil {
		return nil, &Error{Op: "result", Err: ErrNotFound}
	}
	return one, nil
}

// All runs sql and yields its rows one at a time, as they arrive, each into a new R; stopping
// early closes the rows. It returns a single-use iterator; an error is yielded once, last.
func (r *Result[R]) All(ctx context.Context, db DB, sql string, args ...any) iter.Seq2[*R, error] {
	return func(yield func(*R, error) bool) {
		fail := func(err error) { yield(nil, &Error{Op: "result", Err: err}) }
		switch {
		case r == nil || r.byName == nil:
			fail(invalidf("nil Result: declare it with repo.NewResult"))
			return
		case ctx == nil:
			fail(invalidf("nil context: pass context.Background() or the caller's context"))
			return
		case pipe.IsNil(db):
			fail(invalidf("nil DB: pass a pool, a connection, a transaction or a unit-of-work session"))
			return
		}
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			fail(err)
			return
		}
		defer rows.Close()
		dest, err := r.match(rows)
		if err != nil {
			fail(err)
			return
		}
		addr := make([]func(*R) any, len(dest))
		for i, c := range dest {
			addr[i] = c.addr
		}
		ptrs := make([]any, len(dest))
		for rows.Next() {
			row := new(R)
			for i, a := range addr {
				ptrs[i] = a(row)
			}
			if err := rows.Scan(ptrs...); err != nil {
				fail(err)
				return
			}
			if !yield(row, nil) {
				rows.Close()
				if err := rows.Err(); err != nil {
					fail(err)
				}
				return
			}
		}
		if err := rows.Err(); err != nil {
			fail(err)
		}
	}
}

// match returns the column of each of rows' result columns, in their order.
func (r *Result[R]) match(rows pgx.Rows) ([]*column[R], error) {
	fds := rows.FieldDescriptions()
	dest := make([]*column[R], len(fds))
	seen := make([]bool, len(r.cols))
	for i, fd := range fds {
		j, ok := r.byName[fd.Name]
		if !ok {
			return nil, invalidf("result column %q (number %d) has no field: declare one named %q, or leave it out of the SELECT", fd.Name, i+1, fd.Name)
		}
		if seen[j] {
			return nil, invalidf("result column %q appears twice: give one another name with AS", fd.Name)
		}
		seen[j] = true
		dest[i] = r.cols[j]
	}
	var missing []string
	for j, ok := range seen {
		if !ok {
			missing = append(missing, r.cols[j].name)
		}
	}
	if len(missing) > 0 {
		return nil, invalidf("the query returns no column named %s: select it (with AS to name it), or drop its field", strings.Join(missing, ", "))
	}
	return dest, nil
}

// SQL returns the column's name as SQL writes it, qualified by alias: e."salary", or "salary"
// for an empty alias; for statements of one's own, such as a [Result]'s.
func (c *Column[T, V]) SQL(alias string) string {
	if c == nil {
		return ""
	}
	if alias == "" {
		return c.col.quoted
	}
	return alias + "." + c.col.quoted
}

// TableSQL returns the table's name as SQL writes it, quoted (and qualified with its schema if
// declared so): "employees", "billing"."invoices"; "" for a nil Repo.
func (r *Repo[T]) TableSQL() string {
	if r == nil {
		return ""
	}
	return r.quoted
}
