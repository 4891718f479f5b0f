package repo

import (
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
)

// This file is the seam between repo and the packages that build on it: loadopts runs a query its
// own way to load relations with it, and a unit-of-work session resolves each row read to the
// instance it tracks. Applications do not need it.

// orderBy renders order with its columns qualified by alias, "" for none.
func orderBy[T any](order []Order[T], alias string) string {
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = o.SQL(alias)
	}
	return strings.Join(parts, ", ")
}

type loadOption[T any] func(engine.Loader[T]) engine.Loader[T]

func (f loadOption[T]) apply(q *query[T]) { q.loading = f(q.loading) }

// selectList is the table's columns in declaration order, qualified by alias (none if empty).
func (r *Repo[T]) selectList(alias string) string {
	if alias == "" {
		return quotedList(r.cols)
	}
	var b strings.Builder
	for i, c := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteString(".")
		b.WriteString(c.quoted)
	}
	return b.String()
}

// dests sets dest[i] to the address of row's i-th column (nil for a nil row), for Scan.
func (r *Repo[T]) dests(row *T, dest []any) { dests(r.cols, row, dest) }

func dests[T any](cols []*column[T], row *T, dest []any) {
	for i, c := range cols[:min(len(cols), len(dest))] {
		if row == nil {
			dest[i] = nil
		} else {
			dest[i] = c.addr(row)
		}
	}
}

// scanRows reads rows whose first columns are selectList's, each into a new T, and calls fn with
// it until fn returns false. extra are destinations for the columns after those, scanned before
// each call. Through a session, fn gets the tracked instance of each row; db is used for
// nothing else, and may be nil. Nil rows or a nil fn is an error matching [ErrInvalid] (rows, if
// not nil, are closed).
func (r *Repo[T]) scanRows(db DB, rows pgx.Rows, extra []any, fn func(*T) bool) error {
	return r.scan(db, rows, nil, extra, fn)
}

// scanPart is scanRows of rows that hold only the columns at positions cols (all for nil), and
// no extra columns: a query with Only. A session learns which columns each row was read with.
func (r *Repo[T]) scanPart(db DB, rows pgx.Rows, cols []int, fn func(*T) bool) error {
	return r.scan(db, rows, cols, nil, fn)
}

// partDests is the destinations of a new row's columns at positions cols, all for nil.
func (r *Repo[T]) partDests(row *T, cols []int) []any {
	if cols == nil {
		dest := make([]any, len(r.cols))
		r.dests(row, dest)
		return dest
	}
	dest := make([]any, len(cols))
	for i, c := range cols {
		dest[i] = r.cols[c].addr(row)
	}
	return dest
}

func (r *Repo[T]) scan(db DB, rows pgx.Rows, cols []int, extra []any, fn func(*T) bool) error {
	var err error
	switch {
	case rows == nil:
		err = &Error{Op: "scan", Table: r.table, Err: invalidf("nil rows")}
	case fn == nil:
		err = &Error{Op: "scan", Table: r.table, Err: invalidf("nil fn: pass the function that takes each row")}
	}
	if err != nil {
		if rows != nil {
			rows.Close()
		}
		return err
	}
	defer rows.Close()
	var ident engine.Identity
	if db != nil {
		ident = engine.IdentityOf(db)
	}
	n := len(r.cols)
	if cols != nil {
		n = len(cols)
	}
	dest := make([]any, n, n+len(extra))
	dest = append(dest, extra...)
	for rows.Next() {
		row := new(T)
		if cols == nil {
			r.dests(row, dest)
		} else {
			for i, c := range cols {
				dest[i] = r.cols[c].addr(row)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if ident != nil {
			row = ident.Resolve(r, row, cols).(*T)
		}
		if !fn(row) {
			// Stopped early: what follows the rows read may still be an error (a serialization
			// failure found at the statement's end), which aborts the transaction. Close reads
			// it; it must not be dropped.
			rows.Close()
			return rows.Err()
		}
	}
	return rows.Err()
}
