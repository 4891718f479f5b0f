package bench

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// A cascade delete two levels deep through the unit of work, against hand-written pgx doing the
// same job in a transaction of its own. The tree: a parent, its cascadeChildren children, each
// child's cascadeGrandchildren grandchildren (401 rows), in tables whose foreign keys do not
// cascade on delete, so that whoever deletes the parent must delete every level first.
//
//   - kinship: in one uow.Run, Parents.Get of the parent by key (its children not loaded), then
//     uow.Delete of it; both relations cascade Delete, so the flush loads the children (one
//     select-in), then their grandchildren (one more), and deletes the three levels by key, each
//     in one DELETE … = ANY($1), in one batch.
//   - pgx: the same Get, then the three DELETEs a careful developer writes, by the foreign keys
//     (the grandchildren through a subquery on children), in one batch.
//
// TestCascadeDeleteStatements asserts what each sends.

// The tree's shape: children per parent, grandchildren per child.
const (
	cascadeChildren      = 100
	cascadeGrandchildren = 3
)

// cascadeDDL makes the tables: the foreign keys are NOT NULL and have no ON DELETE action.
const cascadeDDL = `
CREATE TABLE parents (id bigserial PRIMARY KEY, name text NOT NULL) WITH (autovacuum_enabled = off);
CREATE TABLE children (
	id bigserial PRIMARY KEY,
	parent_id bigint NOT NULL REFERENCES parents,
	name text NOT NULL
) WITH (autovacuum_enabled = off);
CREATE TABLE grandchildren (
	id bigserial PRIMARY KEY,
	child_id bigint NOT NULL REFERENCES children,
	name text NOT NULL
) WITH (autovacuum_enabled = off);
`

var cascadeTables = tables{
	ddl: cascadeDDL,
	indexes: `
CREATE INDEX ON children (parent_id);
CREATE INDEX ON grandchildren (child_id);
`,
	list: "parents, children, grandchildren",
}

type Parent struct {
	ID       int64
	Name     string
	Children []*Child
}

type Child struct {
	ID            int64
	ParentID      int64
	Name          string
	Grandchildren []*Grandchild
}

type Grandchild struct {
	ID      int64
	ChildID int64
	Name    string
}

// The kinship declaration.
var (
	parentID   = repo.Serial("id", func(p *Parent) *int64 { return &p.ID })
	parentName = repo.Col("name", func(p *Parent) *string { return &p.Name })
	Parents    = repo.MustNew("parents", parentID, parentName)

	childID       = repo.Serial("id", func(c *Child) *int64 { return &c.ID })
	childParentID = repo.Col("parent_id", func(c *Child) *int64 { return &c.ParentID })
	childName     = repo.Col("name", func(c *Child) *string { return &c.Name })
	Children      = repo.MustNew("children", childID, childParentID, childName)

	grandchildID      = repo.Serial("id", func(g *Grandchild) *int64 { return &g.ID })
	grandchildChildID = repo.Col("child_id", func(g *Grandchild) *int64 { return &g.ChildID })
	grandchildName    = repo.Col("name", func(g *Grandchild) *string { return &g.Name })
	Grandchildren     = repo.MustNew("grandchildren", grandchildID, grandchildChildID, grandchildName)

	// Both levels delete their rows with their owner, loading them first.
	ParentChildren = rel.HasMany(parentID, childParentID,
		func(p *Parent) *[]*Child { return &p.Children },
		rel.Cascade(rel.All), rel.Named("ParentChildren"))
	ChildGrandchildren = rel.HasMany(childID, grandchildChildID,
		func(c *Child) *[]*Grandchild { return &c.Grandchildren },
		rel.Cascade(rel.All), rel.Named("ChildGrandchildren"))

	cascadeModel = uow.MustModel(ParentChildren, ChildGrandchildren)
)

// parentTree is a parent with its children and grandchildren.
var parentTree = &tree{
	seed:   seedParents,
	levels: []string{"parents", "children", "grandchildren"},
	rows:   []int64{1, cascadeChildren, cascadeChildren * cascadeGrandchildren},
	count: `SELECT (SELECT count(*) FROM parents WHERE id = ANY($1)),
		(SELECT count(*) FROM children WHERE parent_id = ANY($1)),
		(SELECT count(*) FROM grandchildren g JOIN children c ON c.id = g.child_id WHERE c.parent_id = ANY($1))`,
}

// cascadeDB returns the pool on the cascade benchmark's schema, traced like the flush
// benchmarks' (BEGIN and COMMIT counted apart), its tables emptied. Its connections take the
// load benchmarks' settings (loadParams: random_page_cost 1.1, the data in memory): with
// PostgreSQL's default of 4 the planner runs the pgx twin's DELETE of the grandchildren, whose
// children it finds by a subquery, as a Hash Join over a Seq Scan of the whole grandchildren
// table (15,000 rows when 50 trees are seeded: 2.5 ms by EXPLAIN ANALYZE, where the index on
// child_id takes 0.5 ms), so that pgx's time would grow with the trees seeded and not with its
// own work. kinship's statements, by arrays of keys, use the indexes either way.
func cascadeDB(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	db := tablesPool(tb, "cascade", cascadeTables, multitracer.New(tracer, &flushTx), loadParams, nil)
	return emptied(tb, db, cascadeTables.list)
}

// seedParents inserts n trees in one statement and returns their parents' ids.
func seedParents(tb testing.TB, db *pgxpool.Pool, n int) []int64 {
	tb.Helper()
	rows, err := db.Query(context.Background(), `WITH p AS (
			INSERT INTO parents (name) SELECT 'Parent ' || i FROM generate_series(1, $1::int) i RETURNING id
		), c AS (
			INSERT INTO children (parent_id, name)
			SELECT p.id, 'Child ' || j FROM p, generate_series(1, $2::int) j ORDER BY p.id, j RETURNING id
		), g AS (
			INSERT INTO grandchildren (child_id, name)
			SELECT c.id, 'Grandchild ' || k FROM c, generate_series(1, $3::int) k ORDER BY c.id, k
		)
		SELECT id FROM p ORDER BY id`, n, cascadeChildren, cascadeGrandchildren)
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// kinshipCascadeDelete gets the parent id and deletes it in a unit of work, whose flush deletes
// its children and grandchildren.
func kinshipCascadeDelete(ctx context.Context, db *pgxpool.Pool, id int64) error {
	return uow.Run(ctx, db, cascadeModel, func(s *uow.Session) error {
		p, err := Parents.Get(ctx, s, id)
		if err != nil {
			return err
		}
		return uow.Delete(s, Parents, p)
	})
}

// The statements of the pgx twin. The Get is kinship's.
const (
	getParentSQL             = `SELECT "id", "name" FROM "parents" WHERE "id" = $1`
	deleteGrandchildrenOfSQL = `DELETE FROM grandchildren WHERE child_id IN (SELECT id FROM children WHERE parent_id = $1)`
	deleteChildrenOfSQL      = `DELETE FROM children WHERE parent_id = $1`
	deleteParentSQL          = `DELETE FROM parents WHERE id = $1`
)

// pgxCascadeDelete gets the parent id, then deletes its grandchildren, its children and it in
// one batch, in a transaction, checking that each DELETE took a whole level.
func pgxCascadeDelete(ctx context.Context, db *pgxpool.Pool, id int64) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var p Parent
	if err := tx.QueryRow(ctx, getParentSQL, id).Scan(&p.ID, &p.Name); err != nil {
		return fmt.Errorf("get parent %d: %w", id, err)
	}
	b := &pgx.Batch{}
	b.Queue(deleteGrandchildrenOfSQL, p.ID)
	b.Queue(deleteChildrenOfSQL, p.ID)
	b.Queue(deleteParentSQL, p.ID)
	br := tx.SendBatch(ctx, b)
	for _, want := range [...]struct {
		what string
		rows int64
	}{
		{"grandchildren", cascadeChildren * cascadeGrandchildren},
		{"children", cascadeChildren},
		{"parent", 1},
	} {
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() != want.rows {
			err = fmt.Errorf("deleted %d %s of parent %d, want %d", tag.RowsAffected(), want.what, p.ID, want.rows)
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// BenchmarkCascadeDelete deletes a parent with its 100 children and 300 grandchildren per op.
// The trees are seeded refill at a time, before the loop and, when they run out, with the timer
// stopped; at -benchtime 20x the loop never seeds. One op per implementation runs before the
// loop, untimed and not counted, so that the first timed op does not prepare the statements.
func BenchmarkCascadeDelete(b *testing.B) {
	ctx := context.Background()
	for _, impl := range []struct {
		name string
		del  func(context.Context, *pgxpool.Pool, int64) error
	}{{"kinship", kinshipCascadeDelete}, {"pgx", pgxCascadeDelete}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			db := cascadeDB(b)
			kept := seedParents(b, db, 1) // a tree that no op may touch
			d := &doomed{db: db, tree: parentTree, refill: refill}
			d.ids = seedParents(b, db, refill)
			if _, err := db.Exec(ctx, "ANALYZE "+cascadeTables.list); err != nil {
				b.Fatal(err)
			}
			if err := impl.del(ctx, db, d.next(b, false)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := countFlush()
			for b.Loop() {
				if err := impl.del(ctx, db, d.next(b, true)); err != nil {
					b.Fatal(err)
				}
			}
			before.report(b, d.seeded)
			d.check(b)
			parentTree.checkIntact(b, db, kept)
		})
	}
}

// TestCascadeDeleteStatements asserts what kinship sends for the cascade delete of
// BenchmarkCascadeDelete, statement by statement with the keys of each, and what that costs by
// repo.Tracer: BEGIN, the Get, one select-in of the 100 children, one batch — the 300
// grandchildren deleted by their foreign key (the last level, never loaded), then the children
// and the parent by key — and COMMIT: 7 statements in 5 round trips, 3 of them between BEGIN and
// COMMIT (the Get, and one per level). It asserts the pgx twin's too: 6 statements, 4 round trips.
func TestCascadeDeleteStatements(t *testing.T) {
	ctx := context.Background()
	cascadeDB(t)
	x := &exchanges{}
	rt := &repo.Tracer{}
	db := tracedPool(t, "cascade", multitracer.New(x, rt), nil)
	ids := seedParents(t, db, 3)
	p := ids[0]
	children := keysOf(t, db, `SELECT id FROM children WHERE parent_id = $1`, p)
	grandchildren := keysOf(t, db, `SELECT g.id FROM grandchildren g JOIN children c ON c.id = g.child_id WHERE c.parent_id = $1`, p)
	if len(children) != cascadeChildren || len(grandchildren) != cascadeChildren*cascadeGrandchildren {
		t.Fatalf("seeded %d children and %d grandchildren", len(children), len(grandchildren))
	}
	x.take()

	got := rt.Count(func() {
		if err := kinshipCascadeDelete(ctx, db, p); err != nil {
			t.Fatalf("kinship: %v", err)
		}
	})
	log := x.take()
	t.Logf("kinship: %d statements, %d round trips\n\t%s", got.Statements, got.RoundTrips, strings.Join(log, "\n\t"))
	// Each statement as a pattern (a select-in may alias its table) and the keys of its one
	// argument, in any order.
	want := []struct {
		sql  string
		keys []int64
	}{
		{`query: begin`, nil},
		{`query: SELECT "id", "name" FROM "parents" WHERE "id" = \$1`, []int64{p}},
		{`query: SELECT .* FROM "children"( AS \w+)? WHERE (\w+\.)?"parent_id" = ANY\(\$1\)`, []int64{p}},
		{`batch: 3`, nil},
		{`  DELETE FROM "grandchildren" WHERE "child_id" = ANY\(\$1\) RETURNING "id"`, children},
		{`  DELETE FROM "children" WHERE "id" = ANY\(\$1\)`, children},
		{`  DELETE FROM "parents" WHERE "id" = ANY\(\$1\)`, []int64{p}},
		{`query: commit`, nil},
	}
	if len(log) != len(want) {
		t.Fatalf("kinship sent %d lines, want %d:\n\t%s", len(log), len(want), strings.Join(log, "\n\t"))
	}
	for i, w := range want {
		sql, keys := splitExchange(t, log[i])
		if !regexp.MustCompile(`^` + w.sql + `$`).MatchString(sql) {
			t.Errorf("exchange %d is %q, want %q", i, sql, w.sql)
		}
		w.keys = slices.Sorted(slices.Values(w.keys))
		if !slices.Equal(keys, w.keys) {
			t.Errorf("exchange %d (%s) has %d keys, want %d (or other keys)", i, sql, len(keys), len(w.keys))
		}
	}
	if got.Statements != 7 || got.RoundTrips != 5 {
		t.Errorf("kinship: %d statements in %d round trips, want 7 in 5 (3 between BEGIN and COMMIT)", got.Statements, got.RoundTrips)
	}

	got = rt.Count(func() {
		if err := pgxCascadeDelete(ctx, db, ids[1]); err != nil {
			t.Fatalf("pgx: %v", err)
		}
	})
	kinshipGet, _ := splitExchange(t, log[1])
	log = x.take()
	t.Logf("pgx: %d statements, %d round trips\n\t%s", got.Statements, got.RoundTrips, strings.Join(log, "\n\t"))
	if len(log) < 2 {
		t.Fatalf("pgx sent %d lines", len(log))
	}
	if get, _ := splitExchange(t, log[1]); get != kinshipGet {
		t.Errorf("pgx's Get is %q, kinship's %q", get, kinshipGet)
	}
	if got.Statements != 6 || got.RoundTrips != 4 {
		t.Errorf("pgx: %d statements in %d round trips, want 6 in 4", got.Statements, got.RoundTrips)
	}
	d := &doomed{db: db, tree: parentTree, ids: ids[2:], deleted: ids[:2]}
	d.check(t)
}

// keysOf returns the int64 column of sql's rows, sorted.
func keysOf(tb testing.TB, db *pgxpool.Pool, sql string, args ...any) []int64 {
	tb.Helper()
	rows, err := db.Query(context.Background(), sql, args...)
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// splitExchange splits a line of exchanges into its statement and the integers of its
// arguments ("[[3 1 2]]" of a statement whose argument is a slice of keys), sorted.
func splitExchange(tb testing.TB, line string) (string, []int64) {
	tb.Helper()
	i := strings.LastIndex(line, " [")
	if i < 0 {
		return line, nil
	}
	var keys []int64
	for _, f := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(line[i:])) {
		k, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			tb.Fatalf("argument %q of %q is not a key", f, line)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return line[:i], keys
}
