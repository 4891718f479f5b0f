package loadopts_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/repo"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// seeded returns a pool on a database of the test's own with the test model's seed, and the
// tracer counting its statements.
func seeded(t testing.TB) (*pgxpool.Pool, *repo.Tracer) { return Seeded(t) }
