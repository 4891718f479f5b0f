package bench

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/repo"
)

// recorder is a pgx tracer that keeps the SQL of every query.
type recorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	r.sql = append(r.sql, data.SQL)
	r.mu.Unlock()
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sql
	r.sql = nil
	return s
}

// TestSameStatements checks that the pgx twin of each operation sends the statements kinship
// sends, so that the benchmarks compare the Go code around the same database work.
func TestSameStatements(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	cfg := pool.Config()
	cfg.ConnConfig.Tracer = rec
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "TRUNCATE models RESTART IDENTITY"); err != nil {
		t.Fatal(err)
	}
	rec.take()

	m := newModel()
	ms := newModels(multi)
	tests := []struct {
		op           string
		kinship, pgx func() error
	}{
		{"Insert",
			func() error { return Models.Insert(ctx, db, m) },
			func() error { return insertModel(ctx, db, m) }},
		{"InsertMulti",
			func() error { return Models.Insert(ctx, db, ms...) },
			func() error { return insertModelsEach(ctx, db, ms) }},
		{"Update",
			func() error { return Models.Update(ctx, db, m) },
			func() error { return updateModel(ctx, db, m) }},
		{"Read",
			func() error { _, err := Models.Get(ctx, db, m.Id); return err },
			func() error { _, err := getModel(ctx, db, m.Id); return err }},
		{"ReadSlice",
			func() error { _, err := Models.Find(ctx, db, repo.Limit[Model](multi)); return err },
			func() error { _, err := listModels(ctx, db, multi); return err }},
	}
	// In order and not in parallel: Update and Read use the row Insert made.
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			if err := tt.kinship(); err != nil {
				t.Fatalf("kinship: %v", err)
			}
			want := rec.take()
			if err := tt.pgx(); err != nil {
				t.Fatalf("pgx: %v", err)
			}
			if got := rec.take(); !slices.Equal(got, want) {
				t.Errorf("pgx sent\n\t%q\nkinship sent\n\t%q", got, want)
			}
		})
	}
}

// insertModelsEach is what kinship sends for rows whose key the database generates: one INSERT …
// RETURNING per row, all in one batch, so that each key is read from its own row's statement.
// (insertModels, the floor of BenchmarkInsertMulti, takes the keys in the order RETURNING gives
// them, which PostgreSQL does not promise.)
func insertModelsEach(ctx context.Context, db *pgxpool.Pool, ms []*Model) error {
	b := &pgx.Batch{}
	for _, m := range ms {
		b.Queue(insertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).QueryRow(func(r pgx.Row) error { return r.Scan(&m.Id) })
	}
	return db.SendBatch(ctx, b).Close()
}
