// Command pathchain joins two relations that do not chain: companies→employees, then
// skills→employees (a path from employees must start at Employee, not Skill).
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
}

type Skill struct {
	ID        int64
	Employees []*Employee
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *int64 { return &e.CompanyID })
	skillID           = repo.Serial("id", func(s *Skill) *int64 { return &s.ID })

	companyEmployees = rel.HasMany(companyID, employeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees })
	skillEmployees   = rel.ManyToMany(skillID, employeeID, rel.Through{Table: "employee_skills", From: "skill_id", To: "employee_id"},
		func(s *Skill) *[]*Employee { return &s.Employees })

	_ = rel.Then(companyEmployees, skillEmployees)
)

func main() {}
