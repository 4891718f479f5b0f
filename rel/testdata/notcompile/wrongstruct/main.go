// Command wrongstruct gives a HasMany of companies a collection accessor on Employee, not Company.
package main

import (
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

type Company struct {
	ID        int64
	Employees []*Employee
}

type Employee struct {
	ID        int64
	CompanyID int64
	Reports   []*Employee
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *int64 { return &e.CompanyID })

	_ = rel.HasMany(companyID, employeeCompanyID, func(e *Employee) *[]*Employee { return &e.Reports })
)

func main() {}
