package loadopts_test

import (
	"context"
	"testing"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Regressions: each test here failed once, found by reading the documentation against the code.

// A malformed repo.Raw in a load's Where is found before anything is sent, whatever the
// strategy (it was found only when its level's statement was built: for SelectIn and Subquery,
// after the parents' query had run).
func TestRegressionMalformedWhereFoundBeforeSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	for _, s := range eager {
		t.Run(s.String(), func(t *testing.T) {
			n := tr.Count(func() {
				_, err := Companies.Find(ctx, pool,
					loadopts.With(CompanyEmployees, s, loadopts.Where(repo.Raw[Employee]("salary > $2", 1))))
				require.ErrorContains(t, err, "refers to $2")
			})
			require.Zero(t, n.Statements, "nothing is sent")
		})
	}
}

// A repo.Raw condition in a load's Where works under Joined too (it landed in the ON clause of a
// statement that also reads the parents' table: column reference "name" is ambiguous).
func TestRegressionRawWhereUnderJoined(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	for _, s := range eager {
		t.Run(s.String(), func(t *testing.T) {
			c, err := Companies.Get(ctx, pool, int64(1),
				loadopts.With(CompanyEmployees, s, loadopts.Where(repo.Raw[Employee]("name <> $1", "Ann")), loadopts.OrderBy(EmployeeID.Asc())))
			require.NoError(t, err)
			require.Equal(t, []string{"Magnus", "John", "Lisa"}, employeeNames(c.Employees))
		})
	}
}

// A nil collection accessor is a mistake of the declaration that Of reports, without calling
// the accessor (it did, and panicked).
func TestRegressionNilAccessorIsAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	broken := rel.HasMany[Company, Employee, int64](CompanyID, EmployeeCompanyID, nil)
	c := &Company{ID: 1}
	require.NotPanics(t, func() {
		_, err := broken.Of(ctx, pool, c)
		require.ErrorContains(t, err, "nil collection accessor")
	})
}
