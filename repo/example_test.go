package repo_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

type Employee struct {
	ID        int64
	Name      string
	CompanyID *int64 // NULL: an employee without a company
}

// Declaring a table: one typed accessor per column, checked by the compiler; predicates are
// built from the columns and carry their values as bind parameters.
func Example_declare() {
	var (
		employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
		employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
		employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
	)
	employees, err := repo.New("employees", employeeID, employeeName, employeeCompanyID)
	if err != nil {
		panic(err)
	}
	fmt.Println(employees.Table(), len(employees.Columns()), "columns")
	fmt.Println(repo.And(employeeCompanyID.Eq(1), employeeName.Like("M%")))
	fmt.Println(repo.Or(employeeCompanyID.IsNull(), employeeID.In(1, 2, 3)))

	// A mistake in the declaration is an error naming the table and column.
	_, err = repo.New("employees", repo.Col("name", func(e *Employee) *string { return &e.Name }))
	fmt.Println(err)
	// Output:
	// employees 3 columns
	// ("company_id" = $1 AND "name" LIKE $2) [1 M%]
	// ("company_id" IS NULL OR "id" = ANY($1)) [[1 2 3]]
	// repo: declare employees: no primary key: declare its column(s) with repo.Key, repo.Serial or repo.Generated
}

// A table whose database owns columns: a default, a generated column and a trigger's
// timestamp. The INSERT sends DEFAULT for the column the row leaves to the database, never
// writes the generated column, and reads all three back.
func ExampleColumn_Default() {
	type Member struct {
		ID     int64
		Name   string
		Active *bool // DEFAULT true; nil leaves it to the database
		Upper  *string
	}
	var (
		memberID     = repo.Serial("id", func(m *Member) *int64 { return &m.ID })
		memberName   = repo.Col("name", func(m *Member) *string { return &m.Name })
		memberActive = repo.Nullable("active", func(m *Member) **bool { return &m.Active }).Default()
		memberUpper  = repo.Nullable("upper_name", func(m *Member) **string { return &m.Upper }).ReadOnly()
		members      = repo.MustNew("members", memberID, memberName, memberActive, memberUpper)
	)
	ctx := context.Background()
	pool, done := pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL,
			active boolean NOT NULL DEFAULT true, upper_name text GENERATED ALWAYS AS (upper(name)) STORED)`)
		return err
	}, func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = &repo.Tracer{Logger: slog.New(repo.NewEchoHandler(os.Stdout, ""))}
	})
	defer done()

	ann, bob := &Member{Name: "ann"}, &Member{Name: "bob", Active: new(bool)}
	if err := members.Insert(ctx, pool, ann, bob); err != nil {
		panic(err)
	}
	fmt.Println(ann.ID, *ann.Active, *ann.Upper)
	fmt.Println(bob.ID, *bob.Active, *bob.Upper)
	// Output:
	// batch of 2 statement(s), one round trip:
	//   INSERT INTO "members" ("name", "active") VALUES ($1, DEFAULT) RETURNING "id", "active", "upper_name"  ["ann"]
	//   INSERT INTO "members" ("name", "active") VALUES ($1, $2) RETURNING "id", "active", "upper_name"  ["bob", false]
	// 1 true ANN
	// 2 false BOB
}

// A report no table holds — headcount and payroll per company — scanned into a struct of its
// own through typed accessors, from SQL built with kinship's names.
func ExampleResult() {
	type Payroll struct {
		Company   string
		Headcount int64
		Total     *int64 // sum() of no rows is NULL
	}
	payrolls := repo.MustResult(
		repo.Col("company", func(p *Payroll) *string { return &p.Company }),
		repo.Col("headcount", func(p *Payroll) *int64 { return &p.Headcount }),
		repo.Nullable("total", func(p *Payroll) **int64 { return &p.Total }))
	ctx := context.Background()
	pool, done := pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL);
			CREATE TABLE employees (id bigserial PRIMARY KEY, company_id bigint REFERENCES companies, salary bigint NOT NULL);
			INSERT INTO companies (name) VALUES ('Acme'), ('Empty');
			INSERT INTO employees (company_id, salary) VALUES (1, 100), (1, 200)`)
		return err
	})
	defer done()

	rows, err := payrolls.Query(ctx, pool, `SELECT c.name AS company, count(e.id) AS headcount, sum(e.salary) AS total
		FROM companies c LEFT JOIN employees e ON e.company_id = c.id GROUP BY c.name ORDER BY c.name`)
	if err != nil {
		panic(err)
	}
	for _, p := range rows {
		total := "none"
		if p.Total != nil {
			total = fmt.Sprint(*p.Total)
		}
		fmt.Println(p.Company, p.Headcount, total)
	}
	// Output:
	// Acme 2 300
	// Empty 0 none
}

// Some columns of a wide row: the key comes along, the other fields stay zero.
func ExampleOnly() {
	type Member struct {
		ID    int64
		Name  string
		Email string
		Bio   string
	}
	var (
		memberID    = repo.Serial("id", func(m *Member) *int64 { return &m.ID })
		memberName  = repo.Col("name", func(m *Member) *string { return &m.Name })
		memberEmail = repo.Col("email", func(m *Member) *string { return &m.Email })
		memberBio   = repo.Col("bio", func(m *Member) *string { return &m.Bio })
		members     = repo.MustNew("members", memberID, memberName, memberEmail, memberBio)
	)
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool, done := pgtest.ExamplePool(ctx, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL, email text NOT NULL, bio text NOT NULL);
			INSERT INTO members (name, email, bio) VALUES ('ann', 'ann@example.com', 'a long story')`)
		return err
	}, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	defer done()

	tr.Logger = slog.New(repo.NewEchoHandler(os.Stdout, ""))
	m, err := members.Get(ctx, pool, 1, repo.Only(memberName))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d %q %q %q\n", m.ID, m.Name, m.Email, m.Bio)
	// Output:
	// SELECT "id", "name" FROM "members" WHERE "id" = $1  [1]
	// 1 "ann" "" ""
}
