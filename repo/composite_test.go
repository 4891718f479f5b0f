package repo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Payment lives in a table partitioned by date, whose primary key must hold the partition key:
// a key the database generates (payment_id) and one the client gives (payment_date).
type Payment struct {
	ID     int64
	Date   time.Time
	Amount float64
}

const paymentsDDL = `CREATE TABLE payments (
	payment_id bigserial,
	payment_date date NOT NULL,
	amount numeric,
	PRIMARY KEY (payment_id, payment_date)
) PARTITION BY RANGE (payment_date)`

var paymentPartitions = []string{
	`CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
	`CREATE TABLE payments_2026 PARTITION OF payments FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
}

var (
	paymentID     = repo.Serial("payment_id", func(p *Payment) *int64 { return &p.ID })
	paymentDate   = repo.Key("payment_date", func(p *Payment) *time.Time { return &p.Date })
	paymentAmount = repo.Col("amount", func(p *Payment) *float64 { return &p.Amount })
	// Declared here and checked by the test: New refused this key before.
	payments, paymentsErr = repo.New("payments", paymentID, paymentDate, paymentAmount)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestGeneratedKeyInACompositeKey writes and reads payments in both partitions of a partitioned
// table through its composite key (payment_id, payment_date), payment_id generated.
func TestGeneratedKeyInACompositeKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, paymentsErr, "a Serial column and a Key column make a composite key")
	pool, tr := pgtest.NewTracedPool(t, append([]string{paymentsDDL}, paymentPartitions...)...)

	// Insert: the generated part is left out and read back, one statement per row.
	one := &Payment{Date: day(2025, 3, 1), Amount: 10}
	require.False(t, engine.TableOf(payments).KeyAssigned(one), "a zero payment_id is no key yet")
	n := tr.Count(func() { require.NoError(t, payments.Insert(ctx, pool, one)) })
	require.EqualValues(t, 1, n.Statements)
	require.NotZero(t, one.ID)
	require.True(t, engine.TableOf(payments).KeyAssigned(one))
	more := []*Payment{{Date: day(2026, 1, 1), Amount: 20}, {Date: day(2025, 12, 31), Amount: 30}, {Date: day(2026, 7, 4), Amount: 40}}
	n = tr.Count(func() { require.NoError(t, payments.Insert(ctx, pool, more...)) })
	require.Equal(t, [2]int64{3, 1}, [2]int64{n.Statements, n.RoundTrips}, "one INSERT … RETURNING per row, one round trip")
	all := append([]*Payment{one}, more...)
	ids := map[int64]bool{}
	for _, p := range all {
		require.NotZero(t, p.ID)
		ids[p.ID] = true
	}
	require.Len(t, ids, 4, "each row its own key")
	var in2025, in2026 int
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM payments_2025), (SELECT count(*) FROM payments_2026)`).Scan(&in2025, &in2026))
	require.Equal(t, [2]int{2, 2}, [2]int{in2025, in2026}, "rows in both partitions")

	// Key, Get, Index: a []any in declaration order.
	require.Equal(t, []any{more[0].ID, day(2026, 1, 1)}, payments.Key(more[0]))
	for _, p := range all {
		got, err := payments.Get(ctx, pool, payments.Key(p))
		require.NoError(t, err)
		require.Equal(t, *p, *got)
	}
	_, err := payments.Get(ctx, pool, []any{one.ID, day(2026, 3, 1)})
	require.ErrorIs(t, err, repo.ErrNotFound, "the right id with the wrong date is another key")
	_, err = payments.Get(ctx, pool, one.ID)
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, `has 2 columns ("payment_id", "payment_date"): pass them as a []any`)
	ix := engine.RowsOf[Payment](payments).RowIndex()
	for _, p := range all {
		ix.Put(p)
	}
	if got, ok := ix.Get([]any{int(more[1].ID), day(2025, 12, 31)}); !ok || got != more[1] {
		t.Fatalf("Index.Get = %v, %v", got, ok)
	}

	// Update, Upsert, in both partitions.
	one.Amount, more[0].Amount = 11, 21
	require.NoError(t, payments.Update(ctx, pool, one))
	require.NoError(t, payments.Update(ctx, pool, more[0], paymentAmount))
	more[1].Amount = 31
	require.NoError(t, payments.Upsert(ctx, pool, []*Payment{more[1]}))
	err = payments.Update(ctx, pool, &Payment{ID: one.ID, Date: day(2026, 2, 2), Amount: 1})
	require.ErrorIs(t, err, repo.ErrNotFound)
	rows, err := payments.Find(ctx, pool, paymentID.Asc())
	require.NoError(t, err)
	var amounts []float64
	for _, p := range rows {
		amounts = append(amounts, p.Amount)
	}
	require.Equal(t, []float64{11, 21, 31, 40}, amounts)

	// Delete by key, in each partition, and DeleteWhere.
	require.NoError(t, payments.Delete(ctx, pool, payments.Key(one)))
	require.NoError(t, payments.Delete(ctx, pool, []any{more[0].ID, more[0].Date}))
	err = payments.Delete(ctx, pool, payments.Key(one))
	require.True(t, errors.Is(err, repo.ErrNotFound), "deleted already: %v", err)
	deleted, err := payments.DeleteWhere(ctx, pool, paymentDate.Lt(day(2026, 1, 1)))
	require.NoError(t, err)
	require.EqualValues(t, 1, deleted)
	left, err := payments.Find(ctx, pool)
	require.NoError(t, err)
	require.Len(t, left, 1)
	require.Equal(t, *more[2], *left[0])
}
