package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// The graph of the load and flush benchmarks: companies, their employees, the employees'
// addresses. Each data set lives in a PostgreSQL schema of its own, reached through a pool of its
// own whose search_path names it, so that kinship's unqualified table names and the pgx twins'
// SQL (the same text) read the same tables.

type Company struct {
	ID        int64
	Name      string
	Employees []*Employee
}

type Employee struct {
	ID        int64
	CompanyID int64
	Name      string
	Title     string
	Salary    int32
	Addresses []*Address
}

type Address struct {
	ID         int64
	EmployeeID int64
	City       string
}

// graphDDL creates the tables in the current schema. company_id and employee_id cannot be NULL,
// and cascade on delete (which the PassiveDeletes flush relies on; the others delete children
// themselves first).
const graphDDL = `
CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL) WITH (autovacuum_enabled = off);
CREATE TABLE employees (
	id bigserial PRIMARY KEY,
	company_id bigint NOT NULL REFERENCES companies ON DELETE CASCADE,
	name text NOT NULL,
	title text NOT NULL,
	salary int NOT NULL
) WITH (autovacuum_enabled = off);
CREATE TABLE addresses (
	id bigserial PRIMARY KEY,
	employee_id bigint NOT NULL REFERENCES employees ON DELETE CASCADE,
	city text NOT NULL
) WITH (autovacuum_enabled = off);
`

// graphIndexes are made after the seed rows are in.
const graphIndexes = `
CREATE INDEX ON employees (company_id);
CREATE INDEX ON addresses (employee_id);
`

// The kinship declaration.
var (
	companyID   = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	companyName = repo.Col("name", func(c *Company) *string { return &c.Name })
	Companies   = repo.MustNew("companies", companyID, companyName)

	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *int64 { return &e.CompanyID })
	employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
	employeeTitle     = repo.Col("title", func(e *Employee) *string { return &e.Title })
	employeeSalary    = repo.Col("salary", func(e *Employee) *int32 { return &e.Salary })
	Employees         = repo.MustNew("employees", employeeID, employeeCompanyID, employeeName, employeeTitle, employeeSalary)

	addressID         = repo.Serial("id", func(a *Address) *int64 { return &a.ID })
	addressEmployeeID = repo.Col("employee_id", func(a *Address) *int64 { return &a.EmployeeID })
	addressCity       = repo.Col("city", func(a *Address) *string { return &a.City })
	Addresses         = repo.MustNew("addresses", addressID, addressEmployeeID, addressCity)

	// CompanyEmployees deletes a company's employees with it, loading them first.
	CompanyEmployees = rel.HasMany(companyID, employeeCompanyID,
		func(c *Company) *[]*Employee { return &c.Employees },
		rel.Cascade(rel.All), rel.Named("CompanyEmployees"))
	// CompanyEmployeesPassive fills the same field, and leaves deleting a company's employees to
	// the database's ON DELETE CASCADE.
	CompanyEmployeesPassive = rel.HasMany(companyID, employeeCompanyID,
		func(c *Company) *[]*Employee { return &c.Employees },
		rel.Cascade(rel.All, rel.PassiveDeletes), rel.Named("CompanyEmployeesPassive"))
	EmployeeAddresses = rel.HasMany(employeeID, addressEmployeeID,
		func(e *Employee) *[]*Address { return &e.Addresses },
		rel.Cascade(rel.All), rel.Named("EmployeeAddresses"))

	// The unit-of-work models of the flush benchmarks: one per way of deleting.
	flushModel   = uow.MustModel(CompanyEmployees)
	passiveModel = uow.MustModel(CompanyEmployeesPassive)
)

// schemaPools holds a pool per schema, made on first use; closed by TestMain.
var schemaPools struct {
	sync.Mutex
	m map[string]*pgxpool.Pool
}

// tables is the DDL of a data set's tables: ddl creates them, indexes are made after they are
// filled, then the tables named by list are vacuumed and analyzed.
type tables struct{ ddl, indexes, list string }

// graphTables are the graph's tables.
var graphTables = tables{graphDDL, graphIndexes, "companies, employees, addresses"}

// schemaPool returns the pool on schema, creating the schema with the graph's tables and calling
// fill in it the first time. fill runs with the indexes not yet made; they are made after it, then
// the tables are vacuumed and analyzed. The pool traces with tr, or with tracer if tr is nil, and
// sets the run-time parameters params on each connection.
func schemaPool(tb testing.TB, schema string, tr pgx.QueryTracer, params map[string]string, fill func(ctx context.Context, db *pgxpool.Pool) error) *pgxpool.Pool {
	tb.Helper()
	return tablesPool(tb, schema, graphTables, tr, params, fill)
}

// tablesPool is schemaPool for the tables ts rather than the graph's.
func tablesPool(tb testing.TB, schema string, ts tables, tr pgx.QueryTracer, params map[string]string, fill func(ctx context.Context, db *pgxpool.Pool) error) *pgxpool.Pool {
	tb.Helper()
	schemaPools.Lock()
	defer schemaPools.Unlock()
	if p, ok := schemaPools.m[schema]; ok {
		return p
	}
	ctx := context.Background()
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+quoted); err != nil {
		tb.Fatal(err)
	}
	cfg := pool.Config()
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if tr != nil {
		cfg.ConnConfig.Tracer = tr
	}
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.Exec(ctx, ts.ddl); err != nil {
		p.Close()
		tb.Fatal(err)
	}
	if fill != nil {
		if err := fill(ctx, p); err != nil {
			p.Close()
			tb.Fatalf("filling schema %s: %v", schema, err)
		}
	}
	for _, sql := range []string{ts.indexes, "VACUUM ANALYZE " + ts.list} {
		if _, err := p.Exec(ctx, sql); err != nil {
			p.Close()
			tb.Fatal(err)
		}
	}
	if schemaPools.m == nil {
		schemaPools.m = map[string]*pgxpool.Pool{}
	}
	schemaPools.m[schema] = p
	return p
}

// closeSchemaPools closes the pools schemaPool made.
func closeSchemaPools() {
	schemaPools.Lock()
	defer schemaPools.Unlock()
	for _, p := range schemaPools.m {
		p.Close()
	}
	schemaPools.m = nil
}

// Seed sizes: every load data set has maxParents companies; a data set with children=M gives
// each M employees; the two-level data set (M = twoLevelChildren) gives each employee
// twoLevelAddresses addresses.
const (
	maxParents        = 1000
	twoLevelChildren  = 10
	twoLevelAddresses = 5
)

// loadParams are the settings of the load benchmarks' connections. The data sets are small and
// always in memory, as on a server with SSDs and enough RAM, whose usual setting of
// random_page_cost (1.1) they take. With PostgreSQL's default (4, for spinning disks) the
// planner reads the whole employees table (Seq Scan and Hash Join) rather than its index on
// company_id for the statements of Joined, Subquery and Pipelined that select 100 of the 1,000
// companies, which at children=10 takes 1.2 ms instead of 0.3 ms on the server (EXPLAIN
// ANALYZE), for kinship and its pgx twin alike, and hides what the strategies cost.
var loadParams = map[string]string{"random_page_cost": "1.1"}

// loadData returns the pool on the data set of maxParents companies with m employees each (and
// twoLevelAddresses addresses per employee when m is twoLevelChildren). Employees are inserted
// company by company; salaries are spread so that a company's top earners are not its first
// employees.
func loadData(tb testing.TB, m int) *pgxpool.Pool {
	tb.Helper()
	return schemaPool(tb, fmt.Sprintf("load_m%d", m), nil, loadParams, func(ctx context.Context, db *pgxpool.Pool) error {
		sql := []string{fmt.Sprintf(`INSERT INTO companies (name) SELECT 'Company ' || c FROM generate_series(1, %d) c`, maxParents)}
		if m > 0 {
			sql = append(sql, fmt.Sprintf(`INSERT INTO employees (company_id, name, title, salary)
				SELECT c, 'Employee ' || c || '-' || j, 'Engineer ' || (j %% 7), (c * 7919 + j * 104729) %% 100000
				FROM generate_series(1, %d) c, generate_series(1, %d) j ORDER BY c, j`, maxParents, m))
		}
		if m == twoLevelChildren {
			sql = append(sql, fmt.Sprintf(`INSERT INTO addresses (employee_id, city)
				SELECT e.id, 'City ' || k FROM employees e, generate_series(1, %d) k ORDER BY e.id, k`, twoLevelAddresses))
		}
		_, err := db.Exec(ctx, strings.Join(sql, ";\n"))
		return err
	})
}
