package loadopts_test

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

// A relation loaded after the fact takes the options a query's With takes.
func TestLoadAfterTheFact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := Seeded(t)
	companies, err := Companies.Find(ctx, pool, CompanyID.Asc())
	require.NoError(t, err)

	t.Run("the top earner of each company, in one statement", func(t *testing.T) {
		n := tr.Count(func() {
			err = loadopts.Load(ctx, pool, CompanyEmployees, companies, loadopts.LimitPerParent(1, EmployeeSalary.Desc()))
		})
		require.NoError(t, err)
		require.Equal(t, [2]int64{1, 1}, [2]int64{n.Statements, n.RoundTrips}, "statements, round trips")
		var got []string
		for _, c := range companies {
			require.True(t, CompanyEmployees.Loaded(c))
			for _, e := range c.Employees {
				got = append(got, e.Name)
			}
		}
		require.Equal(t, []string{"Magnus", "Hank", "Peter"}, got) // Initech's Peter and Samir earn 120: the key cuts the tie
	})

	t.Run("Where and OrderBy", func(t *testing.T) {
		require.NoError(t, loadopts.Load(ctx, pool, CompanyEmployees, companies[:1], loadopts.Where(EmployeeSalary.Lt(250)), loadopts.OrderBy(EmployeeName.Asc())))
		require.Equal(t, []string{"Ann", "John", "Lisa"}, names(companies[0].Employees))
	})

	t.Run("a path: each level one round trip", func(t *testing.T) {
		fresh, err := Companies.Find(ctx, pool, CompanyID.Eq(1))
		require.NoError(t, err)
		n := tr.Count(func() {
			err = loadopts.Load(ctx, pool, rel.Then(CompanyEmployees, EmployeeAddresses), fresh, loadopts.Where(AddressCity.Eq("Oslo")))
		})
		require.NoError(t, err)
		require.Equal(t, [2]int64{2, 2}, [2]int64{n.Statements, n.RoundTrips}, "statements, round trips")
		require.Len(t, fresh[0].Employees, 4)
		for _, e := range fresh[0].Employees {
			if e.Name == "Magnus" {
				require.Len(t, e.Addresses, 1)
			} else {
				require.Empty(t, e.Addresses)
			}
		}
	})

	t.Run("through a session, whose flush leaves the rows not loaded alone", func(t *testing.T) {
		model := uow.MustModel(CompanyEmployees, EmployeeCompany)
		err := uow.Run(ctx, pool, model, func(s *uow.Session) error {
			acme, err := Companies.Get(ctx, s, 1)
			if err != nil {
				return err
			}
			if err := loadopts.Load(ctx, s, CompanyEmployees, []*Company{acme}, loadopts.LimitPerParent(1, EmployeeSalary.Desc())); err != nil {
				return err
			}
			require.Equal(t, []string{"Magnus"}, names(acme.Employees))
			n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
			require.Zero(t, n.Statements)
			return nil
		})
		require.NoError(t, err)
		acme, err := Companies.Get(ctx, pool, 1, loadopts.With(CompanyEmployees, loadopts.SelectIn))
		require.NoError(t, err)
		require.Len(t, acme.Employees, 4, "nothing was orphaned")
	})

	t.Run("mistakes, before any SQL", func(t *testing.T) {
		var nilMany *rel.Many[Company, Employee]
		var nilCtx context.Context
		for name, call := range map[string]func() error{
			"nil relation": func() error { return loadopts.Load(ctx, pool, nilMany, companies) },
			"nil context":  func() error { return loadopts.Load(nilCtx, pool, CompanyEmployees, companies) },
			"nil DB":       func() error { return loadopts.Load(ctx, nil, CompanyEmployees, companies) },
			"nil parent":   func() error { return loadopts.Load(ctx, pool, CompanyEmployees, []*Company{nil}) },
			"nil option":   func() error { return loadopts.Load(ctx, pool, CompanyEmployees, companies, nil) },
			"bad limit": func() error {
				return loadopts.Load(ctx, pool, CompanyEmployees, companies, loadopts.LimitPerParent[Employee](0))
			},
			"zero ordering": func() error {
				return loadopts.Load(ctx, pool, CompanyEmployees, companies, loadopts.OrderBy(repo.Order[Employee]{}))
			},
		} {
			n := tr.Count(func() { err = call() })
			require.ErrorIs(t, err, repo.ErrInvalid, name)
			require.Zero(t, n.Statements, name)
		}
		require.NoError(t, loadopts.Load(ctx, pool, CompanyEmployees, nil), "no parents: nothing to do")
	})
}

func names(es []*Employee) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}
