package repo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Member is a row of a table whose database owns several columns: defaults, a generated
// column, and columns a trigger maintains.
type Member struct {
	ID      int64
	Name    string
	Email   string     // a trigger lowercases it: ReadBack
	Active  *bool      // DEFAULT true: nil leaves it to the database, &false writes false
	Joined  time.Time  // DEFAULT '2020-01-01': the zero time leaves it to the database
	Score   *int32     // nullable, DEFAULT 7
	Upper   *string    // GENERATED ALWAYS AS (upper(name)) STORED: ReadOnly
	Updated time.Time  // set by a trigger on every write: ReadOnly
	Note    *string    // plain nullable column without a default
	Seen    *time.Time // plain nullable column with a default Go does not declare: written as NULL
}

const membersDDL = `CREATE TABLE members (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	email text NOT NULL UNIQUE,
	active boolean NOT NULL DEFAULT true,
	joined timestamptz NOT NULL DEFAULT '2020-01-01 00:00:00+00',
	score integer DEFAULT 7,
	upper_name text GENERATED ALWAYS AS (upper(name)) STORED,
	updated timestamptz NOT NULL DEFAULT '1999-01-01 00:00:00+00',
	note text,
	seen timestamptz DEFAULT now()
)`

const membersTrigger = `CREATE FUNCTION members_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.email := lower(NEW.email);
	NEW.updated := clock_timestamp();
	RETURN NEW;
END $$;
CREATE TRIGGER members_touch BEFORE INSERT OR UPDATE ON members FOR EACH ROW EXECUTE FUNCTION members_touch()`

var (
	memberID      = repo.Serial("id", func(m *Member) *int64 { return &m.ID })
	memberName    = repo.Col("name", func(m *Member) *string { return &m.Name })
	memberEmail   = repo.Col("email", func(m *Member) *string { return &m.Email }).ReadBack()
	memberActive  = repo.Nullable("active", func(m *Member) **bool { return &m.Active }).Default()
	memberJoined  = repo.Col("joined", func(m *Member) *time.Time { return &m.Joined }).Default()
	memberScore   = repo.Nullable("score", func(m *Member) **int32 { return &m.Score }).Default()
	memberUpper   = repo.Nullable("upper_name", func(m *Member) **string { return &m.Upper }).ReadOnly()
	memberUpdated = repo.Col("updated", func(m *Member) *time.Time { return &m.Updated }).ReadOnly()
	memberNote    = repo.Nullable("note", func(m *Member) **string { return &m.Note })
	memberSeen    = repo.Nullable("seen", func(m *Member) **time.Time { return &m.Seen })
	Members       = repo.MustNew("members", memberID, memberName, memberEmail, memberActive, memberJoined,
		memberScore, memberUpper, memberUpdated, memberNote, memberSeen)
)

// MemberTag has a key the client assigns and a default: its INSERT reads the default back.
type MemberTag struct {
	Code  string
	Label string
	Rank  int32 // DEFAULT 100
}

var (
	tagCode  = repo.Key("code", func(m *MemberTag) *string { return &m.Code })
	tagLabel = repo.Col("label", func(m *MemberTag) *string { return &m.Label })
	tagRank  = repo.Col("rank", func(m *MemberTag) *int32 { return &m.Rank }).Default()
	Tags     = repo.MustNew("member_tags", tagCode, tagLabel, tagRank)
)

const tagsDDL = `CREATE TABLE member_tags (code text PRIMARY KEY, label text NOT NULL, rank integer NOT NULL DEFAULT 100 CHECK (rank <> 666))`

var jan2020 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func TestColumnsTheDatabaseOwns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, membersDDL, membersTrigger, tagsDDL)

	t.Run("Insert leaves zero Default columns to the database and reads back what it owns", func(t *testing.T) {
		a := &Member{Name: "ann", Email: "Ann@Example.COM"}
		b := &Member{Name: "bob", Email: "bob@example.com", Active: ptr(false), Joined: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), Score: ptr(int32(3))}
		n := tr.Count(func() { require.NoError(t, Members.Insert(ctx, pool, a, b)) })
		require.Equal(t, [2]int64{2, 1}, [2]int64{n.Statements, n.RoundTrips}, "statements, round trips")

		require.Equal(t, "ann@example.com", a.Email, "ReadBack: the trigger's value")
		require.Equal(t, true, *a.Active, "Default: DEFAULT true, not Go's nil")
		require.True(t, a.Joined.Equal(jan2020), "Default: DEFAULT '2020-01-01', not 0001-01-01: %v", a.Joined)
		require.Equal(t, int32(7), *a.Score)
		require.Equal(t, "ANN", *a.Upper, "ReadOnly: the generated column")
		require.False(t, a.Updated.IsZero(), "ReadOnly: the trigger's timestamp")
		require.Nil(t, a.Seen, "a plain column is written as Go holds it, NULL over the default")

		require.Equal(t, false, *b.Active, "a value given is written")
		require.Equal(t, int32(3), *b.Score)
		require.Equal(t, "BOB", *b.Upper)

		for _, m := range []*Member{a, b} {
			got, err := Members.Get(ctx, pool, m.ID)
			require.NoError(t, err)
			require.Equal(t, m.Active, got.Active)
			require.True(t, m.Joined.Equal(got.Joined))
			require.Equal(t, m.Upper, got.Upper)
			require.True(t, m.Updated.Equal(got.Updated))
			require.Equal(t, m.Email, got.Email)
		}
	})

	t.Run("Update never writes a ReadOnly column and reads back what the database changed", func(t *testing.T) {
		m := &Member{Name: "cy", Email: "cy@example.com"}
		require.NoError(t, Members.Insert(ctx, pool, m))
		before := m.Updated
		m.Name, m.Email, m.Upper = "cyd", "CYD@EXAMPLE.COM", ptr("set in Go, never written")
		require.NoError(t, Members.Update(ctx, pool, m))
		require.Equal(t, "CYD", *m.Upper)
		require.Equal(t, "cyd@example.com", m.Email)
		require.True(t, m.Updated.After(before), "updated %v, was %v", m.Updated, before)

		m.Name = "cyan"
		require.NoError(t, Members.Update(ctx, pool, m, memberName))
		require.Equal(t, "CYAN", *m.Upper, "an Update of chosen columns reads back too")

		err := Members.Update(ctx, pool, m, memberUpper)
		require.ErrorIs(t, err, repo.ErrInvalid)
		require.ErrorContains(t, err, "upper_name is ReadOnly")

		gone := &Member{ID: -1, Name: "x", Email: "x@example.com"}
		require.ErrorIs(t, Members.Update(ctx, pool, gone), repo.ErrNotFound)
	})

	t.Run("Upsert reads back, and an existing row keeps its Default columns", func(t *testing.T) {
		m := &Member{Name: "dee", Email: "dee@example.com", Score: ptr(int32(1))}
		require.NoError(t, Members.Insert(ctx, pool, m))
		again := &Member{Name: "dee", Email: "DeeDee@example.com"} // Score nil: DEFAULT on insert, kept on update
		fresh := &Member{Name: "eve", Email: "EVE@example.com"}
		require.NoError(t, Members.Upsert(ctx, pool, []*Member{again, fresh}, memberName))
		require.Equal(t, m.ID, again.ID)
		require.Equal(t, "deedee@example.com", again.Email, "ReadBack after the update")
		require.Equal(t, int32(1), *again.Score, "the existing row kept its score")
		require.NotZero(t, fresh.ID)
		require.Equal(t, int32(7), *fresh.Score)
		require.Equal(t, "EVE", *fresh.Upper)
		got, err := Members.Get(ctx, pool, m.ID)
		require.NoError(t, err)
		require.Equal(t, "deedee@example.com", got.Email)
		require.Equal(t, int32(1), *got.Score)

		// RETURNING gives back the conflict columns as the database stored them: a ReadBack
		// column among them could not be matched to its row.
		err = Members.Upsert(ctx, pool, []*Member{again}, memberEmail)
		require.ErrorIs(t, err, repo.ErrInvalid)
		require.ErrorContains(t, err, "email is ReadBack")

		x := &MemberTag{Code: "ux", Label: "ux"}
		require.NoError(t, Tags.Upsert(ctx, pool, []*MemberTag{x}))
		require.Equal(t, int32(100), x.Rank, "a client key's table reads its Default back too")
	})

	t.Run("a client key with a Default column: one statement per row, each row its own default", func(t *testing.T) {
		x := &MemberTag{Code: "x", Label: "x"}
		y := &MemberTag{Code: "y", Label: "y", Rank: 5}
		require.NoError(t, Tags.Insert(ctx, pool, x, y))
		require.Equal(t, int32(100), x.Rank)
		require.Equal(t, int32(5), y.Rank)
	})

	t.Run("a failed Insert leaves the rows as they were", func(t *testing.T) {
		ok := &MemberTag{Code: "ok", Label: "ok"}
		bad := &MemberTag{Code: "bad", Label: "bad", Rank: 666}
		err := Tags.Insert(ctx, pool, ok, bad)
		require.Error(t, err)
		require.Zero(t, ok.Rank, "the default read back for a row whose INSERT was rolled back is undone")
		_, err = Tags.Get(ctx, pool, "ok")
		require.ErrorIs(t, err, repo.ErrNotFound)

		m := &Member{Name: "fay", Email: "ann@example.com"} // the email is taken
		require.Error(t, Members.Insert(ctx, pool, m))
		require.Zero(t, m.ID)
		require.Nil(t, m.Upper)
		require.Nil(t, m.Active)
	})
}

func TestColumnOptionsDeclaration(t *testing.T) {
	t.Parallel()
	type row struct {
		ID int64
		V  int32
	}
	id := func() *repo.Column[row, int64] { return repo.Serial("id", func(r *row) *int64 { return &r.ID }) }
	v := func() *repo.Column[row, int32] { return repo.Col("v", func(r *row) *int32 { return &r.V }) }
	for _, tt := range []struct {
		name string
		cols []repo.Field[row]
		msg  string
	}{
		{"Default on a key", []repo.Field[row]{repo.Key("id", func(r *row) *int64 { return &r.ID }).Default(), v()}, "neither key nor Version"},
		{"ReadOnly on a Version", []repo.Field[row]{id(), repo.Version("v", func(r *row) *int32 { return &r.V }).ReadOnly()}, "neither key nor Version"},
		{"Default and ReadOnly", []repo.Field[row]{id(), v().Default().ReadOnly()}, "both Default and ReadOnly"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := repo.New("rows", tt.cols...)
			require.ErrorIs(t, err, repo.ErrInvalid)
			require.ErrorContains(t, err, tt.msg)
		})
	}
	t.Run("an option returns a copy: the column it was called on is unchanged and free", func(t *testing.T) {
		plain := v()
		_, err := repo.New("a", id(), plain)
		require.NoError(t, err)
		_, err = repo.New("b", id(), plain.Default()) // plain is a's; its copy is no one's
		require.NoError(t, err)
		var nilCol *repo.Column[row, int32]
		_, err = repo.New("c", id(), nilCol.ReadOnly())
		require.True(t, errors.Is(err, repo.ErrInvalid))
	})
}

func TestVerifyColumnsTheDatabaseOwns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, membersDDL, membersTrigger)
	require.NoError(t, Members.Verify(ctx, pool), "the declarations match")

	type M struct {
		ID    int64
		Upper *string
		Score int32
	}
	wrong := repo.MustNew("members",
		repo.Serial("id", func(m *M) *int64 { return &m.ID }),
		repo.Nullable("upper_name", func(m *M) **string { return &m.Upper }),
		repo.Col("score", func(m *M) *int32 { return &m.Score }))
	err := wrong.Verify(ctx, pool)
	var se *repo.SchemaError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "members.upper_name")
	require.ErrorContains(t, err, ".ReadOnly()")
	require.ErrorContains(t, err, "declare the column with .Default()")
}
