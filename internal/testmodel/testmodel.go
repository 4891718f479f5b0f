// Package testmodel is the schema the tests of rel, loadopts and uow share: companies, their
// employees (with managers, addresses and skills) and their profiles, declared with repo and rel.
package testmodel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"

	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

type Company struct {
	ID        int64
	Name      string
	Employees []*Employee
	Profile   *Profile
}

type Employee struct {
	ID        int64
	Name      string
	CompanyID *int64
	ManagerID *int64
	Salary    int32
	Company   *Company
	Manager   *Employee
	Reports   []*Employee
	Addresses []*Address
	Skills    []*Skill
}

type Address struct {
	ID         int64
	EmployeeID int64
	City       string
}

type Skill struct {
	ID        int64
	Name      string
	Employees []*Employee
}

type Profile struct {
	ID        int64
	CompanyID int64
	Motto     string
}

// DDL creates the tables.
const DDL = `
CREATE TABLE companies (id bigserial PRIMARY KEY, name text COLLATE "C" NOT NULL);
CREATE TABLE employees (
	id bigserial PRIMARY KEY,
	name text COLLATE "C" NOT NULL,
	company_id bigint REFERENCES companies ON DELETE CASCADE,
	manager_id bigint REFERENCES employees,
	salary integer NOT NULL DEFAULT 0
);
CREATE INDEX ON employees (company_id);
CREATE INDEX ON employees (manager_id);
CREATE TABLE addresses (id bigserial PRIMARY KEY, employee_id bigint NOT NULL REFERENCES employees ON DELETE CASCADE, city text COLLATE "C" NOT NULL);
CREATE INDEX ON addresses (employee_id);
CREATE TABLE skills (id bigserial PRIMARY KEY, name text COLLATE "C" NOT NULL);
CREATE TABLE employee_skills (
	employee_id bigint NOT NULL REFERENCES employees ON DELETE CASCADE,
	skill_id bigint NOT NULL REFERENCES skills ON DELETE CASCADE,
	PRIMARY KEY (employee_id, skill_id)
);
CREATE TABLE profiles (id bigserial PRIMARY KEY, company_id bigint NOT NULL UNIQUE REFERENCES companies ON DELETE CASCADE, motto text NOT NULL);
`

var (
	CompanyID   = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	CompanyName = repo.Col("name", func(c *Company) *string { return &c.Name })
	Companies   = repo.MustNew("companies", CompanyID, CompanyName)

	EmployeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	EmployeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
	EmployeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
	EmployeeManagerID = repo.Nullable("manager_id", func(e *Employee) **int64 { return &e.ManagerID })
	EmployeeSalary    = repo.Col("salary", func(e *Employee) *int32 { return &e.Salary })
	Employees         = repo.MustNew("employees", EmployeeID, EmployeeName, EmployeeCompanyID, EmployeeManagerID, EmployeeSalary)

	AddressID         = repo.Serial("id", func(a *Address) *int64 { return &a.ID })
	AddressEmployeeID = repo.Col("employee_id", func(a *Address) *int64 { return &a.EmployeeID })
	AddressCity       = repo.Col("city", func(a *Address) *string { return &a.City })
	Addresses         = repo.MustNew("addresses", AddressID, AddressEmployeeID, AddressCity)

	SkillID   = repo.Serial("id", func(s *Skill) *int64 { return &s.ID })
	SkillName = repo.Col("name", func(s *Skill) *string { return &s.Name })
	Skills    = repo.MustNew("skills", SkillID, SkillName)

	ProfileID        = repo.Serial("id", func(p *Profile) *int64 { return &p.ID })
	ProfileCompanyID = repo.Col("company_id", func(p *Profile) *int64 { return &p.CompanyID })
	ProfileMotto     = repo.Col("motto", func(p *Profile) *string { return &p.Motto })
	Profiles         = repo.MustNew("profiles", ProfileID, ProfileCompanyID, ProfileMotto)

	CompanyEmployees  = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("CompanyEmployees"))
	EmployeeCompany   = rel.BelongsTo(EmployeeCompanyID, CompanyID, func(e *Employee) **Company { return &e.Company }, rel.Named("EmployeeCompany"))
	EmployeeManager   = rel.BelongsTo(EmployeeManagerID, EmployeeID, func(e *Employee) **Employee { return &e.Manager }, rel.Named("EmployeeManager"))
	EmployeeReports   = rel.HasMany(EmployeeID, EmployeeManagerID, func(e *Employee) *[]*Employee { return &e.Reports }, rel.Named("EmployeeReports"))
	EmployeeAddresses = rel.HasMany(EmployeeID, AddressEmployeeID, func(e *Employee) *[]*Address { return &e.Addresses }, rel.Named("EmployeeAddresses"))
	EmployeeSkills    = rel.ManyToMany(EmployeeID, SkillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
		func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("EmployeeSkills"))
	SkillEmployees = rel.ManyToMany(SkillID, EmployeeID, rel.Through{Table: "employee_skills", From: "skill_id", To: "employee_id"},
		func(s *Skill) *[]*Employee { return &s.Employees }, rel.Named("SkillEmployees"))
	CompanyProfile = rel.HasOne(CompanyID, ProfileCompanyID, func(c *Company) **Profile { return &c.Profile }, rel.Named("CompanyProfile"))
)

// Seed writes a small graph with every edge case: a company with no employees, an employee with
// no company, managers two levels deep, employees with no address, shared skills, a company
// without a profile.
func Seed(ctx context.Context, db repo.DB) error {
	_, err := db.Exec(ctx, `
INSERT INTO companies (name) VALUES ('Acme'), ('Globex'), ('Initech'), ('Empty');
INSERT INTO employees (name, company_id, manager_id, salary) VALUES
	('Magnus', 1, NULL, 300), ('John', 1, 1, 200), ('Lisa', 1, 1, 200), ('Ann', 1, 2, 100),
	('Hank', 2, NULL, 250), ('Mindy', 2, 5, 150),
	('Peter', 3, NULL, 120), ('Milton', 3, 7, 90), ('Samir', 3, 7, 120),
	('Drifter', NULL, NULL, 10);
INSERT INTO addresses (employee_id, city) VALUES
	(1, 'Oslo'), (1, 'Bergen'), (2, 'Paris'), (4, 'Rome'), (5, 'Springfield'), (7, 'Austin'), (7, 'Dallas'), (9, 'Austin');
INSERT INTO skills (name) VALUES ('go'), ('sql'), ('chess'), ('unused');
INSERT INTO employee_skills VALUES (1, 1), (1, 2), (2, 1), (3, 2), (3, 3), (5, 1), (7, 2), (8, 3), (10, 3);
INSERT INTO profiles (company_id, motto) VALUES (1, 'Make things'), (3, 'TPS reports');
`)
	return err
}

// Render prints a graph reached from roots as text, children sorted by ID, so that two loads of
// the same data compare equal whatever order they came in. Unloaded relations print as "?".
func Render(companies []*Company) string {
	var b strings.Builder
	for _, c := range sortByID(companies, func(c *Company) int64 { return c.ID }) {
		fmt.Fprintf(&b, "company %d %s profile=%s\n", c.ID, c.Name, renderProfile(c.Profile))
		if c.Employees == nil {
			b.WriteString("  employees ?\n")
			continue
		}
		for _, e := range sortByID(c.Employees, func(e *Employee) int64 { return e.ID }) {
			b.WriteString("  " + RenderEmployee(e) + "\n")
		}
	}
	return b.String()
}

// RenderEmployee prints one employee and what it holds.
func RenderEmployee(e *Employee) string {
	s := fmt.Sprintf("employee %d %s company=%s manager=%s", e.ID, e.Name, ptrID(e.CompanyID), ptrID(e.ManagerID))
	if e.Addresses != nil {
		var cities []string
		for _, a := range sortByID(e.Addresses, func(a *Address) int64 { return a.ID }) {
			cities = append(cities, a.City)
		}
		s += " addresses=[" + strings.Join(cities, ",") + "]"
	}
	if e.Skills != nil {
		var names []string
		for _, k := range sortByID(e.Skills, func(k *Skill) int64 { return k.ID }) {
			names = append(names, k.Name)
		}
		s += " skills=[" + strings.Join(names, ",") + "]"
	}
	if e.Reports != nil {
		var names []string
		for _, r := range sortByID(e.Reports, func(r *Employee) int64 { return r.ID }) {
			names = append(names, r.Name)
		}
		s += " reports=[" + strings.Join(names, ",") + "]"
	}
	if e.Manager != nil {
		s += " managerName=" + e.Manager.Name
	}
	if e.Company != nil {
		s += " companyName=" + e.Company.Name
	}
	return s
}

func renderProfile(p *Profile) string {
	if p == nil {
		return "-"
	}
	return p.Motto
}

func ptrID(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

func sortByID[T any](xs []*T, id func(*T) int64) []*T {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b *T) int { return int(id(a) - id(b)) })
	return out
}

// Seeded returns a pool on a database of the test's own (see pgtest.NewPool) holding the
// model's tables and Seed's rows, and the tracer that counts the statements sent through it.
func Seeded(t testing.TB) (*pgxpool.Pool, *repo.Tracer) {
	t.Helper()
	ctx := context.Background()
	tr := &repo.Tracer{}
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	if _, err := pool.Exec(ctx, DDL); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool, tr
}
