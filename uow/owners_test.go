package uow_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"

	. "github.com/kinship-go/kinship/internal/testmodel"
)

// FiringWithInverse is FiringModel with the employees' BelongsTo, the inverse of FiredEmployees.
var FiringWithInverse = uow.MustModel(FiredEmployees, EmployeeCompany, OwnedAddresses)

// companyOf reads an employee's company_id with plain SQL: 0 for NULL, -1 for no such employee.
func companyOf(t *testing.T, db env, employee int64) int64 {
	t.Helper()
	var c *int64
	err := db.pool.QueryRow(context.Background(), `SELECT company_id FROM employees WHERE id = $1`, employee).Scan(&c)
	if err != nil {
		return -1
	}
	if c == nil {
		return 0
	}
	return *c
}

func staffIDs(t *testing.T, db env, company int64) []int64 {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), `SELECT id FROM employees WHERE company_id = $1 ORDER BY id`, company)
	require.NoError(t, err)
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

func without(es []*Employee, id int64) []*Employee {
	return slices.DeleteFunc(slices.Clone(es), func(e *Employee) bool { return e.ID == id })
}

func find(es []*Employee, id int64) *Employee {
	for _, e := range es {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// A row taken out of one loaded collection and put in another in the same flush is moved, not
// deleted as an orphan, whatever order the session met the owners in, with or without the
// inverse BelongsTo; and a rotation among three owners moves all three.
func TestMoveBetweenLoadedOwnersIsAMove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, m := range []struct {
		name  string
		model *uow.Model
	}{{"without inverse", FiringModel}, {"with inverse", FiringWithInverse}} {
		for _, order := range [][]int64{{1, 2, 3}, {3, 2, 1}, {2, 3, 1}} {
			t.Run(fmt.Sprint(m.name, order), func(t *testing.T) {
				t.Parallel()
				db := seeded(t)
				require.NoError(t, uow.Run(ctx, db.pool, m.model, func(s *uow.Session) error {
					cs := map[int64]*Company{}
					for _, id := range order {
						c, err := Companies.Get(ctx, s, id, loadopts.With(FiredEmployees, loadopts.SelectIn))
						require.NoError(t, err)
						cs[id] = c
					}
					// Ann (4) 1 → 2, Mindy (6) 2 → 3, Milton (8) 3 → 1: none of them manages anyone.
					ann, mindy, milton := find(cs[1].Employees, 4), find(cs[2].Employees, 6), find(cs[3].Employees, 8)
					cs[1].Employees = append(without(cs[1].Employees, 4), milton)
					cs[2].Employees = append(without(cs[2].Employees, 6), ann)
					cs[3].Employees = append(without(cs[3].Employees, 8), mindy)
					return nil
				}))
				require.Equal(t, [3]int64{2, 3, 1}, [3]int64{companyOf(t, db, 4), companyOf(t, db, 6), companyOf(t, db, 8)})
				require.Equal(t, []int64{1, 2, 3, 8}, staffIDs(t, db, 1))
			})
		}
	}
}

// A foreign key set to a parent the session does not hold is what the next flushes write: the
// inverse field that named the old parent is cleared, and no later flush writes the old key back.
func TestForeignKeyMoveToUnheldParentSticks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, m := range []struct {
		name  string
		model *uow.Model
		rel   *rel.Many[Company, Employee]
	}{{"keeping", Model, CompanyEmployees}, {"owning", FiringWithInverse, FiredEmployees}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			db := seeded(t)
			require.NoError(t, uow.Run(ctx, db.pool, m.model, func(s *uow.Session) error {
				acme, err := Companies.Get(ctx, s, 1, loadopts.With(m.rel, loadopts.SelectIn))
				require.NoError(t, err)
				ann := find(acme.Employees, 4)
				require.Same(t, acme, ann.Company, "the load set the inverse field")
				ann.CompanyID = ptr(int64(3))    // Initech, which the session does not hold
				_, err = Employees.Count(ctx, s) // autoflush
				require.NoError(t, err)
				require.Nil(t, find(acme.Employees, 4), "Ann left Acme's loaded collection")
				require.Nil(t, ann.Company, "the field that named Acme is cleared, not loaded")
				require.NoError(t, s.Flush(ctx))
				ann.Name = "Ann B." // another change to the row, written by another flush
				return nil
			}))
			require.Equal(t, int64(3), companyOf(t, db, 4))
		})
	}
}

// Firms are referred to by a unique code, not by their primary key.
type Firm struct {
	ID      int64
	Code    string
	Members []*Member
}

type Member struct {
	ID       int64
	Name     string
	FirmCode *string
	Firm     *Firm
}

var (
	firmID      = repo.Serial("id", func(f *Firm) *int64 { return &f.ID })
	firmCode    = repo.Col("code", func(f *Firm) *string { return &f.Code })
	Firms       = repo.MustNew("firms", firmID, firmCode)
	memberID    = repo.Serial("id", func(m *Member) *int64 { return &m.ID })
	memberName  = repo.Col("name", func(m *Member) *string { return &m.Name })
	memberFirm  = repo.Nullable("firm_code", func(m *Member) **string { return &m.FirmCode })
	Members     = repo.MustNew("members", memberID, memberName, memberFirm)
	FirmMembers = rel.HasMany(firmCode, memberFirm, func(f *Firm) *[]*Member { return &f.Members }, rel.Named("FirmMembers"), rel.Cascade(rel.All))
	MemberFirm  = rel.BelongsTo(memberFirm, firmCode, func(m *Member) **Firm { return &m.Firm }, rel.Named("MemberFirm"))
	FirmModel   = uow.MustModel(FirmMembers, MemberFirm)
	firmsDDL    = `CREATE TABLE firms (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL, firm_code text REFERENCES firms (code));
INSERT INTO firms (code) VALUES ('A'), ('B'), ('C');
INSERT INTO members (name, firm_code) VALUES ('a1', 'A'), ('a2', 'A'), ('b1', 'B');`
)

func firmOf(t *testing.T, db env, member string) string {
	t.Helper()
	var code *string
	require.NoError(t, db.pool.QueryRow(context.Background(), `SELECT firm_code FROM members WHERE name = $1`, member).Scan(&code))
	if code == nil {
		return "NULL"
	}
	return *code
}

// Fix-up and moves work through a parent key that is a unique column, not the primary key.
func TestNonPrimaryParentKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, firmsDDL)
	require.NoError(t, err)
	require.NoError(t, uow.Run(ctx, db.pool, FirmModel, func(s *uow.Session) error {
		fs, err := Firms.Find(ctx, s, firmCode.In("A", "B"), firmCode.Asc(), loadopts.With(FirmMembers, loadopts.SelectIn))
		require.NoError(t, err)
		a, b := fs[0], fs[1]
		// Added by its foreign key alone: it joins the loaded collection of the firm with that code.
		a3 := &Member{Name: "a3", FirmCode: ptr("A")}
		require.NoError(t, uow.Add(s, Members, a3))
		require.Contains(t, a.Members, a3)
		require.Same(t, a, a3.Firm)
		// Moved by its foreign key: it leaves A's collection for B's, and stays there.
		a1 := a.Members[0]
		a1.FirmCode = ptr("B")
		require.NoError(t, s.Flush(ctx))
		require.NotContains(t, a.Members, a1)
		require.Contains(t, b.Members, a1)
		require.Same(t, b, a1.Firm)
		// Moved by the collection to a new firm: the foreign key takes its code.
		d := &Firm{Code: "D"}
		d.Members = []*Member{b.Members[0]}
		require.NoError(t, uow.Add(s, Firms, d))
		require.NoError(t, s.Flush(ctx))
		// Moved to a firm the session does not hold (C): it leaves B, and no flush moves it back.
		a2 := a.Members[0]
		a2.FirmCode = ptr("C")
		require.NoError(t, s.Flush(ctx))
		require.NotContains(t, a.Members, a2)
		require.Nil(t, a2.Firm)
		return nil
	}))
	require.Equal(t, []string{"B", "C", "A", "D"}, []string{firmOf(t, db, "a1"), firmOf(t, db, "a2"), firmOf(t, db, "a3"), firmOf(t, db, "b1")})
}

// A new row that needs an owner and has none is refused before any SQL, naming the relation and
// the row; one whose foreign key names an owner the session does not hold is fine.
func TestNewOrphanRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	for _, c := range []struct {
		name  string
		model *uow.Model
		add   func(s *uow.Session) error
		want  string
	}{
		{"DeleteOrphan, NULL foreign key", FiringModel, func(s *uow.Session) error {
			return uow.Add(s, Employees, &Employee{Name: "Nobody"})
		}, `relation FiredEmployees: a new employees row (id=0, name="Nobody", company_id=NULL`},
		{"NOT NULL foreign key left zero", Model, func(s *uow.Session) error {
			return uow.Add(s, Addresses, &Address{City: "Nowhere"})
		}, `relation OwnedAddresses: a new addresses row (id=0, employee_id=0, city="Nowhere") has no employees row`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := Employees.Count(ctx, db.pool)
			require.NoError(t, err)
			s, err := uow.Begin(ctx, db.pool, c.model)
			require.NoError(t, err)
			defer s.Rollback(ctx)
			require.NoError(t, c.add(s))
			var ferr error
			n := db.tr.Count(func() { ferr = s.Flush(ctx) })
			require.ErrorIs(t, ferr, uow.ErrOrphan)
			require.ErrorContains(t, ferr, c.want)
			require.Zero(t, n.Statements, "refused before any SQL")
			require.NoError(t, s.Rollback(ctx))
			after, err := Employees.Count(ctx, db.pool)
			require.NoError(t, err)
			require.Equal(t, before, after)
		})
	}
	require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
		return uow.Add(s, Employees, &Employee{Name: "Hired", CompanyID: ptr(int64(3))})
	}), "a foreign key to a company the session does not hold is an owner")
}

// Assigning a collection that was never loaded acts on the members the database holds.
func TestAssignUnloadedCollection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("emptied, DeleteOrphan: its members are deleted", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 3)
			require.NoError(t, err)
			c.Employees = []*Employee{}
			return nil
		}))
		require.Empty(t, staffIDs(t, db, 3))
		require.Equal(t, int64(-1), companyOf(t, db, 8), "deleted, not kept")
	})
	t.Run("replaced, keeping: the old members lose their company, the new one joins", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 3)
			require.NoError(t, err)
			c.Employees = []*Employee{{Name: "Newcomer"}}
			return nil
		}))
		require.Equal(t, []string{"Newcomer"}, employeesOf(t, db.pool, 3))
		require.Zero(t, companyOf(t, db, 8), "kept, without a company")
	})
	t.Run("replaced keeping one member", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 2)
			require.NoError(t, err)
			hank, err := Employees.Get(ctx, s, 5)
			require.NoError(t, err)
			c.Employees = []*Employee{hank}
			return nil
		}))
		require.Equal(t, []int64{5}, staffIDs(t, db, 2))
	})
	t.Run("many-to-many emptied: its links are deleted", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, 1)
			require.NoError(t, err)
			e.Skills = []*Skill{}
			return nil
		}))
		var n int
		require.NoError(t, db.pool.QueryRow(ctx, `SELECT count(*) FROM employee_skills WHERE employee_id = 1`).Scan(&n))
		require.Zero(t, n)
	})
	t.Run("a to-one field replaced whose old row cannot be orphaned", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 1)
			require.NoError(t, err)
			c.Profile = &Profile{Motto: "New motto"}
			return nil
		})
		require.ErrorIs(t, err, uow.ErrOrphan)
		require.ErrorContains(t, err, "CompanyProfileOwned")
		var motto string
		require.NoError(t, db.pool.QueryRow(ctx, `SELECT motto FROM profiles WHERE company_id = 1`).Scan(&motto))
		require.Equal(t, "Make things", motto)
	})
}

// Two edits since the last flush that give one row two owners are refused, naming both; edits
// that agree, or a row that left one collection for an owner named by its foreign key, are not.
func TestConflictingEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	load := func(t *testing.T, s *uow.Session, ids ...int64) []*Company {
		cs, err := Companies.Find(ctx, s, CompanyID.In(ids...), CompanyID.Asc(), loadopts.With(CompanyEmployees, loadopts.SelectIn))
		require.NoError(t, err)
		return cs
	}
	for _, c := range []struct {
		name string
		edit func(t *testing.T, s *uow.Session)
		want []string
	}{
		{"put in two collections", func(t *testing.T, s *uow.Session) {
			cs := load(t, s, 1, 2, 3)
			ann := find(cs[0].Employees, 4)
			cs[1].Employees = append(cs[1].Employees, ann)
			cs[2].Employees = append(cs[2].Employees, ann)
		}, []string{"the employees row with key 4", "companies row with key 2", "companies row with key 3"}},
		{"put in a collection, foreign key set elsewhere", func(t *testing.T, s *uow.Session) {
			cs := load(t, s, 1, 2)
			ann := find(cs[0].Employees, 4)
			cs[1].Employees = append(cs[1].Employees, ann)
			ann.CompanyID = ptr(int64(3))
		}, []string{"companies row with key 2", "its foreign key set to 3"}},
		{"inverse field and foreign key disagree", func(t *testing.T, s *uow.Session) {
			cs := load(t, s, 1, 2)
			ann := find(cs[0].Employees, 4)
			ann.Company = cs[1]
			ann.CompanyID = nil
		}, []string{"its field EmployeeCompany set to the companies row with key 2", "its foreign key set to no owner"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := seeded(t)
			s, err := uow.Begin(ctx, db.pool, Model)
			require.NoError(t, err)
			defer s.Rollback(ctx)
			c.edit(t, s)
			var ferr error
			n := db.tr.Count(func() { ferr = s.Flush(ctx) })
			require.ErrorIs(t, ferr, uow.ErrConflict)
			for _, w := range c.want {
				require.ErrorContains(t, ferr, w)
			}
			require.Zero(t, n.Statements)
		})
	}
	t.Run("left one collection, foreign key names another owner: a move", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 1, loadopts.With(FiredEmployees, loadopts.SelectIn))
			require.NoError(t, err)
			ann := find(c.Employees, 4)
			c.Employees = without(c.Employees, 4)
			ann.CompanyID = ptr(int64(3))
			return nil
		}))
		require.Equal(t, int64(3), companyOf(t, db, 4))
	})
	t.Run("edits separated by a flush: the later wins", func(t *testing.T) {
		t.Parallel()
		db := seeded(t)
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			cs := load(t, s, 1, 2, 3)
			ann := find(cs[0].Employees, 4)
			cs[1].Employees = append(cs[1].Employees, ann)
			require.NoError(t, s.Flush(ctx))
			cs[2].Employees = append(cs[2].Employees, ann)
			return nil
		}))
		require.Equal(t, int64(3), companyOf(t, db, 4))
	})
}

// A row that replaces another holding the same unique value in one flush is inserted after the
// old one is deleted; a row switch (delete a row, add another with its client-assigned key)
// works as a DELETE and an INSERT.
func TestReplaceRowHoldingAUniqueValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, `CREATE UNIQUE INDEX ON employees (company_id, name)`)
	require.NoError(t, err)
	require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
		c, err := Companies.Get(ctx, s, 3, loadopts.With(FiredEmployees, loadopts.SelectIn))
		require.NoError(t, err)
		c.Employees = append(without(c.Employees, 8), &Employee{Name: "Milton"})
		return nil
	}))
	ids := staffIDs(t, db, 3)
	require.Len(t, ids, 3)
	require.NotContains(t, ids, int64(8))
	require.Equal(t, []string{"Peter", "Samir", "Milton"}, employeesOf(t, db.pool, 3))

	_, err = db.pool.Exec(ctx, `CREATE TABLE tags (code text PRIMARY KEY, label text NOT NULL)`+
		`; INSERT INTO tags VALUES ('a', 'old')`)
	require.NoError(t, err)
	require.NoError(t, uow.Run(ctx, db.pool, TagModel, func(s *uow.Session) error {
		old, err := Tags.Get(ctx, s, "a")
		require.NoError(t, err)
		require.NoError(t, uow.Delete(s, Tags, old))
		require.NoError(t, uow.Add(s, Tags, &Tag{Code: "a", Label: "new"}))
		require.NoError(t, s.Flush(ctx))
		got, err := Tags.Get(ctx, s, "a")
		require.NoError(t, err)
		require.Equal(t, "new", got.Label, "the identity map holds the new row")
		return nil
	}))
	var label string
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT label FROM tags WHERE code = 'a'`).Scan(&label))
	require.Equal(t, "new", label)
}

type Tag struct{ Code, Label string }

var (
	Tags     = repo.MustNew("tags", repo.Key("code", func(t *Tag) *string { return &t.Code }), repo.Col("label", func(t *Tag) *string { return &t.Label }))
	TagModel = uow.MustModel() // no relation joins tags: a session tracks its rows all the same
)

// Deleting through cascades costs a load per level of the relation graph, never per row.
func TestCascadeDeleteLoadsPerLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
		cs, err := Companies.Find(ctx, s, CompanyID.In(1, 2, 3))
		require.NoError(t, err)
		require.NoError(t, uow.Delete(s, Companies, cs...))
		n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		// One SELECT of the 9 employees, then one batch: their addresses, the last level,
		// deleted by foreign key (RETURNING, never loaded), then a DELETE each of employees and
		// companies.
		require.Equal(t, [2]int64{4, 2}, [2]int64{n.Statements, n.RoundTrips})
		return nil
	}))
	var addresses int
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT count(*) FROM addresses`).Scan(&addresses))
	require.Zero(t, addresses)
	n, err := Employees.Count(ctx, db.pool)
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "only the Drifter is left")
}

// An edit through a nullable column's pointer is a change like setting the pointer: the
// snapshot holds a copy of the value, not the pointer.
func TestEditThroughNullablePointer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		ann, err := Employees.Get(ctx, s, 4)
		require.NoError(t, err)
		*ann.CompanyID = 3
		return nil
	}))
	require.Equal(t, int64(3), companyOf(t, db, 4))
}

// The last level of a cascade is deleted by foreign key; rows of it the session holds are
// deleted as loaded rows are, forgotten when they come back from the DELETE, and kept where
// they were moved to another owner.
func TestCascadeDeleteByForeignKeyWithHeldRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	require.NoError(t, uow.Run(ctx, db.pool, FiringModel, func(s *uow.Session) error {
		austin, err := Addresses.Get(ctx, s, 6) // Peter's
		require.NoError(t, err)
		dallas, err := Addresses.Get(ctx, s, 7) // Peter's too, moved to Hank
		require.NoError(t, err)
		dallas.EmployeeID = 5
		var staff []*Employee
		for _, id := range []int64{7, 8, 9} { // Peter and the two he manages
			e, err := Employees.Get(ctx, s, id)
			require.NoError(t, err)
			staff = append(staff, e)
		}
		require.NoError(t, uow.Delete(s, Employees, staff...)) // their addresses not loaded
		require.NoError(t, s.Flush(ctx))
		require.False(t, uow.Contains(s, Addresses, austin), "deleted with Peter")
		require.True(t, uow.Contains(s, Addresses, dallas))
		_, err = Addresses.Get(ctx, s, 8) // Samir's: deleted by foreign key, never loaded
		require.ErrorIs(t, err, repo.ErrNotFound)
		return nil
	}))
	var cities []string
	rows, err := db.pool.Query(ctx, `SELECT city FROM addresses WHERE employee_id IN (5, 7, 8, 9) ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		cities = append(cities, c)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"Springfield", "Dallas"}, cities)
}
