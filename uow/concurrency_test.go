package uow_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// TestConcurrentTransfers runs 32 goroutines moving money between 8 accounts on one pool, each
// transfer a uow.Run under SERIALIZABLE that reads both balances and writes both. Serialization
// failures and deadlocks are retried; at the end no transfer is lost and the total is unchanged.
func TestConcurrentTransfers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.MaxConns = 8 })
	_, err := pool.Exec(ctx, accountsDDL)
	require.NoError(t, err)
	const accounts, start = 8, 1000
	for range accounts {
		require.NoError(t, Accounts.Insert(ctx, pool, &Account{Balance: start, Version: 1}))
	}
	const workers, transfers = 32, 10
	var done, attempts atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range transfers {
				from, to := int64(rng.IntN(accounts)+1), int64(rng.IntN(accounts)+1)
				if from == to {
					to = from%accounts + 1
				}
				amount := int64(rng.IntN(50) + 1)
				err := uow.Run(ctx, pool, AccountModel, func(s *uow.Session) error {
					attempts.Add(1)
					a, err := Accounts.Get(ctx, s, from)
					if err != nil {
						return err
					}
					b, err := Accounts.Get(ctx, s, to)
					if err != nil {
						return err
					}
					a.Balance -= amount
					b.Balance += amount
					return nil
				}, uow.TxOptions(pgx.TxOptions{IsoLevel: pgx.Serializable}), uow.Retry(50, time.Millisecond, 50*time.Millisecond))
				if err != nil {
					t.Error(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, workers*transfers, done.Load())
	var sum, versions int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT sum(balance), sum(version - 1) FROM accounts`).Scan(&sum, &versions))
	require.EqualValues(t, accounts*start, sum, "no money made or lost")
	require.EqualValues(t, 2*workers*transfers, versions, "every committed transfer bumped two versions: no lost update")
	t.Logf("%d transfers in %d attempts", done.Load(), attempts.Load())
}
