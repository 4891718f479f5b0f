package rel_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// exampleDB creates a database of the example's own, runs ddl and then seed (if not nil) in it,
// and returns a pool on it traced by tr (if not nil), so that tr sees the example's statements
// and not the setup's, and a function that closes the pool and drops the database. It panics on
// an error: examples have no *testing.T.
func exampleDB(ctx context.Context, tr *repo.Tracer, ddl string, seed func(context.Context, repo.DB) error) (*pgxpool.Pool, func()) {
	url, drop, err := pgtest.Database(ctx)
	if err != nil {
		panic(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		drop()
		panic(err)
	}
	_, err = conn.Exec(ctx, ddl)
	if err == nil && seed != nil {
		err = seed(ctx, conn)
	}
	conn.Close(ctx)
	if err != nil {
		drop()
		panic(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		drop()
		panic(err)
	}
	cfg.MaxConns = pgtest.MaxConns
	if tr != nil {
		cfg.ConnConfig.Tracer = tr
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		drop()
		panic(err)
	}
	return pool, func() {
		pool.Close()
		if err := drop(); err != nil {
			panic(err)
		}
	}
}
