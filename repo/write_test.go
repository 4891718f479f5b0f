package repo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// namesByID reads the table back: id → name.
func namesByID(t *testing.T, db repo.DB, table string) map[int64]string {
	t.Helper()
	return namesOf(t, db, "SELECT id, name FROM "+table)
}

func TestInsertOneRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL)
	w := sampleWidget(7)
	n := tr.Count(func() { require.NoError(t, Widgets.Insert(ctx, pool, w)) })
	require.NotZero(t, w.ID)
	require.EqualValues(t, 1, n.RoundTrips)
	require.Equal(t, map[int64]string{w.ID: w.Name}, namesByID(t, pool, "widgets"))
}

func TestInsertManyMatchesKeysToRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A sequence that hands out blocks of 20 to each session and starts high: keys are neither
	// contiguous nor in step with another session's.
	pool, _ := pgtest.NewTracedPool(t, `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL)`,
		`ALTER SEQUENCE users_id_seq CACHE 20 RESTART 1000`)

	// Four goroutines insert at once, each many multi-row statements, so that the sequence's
	// values interleave between sessions.
	const workers, batches, size = 4, 10, 37
	var mu sync.Mutex
	var inserted []*User
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for b := range batches {
				us := make([]*User, size)
				for i := range us {
					name := fmt.Sprintf("g%d-b%d-r%d", g, b, i)
					us[i] = &User{Email: name + "@example.com", Name: name}
				}
				rand.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
				if err := Users.Insert(ctx, pool, us...); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inserted = append(inserted, us...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, inserted, workers*batches*size)
	db := namesByID(t, pool, "users")
	require.Len(t, db, len(inserted))
	for _, u := range inserted {
		require.Equal(t, u.Name, db[u.ID], "the key stored in the struct is the key of its row")
	}
}

func TestInsertPastTheParameterCeiling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, membershipsDDL)
	// A client-assigned key and 3 parameters a row: 21,845 rows a statement, so 50,000 rows take
	// 3 statements, in one batch.
	ms := make([]*Membership, 50_000)
	for i := range ms {
		ms[i] = &Membership{OrgID: int64(i % 7), UserID: int64(i), Role: fmt.Sprint("role ", i)}
	}
	n := tr.Count(func() { require.NoError(t, Memberships.Insert(ctx, pool, ms...)) })
	require.Equal(t, repo.Stats{Statements: 3, RoundTrips: 1}, repo.Stats{Statements: n.Statements, RoundTrips: n.RoundTrips})
	roles := namesOf(t, pool, "SELECT user_id, role FROM memberships")
	require.Len(t, roles, len(ms))
	for _, m := range ms {
		require.Equal(t, m.Role, roles[m.UserID])
	}
}

func TestInsertFailureWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, membershipsDDL)
	// The duplicate key is in the last of three statements of one batch.
	ms := make([]*Membership, 3*(65535/3)-1)
	for i := range ms {
		ms[i] = &Membership{OrgID: 1, UserID: int64(i), Role: "m"}
	}
	ms[len(ms)-1].UserID = ms[0].UserID
	err := Memberships.Insert(ctx, pool, ms...)
	var pgErr interface{ SQLState() string }
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "23505", pgErr.SQLState())
	n, err := Memberships.Count(ctx, pool)
	require.NoError(t, err)
	require.Zero(t, n, "the batch is one implicit transaction")
	// Generated keys: TestInsertGeneratedFailureWritesNothing.
}

func TestInsertClientKeysAndNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, membershipsDDL)
	n := tr.Count(func() { require.NoError(t, Memberships.Insert(ctx, pool)) })
	require.Zero(t, n.Statements, "no rows, no statement")
	ms := []*Membership{{1, 1, "a"}, {1, 2, "b"}, {2, 1, "c"}}
	require.NoError(t, Memberships.Insert(ctx, pool, ms...))
	got, err := Memberships.Find(ctx, pool, membershipOrg.Asc(), membershipUser.Asc())
	require.NoError(t, err)
	require.Equal(t, ms, got)

	err = Memberships.Insert(ctx, pool, &Membership{3, 3, "x"}, nil)
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "row 1 is nil")
	count, _ := Memberships.Count(ctx, pool)
	require.EqualValues(t, 3, count)
}

func TestInsertOnlyAGeneratedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type ticket struct{ ID int32 }
	tickets := repo.MustNew("tickets", repo.Serial("id", func(t *ticket) *int32 { return &t.ID }))
	pool, _ := pgtest.NewTracedPool(t, `CREATE TABLE tickets (id serial PRIMARY KEY)`)
	ts := []*ticket{{}, {}, {}}
	require.NoError(t, tickets.Insert(ctx, pool, ts...))
	require.NoError(t, tickets.Insert(ctx, pool, &ticket{}))
	require.Equal(t, []*ticket{{1}, {2}, {3}}, ts)
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL, membershipsDDL)
	w := sampleWidget(1)
	require.NoError(t, Widgets.Insert(ctx, pool, w))

	t.Run("every column", func(t *testing.T) {
		w2 := sampleWidget(2)
		w2.ID = w.ID
		require.NoError(t, Widgets.Update(ctx, pool, w2))
		got, err := Widgets.Get(ctx, pool, w.ID)
		require.NoError(t, err)
		require.True(t, sameWidget(got, w2))
	})
	t.Run("chosen columns only", func(t *testing.T) {
		before, err := Widgets.Get(ctx, pool, w.ID)
		require.NoError(t, err)
		change := *before
		change.Name, change.Count, change.Big = "renamed", 99, 12345
		require.NoError(t, Widgets.Update(ctx, pool, &change, widgetName, widgetCount, widgetName))
		got, err := Widgets.Get(ctx, pool, w.ID)
		require.NoError(t, err)
		require.Equal(t, "renamed", got.Name)
		require.EqualValues(t, 99, got.Count)
		require.Equal(t, before.Big, got.Big, "a column not named is not written")
	})
	t.Run("missing row", func(t *testing.T) {
		err := Widgets.Update(ctx, pool, &Widget{ID: 424242, Name: "x"})
		require.ErrorIs(t, err, repo.ErrNotFound)
		require.ErrorContains(t, err, "repo: update widgets key 424242: not found")
	})
	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"a key column", Widgets.Update(ctx, pool, w, widgetID), "part of the primary key"},
		{"another table's column", Widgets.Update(ctx, pool, w, repo.Field[Widget](nil)), "nil column"},
		{"nil row", Widgets.Update(ctx, pool, nil), "nil row"},
		{"a table of keys only", repo.MustNew("pairs", repo.Key("a", func(m *Membership) *int64 { return &m.OrgID })).Update(ctx, pool, &Membership{}), "no column to update"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.err, repo.ErrInvalid)
			require.ErrorContains(t, tt.err, tt.msg)
		})
	}
	t.Run("a column declared for another repo of the same type", func(t *testing.T) {
		other := repo.Col("name", func(w *Widget) *string { return &w.Name })
		repo.MustNew("widgets_archive", repo.Serial("id", func(w *Widget) *int64 { return &w.ID }), other)
		n := tr.Count(func() {
			err := Widgets.Update(ctx, pool, w, other)
			require.ErrorIs(t, err, repo.ErrInvalid)
			require.ErrorContains(t, err, "name is a column of widgets_archive, not of widgets")
		})
		require.Zero(t, n.Statements)
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := predicateFixture(t)
	ws, err := Widgets.Find(ctx, f.db, widgetCount.Asc())
	require.NoError(t, err)

	require.NoError(t, Widgets.Delete(ctx, f.db, ws[0].ID))
	err = Widgets.Delete(ctx, f.db, ws[0].ID)
	require.ErrorIs(t, err, repo.ErrNotFound)
	require.ErrorIs(t, err, pgx.ErrNoRows)

	n, err := Widgets.DeleteWhere(ctx, f.db, widgetNote.IsNull())
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	require.Equal(t, []string{"Bee", "dog"}, f.names(t, widgetCount.Asc()))

	_, err = Widgets.DeleteWhere(ctx, f.db)
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "without a condition")
	_, err = Widgets.DeleteWhere(ctx, f.db, repo.And[Widget]())
	require.ErrorIs(t, err, repo.ErrInvalid)

	n, err = Widgets.DeleteWhere(ctx, f.db, repo.Raw[Widget]("TRUE"))
	require.NoError(t, err)
	require.EqualValues(t, 2, n)

	pool, _ := pgtest.NewTracedPool(t, membershipsDDL)
	require.NoError(t, Memberships.Insert(ctx, pool, &Membership{1, 1, "a"}, &Membership{1, 2, "b"}))
	require.NoError(t, Memberships.Delete(ctx, pool, []any{int64(1), int64(2)}))
	left, err := Memberships.Find(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, []*Membership{{1, 1, "a"}}, left)
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, usersDDL, membershipsDDL)
	ann := &User{Email: "ann@example.com", Name: "Ann"}
	require.NoError(t, Users.Insert(ctx, pool, ann))

	t.Run("on a unique column, serial keys come back for inserted and updated rows", func(t *testing.T) {
		us := []*User{
			{Email: "bob@example.com", Name: "Bob"},
			{Email: "ann@example.com", Name: "Ann B."},
			{Email: "cy@example.com", Name: "Cy"},
		}
		require.NoError(t, Users.Upsert(ctx, pool, us, userEmail))
		require.Equal(t, ann.ID, us[1].ID, "the existing row keeps its key")
		db := namesByID(t, pool, "users")
		require.Len(t, db, 3)
		for _, u := range us {
			require.Equal(t, u.Name, db[u.ID])
		}
	})
	t.Run("on the primary key", func(t *testing.T) {
		require.NoError(t, Memberships.Upsert(ctx, pool, []*Membership{{1, 1, "member"}}))
		require.NoError(t, Memberships.Upsert(ctx, pool, []*Membership{{1, 1, "admin"}, {1, 2, "member"}}))
		got, err := Memberships.Find(ctx, pool, membershipUser.Asc())
		require.NoError(t, err)
		require.Equal(t, []*Membership{{1, 1, "admin"}, {1, 2, "member"}}, got)
	})
	t.Run("on a serial primary key", func(t *testing.T) {
		ann.Name = "Ann C."
		require.NoError(t, Users.Upsert(ctx, pool, []*User{ann}, userID))
		got, err := Users.Get(ctx, pool, ann.ID)
		require.NoError(t, err)
		require.Equal(t, ann, got)
	})
	t.Run("past the parameter ceiling", func(t *testing.T) {
		us := make([]*User, 30000)
		for i := range us {
			us[i] = &User{Email: fmt.Sprintf("bulk%d@example.com", i), Name: fmt.Sprintf("bulk %d", i)}
		}
		require.NoError(t, Users.Upsert(ctx, pool, us, userEmail))
		for i := range us {
			us[i].Name += " again"
		}
		ids := make([]int64, len(us))
		for i, u := range us {
			ids[i], u.ID = u.ID, 0
		}
		rand.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i]; ids[i], ids[j] = ids[j], ids[i] })
		require.NoError(t, Users.Upsert(ctx, pool, us, userEmail))
		db := namesByID(t, pool, "users")
		for i, u := range us {
			require.Equal(t, ids[i], u.ID)
			require.Equal(t, u.Name, db[u.ID])
		}
	})
	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"duplicate conflict values", Users.Upsert(ctx, pool, []*User{{Email: "x"}, {Email: "x"}}, userEmail), "rows 0 and 1 have the same values"},
		{"a column named twice", Users.Upsert(ctx, pool, []*User{{Email: "x"}}, userEmail, userEmail), "named twice"},
		{"nil row", Users.Upsert(ctx, pool, []*User{nil}, userEmail), "row 0 is nil"},
		{"a column that cannot be compared", Widgets.Upsert(ctx, pool, []*Widget{sampleWidget(1)}, widgetBlob), "cannot be compared"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.err, repo.ErrInvalid)
			require.ErrorContains(t, tt.err, tt.msg)
		})
	}
}

// Doc has a version column: Update checks and bumps it.
type Doc struct {
	ID      int64
	Body    string
	Version int32
}

var (
	docID      = repo.Serial("id", func(d *Doc) *int64 { return &d.ID })
	docBody    = repo.Col("body", func(d *Doc) *string { return &d.Body })
	docVersion = repo.Version("version", func(d *Doc) *int32 { return &d.Version })
	Docs       = repo.MustNew("docs", docID, docBody, docVersion)
)

func TestVersionColumn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, `CREATE TABLE docs (id bigserial PRIMARY KEY, body text NOT NULL, version integer NOT NULL)`)
	d := &Doc{Body: "v1", Version: 1}
	require.NoError(t, Docs.Insert(ctx, pool, d))

	stale := *d
	d.Body = "v2"
	require.NoError(t, Docs.Update(ctx, pool, d))
	require.EqualValues(t, 2, d.Version, "Update bumps the version in the row")
	got, err := Docs.Get(ctx, pool, d.ID)
	require.NoError(t, err)
	require.Equal(t, *d, *got)

	stale.Body = "lost update"
	err = Docs.Update(ctx, pool, &stale)
	require.ErrorIs(t, err, repo.ErrStale)
	require.ErrorContains(t, err, fmt.Sprintf("repo: update docs key %d: stale row", d.ID))
	require.EqualValues(t, 1, stale.Version, "a stale row keeps its version")

	require.NoError(t, Docs.Update(ctx, pool, d, docBody))
	require.EqualValues(t, 3, d.Version, "chosen columns bump it too")
	err = Docs.Update(ctx, pool, d, docVersion)
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "version column")

	_, err = repo.New("docs2", repo.Serial("id", func(d *Doc) *int64 { return &d.ID }),
		repo.Version("v1", func(d *Doc) *int32 { return &d.Version }), repo.Version("v2", func(d *Doc) *int32 { return &d.Version }))
	require.ErrorIs(t, err, repo.ErrInvalid)
	require.ErrorContains(t, err, "second Version column")
}
