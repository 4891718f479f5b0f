// Package pgtest gives each test its own PostgreSQL database.
//
// A test binary that uses it calls [Main] from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Main uses the server named by DATABASE_URL, or starts a throwaway one with
// [pgserver.URL] and stops it after the tests. Tests then call [NewDatabase]
// or [NewPool] for an empty database of their own, dropped when the test
// ends, so that tests may run in parallel, and several test binaries may
// share one DATABASE_URL, without seeing each other's tables. Examples,
// which have no testing.TB, call [Database] and drop the database
// themselves.
//
// A database costs about 100ms to create (CREATE DATABASE ... TEMPLATE
// template0 STRATEGY FILE_COPY, whose two checkpoints are most of it; the
// default WAL_LOG strategy and a prepared template database measured no
// faster) and about 10ms to drop. The role in DATABASE_URL needs the
// CREATEDB privilege.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/internal/pgserver"
	"github.com/kinship-go/kinship/repo"
)

// MaxConns is the default size of the pools from [NewPool], kept small so
// that parallel tests in parallel packages stay under the server's
// max_connections.
const MaxConns = 4

const timeout = time.Minute

// Set by Main before any test runs.
var (
	serverURL     string
	admin         *pgxpool.Pool // connected to serverURL's database; creates and drops
	serverVersion int           // server_version_num, e.g. 150018
)

// Main gets a server, runs the tests and stops the server, returning the
// exit code for os.Exit. If no server can be had it prints why and returns
// 1: tests that need a database fail rather than skip.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	url, stop, err := pgserver.URL(ctx)
	if err != nil {
		cancel()
		fmt.Fprintf(os.Stderr, "pgtest: no PostgreSQL server for the tests: %v\n", err)
		return 1
	}
	defer stop()
	err = connectAdmin(ctx, url)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	defer admin.Close()
	return m.Run()
}

// execModes are the values of KINSHIP_EXEC_MODE: the pgx exec mode of every pool the tests
// make, so that the suites can run behind a transaction-pooling PgBouncer (cache_describe,
// simple_protocol), where prepared statements do not survive from one transaction to the next.
var execModes = map[string]pgx.QueryExecMode{
	"":                pgx.QueryExecModeCacheStatement,
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// poolConfig parses url into a pool configuration with the tests' defaults: MaxConns, and the
// exec mode KINSHIP_EXEC_MODE names.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing the connection string: %w", err)
	}
	mode, ok := execModes[os.Getenv("KINSHIP_EXEC_MODE")]
	if !ok {
		return nil, fmt.Errorf("KINSHIP_EXEC_MODE=%q: want cache_statement, cache_describe, describe_exec, exec or simple_protocol", os.Getenv("KINSHIP_EXEC_MODE"))
	}
	cfg.MaxConns = MaxConns
	cfg.ConnConfig.DefaultQueryExecMode = mode
	return cfg, nil
}

// Behind reports whether the tests run behind a connection pooler (KINSHIP_POOLER set), where
// a connection's server process is not its own: tests that kill it skip.
func Behind() bool { return os.Getenv("KINSHIP_POOLER") != "" }

func connectAdmin(ctx context.Context, url string) error {
	cfg, err := poolConfig(url)
	if err != nil {
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to the server: %w", err)
	}
	if err := pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&serverVersion); err != nil {
		pool.Close()
		return fmt.Errorf("connecting to the server: %w", err)
	}
	serverURL, admin = url, pool
	return nil
}

// NewDatabase creates an empty database for t and returns a connection
// string for it. A cleanup drops the database, closing any connections
// still open to it.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	url, drop, err := create(ctx, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return url
}

// Database creates an empty database on the server that [Main] started (or
// found in DATABASE_URL), for code that has no testing.TB: a testable
// example. It returns a connection string for the database and a function
// that drops it, closing any connections still open to it; call drop once,
// after closing the pools that use it:
//
//	url, drop, err := pgtest.Database(ctx)
//	if err != nil {
//		panic(err)
//	}
//	defer drop()
//
// It is an error if Main is not running, so the package's TestMain must
// call it even when the package has only examples.
func Database(ctx context.Context) (url string, drop func() error, err error) {
	return create(ctx, "example")
}

// create creates an empty database named after label and returns its
// connection string and the function that drops it.
func create(ctx context.Context, label string) (string, func() error, error) {
	if admin == nil {
		return "", nil, errors.New("pgtest: no server; call os.Exit(pgtest.Main(m)) from TestMain")
	}
	name := databaseName(label)
	ident := pgx.Identifier{name}.Sanitize()
	create := "CREATE DATABASE " + ident + " TEMPLATE template0"
	if serverVersion >= 150000 {
		create += " STRATEGY FILE_COPY" // before 15, the only strategy
	}
	if _, err := admin.Exec(ctx, create); err != nil {
		return "", nil, fmt.Errorf("pgtest: %s: %w", create, err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		drop := "DROP DATABASE " + ident
		if serverVersion >= 130000 {
			drop += " WITH (FORCE)"
		}
		if _, err := admin.Exec(ctx, drop); err != nil {
			return fmt.Errorf("pgtest: %s: %w", drop, err)
		}
		return nil
	}
	return withDatabase(serverURL, name), drop, nil
}

// NewTracedPool is [NewPool] with a repo.Tracer on its connections, which counts what is sent
// through the pool, and the statements of ddl run on it in order first.
func NewTracedPool(t testing.TB, ddl ...string) (*pgxpool.Pool, *repo.Tracer) {
	t.Helper()
	tr := &repo.Tracer{}
	pool := NewPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
	for _, s := range ddl {
		if _, err := pool.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return pool, tr
}

// NewPool creates a database with [NewDatabase] and returns a pool
// connected to it, with MaxConns set to [MaxConns] before configure is
// applied. The pool is closed before the database is dropped.
func NewPool(t testing.TB, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	url := NewDatabase(t)
	cfg, err := poolConfig(url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	for _, f := range configure {
		f(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close) // cleanups run last first: before the drop
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return pool
}

// databaseName returns a new name that shows which test made it:
// kinship_, up to 38 characters of the test's name, and a random suffix.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString("kinship_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= len("kinship_")+38 {
			break
		}
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	var suffix [8]byte
	rand.Read(suffix[:])
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(suffix[:]))
	return b.String() // at most 63 bytes, PostgreSQL's limit
}

// withDatabase returns connString with its database replaced by name. It
// keeps the rest of connString as it was, in either of the forms pgx
// accepts: a URL (postgres://...) or keyword=value pairs. name must not need
// quoting.
func withDatabase(connString, name string) string {
	scheme, rest, ok := strings.Cut(connString, "://")
	if !ok || (scheme != "postgres" && scheme != "postgresql") {
		// Keyword/value: a later keyword overrides an earlier one.
		if strings.TrimSpace(connString) == "" {
			return "dbname=" + name
		}
		return connString + " dbname=" + name
	}
	rest, fragment, hasFragment := strings.Cut(rest, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	authority, _, _ := strings.Cut(rest, "/")
	out := scheme + "://" + authority + "/" + name
	if hasQuery {
		var kept []string
		for p := range strings.SplitSeq(query, "&") {
			key, _, _ := strings.Cut(p, "=")
			if key != "dbname" && key != "database" {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			out += "?" + strings.Join(kept, "&")
		}
	}
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

// ExamplePool is for runnable examples, which have no *testing.T: it creates a database of the
// example's own, runs setup on it (the tables and rows, not traced), and returns a pool on it
// made with the configure hooks (a tracer, so that it sees the example's statements only) and
// a function that closes the pool and drops the database. It panics on an error.
func ExamplePool(ctx context.Context, setup func(context.Context, *pgx.Conn) error, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, func()) {
	url, drop, err := Database(ctx)
	if err != nil {
		panic(err)
	}
	fail := func(err error) {
		drop()
		panic(err)
	}
	ccfg, err := poolConfig(url)
	if err != nil {
		fail(err)
	}
	conn, err := pgx.ConnectConfig(ctx, ccfg.ConnConfig)
	if err != nil {
		fail(err)
	}
	if setup != nil {
		err = setup(ctx, conn)
	}
	conn.Close(ctx)
	if err != nil {
		fail(err)
	}
	cfg, err := poolConfig(url)
	if err != nil {
		fail(err)
	}
	for _, c := range configure {
		c(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fail(err)
	}
	return pool, func() {
		pool.Close()
		if err := drop(); err != nil {
			panic(err)
		}
	}
}
