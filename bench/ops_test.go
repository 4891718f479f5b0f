package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/repo"
)

// The five operations of github.com/efectn/go-orm-benchmarks (Insert, InsertMulti, Update, Read,
// ReadSlice) on its table and model, each done by kinship's repo and by hand-written pgx sending
// the same statements (TestSameStatements checks that they do), in the same run:
// Benchmark<Op>/kinship and Benchmark<Op>/pgx.

// Model is the suite's model.
type Model struct {
	Id      int
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

// newModel returns the suite's row.
func newModel() *Model {
	return &Model{
		Name:    "Orm Benchmark",
		Title:   "Just a Benchmark for fun",
		Fax:     "99909990",
		Web:     "http://blog.milkpod29.me",
		Age:     100,
		Right:   true,
		Counter: 1000,
	}
}

const modelsDDL = `CREATE TABLE models (
	id serial PRIMARY KEY,
	name text,
	title text,
	fax text,
	web text,
	age int,
	"right" bool,
	counter bigint
) WITH (autovacuum_enabled = off)`

// The kinship declaration.
var (
	modelID      = repo.Serial("id", func(m *Model) *int { return &m.Id })
	modelName    = repo.Col("name", func(m *Model) *string { return &m.Name })
	modelTitle   = repo.Col("title", func(m *Model) *string { return &m.Title })
	modelFax     = repo.Col("fax", func(m *Model) *string { return &m.Fax })
	modelWeb     = repo.Col("web", func(m *Model) *string { return &m.Web })
	modelAge     = repo.Col("age", func(m *Model) *int { return &m.Age })
	modelRight   = repo.Col("right", func(m *Model) *bool { return &m.Right })
	modelCounter = repo.Col("counter", func(m *Model) *int64 { return &m.Counter })
	Models       = repo.MustNew("models",
		modelID, modelName, modelTitle, modelFax, modelWeb, modelAge, modelRight, modelCounter)
)

// The hand-written pgx twin: the statements kinship sends, written out, and scanned by hand.
const (
	insertSQL = `INSERT INTO "models" ("name", "title", "fax", "web", "age", "right", "counter") VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "id"`
	updateSQL = `UPDATE "models" SET "name" = $1, "title" = $2, "fax" = $3, "web" = $4, "age" = $5, "right" = $6, "counter" = $7 WHERE "id" = $8`
	getSQL    = `SELECT "id", "name", "title", "fax", "web", "age", "right", "counter" FROM "models" WHERE "id" = $1`
	listSQL   = `SELECT "id", "name", "title", "fax", "web", "age", "right", "counter" FROM "models" LIMIT $1`
)

// insertModelsSQL returns the INSERT of n rows: VALUES ($1, …, $7), ($8, …, $14), ….
func insertModelsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO "models" ("name", "title", "fax", "web", "age", "right", "counter") VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range 7 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*7 + j + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(` RETURNING "id"`)
	return b.String()
}

func insertModel(ctx context.Context, db *pgxpool.Pool, m *Model) error {
	return db.QueryRow(ctx, insertSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter).Scan(&m.Id)
}

// insertModels inserts ms with sql, the statement for len(ms) rows, and stores the returned ids
// in the order PostgreSQL returns them, the order of the VALUES list.
func insertModels(ctx context.Context, db *pgxpool.Pool, sql string, ms []*Model) error {
	args := make([]any, 0, 7*len(ms))
	for _, m := range ms {
		args = append(args, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter)
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i == len(ms) {
			return fmt.Errorf("insert returned more than %d ids", len(ms))
		}
		if err := rows.Scan(&ms[i].Id); err != nil {
			return err
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i != len(ms) {
		return fmt.Errorf("insert returned %d ids for %d rows", i, len(ms))
	}
	return nil
}

func updateModel(ctx context.Context, db *pgxpool.Pool, m *Model) error {
	tag, err := db.Exec(ctx, updateSQL, m.Name, m.Title, m.Fax, m.Web, m.Age, m.Right, m.Counter, m.Id)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("update: no row with id %d", m.Id)
	}
	return err
}

func getModel(ctx context.Context, db *pgxpool.Pool, id int) (Model, error) {
	var m Model
	err := db.QueryRow(ctx, getSQL, id).Scan(&m.Id, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter)
	return m, err
}

func listModels(ctx context.Context, db *pgxpool.Pool, limit int64) ([]Model, error) {
	rows, err := db.Query(ctx, listSQL, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ms := make([]Model, 0, limit)
	for rows.Next() {
		ms = append(ms, Model{})
		m := &ms[len(ms)-1]
		if err := rows.Scan(&m.Id, &m.Name, &m.Title, &m.Fax, &m.Web, &m.Age, &m.Right, &m.Counter); err != nil {
			return nil, err
		}
	}
	return ms, rows.Err()
}

// Rows per operation of InsertMulti and ReadSlice, as in the suite.
const multi = 100

// seeded is how many rows the reads find in the table.
const seeded = 2 * multi

func BenchmarkInsert(b *testing.B) {
	ctx := context.Background()
	b.Run("kinship", func(b *testing.B) {
		reset(b)
		m := newModel()
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			m.Id = 0
			if err := Models.Insert(ctx, pool, m); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkInserted(b, b.N, m)
	})
	b.Run("pgx", func(b *testing.B) {
		reset(b)
		m := newModel()
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			m.Id = 0
			if err := insertModel(ctx, pool, m); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkInserted(b, b.N, m)
	})
}

func BenchmarkInsertMulti(b *testing.B) {
	ctx := context.Background()
	b.Run("kinship", func(b *testing.B) {
		reset(b)
		ms := newModels(multi)
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			for _, m := range ms {
				m.Id = 0
			}
			if err := Models.Insert(ctx, pool, ms...); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkInserted(b, b.N*multi, ms...)
	})
	b.Run("pgx", func(b *testing.B) {
		reset(b)
		ms := newModels(multi)
		sql := insertModelsSQL(multi) // built once, as kinship does
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			for _, m := range ms {
				m.Id = 0
			}
			if err := insertModels(ctx, pool, sql, ms); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkInserted(b, b.N*multi, ms...)
	})
}

func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	b.Run("kinship", func(b *testing.B) {
		m := seed(b)[0]
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			m.Counter++
			if err := Models.Update(ctx, pool, m); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkRow(b, m)
	})
	b.Run("pgx", func(b *testing.B) {
		m := seed(b)[0]
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			m.Counter++
			if err := updateModel(ctx, pool, m); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkRow(b, m)
	})
}

func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	b.Run("kinship", func(b *testing.B) {
		want := seed(b)[multi/2]
		var got *Model
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			var err error
			if got, err = Models.Get(ctx, pool, want.Id); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		if *got != *want {
			b.Fatalf("read %+v, want %+v", *got, *want)
		}
	})
	b.Run("pgx", func(b *testing.B) {
		want := seed(b)[multi/2]
		var got Model
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			var err error
			if got, err = getModel(ctx, pool, want.Id); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		if got != *want {
			b.Fatalf("read %+v, want %+v", got, *want)
		}
	})
}

func BenchmarkReadSlice(b *testing.B) {
	ctx := context.Background()
	b.Run("kinship", func(b *testing.B) {
		seed(b)
		var got []*Model
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			var err error
			if got, err = Models.Find(ctx, pool, repo.Limit[Model](multi)); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkSlice(b, len(got), func(i int) Model { return *got[i] })
	})
	b.Run("pgx", func(b *testing.B) {
		seed(b)
		var got []Model
		b.ReportAllocs()
		before := tracer.Stats()
		for b.Loop() {
			var err error
			if got, err = listModels(ctx, pool, multi); err != nil {
				b.Fatal(err)
			}
		}
		roundTrips(b, before)
		checkSlice(b, len(got), func(i int) Model { return got[i] })
	})
}

// reset empties the table, so that rows do not pile up from one benchmark to the next, and has
// the server write out what the previous benchmark left in its buffers, so that a benchmark does
// not pay for the one before it. (Autovacuum is off on the table for the same reason.)
func reset(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "TRUNCATE models RESTART IDENTITY"); err != nil {
		b.Fatal(err)
	}
	if canCheckpoint {
		if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
	}
}

func newModels(n int) []*Model {
	ms := make([]*Model, n)
	for i := range ms {
		ms[i] = newModel()
		ms[i].Counter = int64(i)
	}
	return ms
}

// seed empties the table and fills it with rows for the reads and the update, returning them
// with their ids. Each row differs from the others in name and counter.
func seed(b *testing.B) []*Model {
	b.Helper()
	reset(b)
	ms := newModels(seeded)
	for i, m := range ms {
		m.Name = fmt.Sprintf("%s %d", m.Name, i)
	}
	ctx := context.Background()
	if err := insertModels(ctx, pool, insertModelsSQL(len(ms)), ms); err != nil {
		b.Fatal(err)
	}
	// Set the hint bits and the visibility map now, rather than in the first reads.
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE models"); err != nil {
		b.Fatal(err)
	}
	return ms
}

// checkInserted checks that the table holds n rows, that each of ms has a distinct id, and
// that the row with that id holds what ms says.
func checkInserted(b *testing.B, n int, ms ...*Model) {
	b.Helper()
	var count int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM models").Scan(&count); err != nil {
		b.Fatal(err)
	}
	if count != n {
		b.Fatalf("table has %d rows after %d iterations, want %d", count, b.N, n)
	}
	seen := make(map[int]bool, len(ms))
	for _, m := range ms {
		if m.Id == 0 || seen[m.Id] {
			b.Fatalf("id %d assigned twice or not at all", m.Id)
		}
		seen[m.Id] = true
		checkRow(b, m)
	}
}

// checkRow checks that the row with m's id holds m.
func checkRow(b *testing.B, m *Model) {
	b.Helper()
	got, err := getModel(context.Background(), pool, m.Id)
	if err != nil {
		b.Fatalf("row %d: %v", m.Id, err)
	}
	if got != *m {
		b.Fatalf("row %d is %+v, want %+v", m.Id, got, *m)
	}
}

// checkSlice checks that a ReadSlice returned multi distinct seeded rows.
func checkSlice(b *testing.B, n int, row func(int) Model) {
	b.Helper()
	if n != multi {
		b.Fatalf("read %d rows, want %d", n, multi)
	}
	seen := make(map[int]bool, n)
	for i := range n {
		m := row(i)
		if m.Id < 1 || m.Id > seeded || seen[m.Id] || m.Counter != int64(m.Id-1) {
			b.Fatalf("row %d: %+v is not a distinct seeded row", i, m)
		}
		seen[m.Id] = true
	}
}
