package repo_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

type tick struct {
	ID int64
	N  int32
}

// TestAMillionRows inserts 1,000,000 rows in one call: 65,535 parameters a statement, all the
// statements in one batch, every generated key on its row.
func TestAMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows")
	}
	t.Parallel()
	ctx := context.Background()
	ticks := repo.MustNew("ticks", repo.Serial("id", func(r *tick) *int64 { return &r.ID }), repo.Col("n", func(r *tick) *int32 { return &r.N }))
	pool, tr := newDB(t, `CREATE TABLE ticks (id bigserial PRIMARY KEY, n integer NOT NULL)`)
	rows := make([]*tick, 1_000_000)
	for i := range rows {
		rows[i] = &tick{N: int32(i)}
	}
	n := tr.Count(func() { require.NoError(t, ticks.Insert(ctx, pool, rows...)) })
	require.Equal(t, [2]int64{16, 1}, [2]int64{n.Statements, n.RoundTrips}, "⌈1,000,000 / 65,535⌉ statements in one round trip")
	var count, mismatched int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE id <> n + 1) FROM ticks`).Scan(&count, &mismatched))
	require.EqualValues(t, 1_000_000, count)
	require.Zero(t, mismatched, "each row's key is the one its struct got")
	for i, r := range rows {
		if r.ID != int64(i)+1 {
			t.Fatalf("row %d got key %d", i, r.ID)
		}
	}
}
