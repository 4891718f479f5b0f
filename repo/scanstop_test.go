package repo_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/stretchr/testify/require"
)

// A read that stops after the first row (Get through a session, a caller's fn returning false)
// still reports an error the server sends after that row: dropped, it left the transaction
// aborted, and the next statement failed with 25P02 "current transaction is aborted" — what
// TestConcurrentTransfers (uow) saw under load, from a serialization failure at a SELECT's end.
func TestScanRowsStoppedEarlyReportsTheError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, widgetsDDL, `INSERT INTO widgets (name, count, active, big, created) SELECT 'w' || n, n, true, n, now() FROM generate_series(1, 3) AS n`)
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	// The first row comes back; the second divides by zero.
	rows, err := tx.Query(ctx, `SELECT `+engine.RowsOf[Widget](Widgets).SelectList("")+` FROM widgets WHERE 1 / (id - 2) IS NOT NULL`)
	require.NoError(t, err)
	seen := 0
	err = engine.RowsOf[Widget](Widgets).ScanRows(nil, rows, nil, func(*Widget) bool { seen++; return false })
	require.Equal(t, 1, seen)
	require.ErrorContains(t, err, "division by zero")
}
