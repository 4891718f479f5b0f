package loadopts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// protect runs call, turning a panic into an error that matches nothing.
func protect(call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return call()
}

// TestMisuse calls every exported function of package loadopts with the nil, zero and empty
// inputs a caller can give it: a nil relation or path, a path made of a nil one, a nil option
// (alone or in a list), conditions and orderings on nil columns, zero and negative sizes, an
// unknown strategy, a relation declared wrong. Each is the query's error, matching
// repo.ErrInvalid and saying what is wrong, through Find, Get and a unit of work alike; nothing
// is sent and nothing panics.
func TestMisuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	var (
		nilMany  *rel.Many[Company, Employee]
		nilOne   *rel.One[Company, Profile]
		nilPath  rel.Path[Company, Employee]
		nilOpt   loadopts.Option[Employee]
		nilCol   *repo.Column[Employee, string]
		nilNull  *repo.NullColumn[Employee, int64]
		brokenM  = rel.HasMany(CompanyID, EmployeeCompanyID, nil, rel.Named("brokenM"))
		nilKeyM  = rel.HasMany[Company, Employee, int64](nil, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilKeyM"))
		badThru  = rel.ManyToMany(EmployeeID, SkillID, rel.Through{Table: "employee skills"}, func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("badThru"))
		emplAddr = rel.Then(CompanyEmployees, EmployeeAddresses)
		// Another table of the same Go type: its columns compile in a load option on employees.
		formerName = repo.Col("name", func(e *Employee) *string { return &e.Name })
		_          = repo.MustNew("former_employees", repo.Serial("id", func(e *Employee) *int64 { return &e.ID }), formerName)
	)
	find := func(opts ...repo.Option[Company]) error { _, err := Companies.Find(ctx, pool, opts...); return err }
	type misuse struct {
		name string
		opt  repo.Option[Company]
		msg  string
	}
	cases := []misuse{
		// Targets.
		{"Where on another Repo's column", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.Where(formerName.Eq("x"))), "loadopts.Where on CompanyEmployees: column name is a column of former_employees, not of employees"},
		{"OrderBy another Repo's column", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.OrderBy(formerName.Asc())), "loadopts.OrderBy on CompanyEmployees"},
		{"With: nil path", loadopts.With(nilPath, loadopts.SelectIn), "no relation"},
		{"With: nil *Many", loadopts.With[Company, Employee](nilMany, loadopts.SelectIn), "no relation"},
		{"With: nil *One", loadopts.With[Company, Profile](nilOne, loadopts.Joined), "no relation"},
		{"With: zero Many", loadopts.With[Company, Employee](new(rel.Many[Company, Employee]), loadopts.SelectIn), "no relation"},
		{"With: Then of a nil first path", loadopts.With(rel.Then(nilPath, EmployeeAddresses), loadopts.SelectIn), "no relation"},
		{"With: Then of a nil next path", loadopts.With(rel.Then(CompanyEmployees, rel.Path[Employee, Address](nil)), loadopts.SelectIn), "no relation"},
		{"With: Then of a nil relation", loadopts.With(rel.Then[Company, Employee, Address](nilMany, EmployeeAddresses), loadopts.Joined), "no relation"},
		{"With: a relation with a nil accessor", loadopts.With(brokenM, loadopts.SelectIn), "nil collection accessor"},
		{"With: a path through a relation with a nil accessor", loadopts.With(rel.Then(brokenM, EmployeeAddresses), loadopts.SelectIn), "nil collection accessor"},
		{"With: a relation with a nil key", loadopts.With(nilKeyM, loadopts.Joined), "nil key column"},
		{"With: a link table that is not an identifier", loadopts.With(rel.Then(CompanyEmployees, badThru), loadopts.SelectIn), "link table"},

		// Strategies and options.
		{"With: an unknown strategy", loadopts.With(CompanyEmployees, loadopts.Strategy(99)), "unknown strategy Strategy(99)"},
		{"With: a nil option", loadopts.With(CompanyEmployees, loadopts.SelectIn, nilOpt), "nil load option"},
		{"With: a nil option in a list", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.OrderBy(EmployeeName.Asc()), nilOpt), "nil load option"},
		{"With: options with Lazy", loadopts.With(CompanyEmployees, loadopts.Lazy, loadopts.OrderBy(EmployeeName.Asc())), "which loads nothing"},
		{"With: BatchSize with Joined", loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.BatchSize[Employee](10)), "BatchSize applies to SelectIn"},
		{"With: a path whose upper level has no With of its own (valid)", loadopts.With(emplAddr, loadopts.SelectIn), ""},
		{"LimitPerParent(0)", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.LimitPerParent[Employee](0)), "LimitPerParent(0): the limit must be positive"},
		{"LimitPerParent(-1)", loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.LimitPerParent[Employee](-1)), "LimitPerParent(-1)"},
		{"LimitPerParent: the zero Order", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.LimitPerParent(2, repo.Order[Employee]{})), "orders by nothing"},
		{"LimitPerParent: a nil column's ordering", loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.LimitPerParent(2, nilCol.Desc())), "orders by nothing"},
		{"BatchSize(0)", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.BatchSize[Employee](0)), "BatchSize(0): the size must be positive"},
		{"BatchSize(-5)", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.BatchSize[Employee](-5)), "BatchSize(-5)"},
		{"OrderBy: the zero Order", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.OrderBy(repo.Order[Employee]{})), "orders by nothing"},
		{"OrderBy: a nil column", loadopts.With(CompanyEmployees, loadopts.Subquery, loadopts.OrderBy(nilCol.Asc())), "orders by nothing"},
		{"Where: a nil column", loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.Where(nilCol.Eq("x"))), "Eq on a nil column"},
		{"Where: a nil NullColumn", loadopts.With(CompanyEmployees, loadopts.Pipelined, loadopts.Where(nilNull.Eq(1))), "Eq on a nil column"},
		{"Where: an empty Raw", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.Where(repo.Raw[Employee](""))), "raw fragment is empty"},
		{"Where: a nil column inside Or", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.Where(repo.Or(EmployeeSalary.Gt(0), nilCol.Like("a%")))), "Like on a nil column"},
	}

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, run := range []struct {
				how  string
				call func() error
			}{
				{"Find", func() error { return find(tt.opt) }},
				{"Get", func() error { _, err := Companies.Get(ctx, pool, int64(1), tt.opt); return err }},
				{"Find with another With", func() error { return find(loadopts.With(CompanyProfile, loadopts.Joined), tt.opt) }},
			} {
				var err error
				n := tr.Count(func() { err = protect(run.call) })
				if tt.msg == "" {
					if err != nil {
						t.Errorf("%s: %v", run.how, err)
					}
					continue
				}
				if !errors.Is(err, repo.ErrInvalid) {
					t.Fatalf("%s: got %v, want an error matching ErrInvalid", run.how, err)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("%s: %q does not say %q", run.how, err, tt.msg)
				}
				if n.Statements > 0 {
					t.Errorf("%s: %d statements sent", run.how, n.Statements)
				}
			}
		})
	}

	// Empty option lists are no mistake: they load as With alone does.
	t.Run("empty lists", func(t *testing.T) {
		c, err := Companies.Get(ctx, pool, int64(1), loadopts.With(CompanyEmployees, loadopts.SelectIn,
			loadopts.Where[Employee](), loadopts.OrderBy[Employee](), loadopts.Where(repo.Pred[Employee]{})))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Employees) == 0 {
			t.Error("no employees loaded")
		}
	})
}
