package loadopts_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/georgysavva/scany/v2/pgxscan"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

var eager = []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined}

// oracle builds the expected graph of companies, employees, addresses, skills and profiles from
// plain SQL scanned by scany into flat structs: an independent reading of the same rows.
func oracle(t *testing.T, db pgxscan.Querier) string {
	ctx := context.Background()
	type company struct {
		ID   int64
		Name string
	}
	type employee struct {
		ID                   int64
		Name                 string
		CompanyID, ManagerID *int64
		Salary               int32
	}
	type link struct{ EmployeeID, SkillID int64 }
	var cs []company
	var es []employee
	var as []Address
	var links []link
	var ks []Skill
	var ps []Profile
	for _, q := range []struct {
		dst any
		sql string
	}{
		{&cs, `SELECT id, name FROM companies`},
		{&es, `SELECT id, name, company_id, manager_id, salary FROM employees`},
		{&as, `SELECT id, employee_id, city FROM addresses`},
		{&links, `SELECT employee_id, skill_id FROM employee_skills`},
		{&ks, `SELECT id, name FROM skills`},
		{&ps, `SELECT id, company_id, motto FROM profiles`},
	} {
		require.NoError(t, pgxscan.Select(ctx, db, q.dst, q.sql))
	}
	skill := map[int64]*Skill{}
	for i := range ks {
		skill[ks[i].ID] = &ks[i]
	}
	var out []*Company
	for _, c := range cs {
		company := &Company{ID: c.ID, Name: c.Name, Employees: []*Employee{}}
		for _, e := range es {
			if e.CompanyID == nil || *e.CompanyID != c.ID {
				continue
			}
			emp := &Employee{ID: e.ID, Name: e.Name, CompanyID: e.CompanyID, ManagerID: e.ManagerID, Salary: e.Salary,
				Addresses: []*Address{}, Skills: []*Skill{}}
			for i := range as {
				if as[i].EmployeeID == e.ID {
					emp.Addresses = append(emp.Addresses, &as[i])
				}
			}
			for _, l := range links {
				if l.EmployeeID == e.ID {
					emp.Skills = append(emp.Skills, skill[l.SkillID])
				}
			}
			company.Employees = append(company.Employees, emp)
		}
		for i := range ps {
			if ps[i].CompanyID == c.ID {
				company.Profile = &ps[i]
			}
		}
		out = append(out, company)
	}
	return Render(out)
}

// TestEveryStrategyLoadsTheSameGraph loads companies → employees → (addresses, skills) and
// companies → profile with every combination of eager strategies on the levels, and compares
// each graph with the oracle.
func TestEveryStrategyLoadsTheSameGraph(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	want := oracle(t, pool)
	for _, top := range eager {
		for _, below := range eager {
			t.Run(fmt.Sprintf("%v/%v", top, below), func(t *testing.T) {
				t.Parallel()
				cs, err := Companies.Find(ctx, pool,
					loadopts.With(CompanyEmployees, top),
					loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), below),
					loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), top),
					loadopts.With(CompanyProfile, below))
				require.NoError(t, err)
				require.Equal(t, want, Render(cs), "the oracle's graph, then %v/%v's", top, below)
			})
		}
	}
}

func TestBelongsToAndSelfReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	for _, s := range eager {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			es, err := Employees.Find(ctx, pool, EmployeeID.Asc(),
				loadopts.With(EmployeeCompany, s),
				loadopts.With(EmployeeManager, s),
				loadopts.With(EmployeeReports, s))
			require.NoError(t, err)
			var got []string
			for _, e := range es {
				got = append(got, RenderEmployee(e))
			}
			require.Equal(t, []string{
				"employee 1 Magnus company=1 manager=NULL reports=[John,Lisa] companyName=Acme",
				"employee 2 John company=1 manager=1 reports=[Ann] managerName=Magnus companyName=Acme",
				"employee 3 Lisa company=1 manager=1 reports=[] managerName=Magnus companyName=Acme",
				"employee 4 Ann company=1 manager=2 reports=[] managerName=John companyName=Acme",
				"employee 5 Hank company=2 manager=NULL reports=[Mindy] companyName=Globex",
				"employee 6 Mindy company=2 manager=5 reports=[] managerName=Hank companyName=Globex",
				"employee 7 Peter company=3 manager=NULL reports=[Milton,Samir] companyName=Initech",
				"employee 8 Milton company=3 manager=7 reports=[] managerName=Peter companyName=Initech",
				"employee 9 Samir company=3 manager=7 reports=[] managerName=Peter companyName=Initech",
				"employee 10 Drifter company=NULL manager=NULL reports=[]",
			}, got)
			// One company instance per company, shared by its employees.
			require.Same(t, es[0].Company, es[1].Company)
			for _, e := range es {
				require.True(t, EmployeeCompany.Loaded(e), "a NULL foreign key counts as loaded")
			}
		})
	}
}

func TestManyToManySharesInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	for _, s := range eager {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			ks, err := Skills.Find(ctx, pool, SkillID.Asc(), loadopts.With(SkillEmployees, s, loadopts.OrderBy(EmployeeName.Asc())))
			require.NoError(t, err)
			names := map[string][]string{}
			byID := map[int64]*Employee{}
			for _, k := range ks {
				names[k.Name] = []string{}
				for _, e := range k.Employees {
					names[k.Name] = append(names[k.Name], e.Name)
					if prev, ok := byID[e.ID]; ok {
						require.Same(t, prev, e, "one instance per employee within a load")
					}
					byID[e.ID] = e
				}
			}
			require.Equal(t, map[string][]string{
				"go":     {"Hank", "John", "Magnus"},
				"sql":    {"Lisa", "Magnus", "Peter"},
				"chess":  {"Drifter", "Lisa", "Milton"},
				"unused": {},
			}, names)
		})
	}
}

// TestRoundTrips asserts what each strategy sends for companies and their employees.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	for _, tt := range []struct {
		strategy               loadopts.Strategy
		statements, roundTrips int64
	}{
		{loadopts.Joined, 1, 1},
		{loadopts.SelectIn, 2, 2},
		{loadopts.Subquery, 2, 2},
		{loadopts.Pipelined, 2, 1},
		{loadopts.Raise, 1, 1},
		{loadopts.NoLoad, 1, 1},
		{loadopts.Lazy, 1, 1},
	} {
		t.Run(tt.strategy.String(), func(t *testing.T) {
			var cs []*Company
			var err error
			n := tr.Count(func() { cs, err = Companies.Find(ctx, pool, loadopts.With(CompanyEmployees, tt.strategy)) })
			require.NoError(t, err)
			require.Len(t, cs, 4)
			require.Equal(t, [2]int64{tt.statements, tt.roundTrips}, [2]int64{n.Statements, n.RoundTrips})
		})
	}
	t.Run("Lazy is 1+N through Of", func(t *testing.T) {
		cs, err := Companies.Find(ctx, pool)
		require.NoError(t, err)
		n := tr.Count(func() {
			for _, c := range cs {
				_, err := CompanyEmployees.Of(ctx, pool, c)
				require.NoError(t, err)
			}
			// Loaded now: a second access sends nothing.
			for _, c := range cs {
				_, err := CompanyEmployees.Of(ctx, pool, c)
				require.NoError(t, err)
			}
		})
		require.EqualValues(t, len(cs), n.Statements)
	})
	t.Run("NoLoad sets empty, loaded collections", func(t *testing.T) {
		cs, err := Companies.Find(ctx, pool, loadopts.With(CompanyEmployees, loadopts.NoLoad))
		require.NoError(t, err)
		for _, c := range cs {
			require.NotNil(t, c.Employees)
			require.Empty(t, c.Employees)
		}
	})
	t.Run("two levels pipelined in one round trip", func(t *testing.T) {
		n := tr.Count(func() {
			_, err := Companies.Find(ctx, pool,
				loadopts.With(CompanyEmployees, loadopts.Pipelined),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), loadopts.Pipelined),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), loadopts.Pipelined))
			require.NoError(t, err)
		})
		require.Equal(t, [2]int64{4, 1}, [2]int64{n.Statements, n.RoundTrips})
	})
	t.Run("two levels joined in one statement", func(t *testing.T) {
		n := tr.Count(func() {
			_, err := Companies.Find(ctx, pool,
				loadopts.With(CompanyEmployees, loadopts.Joined),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), loadopts.Joined))
			require.NoError(t, err)
		})
		require.Equal(t, [2]int64{1, 1}, [2]int64{n.Statements, n.RoundTrips})
	})
}

func TestRaise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	guarded := rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.DefaultLoad(rel.Raise))
	cs, err := Companies.Find(ctx, pool)
	require.NoError(t, err)
	n := tr.Count(func() {
		_, err = guarded.Of(ctx, pool, cs[0])
	})
	require.ErrorIs(t, err, rel.ErrNotLoaded)
	require.Zero(t, n.Statements, "Raise runs no query")
	// Loaded explicitly, it is there.
	require.NoError(t, guarded.Load(ctx, pool, cs...))
	emps, err := guarded.Of(ctx, pool, cs[0])
	require.NoError(t, err)
	require.NotEmpty(t, emps)
}

func TestEdgeCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	t.Run("no parents, no children query", func(t *testing.T) {
		for _, s := range []loadopts.Strategy{loadopts.SelectIn, loadopts.Subquery} {
			n := tr.Count(func() {
				cs, err := Companies.Find(ctx, pool, CompanyName.Eq("nobody"), loadopts.With(CompanyEmployees, s))
				require.NoError(t, err)
				require.Empty(t, cs)
			})
			require.EqualValues(t, 1, n.Statements, s.String())
		}
	})
	t.Run("parents without children get empty collections", func(t *testing.T) {
		for _, s := range eager {
			c, err := Companies.Get(ctx, pool, int64(4), loadopts.With(CompanyEmployees, s))
			require.NoError(t, err, s.String())
			require.NotNil(t, c.Employees, s.String())
			require.Empty(t, c.Employees, s.String())
		}
	})
	t.Run("Get with a load of a missing row", func(t *testing.T) {
		_, err := Companies.Get(ctx, pool, int64(99), loadopts.With(CompanyEmployees, loadopts.Joined))
		require.ErrorIs(t, err, repo.ErrNotFound)
	})
	t.Run("LIMIT counts parents, not joined rows", func(t *testing.T) {
		cs, err := Companies.Find(ctx, pool, CompanyID.Asc(), repo.Limit[Company](2), repo.Offset[Company](0),
			loadopts.With(CompanyEmployees, loadopts.Joined))
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.Len(t, cs[0].Employees, 4)
		require.Len(t, cs[1].Employees, 2)
		for _, s := range []loadopts.Strategy{loadopts.Subquery, loadopts.Pipelined} {
			cs, err := Companies.Find(ctx, pool, CompanyID.Desc(), repo.Limit[Company](2), loadopts.With(CompanyEmployees, s))
			require.NoError(t, err)
			require.Equal(t, "Empty", cs[0].Name)
			require.Len(t, cs[1].Employees, 3, s.String())
		}
	})
	t.Run("parent order survives a join", func(t *testing.T) {
		cs, err := Companies.Find(ctx, pool, CompanyName.Desc(), loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.OrderBy(EmployeeName.Asc())))
		require.NoError(t, err)
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		require.Equal(t, []string{"Initech", "Globex", "Empty", "Acme"}, names)
		var emps []string
		for _, e := range cs[3].Employees {
			emps = append(emps, e.Name)
		}
		require.Equal(t, []string{"Ann", "John", "Lisa", "Magnus"}, emps)
	})
	t.Run("Where and OrderBy per load", func(t *testing.T) {
		for _, s := range eager {
			c, err := Companies.Get(ctx, pool, int64(1), loadopts.With(CompanyEmployees, s,
				loadopts.Where(EmployeeSalary.Ge(200)), loadopts.OrderBy(EmployeeSalary.Desc(), EmployeeName.Desc())))
			require.NoError(t, err)
			var names []string
			for _, e := range c.Employees {
				names = append(names, e.Name)
			}
			require.Equal(t, []string{"Magnus", "Lisa", "John"}, names, s.String())
		}
	})
	t.Run("LimitPerParent with ties", func(t *testing.T) {
		// Acme's salaries are 300, 200, 200, 100: the top 2 tie at 200; the key cuts the tie.
		for _, s := range eager {
			cs, err := Companies.Find(ctx, pool, CompanyID.Asc(),
				loadopts.With(CompanyEmployees, s, loadopts.LimitPerParent(2, EmployeeSalary.Desc())))
			require.NoError(t, err, s.String())
			var got []string
			for _, c := range cs {
				var names []string
				for _, e := range c.Employees {
					names = append(names, e.Name)
				}
				got = append(got, fmt.Sprint(c.Name, names))
			}
			require.Equal(t, []string{"Acme[Magnus John]", "Globex[Hank Mindy]", "Initech[Peter Samir]", "Empty[]"}, got, s.String())
		}
	})
	t.Run("nested three levels", func(t *testing.T) {
		for _, s := range eager {
			cs, err := Companies.Find(ctx, pool, CompanyID.Asc(),
				loadopts.With(rel.Then(rel.Then(CompanyEmployees, EmployeeReports), EmployeeAddresses), s))
			require.NoError(t, err, s.String())
			magnus := cs[0].Employees[0]
			for _, e := range cs[0].Employees {
				if e.Name == "Magnus" {
					magnus = e
				}
			}
			var got []string
			for _, r := range magnus.Reports {
				got = append(got, RenderEmployee(r))
			}
			require.ElementsMatch(t, []string{
				"employee 2 John company=1 manager=1 addresses=[Paris]",
				"employee 3 Lisa company=1 manager=1 addresses=[]",
			}, got, s.String())
		}
	})
}

func TestManyParents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	_, err := pool.Exec(ctx, `
INSERT INTO companies (name) SELECT 'c' || g FROM generate_series(1, 50000) g;
INSERT INTO employees (name, company_id) SELECT 'e' || g, 4 + g FROM generate_series(1, 50000) g WHERE g % 2 = 0`)
	require.NoError(t, err)
	var cs []*Company
	n := tr.Count(func() { cs, err = Companies.Find(ctx, pool, loadopts.With(CompanyEmployees, loadopts.SelectIn)) })
	require.NoError(t, err)
	require.Len(t, cs, 50004)
	// 50,004 keys in batches of 1,000: 51 statements in one batch, plus the parents.
	require.Equal(t, [2]int64{52, 2}, [2]int64{n.Statements, n.RoundTrips})
	total := 0
	for _, c := range cs {
		require.NotNil(t, c.Employees)
		total += len(c.Employees)
	}
	require.Equal(t, 25000+9, total)

	n = tr.Count(func() {
		cs, err = Companies.Find(ctx, pool, loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.BatchSize[Employee](100000)))
	})
	require.NoError(t, err)
	require.Equal(t, [2]int64{2, 2}, [2]int64{n.Statements, n.RoundTrips})
}

func TestMistakes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := seeded(t)
	for _, tt := range []struct {
		name string
		opt  repo.Option[Company]
		msg  string
	}{
		{"unknown strategy", loadopts.With(CompanyEmployees, loadopts.Strategy(42)), "unknown strategy"},
		{"options for a strategy that loads nothing", loadopts.With(CompanyEmployees, loadopts.Raise, loadopts.OrderBy(EmployeeName.Asc())), "loads nothing"},
		{"batch size off SelectIn", loadopts.With(CompanyEmployees, loadopts.Joined, loadopts.BatchSize[Employee](10)), "BatchSize applies to SelectIn"},
		{"zero limit", loadopts.With(CompanyEmployees, loadopts.SelectIn, loadopts.LimitPerParent[Employee](0)), "must be positive"},
		{"nil option", loadopts.With(CompanyEmployees, loadopts.SelectIn, nil), "nil load option"},
		{"a level below one that loads nothing", loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), loadopts.SelectIn), "cannot load EmployeeAddresses below CompanyEmployees"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := []repo.Option[Company]{tt.opt}
			if tt.name == "a level below one that loads nothing" {
				opts = append([]repo.Option[Company]{loadopts.With(CompanyEmployees, loadopts.NoLoad)}, opts...)
			}
			n := tr.Count(func() {
				_, err := Companies.Find(ctx, pool, opts...)
				require.Error(t, err)
				require.ErrorContains(t, err, tt.msg)
			})
			require.Zero(t, n.Statements, "nothing is sent")
		})
	}
	t.Run("All refuses load options", func(t *testing.T) {
		for _, err := range Companies.All(ctx, pool, loadopts.With(CompanyEmployees, loadopts.SelectIn)) {
			require.ErrorIs(t, err, repo.ErrInvalid)
		}
	})
	_ = errors.New
}

// TestConcurrentJoinedLoadsOfMissingRows runs Joined loads whose LEFT JOINs find nothing (a
// company without a profile, an employee without addresses) from several goroutines at once: the
// columns of a join that found nothing are scanned into a sink of each load's own (they were
// scanned into one package-level variable, a data race under -race).
func TestConcurrentJoinedLoadsOfMissingRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := seeded(t)
	want := oracle(t, pool)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	got := make([]string, 8)
	for i := range errs {
		wg.Go(func() {
			cs, err := Companies.Find(ctx, pool,
				loadopts.With(CompanyProfile, loadopts.Joined),
				loadopts.With(CompanyEmployees, loadopts.Joined),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), loadopts.Joined),
				loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), loadopts.SelectIn))
			errs[i], got[i] = err, Render(cs)
		})
	}
	wg.Wait()
	for i := range errs {
		require.NoError(t, errs[i])
		require.Equal(t, want, got[i])
	}
}
