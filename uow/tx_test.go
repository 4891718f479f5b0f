package uow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// companyCount is how many companies named name the database holds, read outside any session.
func companyCount(t *testing.T, db env, name string) int {
	t.Helper()
	var n int
	require.NoError(t, db.pool.QueryRow(context.Background(), "SELECT count(*) FROM companies WHERE name = $1", name).Scan(&n))
	return n
}

// A session on a pool sends BEGIN with its first statement: a unit of work that only writes
// costs its flush's round trips (COMMIT going with the last), and one that sends nothing costs
// nothing.
func TestBeginGoesWithTheFirstStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)

	n := db.tr.Count(func() {
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			return uow.Add(s, Companies, &Company{Name: "Lazy"})
		}))
	})
	require.Equal(t, [2]int64{3, 1}, [2]int64{n.Statements, n.RoundTrips}, "BEGIN, the INSERT, COMMIT: one batch")
	require.Equal(t, 1, companyCount(t, db, "Lazy"))

	n = db.tr.Count(func() {
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(*uow.Session) error { return nil }))
		s, err := uow.Begin(ctx, db.pool, Model)
		require.NoError(t, err)
		require.NoError(t, s.Commit(ctx))
		s, err = uow.Begin(ctx, db.pool, Model)
		require.NoError(t, err)
		require.NoError(t, s.Rollback(ctx))
	})
	require.Zero(t, n.RoundTrips, "sessions that send nothing")
	require.Zero(t, db.pool.Stat().AcquiredConns(), "every connection given back")

	// A read first: BEGIN goes with it, and the write after is in the same transaction.
	s, err := uow.Begin(ctx, db.pool, Model, uow.TxOptions(pgx.TxOptions{IsoLevel: pgx.Serializable}))
	require.NoError(t, err)
	var level string
	n = db.tr.Count(func() {
		require.NoError(t, s.QueryRow(ctx, "SELECT current_setting('transaction_isolation')").Scan(&level))
	})
	require.Equal(t, "serializable", level)
	require.EqualValues(t, 1, n.RoundTrips)
	require.NoError(t, uow.Add(s, Companies, &Company{Name: "Later"}))
	require.NoError(t, s.Flush(ctx))
	require.Zero(t, companyCount(t, db, "Later"), "not committed yet")
	require.NoError(t, s.Rollback(ctx))
	require.Zero(t, companyCount(t, db, "Later"))
	require.Zero(t, db.pool.Stat().AcquiredConns())
}

// Whichever way the first statement goes, it and every later one run inside the transaction:
// rolled back, none of them stays.
func TestEveryFirstStatementIsInTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	insert := "INSERT INTO companies (name) VALUES ($1)"
	firsts := map[string]func(t *testing.T, tx pgx.Tx){
		"Exec": func(t *testing.T, tx pgx.Tx) {
			_, err := tx.Exec(ctx, insert, "first Exec")
			require.NoError(t, err)
		},
		"Query": func(t *testing.T, tx pgx.Tx) {
			rows, err := tx.Query(ctx, "INSERT INTO companies (name) VALUES ($1) RETURNING id", "first Query")
			require.NoError(t, err)
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			require.NoError(t, err)
			require.Len(t, ids, 1)
		},
		"Query left open": func(t *testing.T, tx pgx.Tx) {
			rows, err := tx.Query(ctx, "INSERT INTO companies (name) VALUES ($1), ($1) RETURNING id", "first Query left open")
			require.NoError(t, err)
			require.True(t, rows.Next())
			rows.Close()
			require.NoError(t, rows.Err())
		},
		"QueryRow": func(t *testing.T, tx pgx.Tx) {
			var id int64
			require.NoError(t, tx.QueryRow(ctx, "INSERT INTO companies (name) VALUES ($1) RETURNING id", "first QueryRow").Scan(&id))
		},
		"QueryRow of no row": func(t *testing.T, tx pgx.Tx) {
			var id int64
			require.ErrorIs(t, tx.QueryRow(ctx, "SELECT id FROM companies WHERE false").Scan(&id), pgx.ErrNoRows)
			_, err := tx.Exec(ctx, insert, "first QueryRow of no row")
			require.NoError(t, err)
		},
		"Query with a pgx option": func(t *testing.T, tx pgx.Tx) {
			rows, err := tx.Query(ctx, "INSERT INTO companies (name) VALUES ($1) RETURNING id", pgx.QueryExecModeSimpleProtocol, "first Query with a pgx option")
			require.NoError(t, err)
			rows.Close()
			require.NoError(t, rows.Err())
		},
		"SendBatch with callbacks": func(t *testing.T, tx pgx.Tx) {
			var b pgx.Batch
			var tags []string
			for _, name := range []string{"first SendBatch with callbacks", "first SendBatch with callbacks"} {
				b.Queue(insert, name).Exec(func(tag pgconn.CommandTag) error {
					tags = append(tags, tag.String())
					return nil
				})
			}
			require.NoError(t, tx.SendBatch(ctx, &b).Close())
			require.Equal(t, []string{"INSERT 0 1", "INSERT 0 1"}, tags)
		},
		"CopyFrom": func(t *testing.T, tx pgx.Tx) {
			n, err := tx.CopyFrom(ctx, pgx.Identifier{"companies"}, []string{"name"}, pgx.CopyFromRows([][]any{{"first CopyFrom"}}))
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
		},
		"Conn": func(t *testing.T, tx pgx.Tx) {
			_, err := tx.Conn().Exec(ctx, insert, "first Conn")
			require.NoError(t, err)
		},
		"a savepoint": func(t *testing.T, tx pgx.Tx) {
			sp, err := tx.Begin(ctx)
			require.NoError(t, err)
			_, err = sp.Exec(ctx, insert, "first a savepoint")
			require.NoError(t, err)
			require.NoError(t, sp.Commit(ctx))
			require.ErrorIs(t, sp.Commit(ctx), pgx.ErrTxClosed)
			sp, err = tx.Begin(ctx)
			require.NoError(t, err)
			_, err = sp.Exec(ctx, insert, "gone with its savepoint")
			require.NoError(t, err)
			require.NoError(t, sp.Rollback(ctx))
			_, err = sp.Exec(ctx, insert, "gone with its savepoint")
			require.ErrorIs(t, err, pgx.ErrTxClosed)
			require.Zero(t, companyCountIn(t, tx, "gone with its savepoint"))
			require.Equal(t, 1, companyCountIn(t, tx, "first a savepoint"))
		},
		"LargeObjects": func(t *testing.T, tx pgx.Tx) {
			lo := tx.LargeObjects()
			oid, err := lo.Create(ctx, 0)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, insert, "first LargeObjects")
			require.NoError(t, err)
			var n int
			require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $1", oid).Scan(&n))
			require.Equal(t, 1, n)
		},
	}
	for name, first := range firsts {
		t.Run(name, func(t *testing.T) {
			s, err := uow.Begin(ctx, db.pool, Model)
			require.NoError(t, err)
			first(t, s.Tx())
			_, err = s.Tx().Exec(ctx, insert, "second "+name)
			require.NoError(t, err)
			require.NotZero(t, companyCountIn(t, s.Tx(), "first "+name)+companyCountIn(t, s.Tx(), "second "+name))
			require.NoError(t, s.Rollback(ctx))
			require.Zero(t, companyCount(t, db, "first "+name), "rolled back")
			require.Zero(t, companyCount(t, db, "second "+name), "rolled back")
		})
	}
	require.Zero(t, db.pool.Stat().AcquiredConns())
}

func companyCountIn(t *testing.T, tx pgx.Tx, name string) int {
	t.Helper()
	var n int
	require.NoError(t, tx.QueryRow(context.Background(), "SELECT count(*) FROM companies WHERE name = $1", name).Scan(&n))
	return n
}

// A BEGIN that fails fails the statement it went with, and every statement after: none runs
// outside the transaction.
func TestFailedBeginRunsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		_, err := s.Tx().Exec(ctx, "INSERT INTO companies (name) VALUES ('never')")
		var pe *pgconn.PgError
		require.ErrorAs(t, err, &pe)
		require.ErrorContains(t, err, "begin: ")
		_, again := s.Tx().Exec(ctx, "INSERT INTO companies (name) VALUES ('never')")
		require.Equal(t, err, again)
		require.NoError(t, uow.Add(s, Companies, &Company{Name: "never"}))
		return s.Flush(ctx)
	}, uow.TxOptions(pgx.TxOptions{BeginQuery: "begin isolation level sideways"}))
	require.ErrorContains(t, err, "begin: ")
	require.Zero(t, companyCount(t, db, "never"))
	require.Zero(t, db.pool.Stat().AcquiredConns())
	// The connection it had is as good as any.
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		return uow.Add(s, Companies, &Company{Name: "after"})
	}))
	require.Equal(t, 1, companyCount(t, db, "after"))
}

// The options of the transaction hold from its first statement, which BEGIN went with.
func TestReadOnlyFromTheFirstStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		return uow.Add(s, Companies, &Company{Name: "read only"})
	}, uow.TxOptions(pgx.TxOptions{AccessMode: pgx.ReadOnly}))
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.Equal(t, "25006", pe.Code) // read_only_sql_transaction
	require.Zero(t, companyCount(t, db, "read only"))
}

// A session on a *pgx.Conn is lazy too, and leaves the connection as it found it.
func TestSessionOnAConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	c, err := db.pool.Acquire(ctx)
	require.NoError(t, err)
	defer c.Release()
	conn := c.Conn()
	n := db.tr.Count(func() {
		require.NoError(t, uow.Run(ctx, conn, Model, func(s *uow.Session) error {
			return uow.Add(s, Companies, &Company{Name: "on a conn"})
		}))
	})
	require.EqualValues(t, 1, n.RoundTrips)
	require.Equal(t, byte('I'), conn.PgConn().TxStatus())
	require.Equal(t, 1, companyCount(t, db, "on a conn"))
	// A nested unit of work on the session's transaction, before it sent anything: the
	// savepoint goes with BEGIN.
	require.NoError(t, uow.Run(ctx, conn, Model, func(s *uow.Session) error {
		inner := uow.Run(ctx, s.Tx(), Model, func(in *uow.Session) error {
			if err := uow.Add(in, Companies, &Company{Name: "inner"}); err != nil {
				return err
			}
			if err := in.Flush(ctx); err != nil {
				return err
			}
			return errors.New("inner fails")
		})
		require.ErrorContains(t, inner, "inner fails")
		return uow.Add(s, Companies, &Company{Name: "outer"})
	}))
	require.Zero(t, companyCount(t, db, "inner"))
	require.Equal(t, 1, companyCount(t, db, "outer"))
}
