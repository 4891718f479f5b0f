package uow_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// A unit of work's COMMIT goes in one batch with its flush's last statements, BEGIN with its
// first: one that only writes rows with no keys to wait for is one round trip; one that reads
// then writes, two.
func TestCommitGoesWithTheLastBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	count := func(fn func(s *uow.Session) error) repo.Stats {
		t.Helper()
		var err error
		n := db.tr.Count(func() { err = uow.Run(ctx, db.pool, Model, fn) })
		require.NoError(t, err)
		return n
	}

	n := count(func(s *uow.Session) error { return uow.Add(s, Skills, &Skill{Name: "x"}, &Skill{Name: "y"}) })
	require.Equal(t, [2]int64{4, 1}, [2]int64{n.Statements, n.RoundTrips}, "BEGIN, 2 INSERTs, COMMIT: one batch")

	c := &Company{Name: "Big"}
	for i := range 100 {
		c.Employees = append(c.Employees, &Employee{Name: fmt.Sprint("e", i)})
	}
	n = count(func(s *uow.Session) error { return uow.Add(s, Companies, c) })
	require.Equal(t, [2]int64{103, 2}, [2]int64{n.Statements, n.RoundTrips}, "BEGIN with the company, the employees with COMMIT")
	require.Len(t, employeesOf(t, db.pool, c.ID), 100)

	n = count(func(s *uow.Session) error {
		es, err := Employees.Find(ctx, s, EmployeeCompanyID.Eq(c.ID))
		for _, e := range es {
			e.Name += "!"
		}
		return err
	})
	require.Equal(t, [2]int64{103, 2}, [2]int64{n.Statements, n.RoundTrips}, "BEGIN with the read, the UPDATEs with COMMIT")
	for _, e := range employeesOf(t, db.pool, c.ID) {
		require.Contains(t, e, "!")
	}

	n = count(func(s *uow.Session) error {
		big, err := Companies.Get(ctx, s, c.ID)
		if err != nil {
			return err
		}
		return uow.Delete(s, Companies, big)
	})
	require.LessOrEqual(t, n.RoundTrips, int64(3), "BEGIN with the read, the employees' load, the DELETEs with COMMIT")
	require.Empty(t, employeesOf(t, db.pool, c.ID))
}

// A row the last batch must change but finds gone fails that batch in the server: COMMIT is
// skipped, nothing of the unit of work stays (the other row's change in the same batch), and
// the error names the row.
func TestStaleInTheLastBatchCommitsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	skillNamed := func(name string) int {
		var n int
		require.NoError(t, db.pool.QueryRow(ctx, "SELECT count(*) FROM skills WHERE name = $1", name).Scan(&n))
		return n
	}
	for _, tc := range []struct {
		name   string
		change func(s *uow.Session, a, b *Skill) error
	}{
		{"an UPDATE", func(s *uow.Session, a, b *Skill) error {
			a.Name, b.Name = "renamed", "renamed"
			return nil
		}},
		{"a DELETE", func(s *uow.Session, a, b *Skill) error { return uow.Delete(s, Skills, a, b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids [2]int64
			require.NoError(t, db.pool.QueryRow(ctx, "INSERT INTO skills (name) VALUES ('keep') RETURNING id").Scan(&ids[0]))
			require.NoError(t, db.pool.QueryRow(ctx, "INSERT INTO skills (name) VALUES ('gone') RETURNING id").Scan(&ids[1]))
			err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
				a, err := Skills.Get(ctx, s, ids[0])
				if err != nil {
					return err
				}
				b, err := Skills.Get(ctx, s, ids[1])
				if err != nil {
					return err
				}
				// Someone else deletes b meanwhile.
				if _, err := db.pool.Exec(ctx, "DELETE FROM skills WHERE id = $1", ids[1]); err != nil {
					return err
				}
				return tc.change(s, a, b)
			})
			require.ErrorIs(t, err, uow.ErrStale)
			var e *repo.Error
			require.ErrorAs(t, err, &e)
			if tc.name == "an UPDATE" {
				require.Equal(t, ids[1], e.Key, "the row found gone")
			}
			require.Zero(t, skillNamed("renamed"))
			require.Equal(t, 1, skillNamed("keep"), "not deleted, not renamed")
			_, err = db.pool.Exec(ctx, "DELETE FROM skills WHERE name IN ('keep', 'gone')")
			require.NoError(t, err)
		})
	}
}

// A row a BEFORE INSERT trigger suppresses in the last batch fails it in the server too.
func TestSuppressedInsertInTheLastBatchCommitsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, `
CREATE FUNCTION no_ghosts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.name = 'ghost' THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER no_ghosts BEFORE INSERT ON employees FOR EACH ROW EXECUTE FUNCTION no_ghosts();`)
	require.NoError(t, err)
	c := &Company{Name: "Haunted", Employees: []*Employee{{Name: "alive"}, {Name: "ghost"}}}
	err = uow.Run(ctx, db.pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
	require.Error(t, err)
	require.NotErrorIs(t, err, uow.ErrAmbiguousCommit)
	require.Zero(t, companyCount(t, db, "Haunted"))
	require.Zero(t, c.ID, "no key from a unit of work that did not commit")
}

// A COMMIT that the server refuses (a deferred constraint) in the last batch is the unit of
// work's error, not an ambiguous one, and nothing stays.
func TestRefusedCommitInTheLastBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, `
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'P0042'; END $$;
CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON companies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();`)
	require.NoError(t, err)
	c := &Company{Name: "Refused", Employees: []*Employee{{Name: "a"}}}
	err = uow.Run(ctx, db.pool, Model, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.Equal(t, "P0042", pe.Code)
	require.ErrorContains(t, err, "uow: commit: ")
	require.NotErrorIs(t, err, uow.ErrAmbiguousCommit)
	require.Zero(t, companyCount(t, db, "Refused"))
	require.Zero(t, c.ID)
	require.Zero(t, db.pool.Stat().AcquiredConns())
}

// The orphans a flush sets NULL go in one UPDATE per table and columns; a row someone else
// deleted meanwhile is ErrStale, naming the row where the UPDATE's answer is read between
// statements, and nothing of the unit of work stays, in the last batch too.
func TestOrphansInOneStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, last := range []bool{false, true} {
		db := seeded(t)
		n := db.tr.Count(func() {
			require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
				c, err := Companies.Get(ctx, s, 3, loadopts.With(CompanyEmployees, loadopts.SelectIn))
				c.Employees = nil // Peter, Milton, Samir: company_id NULL
				return err
			}))
		})
		require.Equal(t, [2]int64{5, 3}, [2]int64{n.Statements, n.RoundTrips}, "BEGIN with the company, its employees, one UPDATE with COMMIT")
		require.Empty(t, employeesOf(t, db.pool, 3))

		err := uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 2, loadopts.With(CompanyEmployees, loadopts.SelectIn))
			if err != nil {
				return err
			}
			if _, err := db.pool.Exec(ctx, "DELETE FROM employees WHERE id = 6"); err != nil { // Mindy, elsewhere
				return err
			}
			c.Employees = nil
			if !last {
				return uow.Add(s, Companies, &Company{Name: "after the orphans"}) // the UPDATE is not last
			}
			return nil
		})
		require.ErrorIs(t, err, uow.ErrStale, "last batch: %v", last)
		var e *repo.Error
		require.ErrorAs(t, err, &e)
		if !last {
			require.Equal(t, int64(6), e.Key, "the row missing from what the UPDATE returned")
		}
		require.Equal(t, []string{"Hank"}, employeesOf(t, db.pool, 2), "Hank keeps his company")
		require.Zero(t, companyCount(t, db, "after the orphans"))
	}
}
