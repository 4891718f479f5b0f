package uow_test

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// TestBadInputTable gives the public API wrong input, case by case: each is a clear error
// (never a panic) and nothing is written.
func TestBadInputTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	other, err := Employees.Get(ctx, db.pool, 1) // read outside any session
	require.NoError(t, err)
	ended, err := uow.Begin(ctx, db.pool, Model)
	require.NoError(t, err)
	require.NoError(t, ended.Rollback(ctx))

	tests := []struct {
		name string
		do   func(s *uow.Session) error
		want error
		msg  string
	}{
		{"Add a nil row", func(s *uow.Session) error { return uow.Add(s, Companies, nil) }, repo.ErrInvalid, "row 0 is nil"},
		{"Add to a nil Repo", func(s *uow.Session) error { return uow.Add[Company](s, nil, &Company{}) }, repo.ErrInvalid, "nil Repo"},
		{"Add to an ended session", func(*uow.Session) error { return uow.Add(ended, Companies, &Company{}) }, nil, "the session has ended"},
		{"Add a row read by another session", func(s *uow.Session) error { return uow.Add(s, Employees, other) }, repo.ErrInvalid, "already has its generated key"},
		{"Add a second instance of a held row", func(s *uow.Session) error {
			if _, err := Companies.Get(ctx, s, 2); err != nil {
				return err
			}
			return uow.Add(s, Companies, &Company{ID: 2})
		}, repo.ErrInvalid, "key 2: the session already holds another instance"},
		{"Add a row deleted earlier in the session", func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 4)
			if err != nil {
				return err
			}
			if err := uow.Delete(s, Companies, c); err != nil {
				return err
			}
			return uow.Add(s, Companies, c)
		}, repo.ErrInvalid, "deleted earlier in this session"},
		{"Add a row whose collection holds nil", func(s *uow.Session) error {
			return uow.Add(s, Companies, &Company{Name: "x", Employees: []*Employee{{Name: "y"}, nil}})
		}, repo.ErrInvalid, `the collection of a new companies row (id=0, name="x") holds nil at position 1`},
		{"Flush a loaded collection a nil was appended to", func(s *uow.Session) error {
			c, err := Companies.Get(ctx, s, 1, loadopts.With(CompanyEmployees, loadopts.Joined))
			if err != nil {
				return err
			}
			c.Employees = append(c.Employees, nil)
			return s.Flush(ctx)
		}, repo.ErrInvalid, "the collection of the companies row with key 1 holds nil at position 4"},
		{"Flush a many-to-many collection holding nil", func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, 1, loadopts.With(EmployeeSkills, loadopts.Joined))
			if err != nil {
				return err
			}
			e.Skills = append(e.Skills, nil)
			return s.Flush(ctx)
		}, repo.ErrInvalid, "EmployeeSkills: the collection of the employees row with key 1 holds nil"},
		{"Load through a session a relation its model does not have", func(s *uow.Session) error {
			_, err := Employees.Find(ctx, s, loadopts.With(EmployeeAddresses, loadopts.SelectIn))
			return err
		}, repo.ErrInvalid, "uow.Load relation EmployeeAddresses: the relation is not in the session's model"},
		{"Of through a session, of a relation its model does not have", func(s *uow.Session) error {
			e, err := Employees.Get(ctx, s, 1)
			if err != nil {
				return err
			}
			_, err = EmployeeAddresses.Of(ctx, s, e)
			return err
		}, repo.ErrInvalid, "add it to uow.NewModel"},
		{"Update through the session a second instance of a row it holds", func(s *uow.Session) error {
			if _, err := Companies.Get(ctx, s, 2); err != nil {
				return err
			}
			return Companies.Update(ctx, s, &Company{ID: 2, Name: "Other"})
		}, repo.ErrInvalid, "holds another instance of the companies row with key 2"},
		{"Upsert through the session a second instance of a row it holds", func(s *uow.Session) error {
			if _, err := Companies.Get(ctx, s, 2); err != nil {
				return err
			}
			return Companies.Upsert(ctx, s, []*Company{{ID: 2, Name: "Other"}})
		}, repo.ErrInvalid, "change that one and let the flush write it"},
		{"Load for a nil parent", func(s *uow.Session) error { return CompanyEmployees.Load(ctx, s, nil) }, repo.ErrInvalid, "parent 0 is nil"},
		{"Load through a nil DB", func(*uow.Session) error { return CompanyEmployees.Load(ctx, nil, &Company{ID: 1}) }, repo.ErrInvalid, "nil DB"},
		{"Of through a nil DB", func(*uow.Session) error { _, err := CompanyEmployees.Of(ctx, nil, &Company{ID: 1}); return err }, repo.ErrInvalid, "nil DB"},
		{"Delete a nil row", func(s *uow.Session) error { return uow.Delete(s, Companies, nil) }, repo.ErrInvalid, "row 0 is nil"},
		{"Delete a row never inserted", func(s *uow.Session) error { return uow.Delete(s, Companies, &Company{Name: "x"}) }, repo.ErrInvalid, "has no key"},
		{"Refresh a nil row", func(s *uow.Session) error { return uow.Refresh[Company](ctx, s, Companies, nil) }, repo.ErrInvalid, "nil row"},
		{"Refresh a row that is gone", func(s *uow.Session) error { return uow.Refresh(ctx, s, Companies, &Company{ID: 99}) }, repo.ErrNotFound, "key 99"},
		{"Get with a key of the wrong shape", func(s *uow.Session) error { _, err := Companies.Get(ctx, s, []any{1, 2}); return err }, repo.ErrInvalid, "is one column"},
		{"a load option with an unknown strategy", func(s *uow.Session) error {
			_, err := Companies.Find(ctx, s, loadopts.With(CompanyEmployees, loadopts.Strategy(99)))
			return err
		}, nil, "unknown strategy"},
		{"Insert nothing", func(s *uow.Session) error { return Companies.Insert(ctx, s) }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := db.tr.Stats()
			var err error
			require.NotPanics(t, func() {
				err = uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
					if err := tt.do(s); err != nil {
						return err
					}
					return errors.New("roll back: these cases write nothing")
				})
			})
			if tt.msg == "" {
				require.ErrorContains(t, err, "roll back")
			} else {
				require.ErrorContains(t, err, tt.msg)
			}
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
			got := db.tr.Stats().Sub(before)
			require.LessOrEqual(t, got.Statements, int64(3), "BEGIN, what the case read, ROLLBACK: no write")
		})
	}
	// The database is as the seed left it.
	n, err := Companies.Count(ctx, db.pool)
	require.NoError(t, err)
	require.EqualValues(t, 4, n)

	// Constructors and options.
	_, err = uow.NewModel(nil)
	require.ErrorIs(t, err, repo.ErrInvalid)
	_, err = uow.Begin(ctx, db.pool, nil)
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorIs(t, uow.Run(ctx, db.pool, Model, nil), repo.ErrInvalid)
	require.ErrorContains(t, uow.Run(ctx, db.pool, Model, func(*uow.Session) error { return nil }, uow.Retry(0, time.Millisecond, time.Second)), "at least 1 attempt")
	require.ErrorContains(t, uow.Run(ctx, db.pool, Model, func(*uow.Session) error { return nil }, nil), "nil option")
	_, err = uow.Attach(nil, Model)
	require.ErrorIs(t, err, repo.ErrInvalid)
}
