package repo

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// This file is the seam between repo and the packages that build on it: loadopts runs a query its
// own way to load relations with it, and a unit-of-work session resolves each row read to the
// instance it tracks. Applications do not need it.

// A Loading runs a query of T and loads relations of the rows it returns. Package loadopts
// provides it; [Load] puts one into a query.
type Loading[T any] interface {
	Find(ctx context.Context, db DB, s *Select[T]) ([]*T, error)
}

type loadOption[T any] func(Loading[T]) Loading[T]

func (f loadOption[T]) apply(q *query[T]) {
	if f == nil {
		if q.err == nil {
			q.err = invalidf("Load(nil): a load option needs its merge function")
		}
		return
	}
	q.loading = f(q.loading)
}

// Load returns an option that sets the query's Loading to merge(current), where current is what
// earlier options set, nil at first. Package loadopts uses it to gather every load option of a
// query into one plan. A nil merge makes the query fail with an error matching [ErrInvalid].
func Load[T any](merge func(current Loading[T]) Loading[T]) Option[T] {
	return loadOption[T](merge)
}

// Select is a query of T as the options of Find or Get described it, for a [Loading] to run.
type Select[T any] struct {
	Repo *Repo[T]
	SQL  string // the whole statement: SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT …] [OFFSET …]
	Args []any
	// One is true for Get: the query is expected to return at most one row.
	One bool

	order  []Order[T]
	paging bool
}

// OrderBy returns the query's ORDER BY list with columns qualified by alias, "" without one (and
// for a nil Select).
func (s *Select[T]) OrderBy(alias string) string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(s.order))
	for i, o := range s.order {
		parts[i] = o.SQL(alias)
	}
	return strings.Join(parts, ", ")
}

// Paged reports whether the query has a LIMIT or OFFSET, so that joining rows to it would change
// which rows it returns unless it is wrapped in a subquery. A nil Select is not.
func (s *Select[T]) Paged() bool { return s != nil && s.paging }

// An Identity is a DB that keeps one instance per row, as a unit-of-work session does: each row
// that repo reads through it is handed to Resolve, and what Resolve returns is what the caller
// gets.
//
// In every method r is a *Repo[T], and row and the result are *T.
type Identity interface {
	DB
	// Resolve returns the instance tracked for row's primary key in table r, or starts tracking
	// row and returns it.
	Resolve(r any, row any) any
	// Lookup returns the instance tracked for key (as Get takes it), if there is one.
	Lookup(r any, key any) (any, bool)
	// Writing tells that row is about to be written (Insert, Update, Upsert); an error stops the
	// write before anything is sent.
	Writing(r any, row any) error
	// Stored tells that row was just written as it is (Insert, Update, Upsert): it is to be
	// tracked with what it holds now as its clean state.
	Stored(r any, row any)
	// Deleted tells that the row with key was deleted.
	Deleted(r any, key any)
}

// QuotedTable returns the table's name quoted for SQL ("" for a nil Repo).
func (r *Repo[T]) QuotedTable() string {
	if r == nil {
		return ""
	}
	return r.quoted
}

// SelectList returns the table's columns, quoted and qualified by alias (none if empty), in the
// order Dests and ScanRows expect them ("" for a nil Repo).
func (r *Repo[T]) SelectList(alias string) string {
	if r == nil {
		return ""
	}
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

// KeyList returns the primary-key columns, quoted, in the order KeyDests expects them ("" for a
// nil Repo).
func (r *Repo[T]) KeyList() string {
	if r == nil {
		return ""
	}
	return quotedList(r.key)
}

// KeyDests points dest, of len(PrimaryKey()) elements, at row's key fields, for pgx's Scan. A nil
// row has no fields: dest's elements are set to nil, which pgx's Scan skips. A short dest gets
// the first len(dest) fields; a nil Repo changes nothing.
func (r *Repo[T]) KeyDests(row *T, dest []any) {
	if r != nil {
		dests(r.key, row, dest)
	}
}

// Dests points dest, of len(Columns()) elements, at row's fields in column order, for pgx's Scan.
// A nil row has no fields: dest's elements are set to nil, which pgx's Scan skips. A short dest
// gets the first len(dest) fields; a nil Repo changes nothing.
func (r *Repo[T]) Dests(row *T, dest []any) {
	if r != nil {
		dests(r.cols, row, dest)
	}
}

func dests[T any](cols []*column[T], row *T, dest []any) {
	for i, c := range cols[:min(len(cols), len(dest))] {
		if row == nil {
			dest[i] = nil
		} else {
			dest[i] = c.addr(row)
		}
	}
}

// ScanRows reads rows whose first columns are SelectList's, each into a new T, and calls fn with
// it until fn returns false. extra are destinations for the columns after those, scanned before
// each call. Through an [Identity], fn gets the tracked instance of each row; db is used for
// nothing else, and may be nil. A nil Repo, nil rows or a nil fn is an error matching
// [ErrInvalid] (rows, if not nil, are closed).
func (r *Repo[T]) ScanRows(db DB, rows pgx.Rows, extra []any, fn func(*T) bool) error {
	var err error
	switch {
	case r == nil:
		err = &Error{Op: "scan", Err: invalidf("nil Repo: declare it with repo.New")}
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
	ident, _ := db.(Identity)
	dest := make([]any, len(r.cols), len(r.cols)+len(extra))
	dest = append(dest, extra...)
	for rows.Next() {
		row := new(T)
		r.Dests(row, dest)
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if ident != nil {
			row = ident.Resolve(r, row).(*T)
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
