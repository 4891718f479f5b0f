package repo_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/georgysavva/scany/v2/pgxscan"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// sameWidget reports whether a and b are equal in every column, by the columns' equality.
func sameWidget(a, b *Widget) bool {
	for _, f := range Widgets.Columns() {
		if !f.(interface{ Equal(a, b *Widget) bool }).Equal(a, b) {
			return false
		}
	}
	return true
}

func TestEveryColumnKindRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, widgetsDDL)
	var in []*Widget
	for i := range 6 {
		in = append(in, sampleWidget(i))
	}
	in[0].Blob, in[0].Tags = nil, nil // NULL bytea and text[]
	require.NoError(t, Widgets.Insert(ctx, pool, in...))
	for _, w := range in {
		got, err := Widgets.Get(ctx, pool, w.ID)
		require.NoError(t, err)
		if !sameWidget(got, w) {
			t.Errorf("Get(%d):\n got %+v\nwant %+v", w.ID, got, w)
		}
	}

	// scany, reflection-based, reads the same rows: the oracle that our accessors scan what a
	// mapper would.
	type plain struct {
		ID      int64
		Name    string
		Count   int32
		Active  bool
		Big     int64
		Note    *string
		Label   pgtype.Text
		Score   sql.Null[int64]
		Blob    []byte
		Tags    []string
		Created time.Time
	}
	var oracle []plain
	require.NoError(t, pgxscan.Select(ctx, pool, &oracle, `SELECT * FROM widgets ORDER BY id`))
	ours, err := Widgets.Find(ctx, pool, widgetID.Asc())
	require.NoError(t, err)
	require.Len(t, ours, len(oracle))
	for i, o := range oracle {
		w := Widget(o)
		if !sameWidget(ours[i], &w) {
			t.Errorf("row %d: repo %+v, scany %+v", i, ours[i], o)
		}
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL, membershipsDDL, tokensDDL)
	w := sampleWidget(1)
	require.NoError(t, Widgets.Insert(ctx, pool, w))
	require.NoError(t, Memberships.Insert(ctx, pool, &Membership{1, 2, "admin"}, &Membership{1, 3, "member"}))
	require.NoError(t, Tokens.Insert(ctx, pool, &Token{"5c3e2a36-8f0e-4a52-a0a2-7b1f3e2c9d10", "ann"}))

	t.Run("by key, one round trip", func(t *testing.T) {
		var got *Widget
		var err error
		n := tr.Count(func() { got, err = Widgets.Get(ctx, pool, w.ID) })
		require.NoError(t, err)
		require.True(t, sameWidget(got, w))
		require.Equal(t, repo.Stats{Statements: 1, RoundTrips: 1}, repo.Stats{Statements: n.Statements, RoundTrips: n.RoundTrips})
	})
	t.Run("composite key", func(t *testing.T) {
		m, err := Memberships.Get(ctx, pool, []any{int64(1), int64(3)})
		require.NoError(t, err)
		require.Equal(t, &Membership{1, 3, "member"}, m)
	})
	t.Run("uuid key", func(t *testing.T) {
		tok, err := Tokens.Get(ctx, pool, "5c3e2a36-8f0e-4a52-a0a2-7b1f3e2c9d10")
		require.NoError(t, err)
		require.Equal(t, "ann", tok.Owner)
	})
	t.Run("narrowed by a condition", func(t *testing.T) {
		_, err := Widgets.Get(ctx, pool, w.ID, widgetName.Eq("someone else"))
		require.ErrorIs(t, err, repo.ErrNotFound)
		got, err := Widgets.Get(ctx, pool, w.ID, widgetName.Eq(w.Name))
		require.NoError(t, err)
		require.Equal(t, w.ID, got.ID)
	})
	t.Run("missing row", func(t *testing.T) {
		_, err := Widgets.Get(ctx, pool, int64(999))
		require.ErrorIs(t, err, repo.ErrNotFound)
		require.ErrorIs(t, err, pgx.ErrNoRows)
		require.ErrorIs(t, err, sql.ErrNoRows)
		var e *repo.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "get", e.Op)
		require.Equal(t, "widgets", e.Table)
		require.Equal(t, int64(999), e.Key)
		require.Equal(t, "repo: get widgets key 999: not found", err.Error())
	})
	for _, tt := range []struct {
		name string
		get  func() error
		msg  string
	}{
		{"composite key given one value", func() error { _, err := Memberships.Get(ctx, pool, int64(1)); return err }, "pass them as a []any"},
		{"composite key given too few values", func() error { _, err := Memberships.Get(ctx, pool, []any{int64(1)}); return err }, "key has 1 values but the primary key of memberships has 2 columns"},
		{"one-column key given a []any", func() error { _, err := Widgets.Get(ctx, pool, []any{1, 2}); return err }, "is one column"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := tr.Count(func() {
				err := tt.get()
				require.ErrorIs(t, err, repo.ErrInvalid)
				require.ErrorContains(t, err, tt.msg)
			})
			require.Zero(t, n.Statements, "nothing is sent for a caller's mistake")
		})
	}
	t.Run("a database error stays reachable", func(t *testing.T) {
		_, err := Tokens.Get(ctx, pool, "not a uuid")
		require.Error(t, err)
		require.ErrorContains(t, err, "repo: get tokens key not a uuid")
	})
}

func TestFindAllCountExists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := predicateFixture(t)

	all, err := Widgets.Find(ctx, f.db)
	require.NoError(t, err)
	require.Len(t, all, 5)

	none, err := Widgets.Find(ctx, f.db, widgetCount.Gt(100))
	require.NoError(t, err)
	require.Empty(t, none)

	n, err := Widgets.Count(ctx, f.db)
	require.NoError(t, err)
	require.EqualValues(t, 5, n)
	n, err = Widgets.Count(ctx, f.db, widgetNote.IsNull(), widgetCount.Gt(3))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	ok, err := Widgets.Exists(ctx, f.db, widgetName.Eq("dog"))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = Widgets.Exists(ctx, f.db, widgetName.Eq("dog"), widgetCount.Eq(1))
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = Widgets.Exists(ctx, f.db)
	require.NoError(t, err)
	require.True(t, ok)

	_, err = Widgets.Count(ctx, f.db, repo.Raw[Widget]("no_such_column = 1"))
	var pgErr interface{ SQLState() string }
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "42703", pgErr.SQLState())
}

func TestAllStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := predicateFixture(t)

	t.Run("every row, in order", func(t *testing.T) {
		var names []string
		for w, err := range Widgets.All(ctx, f.db, widgetCount.Desc()) {
			require.NoError(t, err)
			names = append(names, w.Name)
		}
		require.Equal(t, []string{"eel", "dog", "cat", "Bee", "ant"}, names)
	})
	t.Run("break stops early and frees the connection", func(t *testing.T) {
		seen := 0
		for _, err := range Widgets.All(ctx, f.db, widgetCount.Asc()) {
			require.NoError(t, err)
			seen++
			if seen == 2 {
				break
			}
		}
		require.Equal(t, 2, seen)
		// The pool's connection came back: a next query works.
		_, err := Widgets.Count(ctx, f.db)
		require.NoError(t, err)
	})
	t.Run("single use", func(t *testing.T) {
		seq := Widgets.All(ctx, f.db)
		for range seq {
		}
		var errs []error
		for w, err := range seq {
			require.Nil(t, w)
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], repo.ErrInvalid)
		require.ErrorContains(t, errs[0], "already used")
	})
	t.Run("an error mid-stream ends the loop", func(t *testing.T) {
		var last error
		rows := 0
		for w, err := range Widgets.All(ctx, f.db, repo.Raw[Widget]("10 / (count - 3) <> 0"), widgetCount.Asc()) {
			if err != nil {
				last = err
				continue
			}
			rows++
			require.NotNil(t, w)
		}
		require.Error(t, last)
		require.True(t, strings.Contains(last.Error(), "division by zero"), last.Error())
		require.Less(t, rows, 5)
	})
	t.Run("nothing is sent before the loop starts", func(t *testing.T) {
		_ = Widgets.All(ctx, f.db, repo.Raw[Widget]("this would fail"))
	})
}

func TestErrNotFoundMatchesTheStandardSentinels(t *testing.T) {
	t.Parallel()
	require.True(t, errors.Is(repo.ErrNotFound, pgx.ErrNoRows))
	require.True(t, errors.Is(repo.ErrNotFound, sql.ErrNoRows))
	require.False(t, errors.Is(repo.ErrNotFound, repo.ErrInvalid))
}
