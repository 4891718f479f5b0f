// Command example walks through kinship with companies and their employees: declaring the model,
// inserting a graph in one unit of work, cascades, relationship fix-up, lazy and eager loading,
// the N+1 guard, optimistic concurrency and retries. Run it with
//
//	go run ./example          # SQL echo where a step teaches something
//	go run ./example -echo    # SQL echo everywhere
//
// It uses the PostgreSQL server named by DATABASE_URL, or, when that is unset, starts a throwaway
// one (PostgreSQL's server binaries must be installed) and removes it at the end.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgserver"
	"github.com/kinship-go/kinship/repo"
)

func main() {
	echoAll := flag.Bool("echo", false, "echo every SQL statement, not only where a step teaches something")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := start(ctx, *echoAll); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func start(ctx context.Context, echoAll bool) error {
	if os.Getenv("DATABASE_URL") == "" {
		fmt.Fprintln(os.Stderr, "DATABASE_URL is unset: starting a throwaway PostgreSQL server…")
	}
	url, stopServer, err := pgserver.URL(ctx)
	if err != nil {
		return err
	}
	defer stopServer()
	return run(ctx, os.Stdout, url, echoAll)
}

// example is what every step uses: the pool, and the tracer on it that counts statements and
// round trips and echoes them through echo.
type example struct {
	w    io.Writer
	pool *pgxpool.Pool
	tr   *repo.Tracer
	echo *echo
}

// run runs every step against the database at url, writing to w; with echoAll it echoes every
// statement.
//
// It never touches tables of its own user's: it creates a schema of its own (kinship_example_
// and a random suffix), puts it alone on the search_path of its connections, and drops it, with
// everything in it, at the end. So DATABASE_URL may name a database in use; its role needs the
// CREATE privilege on that database.
func run(ctx context.Context, w io.Writer, url string, echoAll bool) (err error) {
	schema, drop, err := createSchema(ctx, url)
	if err != nil {
		return err
	}
	defer func() {
		if dropErr := drop(); err == nil {
			err = dropErr
		}
	}()

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	h := newEcho(w, echoAll)
	tr := &repo.Tracer{Logger: slog.New(h)}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()

	x := &example{w: w, pool: pool, tr: tr, echo: h}
	steps := []struct {
		title string
		run   func(context.Context) error
	}{
		{"The model, declared in Go (example/model.go)", x.showModel},
		{"Create the tables", x.createTables},
		{"Check the declarations against the tables, as a service does at start-up", x.verify},
		{"Insert a company with two employees, in one unit of work", x.insertGraph},
		{"Fire everyone, delete a company: cascades", x.cascades},
		{"Lazy loading: once per session", x.lazyLoading},
		{"The stale collection, fixed", x.staleCollection},
		{"Back propagation: a foreign key is enough", x.backPropagation},
		{"N+1: caught with Raise, fixed with a load strategy", x.nPlusOne},
		{"Optimistic concurrency, and retries", x.concurrency},
	}
	for i, s := range steps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== %d. %s ==\n", i+1, s.title)
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("step %d, %s: %w", i+1, s.title, err)
		}
	}
	return nil
}

// createSchema creates a schema of the program's own and returns its name and a function that
// drops it.
func createSchema(ctx context.Context, url string) (string, func() error, error) {
	var suffix [6]byte
	rand.Read(suffix[:])
	schema := "kinship_example_" + hex.EncodeToString(suffix[:])
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return "", nil, fmt.Errorf("creating a schema for the example: %w", err)
	}
	drop := func() error {
		ctx := context.WithoutCancel(ctx)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			return fmt.Errorf("dropping the example's schema %s: %w", schema, err)
		}
		return nil
	}
	return schema, drop, nil
}

func (x *example) printf(format string, args ...any) { fmt.Fprintf(x.w, format, args...) }

// count returns how many statements and round trips fn sent.
func (x *example) count(fn func() error) (repo.Stats, error) {
	var err error
	n := x.tr.Count(func() { err = fn() })
	return n, err
}
