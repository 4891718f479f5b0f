package repo_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

type tick struct {
	ID int64
}

// TestAMillionRows inserts 1,000,000 rows in one call into a table whose key the client assigns:
// 65,535 parameters a statement, all the statements in one batch, one round trip. (A generated
// key costs one statement a row: TestInsertGeneratedManyRows.)
func TestAMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows")
	}
	t.Parallel()
	ctx := context.Background()
	ticks := repo.MustNew("ticks", repo.Key("id", func(r *tick) *int64 { return &r.ID }))
	pool, tr := pgtest.NewTracedPool(t, `CREATE TABLE ticks (id bigint PRIMARY KEY)`)
	rows := make([]*tick, 1_000_000)
	for i := range rows {
		rows[i] = &tick{ID: int64(i) + 1}
	}
	n := tr.Count(func() { require.NoError(t, ticks.Insert(ctx, pool, rows...)) })
	require.Equal(t, [2]int64{16, 1}, [2]int64{n.Statements, n.RoundTrips}, "⌈1,000,000 / 65,535⌉ statements in one round trip")
	var count, lowest, highest int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), min(id), max(id) FROM ticks`).Scan(&count, &lowest, &highest))
	require.Equal(t, [3]int64{1_000_000, 1, 1_000_000}, [3]int64{count, lowest, highest}, "every row, once")
}
