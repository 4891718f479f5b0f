package rel_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// Declaring a relation from the typed key columns of two tables, then reaching its rows: Of for
// one company (loading its employees on first access), Load for all of them at once.
func Example() {
	type Employee struct {
		ID        int64
		Name      string
		CompanyID *int64 // NULL: an employee without a company
	}
	type Company struct {
		ID        int64
		Name      string
		Employees []*Employee // nil: not loaded
	}
	var (
		companyID   = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
		companyName = repo.Col("name", func(c *Company) *string { return &c.Name })
		companies   = repo.MustNew("companies", companyID, companyName)

		employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
		employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
		employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
		_                 = repo.MustNew("employees", employeeID, employeeName, employeeCompanyID)

		// The foreign key's int64 must be the key's: a string company_id would not compile.
		companyEmployees = rel.HasMany(companyID, employeeCompanyID,
			func(c *Company) *[]*Employee { return &c.Employees })
	)

	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr, `
CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE employees (id bigserial PRIMARY KEY, name text NOT NULL, company_id bigint REFERENCES companies);
INSERT INTO companies (name) VALUES ('Acme'), ('Globex'), ('Empty');
INSERT INTO employees (name, company_id) VALUES ('Magnus', 1), ('John', 1), ('Hank', 2), ('Drifter', NULL);`, nil)
	defer done()

	all, err := companies.Find(ctx, pool, companyID.Asc())
	if err != nil {
		panic(err)
	}
	acme := all[0]
	fmt.Println("loaded:", companyEmployees.Loaded(acme))

	// Of loads on first access (one statement), then returns what is loaded (none).
	for range 2 {
		var emps []*Employee
		n := tr.Count(func() { emps, err = companyEmployees.Of(ctx, pool, acme) })
		if err != nil {
			panic(err)
		}
		fmt.Println(acme.Name, names(emps, func(e *Employee) string { return e.Name }), "-", n.Statements, "statement(s)")
	}

	// Load loads every company's employees in one statement: no N+1.
	n := tr.Count(func() { err = companyEmployees.Load(ctx, pool, all...) })
	if err != nil {
		panic(err)
	}
	fmt.Println("Load:", n.Statements, "statement(s)")
	for _, c := range all {
		fmt.Println(c.Name, names(c.Employees, func(e *Employee) string { return e.Name }), "loaded:", companyEmployees.Loaded(c))
	}

	// A company made in Go: nil is "not loaded", an empty slice is "loaded, none".
	fmt.Println(companyEmployees.Loaded(&Company{}), companyEmployees.Loaded(&Company{Employees: []*Employee{}}))
	// Output:
	// loaded: false
	// Acme [John Magnus] - 1 statement(s)
	// Acme [John Magnus] - 0 statement(s)
	// Load: 1 statement(s)
	// Acme [John Magnus] loaded: true
	// Globex [Hank] loaded: true
	// Empty [] loaded: true
	// false true
}

// A relation declared with DefaultLoad(Raise) refuses to load itself on access: Of returns
// ErrNotLoaded and sends nothing, which turns a forgotten load (an N+1 loop in production) into
// an error. Loaded explicitly, it is there.
func ExampleDefaultLoad() {
	guarded := rel.HasMany(CompanyID, EmployeeCompanyID,
		func(c *Company) *[]*Employee { return &c.Employees },
		rel.Named("CompanyEmployees"), rel.DefaultLoad(rel.Raise))

	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr, DDL, Seed)
	defer done()

	acme, err := Companies.Get(ctx, pool, int64(1))
	if err != nil {
		panic(err)
	}
	n := tr.Count(func() { _, err = guarded.Of(ctx, pool, acme) })
	fmt.Println(errors.Is(err, rel.ErrNotLoaded), n.Statements, "statement(s)")
	fmt.Println(err)

	if err := guarded.Load(ctx, pool, acme); err != nil {
		panic(err)
	}
	emps, err := guarded.Of(ctx, pool, acme)
	fmt.Println(names(emps, func(e *Employee) string { return e.Name }), err)
	// Output:
	// true 0 statement(s)
	// rel: relation CompanyEmployees not loaded, and Raise forbids loading it here
	// [Ann John Lisa Magnus] <nil>
}

// A path of two relations, the second self-referential (an employee's reports are employees),
// loaded with one query: each level with its own strategy.
func ExampleThen() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr, DDL, Seed)
	defer done()

	var cs []*Company
	var err error
	n := tr.Count(func() {
		cs, err = Companies.Find(ctx, pool, CompanyID.Asc(), repo.Limit[Company](2),
			loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.OrderBy(EmployeeID.Asc())),
			loadopts.With(rel.Then(CompanyEmployees, EmployeeReports), loadopts.SelectIn))
	})
	if err != nil {
		panic(err)
	}
	for _, c := range cs {
		for _, e := range c.Employees {
			fmt.Println(c.Name, e.Name, "manages", names(e.Reports, func(r *Employee) string { return r.Name }))
		}
	}
	fmt.Println(n.Statements, "statements,", n.RoundTrips, "round trips")
	// Output:
	// Acme Magnus manages [John Lisa]
	// Acme John manages [Ann]
	// Acme Lisa manages []
	// Acme Ann manages []
	// Globex Hank manages [Mindy]
	// Globex Mindy manages []
	// 2 statements, 2 round trips
}

// names returns the names of rows, sorted: Of and Load take no ordering.
func names[T any](rows []*T, name func(*T) string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, name(r))
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

// Conditions across relations are typed predicates: companies with an employee living in Oslo,
// and companies with no employee at all. They go wherever a repo.Pred goes.
func ExampleMany_Any() {
	inOslo := CompanyEmployees.Any(EmployeeAddresses.Any(AddressCity.Eq("Oslo")))
	fmt.Println(inOslo)
	fmt.Println(CompanyEmployees.None())
	fmt.Println(EmployeeSkills.Any(SkillName.In("go", "sql")))
	// Output:
	// EXISTS (SELECT 1 FROM "employees" AS kinship_x WHERE kinship_x."company_id" = "companies"."id" AND EXISTS (SELECT 1 FROM "addresses" AS kinship_x_x WHERE kinship_x_x."employee_id" = kinship_x."id" AND kinship_x_x."city" = $1)) [Oslo]
	// NOT EXISTS (SELECT 1 FROM "employees" AS kinship_x WHERE kinship_x."company_id" = "companies"."id") []
	// EXISTS (SELECT 1 FROM "employee_skills" AS kinship_xl JOIN "skills" AS kinship_x ON kinship_x."id" = kinship_xl."skill_id" WHERE kinship_xl."employee_id" = "employees"."id" AND kinship_x."name" = ANY($1)) [[go sql]]
}
