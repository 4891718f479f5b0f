package uow_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The relations of the test model, with the cascades a unit of work needs: addresses belong to
// their employee (deleted with it, and when removed from its collection).
var (
	OwnedAddresses = rel.HasMany(EmployeeID, AddressEmployeeID, func(e *Employee) *[]*Address { return &e.Addresses },
		rel.Named("OwnedAddresses"), rel.Cascade(rel.All, rel.DeleteOrphan))
	Model = uow.MustModel(CompanyEmployees, EmployeeCompany, EmployeeManager, EmployeeReports, OwnedAddresses,
		EmployeeSkills, CompanyProfileOwned)
	CompanyProfileOwned = rel.HasOne(CompanyID, ProfileCompanyID, func(c *Company) **Profile { return &c.Profile },
		rel.Named("CompanyProfileOwned"), rel.Cascade(rel.All))
)

type env struct {
	pool *pgxpool.Pool
	tr   *repo.Tracer
}

// seeded returns a pool on a database of the test's own with the test model's seed.
func seeded(t testing.TB) env {
	pool, tr := Seeded(t)
	return env{pool, tr}
}
