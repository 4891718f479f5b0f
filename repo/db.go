package repo

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what every operation runs against: *pgxpool.Pool, *pgx.Conn and pgx.Tx all satisfy it,
// and so does a unit-of-work session. Pass a transaction to make several operations atomic.
//
// A DB of your own that wraps another (a decorator for metrics, tracing or logging) should have
// a method Unwrap() DB returning the DB it wraps: through it kinship finds a unit-of-work session
// inside, so that the rows read through the wrapper are the session's (its identity map, Raise,
// fix-up). A wrapper without Unwrap hides the session: every row it reads is a plain row.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var (
	_ DB = (*pgxpool.Pool)(nil)
	_ DB = (*pgx.Conn)(nil)
	_ DB = (pgx.Tx)(nil)
)
