package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/internal/pgserver"
	"github.com/kinship-go/kinship/repo"
)

// Set by TestMain before any benchmark runs.
var (
	pool   *pgxpool.Pool // on a database of the benchmarks' own, traced by tracer
	tracer *repo.Tracer  // counts round trips; no logger
	// canCheckpoint is whether the role may run CHECKPOINT (a superuser or, from PostgreSQL 15,
	// a member of pg_checkpoint), which the benchmarks' setup then does.
	canCheckpoint bool
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

// run gets a server (DATABASE_URL or a throwaway one), creates a database for the benchmarks,
// runs them, and drops the database again.
func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, stop, err := pgserver.URL(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: no PostgreSQL server: %v\n", err)
		return 1
	}
	defer stop()

	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	defer admin.Close(context.Background())
	// Configuration lines of the benchmark output format, which cmd/report records.
	var version string
	if err := admin.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if flag.Lookup("test.bench").Value.String() != "" {
		fmt.Printf("postgres: %s\ngo: %s\n", version, runtime.Version())
	}
	name := "kinship_bench_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}()

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	cfg.ConnConfig.Database = name
	// The default exec mode, QueryExecModeCacheStatement: each statement is prepared once per
	// connection and then sent as Bind/Execute, for kinship and for pgx alike.
	tracer = &repo.Tracer{}
	cfg.ConnConfig.Tracer = tracer
	if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, modelsDDL); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err == nil {
		canCheckpoint = true
	} else {
		fmt.Fprintf(os.Stderr, "bench: setup runs without CHECKPOINT: %v\n", err)
	}
	defer closeSchemaPools() // before the pool they were configured from, and the database
	defer closeDelayed()     // after the database/sql handles, some of which go through their proxies
	defer closeSQLDBs()
	return m.Run()
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// roundTrips reports the round trips per iteration that tracer counted since before.
func roundTrips(b *testing.B, before repo.Stats) {
	b.Helper()
	n := tracer.Stats().Sub(before).RoundTrips
	b.ReportMetric(float64(n)/float64(b.N), "roundtrips/op")
}
