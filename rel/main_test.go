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

// exampleDB returns a pool on a database of the example's own where ddl and then seed (if not
// nil) ran, traced by tr (if not nil), and a function that drops it.
func exampleDB(ctx context.Context, tr *repo.Tracer, ddl string, seed func(context.Context, repo.DB) error) (*pgxpool.Pool, func()) {
	return pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, ddl); err != nil || seed == nil {
			return err
		}
		return seed(ctx, c)
	}, func(c *pgxpool.Config) {
		if tr != nil {
			c.ConnConfig.Tracer = tr
		}
	})
}
