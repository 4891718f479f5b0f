package repo

import (
	"context"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Insert writes rows, in one statement per 65,535 bind parameters (a multi-row INSERT), and stores
// the generated key of a [Serial] column into each row. One row takes the statement prepared at
// declaration; more rows than one statement can carry are sent as several statements in one pgx
// batch, a single round trip and, outside a transaction, a single implicit transaction. No rows
// sends nothing.
//
// PostgreSQL does not promise the order of RETURNING rows, so Insert does not rely on it: the
// rows of one statement are inserted in the order of its VALUES list, the sequence behind a
// serial key hands out increasing values within one session, so the i-th smallest returned key
// belongs to the i-th row. If Insert fails, the keys of rows are left as they were.
func (r *Repo[T]) Insert(ctx context.Context, db DB, rows ...*T) error {
	if err := r.checkRows(rows); err != nil {
		return &Error{Op: "insert", Table: r.table, Err: err}
	}
	var err error
	switch {
	case len(rows) == 0:
		return nil
	case len(rows) == 1 && r.serial != nil:
		err = db.QueryRow(ctx, r.insertSQL, r.args(nil, rows, r.writes)...).Scan(r.serial.addr(rows[0]))
	case len(rows) == 1:
		_, err = db.Exec(ctx, r.insertSQL, r.args(nil, rows, r.writes)...)
	case r.serial != nil:
		err = r.send(ctx, db, rows, r.writes, r.insertStatement, r.serial.assignSorted)
	default:
		err = r.send(ctx, db, rows, r.writes, r.insertStatement, nil)
	}
	if err != nil {
		r.clearSerial(rows)
		return &Error{Op: "insert", Table: r.table, Err: err}
	}
	r.stored(db, rows)
	return nil
}

// clearSerial sets the generated key of rows back to zero, after a write that failed.
func (r *Repo[T]) clearSerial(rows []*T) {
	if r.serial == nil {
		return
	}
	for _, row := range rows {
		r.serial.copy(row, r.zero)
	}
}

// stored tells a session that rows were written.
func (r *Repo[T]) stored(db DB, rows []*T) {
	if ident, ok := db.(Identity); ok {
		for _, row := range rows {
			ident.Stored(r, row)
		}
	}
}

// insertStatement is the INSERT of n rows, cached per n.
func (r *Repo[T]) insertStatement(n int) string {
	if n == 1 && r.insertSQL != "" {
		return r.insertSQL
	}
	return r.cached(&r.insertMany, n, func() string {
		var b strings.Builder
		b.WriteString("INSERT INTO ")
		b.WriteString(r.quoted)
		if len(r.writes) == 0 {
			// Only a generated key: one row of defaults per series element.
			fmt.Fprintf(&b, " SELECT FROM generate_series(1, %d)%s", n, r.returning)
			return b.String()
		}
		b.WriteString(" (")
		b.WriteString(quotedList(r.writes))
		b.WriteString(") VALUES ")
		buf := make([]byte, 0, n*len(r.writes)*6)
		for i := range n {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, '(')
			buf = sqltext.Placeholders(buf, i*len(r.writes)+1, len(r.writes))
			buf = append(buf, ')')
		}
		b.Write(buf)
		b.WriteString(r.returning)
		return b.String()
	})
}

// cached returns the statement stored in c under key, building it on first use.
func (r *Repo[T]) cached(c *sync.Map, key int, build func() string) string {
	if s, ok := c.Load(key); ok {
		return s.(string)
	}
	s := build()
	c.Store(key, s)
	return s
}

// send writes rows in chunks of at most MaxParams arguments, all in one round trip: stmt(n) is
// the statement for n rows, and read, if not nil, consumes what each statement returns for its
// chunk.
func (r *Repo[T]) send(ctx context.Context, db DB, rows []*T, cols []*column[T], stmt func(int) string, read func(pgx.Rows, []*T) error) error {
	per := sqltext.MaxParams / max(len(cols), 1)
	var stmts []pipe.Statement
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		s := pipe.Statement{SQL: stmt(len(chunk)), Args: r.args(nil, chunk, cols)}
		if read != nil {
			s.Read = func(res pgx.Rows) error { return read(res, chunk) }
		}
		stmts = append(stmts, s)
	}
	return pipe.Send(ctx, db, stmts)
}

// args appends the values of cols in each of rows.
func (r *Repo[T]) args(dst []any, rows []*T, cols []*column[T]) []any {
	if dst == nil {
		dst = make([]any, 0, len(rows)*len(cols))
	}
	for _, row := range rows {
		for _, c := range cols {
			dst = append(dst, c.value(row))
		}
	}
	return dst
}

func (r *Repo[T]) checkRows(rows []*T) error {
	for i, row := range rows {
		if row == nil {
			return invalidf("row %d is nil", i)
		}
	}
	return nil
}

// Update writes row's columns, every non-key column without cols, only cols with them, to the
// row with row's primary key. A missing row is [ErrNotFound]. The statement for all columns is
// built at declaration, the one for each set of chosen columns once, on first use.
func (r *Repo[T]) Update(ctx context.Context, db DB, row *T, cols ...Field[T]) error {
	fail := func(err error) error { return &Error{Op: "update", Table: r.table, Err: err} }
	if row == nil {
		return fail(invalidf("nil row"))
	}
	sql, sets := r.updateSQL, r.sets
	if len(cols) > 0 {
		var err error
		if sql, sets, err = r.updateOf(cols); err != nil {
			return fail(err)
		}
	}
	if len(sets) == 0 {
		return fail(invalidf("no column to update: every column of %s is part of its primary key", r.table))
	}
	args := r.args(make([]any, 0, len(sets)+len(r.key)+1), []*T{row}, sets)
	args = r.args(args, []*T{row}, r.key)
	if r.version != nil {
		args = append(args, r.version.value(row))
	}
	tag, err := db.Exec(ctx, sql, args...)
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
		if r.version != nil {
			err = ErrStale
		}
	}
	if err != nil {
		return &Error{Op: "update", Table: r.table, Key: r.Key(row), Err: err}
	}
	if r.version != nil {
		r.version.bump(row)
	}
	r.stored(db, []*T{row})
	return nil
}

// updateOf checks the chosen columns and returns their statement, cached by the set of columns.
func (r *Repo[T]) updateOf(cols []Field[T]) (string, []*column[T], error) {
	var set uint64
	sets := make([]*column[T], 0, len(cols))
	for _, f := range cols {
		c, err := r.owns(f)
		if err != nil {
			return "", nil, err
		}
		if c.kind == kindKey || c.kind == kindSerial {
			return "", nil, invalidf("column %s is part of the primary key; Update does not change keys", c.name)
		}
		if c.kind == kindVersion {
			return "", nil, invalidf("column %s is the version column; Update bumps it itself", c.name)
		}
		i := r.index(c)
		if i < 64 {
			if set&(1<<i) != 0 {
				continue
			}
			set |= 1 << i
		}
		sets = append(sets, c)
	}
	if len(r.cols) > 64 {
		return r.updateStatement(sets), sets, nil
	}
	// Write the columns in declaration order so that one set has one statement.
	sets = sets[:0]
	for s := set; s != 0; s &= s - 1 {
		sets = append(sets, r.cols[bits.TrailingZeros64(s)])
	}
	return r.cached(&r.updateSome, int(set), func() string { return r.updateStatement(sets) }), sets, nil
}

func (r *Repo[T]) index(c *column[T]) int {
	for i, x := range r.cols {
		if x == c {
			return i
		}
	}
	return -1
}

func (r *Repo[T]) updateStatement(sets []*column[T]) string {
	if len(sets) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(r.quoted)
	b.WriteString(" SET ")
	for i, c := range sets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.quoted)
		b.WriteString(" = $")
		b.WriteString(strconv.Itoa(i + 1))
	}
	if r.version != nil {
		fmt.Fprintf(&b, ", %s = %s + 1", r.version.quoted, r.version.quoted)
	}
	b.WriteString(" WHERE ")
	n := len(sets)
	for i, k := range r.key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(k.quoted)
		b.WriteString(" = $")
		b.WriteString(strconv.Itoa(n + i + 1))
	}
	if r.version != nil {
		fmt.Fprintf(&b, " AND %s = $%d", r.version.quoted, n+len(r.key)+1)
	}
	return b.String()
}

// Delete deletes the row whose primary key is key (see [Repo.Get] for its form). A missing row
// is [ErrNotFound].
func (r *Repo[T]) Delete(ctx context.Context, db DB, key any) error {
	args, err := r.keyArgs(key)
	if err == nil {
		var n int64
		if n, err = exec(ctx, db, r.deleteSQL, args); err == nil && n == 0 {
			err = ErrNotFound
		}
	}
	if err != nil {
		return &Error{Op: "delete", Table: r.table, Key: key, Err: err}
	}
	if ident, ok := db.(Identity); ok {
		ident.Deleted(r, key)
	}
	return nil
}

// DeleteWhere deletes the rows that match every one of where and returns how many it deleted. It
// refuses to run without a condition; to empty the table, say so: repo.Raw[T]("TRUE"). Through a
// unit-of-work session it reads back the deleted keys (RETURNING) so that the session forgets
// those rows.
func (r *Repo[T]) DeleteWhere(ctx context.Context, db DB, where ...Pred[T]) (int64, error) {
	ident, tracked := db.(Identity)
	suffix := ""
	if tracked {
		suffix = " RETURNING " + quotedList(r.key)
	}
	sql, args, err := r.filtered("DELETE FROM "+r.quoted, where, suffix)
	if err == nil && len(args) == 0 && !strings.Contains(sql, " WHERE ") {
		err = invalidf("DeleteWhere without a condition; to delete every row pass repo.Raw[T](\"TRUE\")")
	}
	var n int64
	switch {
	case err != nil:
	case tracked:
		var rows pgx.Rows
		if rows, err = db.Query(ctx, sql, args...); err == nil {
			scratch := new(T)
			dest := make([]any, len(r.key))
			for i, k := range r.key {
				dest[i] = k.addr(scratch)
			}
			for rows.Next() {
				if err = rows.Scan(dest...); err != nil {
					break
				}
				n++
				ident.Deleted(r, r.Key(scratch))
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	default:
		n, err = exec(ctx, db, sql, args)
	}
	if err != nil {
		return 0, &Error{Op: "delete", Table: r.table, Err: err}
	}
	return n, nil
}

func exec(ctx context.Context, db DB, sql string, args []any) (int64, error) {
	tag, err := db.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}
