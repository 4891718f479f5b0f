package uow_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// Two tables that refer to each other: a store has staff (staff.store_id, NOT NULL) and a
// manager among them (store.manager_id, nullable).
type Store struct {
	ID        int64
	Name      string
	ManagerID *int64
	Manager   *Staffer
	Staff     []*Staffer
}

type Staffer struct {
	ID      int64
	Name    string
	StoreID int64
}

var (
	storeID      = repo.Serial("id", func(s *Store) *int64 { return &s.ID })
	storeName    = repo.Col("name", func(s *Store) *string { return &s.Name })
	storeManager = repo.Nullable("manager_id", func(s *Store) **int64 { return &s.ManagerID })
	Stores       = repo.MustNew("stores", storeID, storeName, storeManager)

	stafferID    = repo.Serial("id", func(s *Staffer) *int64 { return &s.ID })
	stafferName  = repo.Col("name", func(s *Staffer) *string { return &s.Name })
	stafferStore = repo.Col("store_id", func(s *Staffer) *int64 { return &s.StoreID })
	Staffers     = repo.MustNew("staff", stafferID, stafferName, stafferStore)

	StoreStaff   = rel.HasMany(storeID, stafferStore, func(s *Store) *[]*Staffer { return &s.Staff }, rel.Cascade(rel.All, rel.DeleteOrphan))
	StoreManager = rel.BelongsTo(storeManager, stafferID, func(s *Store) **Staffer { return &s.Manager })
	StoreModel   = uow.MustModel(StoreStaff, StoreManager)
)

func storesDB(t *testing.T) (*pgxpool.Pool, *repo.Tracer) {
	return pgtest.NewTracedPool(t,
		`CREATE TABLE stores (id bigserial PRIMARY KEY, name text NOT NULL, manager_id bigint)`,
		`CREATE TABLE staff (id bigserial PRIMARY KEY, name text NOT NULL, store_id bigint NOT NULL REFERENCES stores)`,
		`ALTER TABLE stores ADD FOREIGN KEY (manager_id) REFERENCES staff`,
		`CREATE INDEX ON staff (store_id)`,
		`CREATE INDEX ON stores (manager_id)`,
	)
}

func TestCycleBetweenTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := storesDB(t)
	require.NoError(t, StoreModel.Verify(ctx, pool))

	// One flush inserts both ends: the store without its manager, the staff, then the UPDATE.
	boss, clerk := &Staffer{Name: "Boss"}, &Staffer{Name: "Clerk"}
	shop := &Store{Name: "Shop", Manager: boss, Staff: []*Staffer{boss, clerk}}
	s, err := uow.Begin(ctx, pool, StoreModel)
	require.NoError(t, err)
	defer s.Rollback(ctx)
	require.NoError(t, uow.Add(s, Stores, shop))
	n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Equal(t, int64(5), n.Statements, "BEGIN, INSERT store, INSERT ×2 staff, UPDATE store")
	require.Equal(t, boss.ID, *shop.ManagerID)
	require.Equal(t, shop.ID, clerk.StoreID)
	n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Zero(t, n.Statements, "the UPDATE's result is the snapshot")
	require.NoError(t, s.Commit(ctx))

	got, err := Stores.Get(ctx, pool, shop.ID)
	require.NoError(t, err)
	require.Equal(t, boss.ID, *got.ManagerID)

	// A second store, inserted with a manager who already exists: no UPDATE needed.
	require.NoError(t, uow.Run(ctx, pool, StoreModel, func(s *uow.Session) error {
		b, err := Staffers.Get(ctx, s, boss.ID)
		if err != nil {
			return err
		}
		other := &Store{Name: "Other", Manager: b, Staff: []*Staffer{{Name: "Temp"}}}
		if err := uow.Add(s, Stores, other); err != nil {
			return err
		}
		n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Equal(t, int64(2), n.Statements, "INSERT store with its manager, INSERT staff")
		return uow.Delete(s, Stores, other)
	}))

	// One flush deletes both ends: the manager_id set NULL first, then staff, then the store.
	require.NoError(t, uow.Run(ctx, pool, StoreModel, func(s *uow.Session) error {
		st, err := Stores.Get(ctx, s, shop.ID)
		if err != nil {
			return err
		}
		return uow.Delete(s, Stores, st)
	}))
	var left int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stores) + (SELECT count(*) FROM staff)`).Scan(&left))
	require.Zero(t, left)
}

func TestCycleOfNotNullForeignKeysIsRefused(t *testing.T) {
	t.Parallel()
	type A struct{ ID, BID int64 }
	type B struct{ ID, AID int64 }
	aID := repo.Serial("id", func(a *A) *int64 { return &a.ID })
	aB := repo.Col("b_id", func(a *A) *int64 { return &a.BID })
	bID := repo.Serial("id", func(b *B) *int64 { return &b.ID })
	bA := repo.Col("a_id", func(b *B) *int64 { return &b.AID })
	repo.MustNew("as", aID, aB)
	repo.MustNew("bs", bID, bA)
	_, err := uow.NewModel(
		rel.BelongsTo(aB, bID, func(*A) **B { return new(*B) }),
		rel.BelongsTo(bA, aID, func(*B) **A { return new(*A) }))
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "foreign keys are all NOT NULL")
}

// New rows of one table that refer to each other in a cycle: two employees, each the other's
// manager, inserted in one flush.
func TestCycleOfNewRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	a, b := &Employee{Name: "a"}, &Employee{Name: "b"}
	a.Manager, b.Manager = b, a
	require.NoError(t, uow.Run(ctx, db.pool, Model, func(s *uow.Session) error {
		if err := uow.Add(s, Employees, a); err != nil {
			return err
		}
		n := db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Equal(t, int64(4), n.Statements, "BEGIN, INSERT a (manager NULL), INSERT b, UPDATE a")
		n = db.tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Zero(t, n.Statements)
		return nil
	}))
	got, err := Employees.Find(ctx, db.pool, EmployeeID.In(a.ID, b.ID), EmployeeID.Asc())
	require.NoError(t, err)
	require.Equal(t, b.ID, *got[0].ManagerID)
	require.Equal(t, a.ID, *got[1].ManagerID)
}
