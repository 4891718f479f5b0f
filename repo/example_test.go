package repo_test

import (
	"fmt"

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
