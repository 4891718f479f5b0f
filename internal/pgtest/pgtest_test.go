package pgtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestNewPoolParallel(t *testing.T) {
	t.Parallel()
	for _, rows := range []int{0, 1, 2, 5} {
		t.Run(fmt.Sprintf("rows=%d", rows), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			pool := NewPool(t)
			// Every subtest makes the same table: no conflicts across databases.
			if _, err := pool.Exec(ctx, "CREATE TABLE item (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, "INSERT INTO item SELECT generate_series(1, $1::int)", rows); err != nil {
				t.Fatal(err)
			}
			if got := count(t, pool, "item"); got != rows {
				t.Errorf("count = %d, want %d", got, rows)
			}
		})
	}
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := NewPool(t), NewPool(t)
	if _, err := a.Exec(ctx, "CREATE TABLE item (id int); INSERT INTO item VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var inB bool
	if err := b.QueryRow(ctx, "SELECT to_regclass('item') IS NOT NULL").Scan(&inB); err != nil {
		t.Fatal(err)
	}
	if inB {
		t.Fatal("table item made in database a is visible in database b")
	}
	if _, err := b.Exec(ctx, "CREATE TABLE item (id int)"); err != nil {
		t.Fatal(err)
	}
	if got := count(t, a, "item"); got != 1 {
		t.Errorf("a: count = %d, want 1", got)
	}
	if got := count(t, b, "item"); got != 0 {
		t.Errorf("b: count = %d, want 0", got)
	}
	if da, db := currentDatabase(t, a), currentDatabase(t, b); da == db {
		t.Errorf("both pools use database %s", da)
	}
}

func TestNewDatabaseDropsOnCleanup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var name string
	var conn *pgx.Conn
	t.Run("inner", func(t *testing.T) {
		url := NewDatabase(t)
		var err error
		// Left open on purpose: the drop must not wait for it.
		if conn, err = pgx.Connect(ctx, url); err != nil {
			t.Fatal(err)
		}
		name = conn.Config().Database
		if !exists(t, name) {
			t.Fatalf("database %s not in pg_database", name)
		}
	})
	if conn != nil {
		defer conn.Close(ctx)
	}
	if name == "" {
		t.Fatal("inner test failed")
	}
	if exists(t, name) {
		t.Errorf("database %s still exists after its test's cleanup", name)
	}
}

func TestNewPoolConfigure(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if got := NewPool(t).Config().MaxConns; got != MaxConns {
		t.Errorf("default MaxConns = %d, want %d", got, MaxConns)
	}
	pool := NewPool(t,
		func(c *pgxpool.Config) { c.MaxConns = 2 },
		func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["application_name"] = "pgtest_configure" },
	)
	if got := pool.Config().MaxConns; got != 2 {
		t.Errorf("MaxConns = %d, want 2", got)
	}
	var app string
	if err := pool.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil {
		t.Fatal(err)
	}
	if app != "pgtest_configure" {
		t.Errorf("application_name = %q, want pgtest_configure", app)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	const name = "kinship_x"
	for _, tc := range []struct{ name, in, want string }{
		{"keyword/value", "host=/tmp/s port=5432 user=postgres dbname=postgres sslmode=disable",
			"host=/tmp/s port=5432 user=postgres dbname=postgres sslmode=disable dbname=kinship_x"},
		{"empty", "", "dbname=kinship_x"},
		{"url", "postgres://u:p@localhost:5432/app?sslmode=disable", "postgres://u:p@localhost:5432/kinship_x?sslmode=disable"},
		{"url without database", "postgresql://localhost", "postgresql://localhost/kinship_x"},
		{"url with dbname parameter", "postgres:///app?host=/tmp/s&dbname=other&user=u", "postgres:///kinship_x?host=/tmp/s&user=u"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := withDatabase(tc.in, name)
			if got != tc.want {
				t.Errorf("withDatabase(%q) = %q, want %q", tc.in, got, tc.want)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Database != name {
				t.Errorf("pgx reads database %q from %q, want %q", cfg.Database, got, name)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^kinship_[a-z0-9_]*_[0-9a-f]{16}$`)
	for _, test := range []string{"TestX", "TestX/sub_case=1", strings.Repeat("TestVeryLong/", 10), "Test/ünïcode"} {
		a, b := databaseName(test), databaseName(test)
		if !valid.MatchString(a) || len(a) > 63 {
			t.Errorf("databaseName(%q) = %q: not a valid unquoted name of at most 63 bytes", test, a)
		}
		if a == b {
			t.Errorf("databaseName(%q) twice gave %q", test, a)
		}
	}
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func currentDatabase(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func exists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	err := admin.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url, drop, err := Database(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Left open on purpose, as in TestNewDatabaseDropsOnCleanup: drop must not wait for it.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		drop()
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := conn.Config().Database
	if !strings.HasPrefix(name, "kinship_example_") || !exists(t, name) {
		t.Fatalf("database %q: not made, or not named kinship_example_…", name)
	}
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	if exists(t, name) {
		t.Errorf("database %s still exists after drop", name)
	}
	if err := drop(); err == nil {
		t.Error("a second drop of the same database: no error")
	}
}
