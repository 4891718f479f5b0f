// Command keytype looks a row up by a key of the wrong type: a string for an int64 key.
package main

import (
	"context"

	"github.com/kinship-go/kinship/repo"
)

type Company struct{ ID int64 }

var (
	companyID = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	_         = repo.MustNew("companies", companyID)
)

func main() {
	var db repo.DB
	_, _ = repo.GetBy(context.Background(), db, companyID, "3")
}
