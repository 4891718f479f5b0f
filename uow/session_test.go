package uow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"

	. "github.com/kinship-go/kinship/internal/testmodel"
)

// Firing deletes employees removed from their company's collection.
var (
	FiredEmployees = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees },
		rel.Named("FiredEmployees"), rel.Cascade(rel.All, rel.DeleteOrphan))
	FiringModel = uow.MustModel(FiredEmployees, OwnedAddresses)
)

func names(es []*Employee) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func employeesOf(t *testing.T, db repo.DB, company int64) []string {
	t.Helper()
	es, err := Employees.Find(context.Background(), db, EmployeeCompanyID.Eq(company), EmployeeID.Asc())
	require.NoError(t, err)
	return names(es)
}

func TestInsertParentWithChildrenInTwoRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	c := &Company{Name: "Newco"}
	for i := range 100 {
		c.Employees = append(c.Employees, &Employee{Name: fmt.Sprint("e", i), Addresses: []*Address{{City: "x"}}})
	}
	n := db.tr.Count(func() {
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, c) }))
	})
	// BEGIN with the companies, the employees, COMMIT with the addresses: a round trip each;
	// one INSERT per row with a generated key (1 + 100 + 100), so that each key is its own row's.
	require.Equal(t, [2]int64{203, 3}, [2]int64{n.Statements, n.RoundTrips})
	require.NotZero(t, c.ID)
	got := employeesOf(t, db.pool, c.ID)
	require.Len(t, got, 100)
	for _, e := range c.Employees {
		require.Equal(t, c.ID, *e.CompanyID, "the parent's generated key reached the child")
		require.Equal(t, e.ID, e.Addresses[0].EmployeeID)
	}
}

func TestNoOpFlushSendsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		cs, err := Companies.Find(ctx, s, loadopts.With(CompanyEmployees, loadopts.SelectIn))
		require.NoError(t, err)
		require.NotEmpty(t, cs)
		n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Zero(t, n.Statements)
		return nil
	}))
}

func TestIdentityMap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		a, err := Employees.Get(ctx, s, 1)
		require.NoError(t, err)
		n := db.tr.Count(func() {
			b, err := Employees.Get(ctx, s, int64(1))
			require.NoError(t, err)
			require.Same(t, a, b, "one instance per key")
		})
		require.Zero(t, n.Statements, "a hit on Get does not query")

		// A query returns the tracked instance and keeps its unflushed change... after autoflush
		// has written it, so the database and the instance agree.
		a.Name = "Magnus II"
		es, err := Employees.Find(ctx, s, EmployeeCompanyID.Eq(1), EmployeeID.Asc())
		require.NoError(t, err)
		require.Same(t, a, es[0])
		require.Equal(t, "Magnus II", es[0].Name)

		// Without autoflush too: the tracked instance is not overwritten.
		s2, err := uow.Begin(ctx, db.pool, Model, uow.Autoflush(false))
		require.NoError(t, err)
		defer s2.Rollback(ctx)
		x, err := Employees.Get(ctx, s2, 2)
		require.NoError(t, err)
		x.Name = "unflushed"
		es, err = Employees.Find(ctx, s2, EmployeeID.Eq(2))
		require.NoError(t, err)
		require.Same(t, x, es[0])
		require.Equal(t, "unflushed", es[0].Name)
		// Refresh discards it.
		require.NoError(t, uow.Refresh(ctx, s2, Employees, x))
		require.Equal(t, "John", x.Name)
		// Relations loaded through the session are tracked instances too.
		c, err := Companies.Get(ctx, s2, 1, loadopts.With(CompanyEmployees, loadopts.Joined))
		require.NoError(t, err)
		require.Contains(t, c.Employees, x)
		return nil
	}))
}

// TestGetHitDoesNotAllocate is not parallel: testing.AllocsPerRun forbids it.
func TestGetHitDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	db := seeded(t)
	s, err := uow.Begin(ctx, db.pool, Model)
	require.NoError(t, err)
	defer s.Rollback(ctx)
	_, err = Employees.Get(ctx, s, 1)
	require.NoError(t, err)
	var id int64 = 1
	// AllocsPerRun counts the whole process's allocations: a pool's background goroutine may
	// allocate meanwhile, so the fewest of three runs is the one to trust.
	allocs := testing.AllocsPerRun(100, func() { _, _ = Employees.Get(ctx, s, id) })
	for range 2 {
		allocs = min(allocs, testing.AllocsPerRun(100, func() { _, _ = Employees.Get(ctx, s, id) }))
	}
	require.Zero(t, allocs, "a hit on Get does not allocate")
}

func TestUpdateWritesOnlyChangedColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	tr := &repo.Tracer{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	_, err := pool.Exec(ctx, DDL)
	require.NoError(t, err)
	require.NoError(t, Seed(ctx, pool))
	require.NoError(t, uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		es, err := Employees.Find(ctx, s, EmployeeID.In(1, 2), EmployeeID.Asc())
		require.NoError(t, err)
		es[0].Salary = 999
		es[1].Salary = 888
		es[1].Name = "Johnny"
		buf.Reset()
		n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Equal(t, [2]int64{2, 1}, [2]int64{n.Statements, n.RoundTrips}, "two UPDATEs in one batch")
		return nil
	}))
	log := buf.String()
	require.Contains(t, log, `UPDATE \"employees\" SET \"salary\" = $1 WHERE \"id\" = $2`)
	require.Contains(t, log, `UPDATE \"employees\" SET \"name\" = $1, \"salary\" = $2 WHERE \"id\" = $3`)
	e, err := Employees.Get(ctx, pool, 2)
	require.NoError(t, err)
	require.Equal(t, "Johnny", e.Name)
	require.EqualValues(t, 888, e.Salary)
}

func TestClearCollection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("without DeleteOrphan the foreign key is set NULL", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 2, loadopts.With(CompanyEmployees, loadopts.SelectIn))
			require.NoError(t, err)
			c.Employees = nil
			return nil
		}))
		require.Empty(t, employeesOf(t, db.pool, 2))
		n, err := Employees.Count(ctx, db.pool, EmployeeName.In("Hank", "Mindy"), EmployeeCompanyID.IsNull())
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "the rows stay, without a company")
	})
	t.Run("with DeleteOrphan the rows are deleted", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		_, err := db.pool.Exec(ctx, `UPDATE employees SET manager_id = NULL`)
		require.NoError(t, err)
		require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 1, loadopts.With(FiredEmployees, loadopts.SelectIn))
			require.NoError(t, err)
			c.Employees = c.Employees[:1] // keep the first
			return nil
		}))
		require.Equal(t, []string{"Magnus"}, employeesOf(t, db.pool, 1))
		n, err := Addresses.Count(ctx, db.pool, AddressEmployeeID.In(2, 3, 4))
		require.NoError(t, err)
		require.Zero(t, n, "their addresses went with them (Delete cascades)")
	})
	t.Run("a NOT NULL foreign key without DeleteOrphan is an error before any SQL", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		strictAddresses := rel.HasMany(EmployeeID, AddressEmployeeID, func(e *Employee) *[]*Address { return &e.Addresses },
			rel.Named("StrictAddresses"), rel.Cascade(rel.All))
		strict := uow.MustModel(strictAddresses)
		var flushErr error
		err := uow.Run(ctx, db.pool, strict, func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, 1)
			require.NoError(t, err)
			_, err = strictAddresses.Of(ctx, s, e)
			require.NoError(t, err)
			e.Addresses = e.Addresses[1:]
			n := db.tr.Count(func() { flushErr = s.Flush(ctx) })
			require.Zero(t, n.Statements)
			return flushErr
		})
		require.ErrorIs(t, err, uow.ErrOrphan)
		require.ErrorContains(t, err, "StrictAddresses")
		n, _ := Addresses.Count(ctx, db.pool, AddressEmployeeID.Eq(1))
		require.EqualValues(t, 2, n)
	})
}

func TestDeleteParent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, loaded := range []bool{true, false} {
		t.Run(fmt.Sprint("children loaded: ", loaded), func(t *testing.T) {
			t.Parallel()
			db := seeded(t)
			require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
				e, err := Employees.Get(ctx, s, 7) // Peter: addresses Austin, Dallas; reports Milton, Samir
				require.NoError(t, err)
				if loaded {
					_, err := OwnedAddresses.Of(ctx, s, e)
					require.NoError(t, err)
				}
				return uow.Delete(s, Employees, e)
			}))
			n, err := Addresses.Count(ctx, db.pool, AddressEmployeeID.Eq(7))
			require.NoError(t, err)
			require.Zero(t, n, "addresses deleted with their employee")
			reports, err := Employees.Find(ctx, db.pool, EmployeeName.In("Milton", "Samir"))
			require.NoError(t, err)
			require.Len(t, reports, 2, "reports stay (EmployeeReports does not cascade Delete)")
			for _, r := range reports {
				require.Nil(t, r.ManagerID, "their manager_id is set NULL")
			}
			_, err = Employees.Get(ctx, db.pool, 7)
			require.ErrorIs(t, err, repo.ErrNotFound)
		})
	}
	t.Run("passive deletes trust ON DELETE CASCADE", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		passive := uow.MustModel(rel.HasMany(EmployeeID, AddressEmployeeID, func(e *Employee) *[]*Address { return &e.Addresses },
			rel.Cascade(rel.All, rel.PassiveDeletes)))
		_, err := db.pool.Exec(ctx, `UPDATE employees SET manager_id = NULL`)
		require.NoError(t, err)
		require.NoError(t, uow.Run(ctx, db.pool, passive, func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, 1)
			require.NoError(t, err)
			require.NoError(t, uow.Delete(s, Employees, e))
			n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
			require.EqualValues(t, 1, n.Statements, "one DELETE, the addresses not loaded")
			return nil
		}))
		n, _ := Addresses.Count(ctx, db.pool, AddressEmployeeID.Eq(1))
		require.Zero(t, n)
	})
}

// TestMoveChild moves Lisa from Acme (1) to Globex (2) by each of the three mechanisms; each
// gives the same result in memory and in the database.
func TestMoveChild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, how := range []string{"collection", "belongs-to field", "foreign key"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			db := seeded(t)
			require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
				cs, err := Companies.Find(ctx, s, CompanyID.In(1, 2), CompanyID.Asc(), loadopts.With(CompanyEmployees, loadopts.SelectIn))
				require.NoError(t, err)
				acme, globex := cs[0], cs[1]
				lisa, err := Employees.Get(ctx, s, 3)
				require.NoError(t, err)
				switch how {
				case "collection":
					globex.Employees = append(globex.Employees, lisa)
				case "belongs-to field":
					lisa.Company = globex
				case "foreign key":
					lisa.CompanyID = ptr(int64(2))
				}
				require.NoError(t, s.Flush(ctx))
				require.NotContains(t, acme.Employees, lisa, "left the old collection")
				require.Contains(t, globex.Employees, lisa, "joined the new one")
				require.Same(t, globex, lisa.Company)
				require.EqualValues(t, 2, *lisa.CompanyID)
				return nil
			}))
			require.Equal(t, []string{"Hank", "Lisa", "Mindy"}, sortedNames(employeesOf(t, db.pool, 2)))
			require.Equal(t, []string{"Ann", "John", "Magnus"}, sortedNames(employeesOf(t, db.pool, 1)))
		})
	}
}

func sortedNames(ns []string) []string {
	out := append([]string(nil), ns...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSelfReferentialTree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	boss := &Employee{Name: "Boss"}
	mid := &Employee{Name: "Mid", Manager: boss}
	leaf := &Employee{Name: "Leaf", Manager: mid}
	n := db.tr.Count(func() {
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			return uow.Add(s, Employees, leaf) // reaches mid and boss through Manager
		}))
	})
	require.EqualValues(t, 3, n.RoundTrips, "three waves, BEGIN with the first, COMMIT with the last")
	require.Equal(t, boss.ID, *mid.ManagerID)
	require.Equal(t, mid.ID, *leaf.ManagerID)
	es, err := Employees.Find(ctx, db.pool, EmployeeID.In(boss.ID, mid.ID, leaf.ID),
		loadopts.With(rel.Then(EmployeeReports, EmployeeReports), loadopts.SelectIn))
	require.NoError(t, err)
	for _, e := range es {
		if e.ID == boss.ID {
			require.Equal(t, "Mid", e.Reports[0].Name)
			require.Equal(t, "Leaf", e.Reports[0].Reports[0].Name)
		}
	}
}

func TestManyToMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		magnus, err := Employees.Get(ctx, s, 1, loadopts.With(EmployeeSkills, loadopts.SelectIn, loadopts.OrderBy(SkillID.Asc())))
		require.NoError(t, err)
		require.Len(t, magnus.Skills, 2) // go, sql
		chess, err := Skills.Get(ctx, s, 3)
		require.NoError(t, err)
		magnus.Skills = append(magnus.Skills[1:], chess, &Skill{Name: "juggling"}) // drop go; add chess and a new skill
		return nil
	}))
	var skills []string
	rows, err := db.pool.Query(ctx, `SELECT s.name FROM employee_skills es JOIN skills s ON s.id = es.skill_id WHERE es.employee_id = 1 ORDER BY s.name`)
	require.NoError(t, err)
	skills, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"chess", "juggling", "sql"}, skills)
}

func TestDeleteManyToManyOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		drifter, err := Employees.Get(ctx, s, 10)
		require.NoError(t, err)
		return uow.Delete(s, Employees, drifter)
	}))
	var n int
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT count(*) FROM employee_skills WHERE employee_id = 10`).Scan(&n))
	require.Zero(t, n)
}

func TestFailedFlushLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, `ALTER TABLE employees ADD CONSTRAINT short_names CHECK (length(name) < 20)`)
	require.NoError(t, err)
	c := &Company{Name: "Doomed", Employees: []*Employee{{Name: "ok"}, {Name: "a name far too long to pass"}}}
	s, err := uow.Begin(ctx, db.pool, Model)
	require.NoError(t, err)
	defer s.Rollback(ctx)
	require.NoError(t, uow.Add(s, Companies, c))
	err = s.Flush(ctx)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "23514", pgErr.Code)
	require.Zero(t, c.ID, "no key from a flush that failed")
	for _, e := range c.Employees {
		require.Zero(t, e.ID)
		require.Nil(t, e.CompanyID, "no foreign key from a flush that failed")
	}
	require.True(t, uow.Contains(s, Companies, c), "still in the session, still new")
	require.NoError(t, s.Rollback(ctx))
	n, err := Companies.Count(ctx, db.pool, CompanyName.Eq("Doomed"))
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestRunRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	boom := errors.New("boom")
	err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		require.NoError(t, uow.Add(s, Companies, &Company{Name: "ghost"}))
		require.NoError(t, s.Flush(ctx))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.PanicsWithValue(t, "kaboom", func() {
		_ = uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			require.NoError(t, uow.Add(s, Companies, &Company{Name: "ghost"}))
			require.NoError(t, s.Flush(ctx))
			panic("kaboom")
		})
	})
	n, err := Companies.Count(ctx, db.pool, CompanyName.Eq("ghost"))
	require.NoError(t, err)
	require.Zero(t, n)
	require.Zero(t, db.pool.Stat().AcquiredConns(), "connections went back to the pool")
}

// Account has a version column, for optimistic concurrency.
type Account struct {
	ID      int64
	Balance int64
	Version int32
}

var (
	accountID      = repo.Serial("id", func(a *Account) *int64 { return &a.ID })
	accountBalance = repo.Col("balance", func(a *Account) *int64 { return &a.Balance })
	accountVersion = repo.Version("version", func(a *Account) *int32 { return &a.Version })
	Accounts       = repo.MustNew("accounts", accountID, accountBalance, accountVersion)
	AccountModel   = uow.MustModel() // no relation joins accounts
)

const accountsDDL = `CREATE TABLE accounts (id bigserial PRIMARY KEY, balance bigint NOT NULL, version integer NOT NULL)`

func TestConcurrentUpdateIsStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	_, err := pool.Exec(ctx, accountsDDL)
	require.NoError(t, err)
	a := &Account{Balance: 100, Version: 1}
	require.NoError(t, Accounts.Insert(ctx, pool, a))

	s1, err := uow.Begin(ctx, pool, AccountModel)
	require.NoError(t, err)
	defer s1.Rollback(ctx)
	mine, err := Accounts.Get(ctx, s1, a.ID)
	require.NoError(t, err)
	// Someone else updates it meanwhile.
	require.NoError(t, uow.Run(ctx, pool, AccountModel, func(s *uow.Session) error {
		theirs, err := Accounts.Get(ctx, s, a.ID)
		require.NoError(t, err)
		theirs.Balance += 50
		return nil
	}))
	mine.Balance -= 30
	err = s1.Commit(ctx)
	require.ErrorIs(t, err, uow.ErrStale)
	var e *repo.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "accounts", e.Table)
	require.Equal(t, a.ID, e.Key)
	got, err := Accounts.Get(ctx, pool, a.ID)
	require.NoError(t, err)
	require.Equal(t, Account{a.ID, 150, 2}, *got)
}

// TestSerializationFailureRetried forces write skew under SERIALIZABLE: two transactions each
// read both accounts and move money if the sum allows; one fails with 40001 and Run retries it.
func TestSerializationFailureRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	_, err := pool.Exec(ctx, accountsDDL)
	require.NoError(t, err)
	require.NoError(t, Accounts.Insert(ctx, pool, &Account{Balance: 100, Version: 1}, &Account{Balance: 100, Version: 1}))
	var mu sync.Mutex
	attempts := 0
	ready := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	both := &sync.WaitGroup{}
	both.Add(2)
	for i := range 2 {
		wg.Go(func() {
			first := true
			err := uow.Run(ctx, pool, AccountModel, func(s *uow.Session) error {
				mu.Lock()
				attempts++
				mu.Unlock()
				as, err := Accounts.Find(ctx, s, accountID.Asc())
				if err != nil {
					return err
				}
				if first {
					first = false
					both.Done()
					both.Wait() // both have read before either writes: write skew
				}
				once.Do(func() { close(ready) })
				if as[0].Balance+as[1].Balance >= 150 {
					as[i].Balance -= 150
				}
				return nil
			}, uow.TxOptions(pgx.TxOptions{IsoLevel: pgx.Serializable}))
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Greater(t, attempts, 2, "one transaction was retried")
	var sum int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT sum(balance) FROM accounts`).Scan(&sum))
	require.EqualValues(t, 50, sum, "the invariant held: only one withdrawal")
}

func TestModelValidation(t *testing.T) {
	t.Parallel()
	otherCompanyID := repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	repo.MustNew("companies", otherCompanyID, repo.Col("name", func(c *Company) *string { return &c.Name }))
	coll := func(c *Company) *[]*Employee { return &c.Employees }
	for _, tt := range []struct {
		name  string
		parts []rel.Relation
		msg   string
	}{
		{"nil relation", []rel.Relation{nil}, "relation 0 (<nil>) is a nil or zero relation"},
		{"nil *Many", []rel.Relation{(*rel.Many[Company, Employee])(nil)}, "relation 0 (*rel.Many[github.com/kinship-go/kinship/internal/testmodel.Company,github.com/kinship-go/kinship/internal/testmodel.Employee]) is a nil or zero relation"},
		{"two relations on one field", []rel.Relation{CompanyEmployees, rel.HasMany(CompanyID, EmployeeCompanyID, coll, rel.Named("Again"))}, "fills the same field"},
		{"DeleteOrphan with two owners", []rel.Relation{FiredEmployees, rel.HasMany(EmployeeID, EmployeeManagerID, func(e *Employee) *[]*Employee { return &e.Reports }, rel.Named("Reports2"))}, "owns them too"},
		{"NOT NULL foreign key without Delete", []rel.Relation{EmployeeAddresses}, "cannot be NULL"},
		{"a relation's own mistake", []rel.Relation{rel.HasMany(CompanyID, EmployeeCompanyID, coll, rel.Cascade(rel.PassiveDeletes))}, "PassiveDeletes needs Delete"},
		{"two Repos over one table", []rel.Relation{CompanyEmployees, rel.BelongsTo(EmployeeCompanyID, otherCompanyID, func(e *Employee) **Company { return &e.Company }, rel.Named("ToOtherCompanies"))},
			"uow.NewModel companies: two Repos are declared over this table"},
		{"DeleteOrphan on many-to-many", []rel.Relation{rel.ManyToMany(EmployeeID, SkillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
			func(e *Employee) *[]*Skill { return &e.Skills }, rel.Cascade(rel.All, rel.DeleteOrphan))}, "many-to-many"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := uow.NewModel(tt.parts...)
			require.ErrorIs(t, err, repo.ErrInvalid)
			require.ErrorContains(t, err, tt.msg)
			var me *repo.Error
			require.ErrorAs(t, err, &me)
			require.Equal(t, "uow.NewModel", me.Op)
		})
	}
	t.Run("a cycle between tables", func(t *testing.T) {
		aID := repo.Serial("id", func(a *A) *int64 { return &a.ID })
		aB := repo.Col("b_id", func(a *A) *int64 { return &a.BID })
		bID := repo.Serial("id", func(b *B) *int64 { return &b.ID })
		bA := repo.Col("a_id", func(b *B) *int64 { return &b.AID })
		repo.MustNew("as", aID, aB)
		repo.MustNew("bs", bID, bA)
		_, err := uow.NewModel(
			rel.BelongsTo(aB, bID, func(a *A) **B { return &a.B }),
			rel.BelongsTo(bA, aID, func(b *B) **A { return &b.A }))
		require.ErrorContains(t, err, "cycle")
		require.True(t, strings.Contains(err.Error(), "as → bs") || strings.Contains(err.Error(), "bs → as"), err.Error())
	})
}

type A struct {
	ID, BID int64
	B       *B
}

type B struct {
	ID, AID int64
	A       *A
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.Error(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		require.ErrorIs(t, uow.Add(s, Companies, nil), repo.ErrInvalid)
		require.ErrorIs(t, uow.Add[Company](s, nil, &Company{}), repo.ErrInvalid)
		require.ErrorIs(t, uow.Delete(s, Companies, &Company{Name: "never inserted"}), repo.ErrInvalid)
		c, err := Companies.Get(ctx, s, 1)
		require.NoError(t, err)
		require.NoError(t, uow.Delete(s, Companies, c))
		require.ErrorIs(t, uow.Add(s, Companies, c), repo.ErrInvalid, "a row deleted earlier in the session")
		twin := &Company{ID: 2, Name: "twin"}
		_, err = Companies.Get(ctx, s, 2)
		require.NoError(t, err)
		require.ErrorIs(t, uow.Add(s, Companies, twin), repo.ErrInvalid, "a second instance of a tracked row")
		return errors.New("roll back")
	}))
}

// TestBelongsToNewParent adds an employee whose Company field holds a new company: the company
// is inserted first and its key reaches the employee's foreign key.
func TestBelongsToNewParent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	e := &Employee{Name: "Jared", Company: &Company{Name: "Pied Piper"}}
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error { return uow.Add(s, Employees, e) }))
	require.NotZero(t, e.Company.ID)
	require.Equal(t, e.Company.ID, *e.CompanyID)
	require.Equal(t, []string{"Jared"}, employeesOf(t, db.pool, e.Company.ID))
}
