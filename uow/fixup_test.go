package uow_test

import (
	"context"
	"testing"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

func ptr[V any](v V) *V { return &v }

// TestStaleCollectionFixed is the scenario SQLAlchemy users write blog posts about: load company
// 1 with its employees, add Lisa and then Lisa's friend with company_id = 1: the loaded
// collection counts 3, then 4 (SQLAlchemy: 3 and 3), with every strategy.
func TestStaleCollectionFixed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, s := range []loadopts.Strategy{loadopts.Lazy, loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined} {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			db := seeded(t)
			_, err := db.pool.Exec(ctx, `DELETE FROM employees WHERE company_id = 2 AND manager_id IS NOT NULL`)
			require.NoError(t, err)
			err = uow.Run(ctx, db.pool, Model, func(sess *uow.Session) error {
				c, err := Companies.Get(ctx, sess, 2, loadopts.With(CompanyEmployees, s))
				require.NoError(t, err)
				emps, err := CompanyEmployees.Of(ctx, sess, c)
				require.NoError(t, err)
				require.Len(t, emps, 1)
				require.NoError(t, uow.Add(sess, Employees, &Employee{Name: "Lisa", CompanyID: ptr(int64(2))}))
				require.Len(t, c.Employees, 2)
				require.NoError(t, uow.Add(sess, Employees, &Employee{Name: "Lisa's friend", CompanyID: ptr(int64(2))}))
				require.Len(t, c.Employees, 3)
				return nil
			})
			require.NoError(t, err)
			n, err := Employees.Count(ctx, db.pool, EmployeeCompanyID.Eq(2))
			require.NoError(t, err)
			require.EqualValues(t, 3, n)
		})
	}
}

// A BelongsTo without an inverse HasMany whose foreign key the flush filled in (the owner was
// new): clearing the field afterwards is one edit, not a conflict with the key the flush wrote.
// Found by the model-based test (the Owning model has Manages alone).
func TestBelongsToAloneAfterTheFlushFilledItsKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	s, err := uow.Begin(ctx, db.pool, uow.MustModel(EmployeeManager))
	require.NoError(t, err)
	defer s.Rollback(ctx)
	boss := &Employee{Name: "boss"}
	e := &Employee{Name: "e", Manager: boss}
	require.NoError(t, uow.Add(s, Employees, boss, e))
	require.NoError(t, s.Flush(ctx))
	require.Equal(t, boss.ID, *e.ManagerID)
	e.Manager = nil
	require.NoError(t, s.Flush(ctx))
	require.Nil(t, e.ManagerID)
	got, err := Employees.Find(ctx, s, EmployeeID.Eq(e.ID), EmployeeManagerID.IsNull())
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// A to-one field a load left nil (its foreign key NULL then) is not loaded any more once the
// foreign key names a row the session does not hold: Of loads that row, through every
// strategy the first load used.
func TestForeignKeySetAfterALoadLeftTheFieldNil(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	for _, how := range []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined} {
		s, err := uow.Begin(ctx, db.pool, Model)
		require.NoError(t, err)
		defer s.Rollback(ctx)
		drifter, err := Employees.Get(ctx, s, 10, loadopts.With(EmployeeCompany, how))
		require.NoError(t, err)
		require.Nil(t, drifter.Company, "no company yet")
		drifter.CompanyID = ptr(int64(3)) // Initech, which the session does not hold
		require.NoError(t, s.Flush(ctx))
		c, err := EmployeeCompany.Of(ctx, s, drifter)
		require.NoError(t, err)
		require.NotNil(t, c, "%v: the company its foreign key names", how)
		require.Equal(t, "Initech", c.Name)
		require.NoError(t, s.Rollback(ctx))
	}
}
