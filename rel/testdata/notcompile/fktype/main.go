// Command fktype declares a HasMany whose foreign key (a string) is not of its key's type (int64).
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
	CompanyID string
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *string { return &e.CompanyID })

	_ = rel.HasMany(companyID, employeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees })
)

func main() {}
