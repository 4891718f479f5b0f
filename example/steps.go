package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// ref returns a pointer to id, for a nullable foreign key.
func ref(id int64) *int64 { return &id }

// showModel prints what model.go declares.
func (x *example) showModel(context.Context) error {
	x.printf("tables:\n")
	x.printf("  %s (%s)\n", Companies.Table(), columnNames(Companies))
	x.printf("  %s (%s)\n", Employees.Table(), columnNames(Employees))
	x.printf("relations:\n")
	x.printf("  %s: HasMany, cascades %s\n", CompanyEmployees.Name(), cascades(CompanyEmployees.Cascade()))
	x.printf("  %s: BelongsTo, its inverse\n", EmployeeCompany.Name())
	x.printf("  %s: HasMany, cascades %s (in OwningModel)\n", OwnedEmployees.Name(), cascades(OwnedEmployees.Cascade()))
	return nil
}

func columnNames[T any](r *repo.Repo[T]) string {
	var names []string
	for _, c := range r.Columns() {
		names = append(names, c.Name())
	}
	return strings.Join(names, ", ")
}

func cascades(c rel.Cascades) string {
	var names []string
	for _, f := range []struct {
		flag rel.Cascades
		name string
	}{{rel.SaveUpdate, "SaveUpdate"}, {rel.Delete, "Delete"}, {rel.DeleteOrphan, "DeleteOrphan"}, {rel.PassiveDeletes, "PassiveDeletes"}} {
		if c.Has(f.flag) {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}

// createTables runs the DDL of model.go.
func (x *example) createTables(ctx context.Context) error {
	return x.echo.during(func() error {
		for _, stmt := range DDL {
			if _, err := x.pool.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}

// verify checks the model against the tables (one round trip), then a declaration gone wrong:
// a field of the wrong type, and a column the table does not have.
func (x *example) verify(ctx context.Context) error {
	var err error
	n, _ := x.count(func() error { err = Model.Verify(ctx, x.pool); return nil })
	if err != nil {
		return err
	}
	x.printf("Model.Verify: no mismatch (%d round trip)\n", n.RoundTrips)

	// A drifted declaration: name declared int32, a "founded" column the table never got.
	type drifted struct {
		ID      int64
		Name    int32
		Founded string
	}
	wrong := repo.MustNew("companies",
		repo.Serial("id", func(c *drifted) *int64 { return &c.ID }),
		repo.Col("name", func(c *drifted) *int32 { return &c.Name }),
		repo.Col("founded", func(c *drifted) *string { return &c.Founded }))
	err = wrong.Verify(ctx, x.pool)
	x.printf("A drifted declaration, caught before serving (errors.Is(err, repo.ErrSchema): %v):\n", errors.Is(err, repo.ErrSchema))
	var se *repo.SchemaError
	if !errors.As(err, &se) {
		return fmt.Errorf("the drifted model verified as %v, not a *repo.SchemaError", err)
	}
	for _, m := range se.Mismatches {
		x.printf("  %s.%s: Go says %s; fix: %s\n", m.Table, m.Column, m.Go, m.Fix)
	}
	return nil
}

// insertGraph adds a company with its employees: the session writes the company, reads its
// generated id back, and writes the employees with it, in one INSERT for all of them.
func (x *example) insertGraph(ctx context.Context) error {
	acme := &Company{Name: "Acme", Employees: []*Employee{{Name: "Magnus"}, {Name: "John"}}}
	err := x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			return uow.Add(s, Companies, acme) // SaveUpdate adds the employees too; nothing is sent yet
		})
	})
	if err != nil {
		return err
	}
	x.printf("%s has id %d; ", acme.Name, acme.ID)
	for i, e := range acme.Employees {
		if i > 0 {
			x.printf(", ")
		}
		x.printf("%s has id %d and company_id %d", e.Name, e.ID, *e.CompanyID)
	}
	x.printf("\n")
	return nil
}

// cascades fires everyone at one company without DeleteOrphan, at another with it, and deletes a
// third company, printing the employees table after each.
func (x *example) cascades(ctx context.Context) error {
	err := uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
		return uow.Add(s, Companies,
			&Company{Name: "Initech", Employees: []*Employee{{Name: "Peter"}, {Name: "Milton"}}},
			&Company{Name: "Globex", Employees: []*Employee{{Name: "Hank"}, {Name: "Mindy"}}},
			&Company{Name: "Hooli", Employees: []*Employee{{Name: "Gavin"}, {Name: "Big Head"}}})
	})
	if err != nil {
		return err
	}
	x.printf("Added Initech (2), Globex (3) and Hooli (4), two employees each.\n")
	if err := x.printEmployees(ctx); err != nil {
		return err
	}

	x.printf("\nInitech fires everyone (CompanyEmployees: no DeleteOrphan): the rows stay, company_id NULL.\n")
	err = x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			initech, err := Companies.Get(ctx, s, 2, loadopts.With(CompanyEmployees, loadopts.SelectIn))
			if err != nil {
				return err
			}
			initech.Employees = nil
			return nil
		})
	})
	if err != nil {
		return err
	}
	if err := x.printEmployees(ctx); err != nil {
		return err
	}

	x.printf("\nGlobex fires everyone (OwnedEmployees: DeleteOrphan): the rows are deleted.\n")
	err = x.echo.during(func() error {
		return uow.Run(ctx, x.pool, OwningModel, func(s *uow.Session) error {
			globex, err := Companies.Get(ctx, s, 3, loadopts.With(OwnedEmployees, loadopts.SelectIn))
			if err != nil {
				return err
			}
			globex.Employees = nil
			return nil
		})
	})
	if err != nil {
		return err
	}
	if err := x.printEmployees(ctx); err != nil {
		return err
	}

	x.printf("\nHooli is deleted (CompanyEmployees cascades Delete): its employees are deleted first, by their foreign key: they own nothing that would need them loaded.\n")
	err = x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			hooli, err := Companies.Get(ctx, s, 4)
			if err != nil {
				return err
			}
			return uow.Delete(s, Companies, hooli)
		})
	})
	if err != nil {
		return err
	}
	return x.printEmployees(ctx)
}

// printEmployees prints the employees table, by id.
func (x *example) printEmployees(ctx context.Context) error {
	es, err := Employees.Find(ctx, x.pool, employeeID.Asc())
	if err != nil {
		return err
	}
	x.printf("  employees: id  name      company_id\n")
	for _, e := range es {
		fk := "NULL"
		if e.CompanyID != nil {
			fk = fmt.Sprint(*e.CompanyID)
		}
		x.printf("             %-3d %-9s %s\n", e.ID, e.Name, fk)
	}
	return nil
}

// lazyLoading reaches a company's employees without having loaded them: the session loads them
// on first access, and only then.
func (x *example) lazyLoading(ctx context.Context) error {
	return x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			acme, err := Companies.Get(ctx, s, 1)
			if err != nil {
				return err
			}
			x.printf("Got %s; employees loaded: %v\n", acme.Name, CompanyEmployees.Loaded(acme))
			for _, access := range []string{"first", "second"} {
				var emps []*Employee
				n, err := x.count(func() (err error) {
					emps, err = CompanyEmployees.Of(ctx, s, acme)
					return err
				})
				if err != nil {
					return err
				}
				x.printf("%s access: %s (%d statement(s))\n", access, names(emps), n.Statements)
			}
			return nil
		})
	})
}

// names returns the employees' names by id: a lazy load has no ORDER BY, so sort here.
func names(es []*Employee) string {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b *Employee) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return strings.Join(out, ", ")
}

// staleCollection is the scenario SQLAlchemy users write blog posts about: load a company, add
// an employee with its company_id, count the company's employees. SQLAlchemy counts 3 and 3
// (lazy) or 2 and 2 (joined); the session's fix-up keeps the collection current. Both sessions
// roll back: nothing here stays.
func (x *example) staleCollection(ctx context.Context) error {
	for _, how := range []struct {
		name, sqlalchemy, note string
		opts                   []repo.Option[Company]
	}{
		{"Lazy (the default)", "3, then 3",
			"Add sent nothing; Of flushed Lisa (autoflush), then loaded the collection; Lisa's friend joined it by fix-up.", nil},
		{"Joined eager load", "2, then 2",
			"The collection came with the company; both joined it by fix-up, with nothing sent.",
			[]repo.Option[Company]{loadopts.With(CompanyEmployees, loadopts.Joined)}},
	} {
		x.printf("%s; SQLAlchemy counts %s:\n", how.name, how.sqlalchemy)
		err := x.echo.during(func() error {
			s, err := uow.Begin(ctx, x.pool, Model)
			if err != nil {
				return err
			}
			defer s.Rollback(ctx)
			acme, err := Companies.Get(ctx, s, 1, how.opts...)
			if err != nil {
				return err
			}
			for _, name := range []string{"Lisa", "Lisa's friend"} {
				if err := uow.Add(s, Employees, &Employee{Name: name, CompanyID: ref(1)}); err != nil {
					return err
				}
				emps, err := CompanyEmployees.Of(ctx, s, acme)
				if err != nil {
					return err
				}
				x.printf("after adding %s: %s has %d employees\n", name, acme.Name, len(emps))
			}
			return s.Rollback(ctx)
		})
		if err != nil {
			return err
		}
		x.printf("%s\n", how.note)
	}
	return nil
}

// backPropagation adds an employee by its foreign key alone, and finds it in the company's
// collection in the next unit of work.
func (x *example) backPropagation(ctx context.Context) error {
	var acme *Company
	err := x.echo.during(func() error {
		x.printf("One unit of work adds Lisa with company_id 1:\n")
		err := uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			return uow.Add(s, Employees, &Employee{Name: "Lisa", CompanyID: ref(1)})
		})
		if err != nil {
			return err
		}
		x.printf("The next one loads company 1 with its employees:\n")
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			acme, err = Companies.Get(ctx, s, 1,
				loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.OrderBy(employeeID.Asc())))
			return err
		})
	})
	if err != nil {
		return err
	}
	x.printf("Company %d has the following employees:\n", acme.ID)
	back := true
	for _, e := range acme.Employees {
		x.printf("- %s\n", e.Name)
		back = back && e.Company == acme
	}
	x.printf("Each employee's Company field is that company (EmployeeCompany, the inverse): %v\n", back)
	return nil
}

// nPlusOne loads ten companies and their employees: lazily (the N+1 problem), with Raise (the
// N+1 problem caught), and with three load strategies, counting statements and round trips.
func (x *example) nPlusOne(ctx context.Context) error {
	var branches []*Company
	for i := 1; i <= 10; i++ {
		c := &Company{Name: fmt.Sprintf("Branch %02d", i)}
		for j := 1; j <= 3; j++ {
			c.Employees = append(c.Employees, &Employee{Name: fmt.Sprintf("Clerk %02d-%d", i, j)})
		}
		branches = append(branches, c)
	}
	n, err := x.count(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, branches...) })
	})
	if err != nil {
		return err
	}
	x.printf("Added 10 branches with 3 employees each: %d statements, %d round trips (2 INSERTs, BEGIN with the first, and COMMIT).\n",
		n.Statements, n.RoundTrips)
	findBranches := func(db repo.DB, opts ...repo.Option[Company]) ([]*Company, error) {
		return Companies.Find(ctx, db, append([]repo.Option[Company]{companyName.Like("Branch %"), companyID.Asc()}, opts...)...)
	}

	// Lazy: each company's employees on first access, one statement each.
	n, err = x.count(func() error {
		cs, err := findBranches(x.pool)
		if err != nil {
			return err
		}
		for _, c := range cs { // the N+1 loop
			if _, err := CompanyEmployees.Of(ctx, x.pool, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	x.printf("Lazy      %2d statement(s), %2d round trip(s): the N+1 problem\n", n.Statements, n.RoundTrips)

	// Raise: the same loop is an error at its first access, with nothing sent.
	err = x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			cs, err := findBranches(s, loadopts.With(CompanyEmployees, loadopts.Raise))
			if err != nil {
				return err
			}
			n, err := x.count(func() error {
				_, err := CompanyEmployees.Of(ctx, s, cs[0])
				return err
			})
			if !errors.Is(err, rel.ErrNotLoaded) {
				return fmt.Errorf("want rel.ErrNotLoaded, got %v", err)
			}
			x.printf("Raise: %v (%d statement(s) sent)\n", err, n.Statements)
			return nil
		})
	})
	if err != nil {
		return err
	}

	// The fix: load the employees with the companies. The same call works on a pool, a
	// transaction or a session.
	for _, s := range []loadopts.Strategy{loadopts.SelectIn, loadopts.Joined, loadopts.Pipelined} {
		var cs []*Company
		err := x.echo.during(func() error {
			n, err = x.count(func() (err error) {
				cs, err = findBranches(x.pool, loadopts.With(CompanyEmployees, s))
				return err
			})
			return err
		})
		if err != nil {
			return err
		}
		employees := 0
		for _, c := range cs {
			employees += len(c.Employees)
		}
		x.printf("%-9v %2d statement(s), %2d round trip(s): %d companies, %d employees\n",
			s, n.Statements, n.RoundTrips, len(cs), employees)
	}
	return nil
}

// concurrency shows a lost update prevented by the version column (ErrStale), then a
// serialization failure that Run retries.
func (x *example) concurrency(ctx context.Context) error {
	err := x.echo.during(func() error {
		x.printf("Alice reads company 1:\n")
		alice, err := uow.Begin(ctx, x.pool, Model)
		if err != nil {
			return err
		}
		defer alice.Rollback(ctx)
		acme, err := Companies.Get(ctx, alice, 1)
		if err != nil {
			return err
		}
		x.printf("Bob renames it \"Acme Inc.\" and commits:\n")
		err = uow.Run(ctx, x.pool, Model, func(bob *uow.Session) error {
			acme, err := Companies.Get(ctx, bob, 1)
			if err != nil {
				return err
			}
			acme.Name = "Acme Inc."
			return nil
		})
		if err != nil {
			return err
		}
		x.printf("Alice renames it \"Acme Corp.\" and commits:\n")
		acme.Name = "Acme Corp."
		return alice.Commit(ctx)
	})
	if !errors.Is(err, uow.ErrStale) {
		return fmt.Errorf("want uow.ErrStale, got %v", err)
	}
	x.printf("Alice's commit: %v\nerrors.Is(err, uow.ErrStale): %v (not retried: Alice's program decides)\n",
		err, errors.Is(err, uow.ErrStale))

	x.printf("\nCarol appends \" & Co.\" to the name in a SERIALIZABLE unit of work:\n")
	attempts := 0
	err = x.echo.during(func() error {
		return uow.Run(ctx, x.pool, Model, func(s *uow.Session) error {
			attempts++
			acme, err := Companies.Get(ctx, s, 1)
			if err != nil {
				return err
			}
			if attempts == 1 {
				x.printf("Meanwhile (on her first attempt only) someone else renames it and commits:\n")
				_, err := x.pool.Exec(ctx, `UPDATE companies SET name = 'Acme Holdings', version = version + 1 WHERE id = 1`)
				if err != nil {
					return err
				}
			}
			acme.Name += " & Co."
			return nil
		}, uow.TxOptions(pgx.TxOptions{IsoLevel: pgx.Serializable}))
	})
	if err != nil {
		return err
	}
	acme, err := Companies.Get(ctx, x.pool, 1)
	if err != nil {
		return err
	}
	x.printf("Run called Carol's function %d times: the serialization failure (SQLSTATE 40001) was retried.\n", attempts)
	x.printf("Company 1 is now %q, version %d.\n", acme.Name, acme.Version)
	return nil
}
