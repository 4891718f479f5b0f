package uow_test

import (
	"context"
	"testing"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// A row read with some of its columns: the flush never writes zeroes over the others, and a
// later read with them fills them in.
func TestPartialRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)

	t.Run("outside a session: the columns asked for, the key, nothing else", func(t *testing.T) {
		e, err := Employees.Get(ctx, db.pool, int64(1), repo.Only(EmployeeName))
		require.NoError(t, err)
		require.Equal(t, Employee{ID: 1, Name: "Magnus"}, Employee{ID: e.ID, Name: e.Name, CompanyID: e.CompanyID, Salary: e.Salary})
		es, err := Employees.Find(ctx, db.pool, repo.Only(EmployeeSalary), EmployeeCompanyID.Eq(2), EmployeeID.Asc())
		require.NoError(t, err)
		require.Len(t, es, 2)
		require.Equal(t, int32(250), es[0].Salary)
		require.Empty(t, es[0].Name)
	})

	t.Run("through a session", func(t *testing.T) {
		require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, int64(2), repo.Only(EmployeeSalary))
			if err != nil {
				return err
			}
			require.Empty(t, e.Name)
			e.Salary = 222
			n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
			require.Equal(t, int64(1), n.Statements, "one UPDATE, of salary alone")

			// A Get without Only reads the row again, whole, into the same instance.
			five := int64(5)
			e.ManagerID = &five // set in Go before the column is read: kept
			var again *Employee
			n = db.tr.Count(func() { again, err = Employees.Get(ctx, s, int64(2)) })
			if err != nil {
				return err
			}
			require.Equal(t, int64(2), n.Statements, "the autoflush's UPDATE of manager_id, then the SELECT")
			require.Same(t, e, again)
			require.Equal(t, "John", e.Name, "filled in")
			require.Equal(t, int64(5), *e.ManagerID, "a value set in Go meanwhile is kept")
			require.Equal(t, int64(1), *e.CompanyID)
			n = db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
			require.Zero(t, n.Statements)
			_, err = Employees.Get(ctx, s, int64(2))
			return err
		}))
		got, err := Employees.Get(ctx, db.pool, int64(2))
		require.NoError(t, err)
		require.Equal(t, "John", got.Name, "never overwritten with an empty name")
		require.Equal(t, int32(222), got.Salary)
		require.Equal(t, int64(5), *got.ManagerID)
		require.Equal(t, int64(1), *got.CompanyID)
	})

	t.Run("without autoflush: a column set in Go before it is read keeps its value", func(t *testing.T) {
		s, err := uow.Begin(ctx, db.pool, Model, uow.Autoflush(false))
		require.NoError(t, err)
		defer s.Rollback(ctx)
		e, err := Employees.Get(ctx, s, int64(4), repo.Only(EmployeeSalary))
		require.NoError(t, err)
		seven := int64(7)
		e.ManagerID = &seven
		again, err := Employees.Get(ctx, s, int64(4))
		require.NoError(t, err)
		require.Same(t, e, again)
		require.Equal(t, "Ann", e.Name)
		require.Equal(t, int64(7), *e.ManagerID)
		n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Equal(t, int64(1), n.Statements, "the UPDATE of manager_id")
	})

	t.Run("with load options, every strategy", func(t *testing.T) {
		whole, err := Employees.Find(ctx, db.pool, EmployeeCompanyID.Eq(1), EmployeeID.Asc(),
			loadopts.With(OwnedAddresses, loadopts.SelectIn), loadopts.With(EmployeeReports, loadopts.SelectIn))
		require.NoError(t, err)
		for _, strategy := range []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined} {
			for _, tx := range []bool{false, true} {
				var q repo.DB = db.pool
				var s *uow.Session
				if tx {
					var err error
					s, err = uow.Begin(ctx, db.pool, Model)
					require.NoError(t, err)
					q = s
				}
				es, err := Employees.Find(ctx, q, repo.Only(EmployeeName), EmployeeCompanyID.Eq(1), EmployeeID.Asc(),
					loadopts.With(OwnedAddresses, strategy), loadopts.With(EmployeeReports, strategy))
				require.NoError(t, err, strategy)
				require.Len(t, es, 4, strategy)
				require.Equal(t, "Magnus", es[0].Name)
				require.Zero(t, es[0].Salary, "not read")
				for i, e := range es {
					require.Len(t, e.Addresses, len(whole[i].Addresses), strategy)
					require.Len(t, e.Reports, len(whole[i].Reports), strategy)
				}
				if s != nil {
					n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
					require.Zero(t, n.Statements, strategy)
					full, err := Employees.Get(ctx, s, es[0].ID)
					require.NoError(t, err)
					require.Same(t, es[0], full)
					require.Equal(t, int32(300), full.Salary, "filled in by the whole read")
					require.NoError(t, s.Rollback(ctx))
				}
			}
		}
	})

	t.Run("mistakes", func(t *testing.T) {
		_, err := Employees.Find(ctx, db.pool, repo.Only[Employee](nil))
		require.ErrorIs(t, err, repo.ErrInvalid)
	})
}

// Only with a load through a parent key that is not the primary key: the query reads that
// column too, or the load could not match its rows.
func TestPartialRowsParentKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	_, err := db.pool.Exec(ctx, firmsDDL)
	require.NoError(t, err)
	for _, strategy := range []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined} {
		fs, err := Firms.Find(ctx, db.pool, repo.Only[Firm](), firmID.Asc(), loadopts.With(FirmMembers, strategy))
		require.NoError(t, err, strategy)
		require.Len(t, fs, 3)
		require.Equal(t, "A", fs[0].Code, "read for the load")
		require.Len(t, fs[0].Members, 2, strategy)
		require.Empty(t, fs[2].Members, strategy)
	}
}
