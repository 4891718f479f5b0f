package uow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// Inside Run, committing or rolling back is Run's: the function's attempts are refused and
// change nothing, so Run never reports a failure for work that was committed.
func TestRunOwnsCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		require.NoError(t, uow.Add(s, Companies, &Company{Name: "Once"}))
		require.NoError(t, s.Flush(ctx))
		for name, end := range map[string]func(context.Context) error{
			"Commit": s.Commit, "Rollback": s.Rollback, "Tx().Commit": s.Tx().Commit, "Tx().Rollback": s.Tx().Rollback,
		} {
			require.ErrorIs(t, end(ctx), uow.ErrRunEnds, name)
		}
		return nil
	})
	require.NoError(t, err)
	require.EqualValues(t, 1, companiesNamed(t, db.pool, "Once"), "committed once, by Run")

	err = uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		require.NoError(t, uow.Add(s, Companies, &Company{Name: "Never"}))
		return s.Commit(ctx) // returned: Run rolls back
	})
	require.ErrorIs(t, err, uow.ErrRunEnds)
	require.Zero(t, companiesNamed(t, db.pool, "Never"))

	var ended *uow.Session
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error { ended = s; return nil }))
	require.ErrorIs(t, uow.Add(ended, Companies, &Company{Name: "Late"}), uow.ErrEnded)
	require.ErrorIs(t, ended.Flush(ctx), uow.ErrEnded)
}

// A Run on a pgx.Tx — a session's, or the caller's — is a nested unit of work: a savepoint,
// rolled back alone when its function fails.
func TestNestedRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	boom := errors.New("boom")
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		require.NoError(t, uow.Add(s, Companies, &Company{Name: "Outer"}))
		require.NoError(t, s.Flush(ctx))
		err := uow.Run(ctx, s.Tx(), Model, func(inner *uow.Session) error {
			require.NoError(t, uow.Add(inner, Companies, &Company{Name: "Failed inner"}))
			require.NoError(t, inner.Flush(ctx))
			return boom
		})
		require.ErrorIs(t, err, boom)
		n, err := Companies.Count(ctx, s, CompanyName.Eq("Failed inner"))
		require.NoError(t, err)
		require.Zero(t, n, "rolled back to the savepoint")
		return uow.Run(ctx, s.Tx(), Model, func(inner *uow.Session) error {
			return uow.Add(inner, Companies, &Company{Name: "Inner"})
		})
	}))
	for name, want := range map[string]int64{"Outer": 1, "Inner": 1, "Failed inner": 0} {
		require.Equal(t, want, companiesNamed(t, db.pool, name), name)
	}

	tx, err := db.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	require.NoError(t, uow.Run(ctx, tx, Model, func(s *uow.Session) error {
		return uow.Add(s, Companies, &Company{Name: "In the caller's tx"})
	}))
	require.Zero(t, companiesNamed(t, db.pool, "In the caller's tx"), "not committed: the caller commits")
	err = uow.Run(ctx, tx, Model, func(*uow.Session) error { return nil }, uow.TxOptions(pgx.TxOptions{IsoLevel: pgx.Serializable}))
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "TxOptions on a nested unit of work")
	require.NoError(t, tx.Commit(ctx))
	require.EqualValues(t, 1, companiesNamed(t, db.pool, "In the caller's tx"))
}
