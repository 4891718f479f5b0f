package uow_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// hook is a pgx tracer that calls before with each statement's SQL before it is sent (of a
// batch, with each of its statements', before the batch is sent).
type hook struct {
	before atomic.Pointer[func(ctx context.Context, conn *pgx.Conn, sql string)]
}

func (h *hook) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if f := h.before.Load(); f != nil {
		(*f)(ctx, conn, d.SQL)
	}
	return ctx
}

func (h *hook) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart calls before with each statement of a batch, before the batch is sent (a
// table's INSERTs of rows with generated keys are one batch; BEGIN goes with the first batch,
// COMMIT with the last).
func (h *hook) TraceBatchStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	if f := h.before.Load(); f != nil && d.Batch != nil {
		for _, q := range d.Batch.QueuedQueries {
			(*f)(ctx, conn, q.SQL)
		}
	}
	return ctx
}

func (h *hook) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (h *hook) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (h *hook) set(f func(ctx context.Context, conn *pgx.Conn, sql string)) {
	if f == nil {
		h.before.Store(nil)
		return
	}
	h.before.Store(&f)
}

// faulty returns a pool with the test model's seed whose statements pass through h.
func faulty(t *testing.T) (*pgxpool.Pool, *hook) {
	t.Helper()
	ctx := context.Background()
	h := &hook{}
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = h })
	_, err := pool.Exec(ctx, DDL)
	require.NoError(t, err)
	require.NoError(t, Seed(ctx, pool))
	return pool, h
}

// kill ends the server process of conn from another connection.
func kill(t *testing.T, pool *pgxpool.Pool, conn *pgx.Conn) {
	var ok bool
	err := pool.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, conn.PgConn().PID()).Scan(&ok)
	if err != nil || !ok {
		t.Errorf("pg_terminate_backend: %v %v", ok, err)
	}
	time.Sleep(50 * time.Millisecond) // let the server act on it
}

func companiesNamed(t *testing.T, db repo.DB, name string) int64 {
	n, err := Companies.Count(context.Background(), db, CompanyName.Eq(name))
	require.NoError(t, err)
	return n
}

func newcoWithStaff() *Company {
	return &Company{Name: "Newco", Employees: []*Employee{{Name: "a"}, {Name: "b"}}}
}

func TestFaults(t *testing.T) {
	if pgtest.Behind() {
		t.Skip("behind a pooler a connection's server process is not its own to kill")
	}
	ctx := context.Background()
	goroutines := runtime.NumGoroutine()

	t.Run("connection killed before the flush", func(t *testing.T) {
		pool, _ := faulty(t)
		s, err := uow.Begin(ctx, pool, Model)
		require.NoError(t, err)
		c := newcoWithStaff()
		require.NoError(t, uow.Add(s, Companies, c))
		kill(t, pool, s.Tx().Conn())
		err = s.Commit(ctx)
		require.Error(t, err)
		require.Zero(t, c.ID, "no key from a flush that failed")
		require.Zero(t, companiesNamed(t, pool, "Newco"))
		_, err = Companies.Count(ctx, pool)
		require.NoError(t, err, "the pool stays usable")
	})

	t.Run("connection killed in the middle of the flush", func(t *testing.T) {
		pool, h := faulty(t)
		var once sync.Once
		h.set(func(_ context.Context, conn *pgx.Conn, sql string) {
			if strings.HasPrefix(sql, `INSERT INTO "employees"`) {
				once.Do(func() { kill(t, pool, conn) })
			}
		})
		c := newcoWithStaff()
		for _, e := range c.Employees {
			e.Addresses = []*Address{{City: "x"}} // the addresses' batch, with COMMIT, comes after
		}
		err := uow.Run(ctx, pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
		h.set(nil)
		require.Error(t, err)
		require.False(t, errors.Is(err, uow.ErrAmbiguousCommit), "it failed before COMMIT was sent: not ambiguous")
		require.Zero(t, c.ID)
		for _, e := range c.Employees {
			require.Nil(t, e.CompanyID)
		}
		require.Zero(t, companiesNamed(t, pool, "Newco"), "the company's INSERT, sent, was rolled back")
	})

	t.Run("connection lost in the flush's last batch, which carries COMMIT: ambiguous", func(t *testing.T) {
		pool, h := faulty(t)
		_, err := pool.Exec(ctx, `
CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON employees FOR EACH ROW EXECUTE FUNCTION slow_insert();`)
		require.NoError(t, err)
		h.set(func(_ context.Context, conn *pgx.Conn, sql string) {
			if strings.Contains(sql, `INSERT INTO "employees"`) {
				go func() {
					time.Sleep(200 * time.Millisecond) // in the batch, before COMMIT is reached
					_ = conn.PgConn().Conn().Close()   // the network fails: the client cannot know
				}()
			}
		})
		c := newcoWithStaff()
		err = uow.Run(ctx, pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
		h.set(nil)
		require.ErrorIs(t, err, uow.ErrAmbiguousCommit, "COMMIT was sent with the INSERTs")
		time.Sleep(1200 * time.Millisecond) // the server notices, and rolls back
		require.Zero(t, companiesNamed(t, pool, "Newco"), "here it did not commit; the caller finds out by reading")
	})

	t.Run("connection refused COMMIT before it was sent: not ambiguous", func(t *testing.T) {
		pool, h := faulty(t)
		h.set(func(_ context.Context, conn *pgx.Conn, sql string) {
			if strings.EqualFold(sql, "commit") {
				kill(t, pool, conn)
			}
		})
		err := uow.Run(ctx, pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, newcoWithStaff()) })
		h.set(nil)
		require.Error(t, err)
		require.NotErrorIs(t, err, uow.ErrAmbiguousCommit)
		require.ErrorContains(t, err, "commit not sent")
		require.Zero(t, companiesNamed(t, pool, "Newco"))
	})

	// A deferred constraint trigger makes COMMIT take a second on the server: time to act after
	// COMMIT was sent and before it is answered.
	slowCommit := func(t *testing.T, pool *pgxpool.Pool) {
		_, err := pool.Exec(ctx, `
CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON companies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`)
		require.NoError(t, err)
	}

	t.Run("the server ends the connection during COMMIT: a definite failure", func(t *testing.T) {
		pool, h := faulty(t)
		slowCommit(t, pool)
		h.set(func(_ context.Context, conn *pgx.Conn, sql string) {
			if strings.EqualFold(sql, "commit") {
				go func() {
					time.Sleep(300 * time.Millisecond)
					kill(t, pool, conn)
				}()
			}
		})
		err := uow.Run(ctx, pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, newcoWithStaff()) })
		h.set(nil)
		// The server answered COMMIT with an error (57P01): it did not commit, and says so.
		require.ErrorContains(t, err, "57P01")
		require.NotErrorIs(t, err, uow.ErrAmbiguousCommit)
		require.Zero(t, companiesNamed(t, pool, "Newco"))
	})

	t.Run("the connection is lost during COMMIT: ambiguous, not retried", func(t *testing.T) {
		pool, h := faulty(t)
		slowCommit(t, pool)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		h.set(func(_ context.Context, _ *pgx.Conn, sql string) {
			if strings.EqualFold(sql, "commit") {
				go func() {
					time.Sleep(300 * time.Millisecond)
					cancel() // pgx gives up on the answer and closes the connection
				}()
			}
		})
		runs := 0
		err := uow.Run(cctx, pool, Model, func(s *uow.Session) error {
			runs++
			return uow.Add(s, Companies, newcoWithStaff())
		})
		h.set(nil)
		require.ErrorIs(t, err, uow.ErrAmbiguousCommit)
		require.Equal(t, 1, runs, "never retried blindly")
		// Here the server gave up too; the caller finds out by reading.
		time.Sleep(200 * time.Millisecond)
		require.Zero(t, companiesNamed(t, pool, "Newco"))
	})

	t.Run("context cancelled in the middle of the flush", func(t *testing.T) {
		pool, h := faulty(t)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		h.set(func(_ context.Context, _ *pgx.Conn, sql string) {
			if strings.Contains(sql, `INSERT INTO "employees"`) {
				cancel()
			}
		})
		err := uow.Run(cctx, pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, newcoWithStaff()) })
		h.set(nil)
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, companiesNamed(t, pool, "Newco"))
		_, err = Companies.Count(ctx, pool)
		require.NoError(t, err, "the pool stays usable")
	})

	t.Run("deadline exceeded in the middle of a load", func(t *testing.T) {
		pool, _ := faulty(t)
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := Companies.Find(dctx, pool, loadopts.With(CompanyEmployees, loadopts.SelectIn,
			loadopts.Where(repo.Raw[Employee]("pg_sleep(0.5) IS NOT NULL"))))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		_, err = Companies.Count(ctx, pool)
		require.NoError(t, err, "the pool stays usable")
	})

	t.Run("a constraint violation in the middle of a batch", func(t *testing.T) {
		pool, _ := faulty(t)
		err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
			es, err := Employees.Find(ctx, s, EmployeeID.In(1, 2, 3), EmployeeID.Asc())
			if err != nil {
				return err
			}
			es[0].Name, es[1].CompanyID, es[2].Name = "changed", ptr(int64(404)), "changed too"
			return nil
		})
		var pgErr interface{ SQLState() string }
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "23503", pgErr.SQLState())
		n, err := Employees.Count(ctx, pool, EmployeeName.In("changed", "changed too"))
		require.NoError(t, err)
		require.Zero(t, n, "the UPDATEs before the failing one were rolled back")
	})

	// No goroutine outlives its pool (pools close at the end of each subtest).
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), goroutines, "no goroutine leaks")
}
