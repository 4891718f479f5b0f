package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// exchanges is a pgx tracer that keeps every statement with its arguments, and how they were
// sent: "query: SQL [args]" for a statement sent alone, "batch: n" for a batch of n followed by
// "  SQL [args]" for each of its statements.
type exchanges struct {
	mu  sync.Mutex
	log []string
}

func (x *exchanges) add(s string) {
	x.mu.Lock()
	x.log = append(x.log, s)
	x.mu.Unlock()
}

func (x *exchanges) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	x.add(fmt.Sprintf("query: %s %v", data.SQL, data.Args))
	return ctx
}

func (x *exchanges) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (x *exchanges) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	x.add(fmt.Sprintf("batch: %d", data.Batch.Len()))
	return ctx
}

func (x *exchanges) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	x.add(fmt.Sprintf("  %s %v", data.SQL, data.Args))
}

func (x *exchanges) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (x *exchanges) take() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.log
	x.log = nil
	return s
}

// tracedPool returns a pool of its own on schema (which must exist), traced by x (an *exchanges,
// or several tracers combined by multitracer), with the run-time parameters params.
func tracedPool(t *testing.T, schema string, x pgx.QueryTracer, params map[string]string) *pgxpool.Pool {
	t.Helper()
	cfg := pool.Config()
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	cfg.ConnConfig.Tracer = x
	db, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// TestLoadSameStatements checks that each pgx twin of the load benchmarks sends the statements
// kinship sends, with the same arguments, in the same round trips, and returns the same graph.
func TestLoadSameStatements(t *testing.T) {
	ctx := context.Background()
	x := &exchanges{}
	shapes := []struct {
		name string
		m    int
		sh   loadShape
	}{
		{"children=10", 10, loadShape{n: 3}},
		{"children=0", 0, loadShape{n: 3}},
		{"addresses", twoLevelChildren, loadShape{n: 3, addresses: true}},
		{"top", 100, loadShape{n: 3, top: 3}},
	}
	for _, shape := range shapes {
		loadData(t, shape.m)
		db := tracedPool(t, fmt.Sprintf("load_m%d", shape.m), x, loadParams)
		want := wantSum(t, db, shape.sh)
		for _, s := range loadStrategies {
			t.Run(shape.name+"/"+s.String(), func(t *testing.T) {
				x.take()
				k, err := kinshipLoad(ctx, db, s, shape.sh)
				if err != nil {
					t.Fatalf("kinship: %v", err)
				}
				sent := x.take()
				p, err := pgxLoad(ctx, db, s, shape.sh)
				if err != nil {
					t.Fatalf("pgx: %v", err)
				}
				if got := x.take(); !slices.Equal(got, sent) {
					t.Errorf("pgx sent\n\t%s\nkinship sent\n\t%s", strings.Join(got, "\n\t"), strings.Join(sent, "\n\t"))
				}
				checkLoaded(t, want, shape.sh, k)
				checkLoaded(t, want, shape.sh, p)
			})
		}
	}
}

// TestFlushSameStatements checks that the pgx twins of Insert and Update send the statements
// kinship's flush sends, in the same round trips, and logs what the deletes send.
func TestFlushSameStatements(t *testing.T) {
	ctx := context.Background()
	flushDB(t)
	x := &exchanges{}
	db := tracedPool(t, "flush", x, nil)
	same := func(t *testing.T, kinship, pgx func() error) {
		t.Helper()
		x.take()
		if err := kinship(); err != nil {
			t.Fatalf("kinship: %v", err)
		}
		sent := x.take()
		if err := pgx(); err != nil {
			t.Fatalf("pgx: %v", err)
		}
		got := x.take()
		// The rows differ (other ids): compare the statements, and the arguments' count.
		strip := func(log []string) []string {
			out := make([]string, len(log))
			for i, s := range log {
				out[i] = s[:max(strings.LastIndex(s, " ["), 0)]
			}
			return out
		}
		if !slices.Equal(strip(got), strip(sent)) {
			t.Errorf("pgx sent\n\t%s\nkinship sent\n\t%s", strings.Join(got, "\n\t"), strings.Join(sent, "\n\t"))
		}
	}
	t.Run("Insert", func(t *testing.T) {
		same(t,
			func() error { return kinshipInsert(ctx, db, newCompany()) },
			func() error { return pgxInsertEach(ctx, db, newCompany()) })
	})
	t.Run("Update", func(t *testing.T) {
		ids := seedCompanies(t, db, 2)
		same(t,
			func() error { return kinshipRaise(ctx, db, ids[0]) },
			func() error { return pgxRaise(ctx, db, ids[1]) })
	})
	for _, tc := range []struct {
		name    string
		kinship func(id int64) error
		pgx     func(id int64) error
	}{
		{"Delete", func(id int64) error { return kinshipDelete(ctx, db, flushModel, id) }, func(id int64) error { return pgxDelete(ctx, db, id) }},
		{"DeletePassive", func(id int64) error { return kinshipDelete(ctx, db, passiveModel, id) }, func(id int64) error { return pgxDeletePassive(ctx, db, id) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := seedCompanies(t, db, 2)
			x.take()
			if err := tc.kinship(ids[0]); err != nil {
				t.Fatalf("kinship: %v", err)
			}
			t.Logf("kinship sent\n\t%s", strings.Join(x.take(), "\n\t"))
			if err := tc.pgx(ids[1]); err != nil {
				t.Fatalf("pgx: %v", err)
			}
			t.Logf("pgx sent\n\t%s", strings.Join(x.take(), "\n\t"))
		})
	}
}

// pgxInsertEach is pgxInsert as kinship sends it: the employees, whose keys the database
// generates, one INSERT … RETURNING each, in one batch.
func pgxInsertEach(ctx context.Context, db *pgxpool.Pool, c *Company) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, insertCompanySQL, c.Name).Scan(&c.ID); err != nil {
		return err
	}
	b := &pgx.Batch{}
	one := insertEmployeesSQL(1)
	for _, e := range c.Employees {
		e.CompanyID = c.ID
		b.Queue(one, e.CompanyID, e.Name, e.Title, e.Salary).QueryRow(func(r pgx.Row) error { return r.Scan(&e.ID) })
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
