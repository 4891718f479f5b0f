package uow_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"

	. "github.com/kinship-go/kinship/internal/testmodel"
)

// counting is a user's DB decorator, for metrics: it counts the statements it passes on.
type counting struct {
	db repo.DB
	n  atomic.Int64
}

func (c *counting) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.n.Add(1)
	return c.db.Exec(ctx, sql, args...)
}

func (c *counting) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.n.Add(1)
	return c.db.Query(ctx, sql, args...)
}

func (c *counting) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.n.Add(1)
	return c.db.QueryRow(ctx, sql, args...)
}

func (c *counting) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	c.n.Add(int64(b.Len()))
	return c.db.SendBatch(ctx, b)
}

// Unwrap lets kinship find the session inside.
func (c *counting) Unwrap() repo.DB { return c.db }

// TestWrappedSessionKeepsItsIdentityMap: a session wrapped in a decorator with Unwrap (twice
// over) still resolves rows to one instance, answers Get from its identity map, refuses a
// relation a query said Raise for, and fixes up a write made through the wrapper — while every
// statement goes through the wrapper.
func TestWrappedSessionKeepsItsIdentityMap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		inner := &counting{db: s}
		w := &counting{db: inner}
		acme, err := Companies.Get(ctx, w, int64(1), loadopts.With(CompanyEmployees, loadopts.Raise))
		require.NoError(t, err)
		require.EqualValues(t, 1, w.n.Load(), "the Get went through the wrapper")
		again, err := Companies.Get(ctx, w, int64(1))
		require.NoError(t, err)
		require.Same(t, acme, again, "one instance per row through the wrapper")
		require.EqualValues(t, 1, w.n.Load(), "the second Get was answered by the identity map")
		_, err = CompanyEmployees.Of(ctx, w, acme)
		require.ErrorIs(t, err, rel.ErrNotLoaded, "Raise holds through the wrapper")
		require.True(t, uow.Contains(s, Companies, acme))

		// A row inserted through the wrapper is the session's: a later Get finds it.
		newco := &Company{Name: "Wrapped"}
		require.NoError(t, Companies.Insert(ctx, w, newco))
		got, err := Companies.Get(ctx, w, newco.ID)
		require.NoError(t, err)
		require.Same(t, newco, got)
		return nil
	})
	require.NoError(t, err)
}

// A decorator without Unwrap hides the session: rows read through it are plain rows, one
// instance per read. This is the documented cost of not implementing Unwrap.
func TestWrapperWithoutUnwrapHidesTheSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		w := struct{ repo.DB }{s}
		a, err := Companies.Get(ctx, w, int64(1))
		require.NoError(t, err)
		b, err := Companies.Get(ctx, w, int64(1))
		require.NoError(t, err)
		require.NotSame(t, a, b)
		require.False(t, uow.Contains(s, Companies, a))
		return nil
	})
	require.NoError(t, err)
}
