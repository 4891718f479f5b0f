// Command modelpart gives uow.NewModel something that is not a relation — a table's name — which
// compiled when NewModel took ...any, and failed only when it ran.
package main

import (
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

type Company struct {
	ID        int64
	Employees []*Employee
}

type Employee struct {
	ID        int64
	CompanyID int64
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	_                 = repo.MustNew("companies", companyID)
	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *int64 { return &e.CompanyID })
	_                 = repo.MustNew("employees", employeeID, employeeCompanyID)

	companyEmployees = rel.HasMany(companyID, employeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees })
	_, _             = uow.NewModel(companyEmployees, "employees")
)

func main() {}
