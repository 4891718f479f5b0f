package loadopts_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// A select-in load with SQL echo: the companies' query, then one statement for all their
// employees, WHERE company_id = ANY($1) with the companies' keys as one array parameter.
func ExampleWith() {
	ctx := context.Background()
	tr := &repo.Tracer{Logger: slog.New(repo.NewEchoHandler(os.Stdout, ""))} // prints each statement
	pool, done := exampleDB(ctx, tr)
	defer done()

	var companies []*Company
	var err error
	n := tr.Count(func() {
		companies, err = Companies.Find(ctx, pool, CompanyID.Asc(), repo.Limit[Company](2),
			loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.OrderBy(EmployeeName.Asc())))
	})
	if err != nil {
		panic(err)
	}
	for _, c := range companies {
		fmt.Println(c.Name, employeeNames(c.Employees))
	}
	fmt.Println(n.Statements, "statements,", n.RoundTrips, "round trips")
	// Output:
	// SELECT "id", "name" FROM "companies" ORDER BY "id" LIMIT $1  [2]
	// SELECT c0."id", c0."name", c0."company_id", c0."manager_id", c0."salary" FROM "employees" AS c0 WHERE c0."company_id" = ANY($1) ORDER BY c0."name"  [{1,2}]
	// Acme [Ann John Lisa Magnus]
	// Globex [Hank Mindy]
	// 2 statements, 2 round trips
}

// The best-paid two employees of each company, computed in the database. Acme's John and Lisa
// both earn 200: the primary key cuts the tie, the same way every time.
func ExampleLimitPerParent() {
	ctx := context.Background()
	pool, done := exampleDB(ctx, nil)
	defer done()

	companies, err := Companies.Find(ctx, pool, CompanyID.Asc(),
		loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.LimitPerParent(2, EmployeeSalary.Desc())))
	if err != nil {
		panic(err)
	}
	for _, c := range companies {
		top := "none"
		for i, e := range c.Employees {
			if i == 0 {
				top = ""
			} else {
				top += ", "
			}
			top += fmt.Sprint(e.Name, " ", e.Salary)
		}
		fmt.Printf("%s: %s\n", c.Name, top)
	}
	// Output:
	// Acme: Magnus 300, John 200
	// Globex: Hank 250, Mindy 150
	// Initech: Peter 120, Samir 120
	// Empty: none
}

// What each strategy costs for two levels, companies → employees → addresses: the same graph in
// one statement (Joined), one round trip (Pipelined), or one round trip per level.
func ExampleWith_strategies() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()

	for _, s := range []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined} {
		var companies []*Company
		var err error
		n := tr.Count(func() {
			companies, err = Companies.Find(ctx, pool,
				loadopts.With(CompanyEmployees, s),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), s))
		})
		if err != nil {
			panic(err)
		}
		employees, addresses := 0, 0
		for _, c := range companies {
			employees += len(c.Employees)
			for _, e := range c.Employees {
				addresses += len(e.Addresses)
			}
		}
		fmt.Printf("%-9v %d statement(s), %d round trip(s): %d companies, %d employees, %d addresses\n",
			s, n.Statements, n.RoundTrips, len(companies), employees, addresses)
	}
	// Output:
	// Joined    1 statement(s), 1 round trip(s): 4 companies, 9 employees, 8 addresses
	// SelectIn  3 statement(s), 3 round trip(s): 4 companies, 9 employees, 8 addresses
	// Subquery  3 statement(s), 3 round trip(s): 4 companies, 9 employees, 8 addresses
	// Pipelined 3 statement(s), 1 round trip(s): 4 companies, 9 employees, 8 addresses
}

// exampleDB returns a pool on a database of the example's own with the test model's tables and
// rows, traced by tr (if not nil), and a function that drops it.
func exampleDB(ctx context.Context, tr *repo.Tracer) (*pgxpool.Pool, func()) {
	return pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, DDL); err != nil {
			return err
		}
		return Seed(ctx, c)
	}, func(c *pgxpool.Config) {
		if tr != nil {
			c.ConnConfig.Tracer = tr
		}
	})
}

func employeeNames(es []*Employee) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

// A relation loaded after the fact, shaped in the database: the best-paid employee of each
// company already in memory, in one statement.
func ExampleLoad() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()
	companies, err := Companies.Find(ctx, pool, CompanyID.Le(3), CompanyID.Asc())
	if err != nil {
		panic(err)
	}
	tr.Logger = slog.New(repo.NewEchoHandler(os.Stdout, ""))
	err = loadopts.Load(ctx, pool, CompanyEmployees, companies, loadopts.LimitPerParent(1, EmployeeSalary.Desc()))
	tr.Logger = nil
	if err != nil {
		panic(err)
	}
	for _, c := range companies {
		fmt.Println(c.Name, employeeNames(c.Employees))
	}
	// Output:
	// SELECT c0."id", c0."name", c0."company_id", c0."manager_id", c0."salary" FROM (SELECT c0."id", c0."name", c0."company_id", c0."manager_id", c0."salary", row_number() OVER (PARTITION BY c0."company_id" ORDER BY c0."salary" DESC, c0."id") AS kinship_rn FROM "employees" AS c0 WHERE c0."company_id" = ANY($1)) AS c0 WHERE c0.kinship_rn <= $2 ORDER BY c0.kinship_rn  [{1,2,3}, 1]
	// Acme [Magnus]
	// Globex [Hank]
	// Initech [Peter]
}
