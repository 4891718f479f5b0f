package uow_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"

	. "github.com/kinship-go/kinship/internal/testmodel"
)

// exampleDB returns a pool on a database of the example's own with the test model's tables and
// rows, traced by tr, and a function that drops it.
func exampleDB(ctx context.Context, tr *repo.Tracer) (*pgxpool.Pool, func()) {
	return pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, DDL); err != nil {
			return err
		}
		return Seed(ctx, c)
	}, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
}

// The stale collection that SQLAlchemy users meet, fixed: a company loaded with its two
// employees counts three after adding a third with its company_id, then four.
func Example() {
	ctx := context.Background()
	pool, done := exampleDB(ctx, &repo.Tracer{})
	defer done()

	err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		globex, err := Companies.Get(ctx, s, 2, loadopts.With(CompanyEmployees, loadopts.Joined))
		if err != nil {
			return err
		}
		fmt.Println(len(globex.Employees), "employees")
		for _, name := range []string{"Lisa", "Lisa's friend"} {
			if err := uow.Add(s, Employees, &Employee{Name: name, CompanyID: &globex.ID}); err != nil {
				return err
			}
			fmt.Println(len(globex.Employees), "employees")
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// 2 employees
	// 3 employees
	// 4 employees
	// <nil>
}

// A flush writes a parent and its children in two statements: the parent's generated key
// reaches the children's foreign key in between.
func ExampleSession_Flush() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()

	err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		tr.Logger = slog.New(repo.NewEchoHandler(os.Stdout, ""))
		defer func() { tr.Logger = nil }()
		c := &Company{Name: "Hooli", Employees: []*Employee{{Name: "Gavin"}, {Name: "Richard"}}}
		if err := uow.Add(s, Companies, c); err != nil {
			return err
		}
		if err := s.Flush(ctx); err != nil {
			return err
		}
		fmt.Println("Richard works for company", *c.Employees[1].CompanyID)
		return nil
	})
	fmt.Println(err)
	// Output:
	// batch of 2 statement(s), one round trip:
	//   begin
	//   INSERT INTO "companies" ("name") VALUES ($1) RETURNING "id"  ["Hooli"]
	// batch of 2 statement(s), one round trip:
	//   INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id"  ["Gavin", 5, NULL, 0]
	//   INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id"  ["Richard", 5, NULL, 0]
	// Richard works for company 5
	// <nil>
}

// Within a session there is one instance per row: Get of a key the session holds returns it
// without a query, and a query returns it too, with the changes not yet flushed.
func ExampleRun() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()

	err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		magnus, err := Employees.Get(ctx, s, 1)
		if err != nil {
			return err
		}
		magnus.Salary = 350
		var again *Employee
		n := tr.Count(func() { again, err = Employees.Get(ctx, s, 1) })
		fmt.Println(again == magnus, n.Statements, "statements")
		acme, err := Employees.Find(ctx, s, EmployeeCompanyID.Eq(1), EmployeeSalary.Desc())
		if err != nil {
			return err
		}
		fmt.Println(acme[0] == magnus, acme[0].Salary)
		return nil
	})
	fmt.Println(err)
	// Output:
	// true 0 statements
	// true 350
	// <nil>
}

// Checking declarations at start-up: a Repo over companies declared wrong — a name held in an
// int32, a column the table does not have — is caught, with every other table of the model, by
// one query of the catalog, before any statement runs into it.
func ExampleModel_Verify() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()

	type Company struct {
		ID        int64
		Name      int32 // wrong: the column is text
		Founded   time.Time
		Employees []*Employee
	}
	companyID := repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	repo.MustNew("companies", companyID,
		repo.Col("name", func(c *Company) *int32 { return &c.Name }),
		repo.ColFunc("founded", func(c *Company) *time.Time { return &c.Founded }, time.Time.Equal, nil), // wrong: no such column
	)
	model := uow.MustModel(rel.HasMany(companyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }))

	var err error
	n := tr.Count(func() { err = model.Verify(ctx, pool) })
	fmt.Println(n.RoundTrips, "round trip")
	fmt.Println(errors.Is(err, repo.ErrSchema))
	fmt.Println(err)
	// Output:
	// 1 round trip
	// true
	// repo: schema: 2 mismatches between the declarations and the database:
	// 	companies.name: Go: int32; database: text; fix: declare the field as string, or ALTER TABLE "companies" ALTER COLUMN "name" TYPE integer USING "name"::integer
	// 	companies.founded: Go: time.Time; database: no such column in public.companies; fix: ALTER TABLE "companies" ADD COLUMN "founded" timestamptz, or remove the column from repo.New
}

// ON DELETE RESTRICT: deleting a company that still has employees is refused before any SQL,
// naming the relation and the company, when the session knows the employees.
func Example_restrict() {
	ctx := context.Background()
	pool, done := exampleDB(ctx, &repo.Tracer{})
	defer done()
	staff := rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees },
		rel.Named("Staff"), rel.Cascade(rel.SaveUpdate, rel.Restrict))
	model := uow.MustModel(staff)

	err := uow.Run(ctx, pool, model, func(s *uow.Session) error {
		globex, err := Companies.Get(ctx, s, 2, loadopts.With(staff, loadopts.SelectIn))
		if err != nil {
			return err
		}
		return uow.Delete(s, Companies, globex)
	})
	fmt.Println(errors.Is(err, uow.ErrRestricted))
	fmt.Println(err)
	// Output:
	// true
	// uow.Flush relation Staff, companies key 2: the row still has employees rows (the employees row with key 5) and the relation cascades Restrict: delete them, or move them to another owner, first: uow: restricted: the row still has rows referring to it
}

// Rows that refer to each other in a cycle — two new employees, each the other's manager — go
// in with one foreign key NULL, which an UPDATE after the INSERTs sets (SQLAlchemy's
// post_update).
func Example_cycle() {
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := exampleDB(ctx, tr)
	defer done()

	err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		tr.Logger = slog.New(repo.NewEchoHandler(os.Stdout, ""))
		defer func() { tr.Logger = nil }()
		a, b := &Employee{Name: "A"}, &Employee{Name: "B"}
		a.Manager, b.Manager = b, a
		if err := uow.Add(s, Employees, a); err != nil {
			return err
		}
		return s.Flush(ctx)
	})
	fmt.Println(err)
	// Output:
	// batch of 2 statement(s), one round trip:
	//   begin
	//   INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id"  ["A", NULL, NULL, 0]
	// INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id"  ["B", NULL, 11, 0]
	// batch of 1 statement(s), one round trip:
	//   UPDATE "employees" SET "manager_id" = $1 WHERE "id" = $2  [12, 11]
	// <nil>
}
