package repo

import (
	"slices"
	"strings"

	"github.com/kinship-go/kinship/internal/engine"
)

// Only loads only the columns cols of each row, beside its primary key and its [Version]
// column, which every row read carries (SQLAlchemy's load_only, EF Core's projection into the
// entity): SELECT "id", "name" FROM … for a wide table whose other columns a page does not
// show. The fields of the other columns are left zero.
//
// Through a unit-of-work session, the session knows which columns each row was read with: its
// flush writes only the columns changed since (an unloaded column is zero in the row and in its
// snapshot, so it is never written unless set to a value other than zero), and a later read of
// the row with more columns — Get or Find without Only, which then query instead of answering
// from the identity map — fills those in, in the row and its snapshot, keeping any value set in
// Go meanwhile. Outside a session nothing knows: [Repo.Update] without columns writes every
// column, zeroes over those not read; name the columns the row holds.
//
// Only is an option of Get, Find and All. With load options (package loadopts), the query also
// reads the columns their relations match (a parent key that is not the primary key), and the
// relations load as they would. A nil column, or one of another Repo, is an error matching
// [ErrInvalid]. Several Only options add up.
func Only[T any](cols ...Field[T]) Option[T] { return only[T](cols) }

type only[T any] []Field[T]

func (o only[T]) apply(q *query[T]) {
	if q.only == nil {
		q.only = []Field[T]{}
	}
	q.only = append(q.only, o...)
}

// partial returns the positions, in declaration order, of the columns q.only, the key, the
// version and the load options' relations name, and the SELECT of them; nil without Only.
func (r *Repo[T]) partial(q *query[T]) ([]int, string, error) {
	if q.only == nil {
		return nil, "", nil
	}
	keep := make([]bool, len(r.cols))
	for _, f := range q.only {
		c, err := r.owns(f)
		if err != nil {
			return nil, "", err
		}
		keep[r.index(c)] = true
	}
	if pc, ok := q.loading.(engine.ParentColumns); ok {
		for _, name := range pc.ParentColumns() {
			for i, c := range r.cols {
				if c.name == name {
					keep[i] = true
				}
			}
		}
	}
	var cols []int
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range r.cols {
		if !keep[i] && c.kind != kindKey && c.kind != kindSerial && c.kind != kindVersion {
			continue
		}
		if len(cols) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.quoted)
		cols = append(cols, i)
	}
	b.WriteString(" FROM ")
	b.WriteString(r.quoted)
	return slices.Clip(cols), b.String(), nil
}
