// Package reliability holds the long-running proofs that kinship loses no data: model-based
// tests with pgregory.net/rapid. It is a module of its own so that rapid never enters the
// library's dependencies. Run longer with -rapid.checks=N.
package reliability

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type Company struct {
	ID        int64
	Name      string
	Employees []*Employee
}

type Employee struct {
	ID        int64
	Name      string
	CompanyID *int64
	Company   *Company
	Skills    []*Skill
}

type Skill struct {
	ID   int64
	Name string
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	companyName       = repo.Col("name", func(c *Company) *string { return &c.Name })
	Companies         = repo.MustNew("companies", companyID, companyName)
	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
	employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
	Employees         = repo.MustNew("employees", employeeID, employeeName, employeeCompanyID)

	skillID   = repo.Serial("id", func(s *Skill) *int64 { return &s.ID })
	skillName = repo.Col("name", func(s *Skill) *string { return &s.Name })
	Skills    = repo.MustNew("skills", skillID, skillName)
	Knows     = rel.ManyToMany(employeeID, skillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
		func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("Knows"))

	coll = func(c *Company) *[]*Employee { return &c.Employees }
	// Keeping: a fired employee stays, without a company. Owning: a fired employee is deleted.
	Keeping = rel.HasMany(companyID, employeeCompanyID, coll, rel.Named("Keeping"), rel.Cascade(rel.All))
	Owning  = rel.HasMany(companyID, employeeCompanyID, coll, rel.Named("Owning"), rel.Cascade(rel.All, rel.DeleteOrphan))
	Back    = rel.BelongsTo(employeeCompanyID, companyID, func(e *Employee) **Company { return &e.Company }, rel.Named("Back"))
	models  = map[*rel.Many[Company, Employee]]*uow.Model{Keeping: uow.MustModel(Keeping, Back, Knows), Owning: uow.MustModel(Owning, Back, Knows)}
)

const ddl = `
CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE employees (id bigserial PRIMARY KEY, name text NOT NULL, company_id bigint REFERENCES companies);
CREATE TABLE skills (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE employee_skills (employee_id bigint NOT NULL REFERENCES employees, skill_id bigint NOT NULL REFERENCES skills, PRIMARY KEY (employee_id, skill_id));`

// world is what the database must hold: employee id → (name, company id or 0), company id → name.
type world struct {
	companies map[int64]string
	employees map[int64]staff
	skills    map[int64]string
	knows     map[[2]int64]bool // (employee, skill)
}

// forget drops the links of an employee deleted.
func (w *world) forget(employee int64) {
	for k := range w.knows {
		if k[0] == employee {
			delete(w.knows, k)
		}
	}
}

type staff struct {
	name    string
	company int64 // 0: none
}

var strategies = []loadopts.Strategy{loadopts.Lazy, loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined}

// TestUnitOfWorkAgainstAModel runs random sequences of units of work — add a company with
// employees, hire, move an employee by one of the three mechanisms, fire (with and without
// DeleteOrphan), rename, delete a company — each committed or rolled back, loading with a random
// strategy, and after each compares the database and a fresh session's loaded graph with a plain
// model of what they must hold.
func TestUnitOfWorkAgainstAModel(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	rapid.Check(t, func(rt *rapid.T) {
		_, err := pool.Exec(ctx, `DROP TABLE IF EXISTS employee_skills, skills, employees, companies;`+ddl)
		if err != nil {
			rt.Fatal(err)
		}
		w := &world{companies: map[int64]string{}, employees: map[int64]staff{}, skills: map[int64]string{}, knows: map[[2]int64]bool{}}
		names := rapid.StringMatching(`[a-z]{1,6}`)
		rt.Repeat(map[string]func(*rapid.T){
			"add company": func(rt *rapid.T) {
				c := &Company{Name: names.Draw(rt, "company")}
				for range rapid.IntRange(0, 3).Draw(rt, "staff") {
					c.Employees = append(c.Employees, &Employee{Name: names.Draw(rt, "employee")})
				}
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
				check(rt, err, commit)
				if commit {
					w.companies[c.ID] = c.Name
					for _, e := range c.Employees {
						w.employees[e.ID] = staff{e.Name, c.ID}
					}
				}
			},
			"hire by foreign key": func(rt *rapid.T) {
				cid := pick(rt, w.companies, "company")
				e := &Employee{Name: names.Draw(rt, "employee")}
				if cid != 0 {
					e.CompanyID = &cid
				}
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					if cid != 0 {
						c, err := Companies.Get(ctx, s, cid, loadopts.With(Keeping, draw(rt)))
						if err != nil {
							return err
						}
						n := len(c.Employees)
						if err := uow.Add(s, Employees, e); err != nil {
							return err
						}
						if c.Employees != nil && len(c.Employees) != n+1 {
							return fmt.Errorf("fix-up: %d employees after adding one to %d", len(c.Employees), n)
						}
					}
					return uow.Add(s, Employees, e)
				})
				check(rt, err, commit)
				if commit {
					w.employees[e.ID] = staff{e.Name, cid}
				}
			},
			"move": func(rt *rapid.T) {
				eid, to := pick(rt, w.employees, "employee"), pick(rt, w.companies, "to")
				if eid == 0 || to == 0 {
					rt.Skip("nobody to move")
				}
				how := rapid.SampledFrom([]string{"collection", "belongs-to", "foreign key"}).Draw(rt, "how")
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					e, err := Employees.Get(ctx, s, eid)
					if err != nil {
						return err
					}
					c, err := Companies.Get(ctx, s, to, loadopts.With(Keeping, draw(rt)))
					if err != nil {
						return err
					}
					switch how {
					case "collection":
						if _, err := Keeping.Of(ctx, s, c); err != nil {
							return err
						}
						c.Employees = append(c.Employees, e)
					case "belongs-to":
						e.Company = c
					default:
						e.CompanyID = &to
					}
					return s.Flush(ctx)
				})
				check(rt, err, commit)
				if commit {
					w.employees[eid] = staff{w.employees[eid].name, to}
				}
			},
			"fire everyone": func(rt *rapid.T) {
				cid := pick(rt, w.companies, "company")
				if cid == 0 {
					rt.Skip("no company")
				}
				r := rapid.SampledFrom([]*rel.Many[Company, Employee]{Keeping, Owning}).Draw(rt, "relation")
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[r], commit, func(s *uow.Session) error {
					c, err := Companies.Get(ctx, s, cid, loadopts.With(r, eagerDraw(rt)))
					if err != nil {
						return err
					}
					c.Employees = nil
					return nil
				})
				check(rt, err, commit)
				if commit {
					for id, e := range w.employees {
						if e.company == cid {
							if r == Owning {
								delete(w.employees, id)
								w.forget(id)
							} else {
								w.employees[id] = staff{e.name, 0}
							}
						}
					}
				}
			},
			"rename": func(rt *rapid.T) {
				eid := pick(rt, w.employees, "employee")
				if eid == 0 {
					rt.Skip("nobody")
				}
				name := names.Draw(rt, "name")
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					e, err := Employees.Get(ctx, s, eid)
					if err != nil {
						return err
					}
					e.Name = name
					return nil
				})
				check(rt, err, commit)
				if commit {
					w.employees[eid] = staff{name, w.employees[eid].company}
				}
			},
			"delete company": func(rt *rapid.T) {
				cid := pick(rt, w.companies, "company")
				if cid == 0 {
					rt.Skip("no company")
				}
				commit := rapid.Bool().Draw(rt, "commit")
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					c, err := Companies.Get(ctx, s, cid)
					if err != nil {
						return err
					}
					return uow.Delete(s, Companies, c)
				})
				check(rt, err, commit)
				if commit {
					delete(w.companies, cid)
					for id, e := range w.employees {
						if e.company == cid {
							delete(w.employees, id) // Keeping cascades Delete
							w.forget(id)
						}
					}
				}
			},
			"learn a skill": func(rt *rapid.T) {
				eid := pick(rt, w.employees, "employee")
				if eid == 0 {
					rt.Skip("nobody")
				}
				sid := pick(rt, w.skills, "skill")
				commit := rapid.Bool().Draw(rt, "commit")
				var k *Skill
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					e, err := Employees.Get(ctx, s, eid, loadopts.With(Knows, eagerDraw(rt)))
					if err != nil {
						return err
					}
					if sid == 0 {
						k = &Skill{Name: names.Draw(rt, "skill name")}
					} else if k, err = Skills.Get(ctx, s, sid); err != nil {
						return err
					}
					for _, x := range e.Skills {
						if x == k {
							return nil
						}
					}
					e.Skills = append(e.Skills, k)
					return nil
				})
				check(rt, err, commit)
				if commit {
					w.skills[k.ID] = k.Name
					w.knows[[2]int64{eid, k.ID}] = true
				}
			},
			"forget a skill": func(rt *rapid.T) {
				eid := pick(rt, w.employees, "employee")
				if eid == 0 {
					rt.Skip("nobody")
				}
				commit := rapid.Bool().Draw(rt, "commit")
				var dropped int64
				err := run(ctx, pool, models[Keeping], commit, func(s *uow.Session) error {
					e, err := Employees.Get(ctx, s, eid, loadopts.With(Knows, eagerDraw(rt)))
					if err != nil || len(e.Skills) == 0 {
						return err
					}
					i := rapid.IntRange(0, len(e.Skills)-1).Draw(rt, "which")
					dropped = e.Skills[i].ID
					e.Skills = append(e.Skills[:i:i], e.Skills[i+1:]...)
					return nil
				})
				check(rt, err, commit)
				if commit && dropped != 0 {
					delete(w.knows, [2]int64{eid, dropped})
				}
			},
			"": func(rt *rapid.T) { compare(ctx, rt, pool, w) },
		})
	})
}

var errRollback = errors.New("roll back")

// run runs fn in a unit of work that commits, or that rolls back if commit is false.
func run(ctx context.Context, pool *pgxpool.Pool, m *uow.Model, commit bool, fn func(*uow.Session) error) error {
	err := uow.Run(ctx, pool, m, func(s *uow.Session) error {
		if err := fn(s); err != nil {
			return err
		}
		if !commit {
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

func check(rt *rapid.T, err error, _ bool) {
	if err != nil {
		rt.Fatal(err)
	}
}

func pick[V any](rt *rapid.T, m map[int64]V, label string) int64 {
	if len(m) == 0 {
		return 0
	}
	keys := slices.Sorted(maps.Keys(m))
	return rapid.SampledFrom(append([]int64{0}, keys...)).Draw(rt, label)
}

func draw(rt *rapid.T) loadopts.Strategy { return rapid.SampledFrom(strategies).Draw(rt, "strategy") }

func eagerDraw(rt *rapid.T) loadopts.Strategy {
	return rapid.SampledFrom(strategies[1:]).Draw(rt, "strategy")
}

// compare checks that the database, read plainly and through a fresh session's loaded graph,
// holds what the model says.
func compare(ctx context.Context, rt *rapid.T, pool *pgxpool.Pool, w *world) {
	cs, err := Companies.Find(ctx, pool, loadopts.With(Keeping, eagerDraw(rt)))
	if err != nil {
		rt.Fatal(err)
	}
	gotC := map[int64]string{}
	gotE := map[int64]staff{}
	for _, c := range cs {
		gotC[c.ID] = c.Name
		for _, e := range c.Employees {
			gotE[e.ID] = staff{e.Name, c.ID}
		}
	}
	loose, err := Employees.Find(ctx, pool, employeeCompanyID.IsNull())
	if err != nil {
		rt.Fatal(err)
	}
	for _, e := range loose {
		gotE[e.ID] = staff{e.Name, 0}
	}
	if !maps.Equal(gotC, w.companies) {
		rt.Fatalf("companies: database %v, model %v", gotC, w.companies)
	}
	if !maps.Equal(gotE, w.employees) {
		rt.Fatalf("employees: database %v, model %v", gotE, w.employees)
	}
	es, err := Employees.Find(ctx, pool, loadopts.With(Knows, eagerDraw(rt)))
	if err != nil {
		rt.Fatal(err)
	}
	gotK := map[[2]int64]bool{}
	for _, e := range es {
		for _, k := range e.Skills {
			gotK[[2]int64{e.ID, k.ID}] = true
			if k.Name != w.skills[k.ID] {
				rt.Fatalf("skill %d: database %q, model %q", k.ID, k.Name, w.skills[k.ID])
			}
		}
	}
	if !maps.Equal(gotK, w.knows) {
		rt.Fatalf("links: database %v, model %v", gotK, w.knows)
	}
}
