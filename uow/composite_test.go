package uow_test

import (
	"context"
	"testing"
	"time"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// Payment lives in a table partitioned by date: its primary key (payment_id, payment_date) holds
// a key the database generates and the partition key.
type Payment struct {
	ID     int64
	Date   time.Time
	Amount float64
}

var (
	// Declared with New, checked by the test: repo refused a generated key inside a composite
	// key before, and MustNew would stop every test of the package.
	payments, paymentsErr = repo.New("payments",
		repo.Serial("payment_id", func(p *Payment) *int64 { return &p.ID }),
		repo.Key("payment_date", func(p *Payment) *time.Time { return &p.Date }),
		repo.Col("amount", func(p *Payment) *float64 { return &p.Amount }))
)

// TestCompositeGeneratedKey runs units of work over a partitioned table: add payments to both
// partitions, commit; change them, commit; delete them, commit.
func TestCompositeGeneratedKey(t *testing.T) {
	t.Parallel()
	require.NoError(t, paymentsErr)
	model, err := uow.NewModel() // no relation joins payments
	require.NoError(t, err)
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for _, ddl := range []string{
		`CREATE TABLE payments (payment_id bigserial, payment_date date NOT NULL, amount numeric, PRIMARY KEY (payment_id, payment_date)) PARTITION BY RANGE (payment_date)`,
		`CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
		`CREATE TABLE payments_2026 PARTITION OF payments FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
	} {
		_, err := pool.Exec(ctx, ddl)
		require.NoError(t, err)
	}
	stored := func(partition string) map[int64]float64 {
		rows, err := pool.Query(ctx, `SELECT payment_id, amount FROM `+partition)
		require.NoError(t, err)
		defer rows.Close()
		out := map[int64]float64{}
		for rows.Next() {
			var id int64
			var amount float64
			require.NoError(t, rows.Scan(&id, &amount))
			out[id] = amount
		}
		require.NoError(t, rows.Err())
		return out
	}

	a := &Payment{Date: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Amount: 10}
	b := &Payment{Date: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Amount: 20}
	require.NoError(t, uow.Run(ctx, pool, model, func(s *uow.Session) error { return uow.Add(s, payments, a, b) }))
	require.NotZero(t, a.ID)
	require.NotZero(t, b.ID)
	require.NotEqual(t, a.ID, b.ID)
	require.Equal(t, map[int64]float64{a.ID: 10}, stored("payments_2025"))
	require.Equal(t, map[int64]float64{b.ID: 20}, stored("payments_2026"))

	require.NoError(t, uow.Run(ctx, pool, model, func(s *uow.Session) error {
		for _, p := range []*Payment{a, b} {
			got, err := payments.Get(ctx, s, payments.Key(p))
			if err != nil {
				return err
			}
			again, err := payments.Get(ctx, s, []any{p.ID, p.Date})
			if err != nil {
				return err
			}
			require.Same(t, got, again, "one instance per composite key in a session")
			got.Amount++
		}
		return nil
	}))
	require.Equal(t, map[int64]float64{a.ID: 11}, stored("payments_2025"))
	require.Equal(t, map[int64]float64{b.ID: 21}, stored("payments_2026"))

	require.NoError(t, uow.Run(ctx, pool, model, func(s *uow.Session) error {
		got, err := payments.Find(ctx, s, repo.Raw[Payment]("TRUE"))
		if err != nil {
			return err
		}
		require.Len(t, got, 2)
		return uow.Delete(s, payments, got...)
	}))
	require.Empty(t, stored("payments_2025"))
	require.Empty(t, stored("payments_2026"))
}
