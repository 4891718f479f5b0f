package rel_test

import (
	"context"
	"testing"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

var (
	otherEmployeeName = repo.Col("name", func(e *Employee) *string { return &e.Name })
	_                 = repo.MustNew("other_employees", repo.Serial("id", func(e *Employee) *int64 { return &e.ID }), otherEmployeeName)
)

func companyNames(cs []*Company) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// Filters across relations: parents having a matching child, having none, through a path, and
// through a link table, wherever a condition goes.
func TestFiltersAcrossRelations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := Seeded(t)
	find := func(t *testing.T, preds ...repo.Pred[Company]) []string {
		t.Helper()
		var opts []repo.Option[Company]
		for _, p := range preds {
			opts = append(opts, p)
		}
		cs, err := Companies.Find(ctx, pool, append(opts, CompanyID.Asc())...)
		require.NoError(t, err)
		return companyNames(cs)
	}

	require.Equal(t, []string{"Acme", "Globex", "Initech"}, find(t, CompanyEmployees.Any()))
	require.Equal(t, []string{"Empty"}, find(t, CompanyEmployees.None()))
	require.Equal(t, []string{"Acme", "Globex"}, find(t, CompanyEmployees.Any(EmployeeSalary.Ge(250))))
	require.Equal(t, []string{"Initech", "Empty"}, find(t, CompanyEmployees.None(EmployeeSalary.Ge(250))))
	require.Equal(t, []string{"Acme"}, find(t, CompanyEmployees.Any(EmployeeSalary.Ge(250), EmployeeName.Like("M%"))))
	// A path: companies with an employee living in Austin.
	require.Equal(t, []string{"Initech"}, find(t, CompanyEmployees.Any(EmployeeAddresses.Any(AddressCity.Eq("Austin")))))
	// Through the link table: companies with an employee who plays chess.
	require.Equal(t, []string{"Acme", "Initech"}, find(t, CompanyEmployees.Any(EmployeeSkills.Any(SkillName.Eq("chess")))))
	// A to-one relation: companies with a profile; its negation.
	require.Equal(t, []string{"Acme", "Initech"}, find(t, CompanyProfile.Has()))
	require.Equal(t, []string{"Globex", "Empty"}, find(t, repo.Not(CompanyProfile.Has())))
	// Combined with ordinary conditions.
	require.Equal(t, []string{"Globex"}, find(t, repo.Or(CompanyName.Eq("Globex"), CompanyEmployees.None()), CompanyEmployees.Any()))

	// BelongsTo: employees whose company has a profile saying "TPS reports".
	es, err := Employees.Find(ctx, pool, EmployeeCompany.Has(CompanyProfile.Has(ProfileMotto.Eq("TPS reports"))), EmployeeID.Asc())
	require.NoError(t, err)
	require.Len(t, es, 3)

	// Count and Exists.
	n, err := Companies.Count(ctx, pool, CompanyEmployees.None())
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	ok, err := Employees.Exists(ctx, pool, EmployeeReports.Any(EmployeeReports.Any()))
	require.NoError(t, err)
	require.True(t, ok, "Magnus manages John, who manages Ann")

	// A load's Where: each company's employees who have an address.
	cs, err := Companies.Find(ctx, pool, CompanyID.Eq(1), loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.Where(EmployeeAddresses.Any())))
	require.NoError(t, err)
	require.Len(t, cs[0].Employees, 3)
	for _, strategy := range []loadopts.Strategy{loadopts.Joined, loadopts.Subquery} {
		cs, err := Companies.Find(ctx, pool, CompanyID.Eq(1), loadopts.With(CompanyEmployees, strategy, loadopts.Where(EmployeeAddresses.Any())))
		require.NoError(t, err, strategy)
		require.Len(t, cs[0].Employees, 3, strategy)
	}

	// DeleteWhere, through a session: delete the companies without employees.
	require.NoError(t, uow.Run(ctx, pool, uow.MustModel(CompanyEmployees), func(s *uow.Session) error {
		n, err := Companies.DeleteWhere(ctx, s, CompanyEmployees.None())
		require.Equal(t, int64(1), n)
		return err
	}))
	require.Equal(t, []string{"Acme", "Globex", "Initech"}, find(t))

	t.Run("mistakes, before any SQL", func(t *testing.T) {
		var nilMany *rel.Many[Company, Employee]
		for name, call := range map[string]func() error{
			"nil relation": func() error { _, err := Companies.Find(ctx, pool, nilMany.Any()); return err },
			"zero relation": func() error {
				_, err := Companies.Count(ctx, pool, new(rel.Many[Company, Employee]).None())
				return err
			},
			"a condition on another table's column inside": func() error {
				_, err := Companies.Find(ctx, pool, CompanyEmployees.Any(otherEmployeeName.Eq("x")))
				return err
			},
		} {
			var err error
			n := tr.Count(func() { err = call() })
			require.ErrorIs(t, err, repo.ErrInvalid, name)
			require.Zero(t, n.Statements, name)
		}
	})
}
