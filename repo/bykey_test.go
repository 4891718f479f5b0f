package repo_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

func TestGetByAndDeleteBy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, usersDDL)
	u := &User{Email: "k@x", Name: "k"}
	require.NoError(t, Users.Insert(ctx, pool, u))
	got, err := repo.GetBy(ctx, pool, userID, u.ID)
	require.NoError(t, err)
	require.Equal(t, "k", got.Name)
	_, err = repo.GetBy(ctx, pool, userEmail, "k@x")
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "email is not the primary key of users")
	require.NoError(t, repo.DeleteBy(ctx, pool, userID, u.ID))
	_, err = repo.GetBy(ctx, pool, userID, u.ID)
	require.ErrorIs(t, err, repo.ErrNotFound)
	var nilCol *repo.Column[User, int64]
	require.ErrorIs(t, repo.DeleteBy(ctx, pool, nilCol, 1), repo.ErrInvalid)
}
