package repo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

func TestTracerEchoesAndCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	tr := &repo.Tracer{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	pool := pgtest.NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	_, err := pool.Exec(ctx, usersDDL)
	require.NoError(t, err)
	buf.Reset()
	before := tr.Stats()

	require.NoError(t, Users.Insert(ctx, pool, &User{Email: "a@example.com", Name: "A"}))
	_, err = Users.Find(ctx, pool, userName.Eq("A"))
	require.NoError(t, err)
	b := &pgx.Batch{}
	b.Queue("SELECT 1")
	b.Queue("SELECT $1::int", 2)
	require.NoError(t, pool.SendBatch(ctx, b).Close())
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"email", "name"}, pgx.CopyFromRows([][]any{{"c@example.com", "C"}}))
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "SELECT no_such_column")
	require.Error(t, err)

	got := tr.Stats().Sub(before)
	require.EqualValues(t, 6, got.Statements, "insert, find, two batched, copy, the failing select")
	require.EqualValues(t, 5, got.RoundTrips, "the batch is one round trip")

	var records []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var r map[string]any
		require.NoError(t, dec.Decode(&r))
		records = append(records, r)
	}
	require.GreaterOrEqual(t, len(records), 6)
	insert := records[0]
	require.Equal(t, "query", insert["msg"])
	require.Equal(t, `INSERT INTO "users" ("email", "name") VALUES ($1, $2) RETURNING "id"`, insert["sql"])
	require.Equal(t, []any{"a@example.com", "A"}, insert["args"])
	require.Contains(t, insert, "duration")
	require.EqualValues(t, 1, insert["rows"])
	var msgs []string
	for _, r := range records {
		msgs = append(msgs, r["msg"].(string))
	}
	require.Contains(t, msgs, "batch")
	require.Contains(t, msgs, "batch query")
	require.Contains(t, msgs, "copy")
	last := records[len(records)-1]
	require.Equal(t, "SELECT no_such_column", last["sql"])
	require.Contains(t, last["error"], "no_such_column")
}

func TestTracerWithoutLoggerDoesNotAllocate(t *testing.T) {
	tr := &repo.Tracer{}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		c := tr.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{SQL: "SELECT 1"})
		tr.TraceQueryEnd(c, nil, pgx.TraceQueryEndData{})
	})
	require.Zero(t, allocs)
}
