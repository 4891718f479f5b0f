// Command ok declares a relation correctly: the harness's control case, which must compile.
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
	Company   *Company
	Skills    []*Skill
}

type Skill struct{ ID int64 }

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	_                 = repo.MustNew("companies", companyID)
	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeCompanyID = repo.Col("company_id", func(e *Employee) *int64 { return &e.CompanyID })
	_                 = repo.MustNew("employees", employeeID, employeeCompanyID)
	skillID           = repo.Serial("id", func(s *Skill) *int64 { return &s.ID })
	_                 = repo.MustNew("skills", skillID)

	companyEmployees = rel.HasMany(companyID, employeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees })
	employeeCompany  = rel.BelongsTo(employeeCompanyID, companyID, func(e *Employee) **Company { return &e.Company })
	employeeSkills   = rel.ManyToMany(employeeID, skillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
		func(e *Employee) *[]*Skill { return &e.Skills })
	_ = rel.Then(companyEmployees, employeeSkills)
	_ = rel.Then(rel.Then(companyEmployees, employeeCompany), companyEmployees)
)

func main() {}
