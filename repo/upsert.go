package repo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Upsert inserts rows, and where a row conflicts with an existing one on the columns on (the
// primary key without them, otherwise a unique constraint or index over exactly those columns)
// updates the existing row's other non-key columns instead: INSERT … ON CONFLICT (on) DO UPDATE.
// The generated key ([Serial], [Generated]) and the columns declared [Column.Default],
// [Column.ReadOnly] or [Column.ReadBack] are read back into each row, whether inserted or
// updated; rows are matched to what RETURNING gives back by their values of on, returned beside
// it, never by the order of the rows returned, so two rows with the same values of on are refused
// before anything is sent. A ReadOnly column is never written; a Default column is sent as
// DEFAULT where a row holds its zero value, and is left out of DO UPDATE SET, so that an
// existing row keeps its value (as GORM's UpdateAll keeps columns with a database default):
// change it with [Repo.Update]. Rows go in multi-row statements of at most 65,535 bind
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
		read = func(res pgx.Rows, _ []*T) error { return r.readUpserted(res, rows, u.back, u.on, index) }
	}
	restore := r.keepBack(rows)
	if err := pipe.Send(ctx, db, r.upsertStatements(rows, u, read)); err != nil {
		if u.returning {
			r.clearSerial(rows)
			restore()
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
	for _, c := range r.insBack {
		if !inOn(c) {
			u.back = append(u.back, c)
		}
	}
	u.returning = len(u.back) > 0
	if u.returning {
		for _, c := range u.on {
			if c.owned&(ownReadBack|ownDefault) != 0 {
				return nil, invalidf("conflict column %s is %s: the database may store another value than the one sent, so what RETURNING gives back could not be matched to its row; upsert on other columns", c.name, c.ownedName())
			}
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
		if inOn(c) || c.owned&ownDefault != 0 {
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
		b.WriteString(quotedList(u.back))
		b.WriteString(", ")
		b.WriteString(quotedList(u.on))
	}
	u.suffix = b.String()
	u.prefix = "INSERT INTO " + r.quoted + " (" + quotedList(u.cols) + ") VALUES "
	return u, nil
}

// upsertStatements is the multi-row INSERTs … ON CONFLICT of rows, at most MaxParams arguments
// each, read by read. A row holding the zero value of a Default column has DEFAULT in its place.
func (r *Repo[T]) upsertStatements(rows []*T, u *upsertOf[T], read func(pgx.Rows, []*T) error) []pipe.Statement {
	if len(r.defaults) == 0 {
		return r.chunks(rows, u.cols, func(n int) string {
			return string(append(sqltext.Values([]byte(u.prefix), n, len(u.cols)), u.suffix...))
		}, read)
	}
	per := sqltext.MaxParams / max(len(u.cols), 1)
	var stmts []pipe.Statement
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		sql := []byte(u.prefix)
		args := make([]any, 0, len(chunk)*len(u.cols))
		for i, row := range chunk {
			if i > 0 {
				sql = append(sql, ", "...)
			}
			sql = append(sql, '(')
			for j, c := range u.cols {
				if j > 0 {
					sql = append(sql, ", "...)
				}
				if c.owned&ownDefault != 0 && c.isZero(row) {
					sql = append(sql, "DEFAULT"...)
					continue
				}
				args = append(args, c.value(row))
				sql = append(sql, '$')
				sql = strconv.AppendInt(sql, int64(len(args)), 10)
			}
			sql = append(sql, ')')
		}
		s := pipe.Statement{SQL: string(append(sql, u.suffix...)), Args: args}
		if read != nil {
			s.Read = func(res pgx.Rows) error { return read(res, chunk) }
		}
		stmts = append(stmts, s)
	}
	return stmts
}

// upsertOf is the plan of one Upsert call: its conflict columns, the columns it writes, the
// columns it reads back (if returning), and the text of its statements around the VALUES list.
type upsertOf[T any] struct {
	on             []*column[T]
	cols           []*column[T]
	back           []*column[T]
	returning      bool
	prefix, suffix string
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

// readUpserted stores what each returned row holds of back into the row with the same values
// of on.
func (r *Repo[T]) readUpserted(res pgx.Rows, rows []*T, back, on []*column[T], index map[any]int) error {
	scratch := new(T)
	dest := r.backDests(append(back[:len(back):len(back)], on...), scratch)
	for res.Next() {
		if err := res.Scan(dest...); err != nil {
			return err
		}
		i, ok := index[tuple(scratch, on)]
		if !ok {
			return fmt.Errorf("RETURNING gave a row whose conflict columns (%s) match no row sent", quotedList(on))
		}
		for _, c := range back {
			c.copy(rows[i], scratch)
		}
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
