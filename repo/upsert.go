package repo

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Upsert inserts rows, and where a row conflicts with an existing one on the columns on (the
// primary key without them, otherwise a unique constraint or index over exactly those columns)
// updates the existing row's other non-key columns instead: INSERT … ON CONFLICT (on) DO UPDATE.
// The generated key ([Serial], [Generated]) is stored into each row, whether inserted or
// updated; rows are matched to the returned keys by their values of on, which RETURNING gives back
// beside each key, never by the order of the rows returned, so two rows with the same values of on
// are refused before anything is sent. Rows go in multi-row statements of at most 65,535 bind
// parameters each, all in one pgx batch: one round trip. The statement is built on each call.
//
// Errors matching [ErrInvalid], found before anything is sent: a nil row; a nil column among on,
// one of another Repo or of none, one named twice; and the mistakes every operation refuses (a
// nil or undeclared Repo, a nil context, a nil DB).
func (r *Repo[T]) Upsert(ctx context.Context, db DB, rows []*T, on ...Field[T]) error {
	if err := r.check(ctx, db, "upsert"); err != nil {
		return err
	}
	u, err := r.upsertPlan(on)
	if err == nil {
		err = r.checkRows(rows)
	}
	var index map[any]int
	if err == nil && u.returning {
		index, err = r.conflictIndex(rows, u.on)
	}
	if err == nil {
		err = r.writing(db, rows)
	}
	if err != nil {
		return &Error{Op: "upsert", Table: r.table, Err: err}
	}
	if len(rows) == 0 {
		return nil
	}
	var read func(pgx.Rows, []*T) error
	if u.returning {
		read = func(res pgx.Rows, _ []*T) error { return r.readUpserted(res, rows, u.on, index) }
	}
	if err := r.send(ctx, db, rows, u.cols, u.statement, read); err != nil {
		if u.returning {
			r.clearSerial(rows)
		}
		return &Error{Op: "upsert", Table: r.table, Err: err}
	}
	r.stored(db, rows)
	return nil
}

func (r *Repo[T]) upsertPlan(on []Field[T]) (*upsertOf[T], error) {
	u := &upsertOf[T]{}
	if len(on) == 0 {
		u.on = r.key
	}
	for _, f := range on {
		c, err := r.owns(f)
		if err != nil {
			return nil, err
		}
		for _, x := range u.on {
			if x == c {
				return nil, invalidf("conflict column %s named twice", c.name)
			}
		}
		u.on = append(u.on, c)
	}
	inOn := func(c *column[T]) bool {
		for _, x := range u.on {
			if x == c {
				return true
			}
		}
		return false
	}
	u.cols = r.writes
	if r.serial != nil && inOn(r.serial) {
		u.cols = append([]*column[T]{r.serial}, r.writes...)
	}
	u.returning = r.serial != nil && !inOn(r.serial)
	if u.returning {
		for _, c := range u.on {
			if !c.hashable {
				return nil, invalidf("conflict column %s: its Go type cannot be compared, so returned keys cannot be matched to rows", c.name)
			}
		}
	}
	var b strings.Builder
	b.WriteString(" ON CONFLICT (")
	b.WriteString(quotedList(u.on))
	b.WriteString(") DO UPDATE SET ")
	n := 0
	for _, c := range r.sets {
		if inOn(c) {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = EXCLUDED.%s", c.quoted, c.quoted)
		n++
	}
	if n == 0 {
		// Nothing to update: a no-op update still returns the existing row's key.
		fmt.Fprintf(&b, "%s = EXCLUDED.%s", u.on[0].quoted, u.on[0].quoted)
	}
	if u.returning {
		b.WriteString(" RETURNING ")
		b.WriteString(r.serial.quoted)
		b.WriteString(", ")
		b.WriteString(quotedList(u.on))
	}
	suffix := b.String()
	prefix := "INSERT INTO " + r.quoted + " (" + quotedList(u.cols) + ") VALUES "
	u.statement = func(n int) string {
		return string(append(sqltext.Values([]byte(prefix), n, len(u.cols)), suffix...))
	}
	return u, nil
}

// upsertOf is the plan of one Upsert call: its conflict columns, the columns it writes, whether
// it reads keys back, and its statement for n rows.
type upsertOf[T any] struct {
	on        []*column[T]
	cols      []*column[T]
	returning bool
	statement func(n int) string
}

// conflictIndex maps each row's values of on to its index, refusing duplicates.
func (r *Repo[T]) conflictIndex(rows []*T, on []*column[T]) (map[any]int, error) {
	index := make(map[any]int, len(rows))
	for i, row := range rows {
		k := tuple(row, on)
		if j, dup := index[k]; dup {
			return nil, invalidf("rows %d and %d have the same values of the conflict columns (%s)", j, i, quotedList(on))
		}
		index[k] = i
	}
	return index, nil
}

// readUpserted stores each returned key into the row with the same values of on.
func (r *Repo[T]) readUpserted(res pgx.Rows, rows []*T, on []*column[T], index map[any]int) error {
	scratch := new(T)
	dest := make([]any, 1+len(on))
	dest[0] = r.serial.addr(scratch)
	for i, c := range on {
		dest[i+1] = c.addr(scratch)
	}
	for res.Next() {
		if err := res.Scan(dest...); err != nil {
			return err
		}
		i, ok := index[tuple(scratch, on)]
		if !ok {
			return fmt.Errorf("RETURNING gave a row whose conflict columns (%s) match no row sent", quotedList(on))
		}
		r.serial.copy(rows[i], scratch)
	}
	return res.Err()
}

// pair chains the values of a composite key into one comparable map key.
type pair struct{ a, b any }

// tuple is row's values of cols as one comparable value.
func tuple[T any](row *T, cols []*column[T]) any {
	k := cols[len(cols)-1].value(row)
	for i := len(cols) - 2; i >= 0; i-- {
		k = pair{cols[i].value(row), k}
	}
	return k
}
