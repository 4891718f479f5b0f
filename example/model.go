package main

import (
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// The model: two tables and the relations between them, declared once, in Go. Each column is a
// typed accessor, a function from the struct to its field, so there are no struct tags and no
// reflection: a column of another table's struct, or a foreign key of another type than the key
// it refers to, does not compile.

// Company is a row of companies.
type Company struct {
	ID        int64
	Name      string
	Version   int32       // optimistic concurrency: every UPDATE checks it and adds one
	Employees []*Employee // CompanyEmployees: nil until loaded, then a non-nil slice
}

// Employee is a row of employees.
type Employee struct {
	ID        int64
	Name      string
	CompanyID *int64   // NULL: an employee without a company
	Company   *Company // EmployeeCompany: set when loaded, or by the session's fix-up
}

var (
	companyID      = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	companyName    = repo.Col("name", func(c *Company) *string { return &c.Name })
	companyVersion = repo.Version("version", func(c *Company) *int32 { return &c.Version })
	Companies      = repo.MustNew("companies", companyID, companyName, companyVersion)

	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
	employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
	Employees         = repo.MustNew("employees", employeeID, employeeName, employeeCompanyID)

	// CompanyEmployees is a company's employees. Adding a company to a session adds its
	// employees (SaveUpdate); deleting it deletes them (Delete). An employee taken out of the
	// collection stays, with company_id set NULL: there is no DeleteOrphan.
	CompanyEmployees = rel.HasMany(companyID, employeeCompanyID,
		func(c *Company) *[]*Employee { return &c.Employees },
		rel.Named("CompanyEmployees"), rel.Cascade(rel.All))

	// EmployeeCompany is an employee's company. Declared over the same foreign key as
	// CompanyEmployees, it is that relation's inverse (SQLAlchemy's back_populates): a session
	// keeps the collection, the foreign key and this field in step.
	EmployeeCompany = rel.BelongsTo(employeeCompanyID, companyID,
		func(e *Employee) **Company { return &e.Company },
		rel.Named("EmployeeCompany"))

	// Model is what a unit of work knows: the relations, and the Repos they join.
	Model = uow.MustModel(CompanyEmployees, EmployeeCompany)

	// OwnedEmployees is the same collection declared as owning its rows: an employee taken out
	// of it is deleted (DeleteOrphan). A model holds one relation per field, so it has a model
	// of its own.
	OwnedEmployees = rel.HasMany(companyID, employeeCompanyID,
		func(c *Company) *[]*Employee { return &c.Employees },
		rel.Named("OwnedEmployees"), rel.Cascade(rel.All, rel.DeleteOrphan))
	OwningModel = uow.MustModel(OwnedEmployees, EmployeeCompany)
)

// DDL creates the tables: plain SQL, as a migration tool would run it. kinship does not create
// or alter tables.
var DDL = []string{
	`CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL, version integer NOT NULL DEFAULT 0)`,
	`CREATE TABLE employees (id bigserial PRIMARY KEY, name text NOT NULL, company_id bigint REFERENCES companies)`,
	`CREATE INDEX ON employees (company_id)`,
}
