// Package pipe sends statements in one round trip: one alone, several in one pgx batch (a
// pipeline, and outside a transaction one implicit transaction), each read in order. repo's
// writes, internal/load's pipelined loads and uow's flush all send through it.
package pipe

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Statement is SQL with its arguments, and what to do with its result: Read its rows (if Read
// is not nil), then check its command tag with Done (if Done is not nil).
type Statement struct {
	SQL  string
	Args []any
	Read func(pgx.Rows) error
	Done func(pgconn.CommandTag) error
	// Fail, if not nil, maps the error the statement failed with (a *pgconn.PgError, a
	// connection's error) to the one to return.
	Fail func(error) error
	// Rows, if not zero, is how many rows the statement must affect, which Done checks: see
	// Checked, which has the server check it too.
	Rows int64
}

// Checked returns s with its row count checked by the server as well as by Done: s inside a
// WITH whose query fails (SQLSTATE 22P02, "kinship: n rows") unless s affected s.Rows rows, so
// that a COMMIT sent after it in the same batch, which the server skips once a statement has
// failed, can never commit a stale or partial write. What s returns (its RETURNING) comes back
// as before; a statement without RETURNING (without a Read) gets RETURNING 1, one row per row
// it affects. The
// failure maps to what Done says of no row affected. A statement with Rows zero is returned as
// it is.
func Checked(s Statement) Statement {
	if s.Rows == 0 {
		return s
	}
	sql := s.SQL
	if s.Read == nil { // a statement that returns rows has a Read for them
		sql += returningOne
	}
	s.SQL = checkedHead + sql + checkedTail(len(s.Args)+1)
	s.Args = append(s.Args[:len(s.Args):len(s.Args)], s.Rows)
	done, fail := s.Done, s.Fail
	s.Fail = func(err error) error {
		if short(err) && done != nil {
			if e := done(pgconn.CommandTag{}); e != nil {
				return e
			}
		}
		if fail != nil {
			return fail(err)
		}
		return err
	}
	return s
}

const (
	checkedHead  = "WITH w AS ("
	returningOne = " RETURNING 1"
)

// checkedTail is the end of a Checked statement whose row count is argument n.
func checkedTail(n int) string {
	return ") SELECT w.* FROM (SELECT count(*) AS n FROM w) AS c LEFT JOIN w ON true WHERE CASE WHEN c.n = $" +
		strconv.Itoa(n) + " THEN true ELSE ('kinship: ' || c.n || ' rows')::int = 0 END"
}

// Unchecked undoes Checked for a reader of statements (repo's EchoHandler): the statement sql
// wraps, its arguments (args less the last) and the rows it must affect (the last); ok is
// false if sql is not a Checked statement.
func Unchecked(sql string, args []any) (inner string, innerArgs []any, rows any, ok bool) {
	if len(args) == 0 || !strings.HasPrefix(sql, checkedHead) || !strings.HasSuffix(sql, checkedTail(len(args))) {
		return sql, args, nil, false
	}
	inner = strings.TrimSuffix(sql[len(checkedHead):len(sql)-len(checkedTail(len(args)))], returningOne)
	return inner, args[:len(args)-1], args[len(args)-1], true
}

// short reports whether err is the failure of a Checked statement that affected too few rows.
func short(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "22P02" && strings.Contains(pe.Message, `"kinship: `)
}

// DB is what Send needs of a connection, pool, transaction or session.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Send sends stmts in one round trip and handles their results in order; it stops at the
// first error. One statement goes alone (Exec or Query), several in one pgx batch. No
// statements sends nothing.
func Send(ctx context.Context, db DB, stmts []Statement) error {
	if len(stmts) != 1 {
		return Batch(ctx, db, stmts)
	}
	s := stmts[0]
	if s.Read == nil {
		tag, err := db.Exec(ctx, s.SQL, s.Args...)
		return s.fail(done(s, tag, err))
	}
	rows, err := db.Query(ctx, s.SQL, s.Args...)
	if err != nil {
		return s.fail(err)
	}
	return s.fail(read(rows, s))
}

// fail is err as s.Fail maps it.
func (s Statement) fail(err error) error {
	if err == nil || s.Fail == nil {
		return err
	}
	return s.Fail(err)
}

// Batch is Send with every statement in one pgx batch, even one alone: what a unit of work's
// flush sends, whose batches stay batches however few statements they hold. No statements
// sends nothing.
func Batch(ctx context.Context, db DB, stmts []Statement) error {
	if len(stmts) == 0 {
		return nil
	}
	// The queued queries in one allocation, not one each as Batch.Queue makes them.
	queued := make([]pgx.QueuedQuery, len(stmts))
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, len(stmts))}
	for i, s := range stmts {
		queued[i] = pgx.QueuedQuery{SQL: s.SQL, Arguments: s.Args}
		b.QueuedQueries[i] = &queued[i]
	}
	br := db.SendBatch(ctx, b)
	for _, s := range stmts {
		var err error
		if s.Read == nil {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			err = done(s, tag, err)
		} else {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				err = read(rows, s)
			}
		}
		if err != nil {
			br.Close()
			return s.fail(err)
		}
	}
	return br.Close()
}

func done(s Statement, tag pgconn.CommandTag, err error) error {
	if err != nil || s.Done == nil {
		return err
	}
	return s.Done(tag)
}

// read hands rows to s.Read, then closes them, and checks their error and command tag.
func read(rows pgx.Rows, s Statement) error {
	defer rows.Close()
	if err := s.Read(rows); err != nil {
		return err
	}
	rows.Close()
	if s.Done == nil {
		return rows.Err()
	}
	return done(s, rows.CommandTag(), rows.Err())
}

// IsNil reports whether db is nil, or a nil pointer of one of pgx's types, whose methods would
// dereference it: what every package refuses as "nil DB" rather than panic on.
func IsNil(db any) bool {
	switch d := db.(type) {
	case nil:
		return true
	case *pgxpool.Pool:
		return d == nil
	case *pgxpool.Conn:
		return d == nil
	case *pgxpool.Tx:
		return d == nil
	case *pgx.Conn:
		return d == nil
	}
	return false
}
