package repo_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Mood is an enum held in a named string type.
type Mood string

type Diary struct {
	ID   int64
	Mood *Mood
}

var (
	diaryID   = repo.Serial("id", func(d *Diary) *int64 { return &d.ID })
	diaryMood = repo.Nullable("mood", func(d *Diary) **Mood { return &d.Mood })
	Diaries   = repo.MustNew("diaries", diaryID, diaryMood)
)

func TestFormatArgs(t *testing.T) {
	t.Parallel()
	happy := Mood("happy")
	when := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)
	got := repo.FormatArgs([]any{&happy, (*Mood)(nil), "it's", []byte{1, 0xab}, nil, []int64{1, 2}, []string{"a"}, int32(7), &when, true})
	require.Equal(t, `[happy, NULL, "it's", '\x01ab', NULL, {1,2}, {"a"}, 7, 2026-12-02T03:04:05Z, true]`, got)
}

// An enum written through a Nullable column prints as its value, not as an address.
func TestEchoPrintsEnumValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var out bytes.Buffer
	pool, tr := pgtest.NewTracedPool(t, `CREATE TYPE mood AS ENUM ('happy', 'sad')`, `CREATE TABLE diaries (id bigserial PRIMARY KEY, mood mood)`)
	tr.Logger = slog.New(repo.NewEchoHandler(&out, "> "))
	sad := Mood("sad")
	require.NoError(t, Diaries.Insert(ctx, pool, &Diary{Mood: &sad}))
	require.Equal(t, "> INSERT INTO \"diaries\" (\"mood\") VALUES ($1) RETURNING \"id\"  [sad]\n", out.String())
}

// A statement the server checks (a unit of work's last batch) prints as the statement it wraps,
// the row count it must affect after it; any other WITH prints as it is.
func TestEchoPrintsCheckedStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var out bytes.Buffer
	tr := &repo.Tracer{Logger: slog.New(repo.NewEchoHandler(&out, "> "))}
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	_, err := pool.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	require.NoError(t, err)
	out.Reset()
	for _, st := range []pipe.Statement{
		pipe.Checked(pipe.Statement{SQL: `UPDATE t SET name = $1 WHERE id = $2`, Args: []any{"c", 1}, Rows: 1}),
		pipe.Checked(pipe.Statement{SQL: `DELETE FROM t WHERE id = ANY($1) RETURNING id`, Args: []any{[]int32{2}}, Rows: 1,
			Read: func(pgx.Rows) error { return nil }}), // what it returns has a Read
		{SQL: `WITH w AS (SELECT 1) SELECT * FROM w`},
	} {
		rows, err := pool.Query(ctx, st.SQL, st.Args...)
		require.NoError(t, err)
		rows.Close()
		require.NoError(t, rows.Err())
	}
	require.Equal(t, `> UPDATE t SET name = $1 WHERE id = $2  ["c", 1]  -- checked: 1 row(s)
> DELETE FROM t WHERE id = ANY($1) RETURNING id  [{2}]  -- checked: 1 row(s)
> WITH w AS (SELECT 1) SELECT * FROM w
`, out.String())
}
