package repo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tracer is a pgx tracer that echoes SQL through log/slog (SQLAlchemy's echo=True) and counts
// statements and round trips, for tests that assert what an operation cost (SQLAlchemy's
// assert_sql_count). Set it on the connection config before the pool is made:
//
//	cfg, _ := pgxpool.ParseConfig(url)
//	tr := &repo.Tracer{Logger: slog.Default()}
//	cfg.ConnConfig.Tracer = tr
//
// It traces queries (Exec, Query, QueryRow, and so BEGIN and COMMIT), batches and COPY. pgx's own
// statement preparation, done once per statement per connection by its statement cache, is
// counted apart in Stats.Prepares, so that Statements and RoundTrips do not depend on the state of
// the cache. With a nil Logger it only counts: two atomic adds per query, no allocation. To use it
// beside another tracer, combine them with pgx's multitracer package.
//
// A Tracer is safe for concurrent use; its counts cover every connection it is set on. A nil
// *Tracer traces nothing and counts nothing (its Stats are zero), without panicking.
type Tracer struct {
	// Logger receives one record per statement with its SQL, arguments, duration and outcome;
	// nil logs nothing.
	Logger *slog.Logger
	// Level is the level of the records; the zero value is slog.LevelInfo.
	Level slog.Level

	statements, roundTrips, prepares atomic.Int64
}

// Stats is what a Tracer has counted.
type Stats struct {
	Statements int64 // SQL statements sent: a batch of n counts n
	RoundTrips int64 // exchanges with the server: a batch counts 1, a COPY counts 1
	Prepares   int64 // statements prepared by pgx's statement cache (each one more round trip)
}

// Sub returns the counts of s since an earlier reading.
func (s Stats) Sub(earlier Stats) Stats {
	return Stats{s.Statements - earlier.Statements, s.RoundTrips - earlier.RoundTrips, s.Prepares - earlier.Prepares}
}

// Stats returns the counts so far.
func (t *Tracer) Stats() Stats {
	if t == nil {
		return Stats{}
	}
	return Stats{t.statements.Load(), t.roundTrips.Load(), t.prepares.Load()}
}

// Count returns how many statements and round trips fn caused on connections traced by t. Other
// goroutines' traffic on those connections during fn counts too; give a test its own pool.
func (t *Tracer) Count(fn func()) Stats {
	if t == nil {
		if fn != nil {
			fn()
		}
		return Stats{}
	}
	before := t.Stats()
	fn()
	return t.Stats().Sub(before)
}

type traceKey struct{}

type traceStart struct {
	at   time.Time
	sql  string
	args []any
}

func (t *Tracer) start(ctx context.Context, sql string, args []any) context.Context {
	if t.Logger == nil || !t.Logger.Enabled(ctx, t.Level) {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, &traceStart{time.Now(), sql, args})
}

func (t *Tracer) end(ctx context.Context, msg string, rows int64, err error) {
	s, ok := ctx.Value(traceKey{}).(*traceStart)
	if !ok {
		return
	}
	attrs := []slog.Attr{
		slog.String("sql", s.sql),
		slog.Duration("duration", time.Since(s.at)),
	}
	if len(s.args) > 0 {
		attrs = append(attrs, slog.Any("args", readable(s.args)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	} else if rows >= 0 {
		attrs = append(attrs, slog.Int64("rows", rows))
	}
	t.Logger.LogAttrs(ctx, t.Level, msg, attrs...)
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if t == nil {
		return ctx
	}
	t.statements.Add(1)
	t.roundTrips.Add(1)
	return t.start(ctx, data.SQL, data.Args)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if t == nil {
		return
	}
	t.end(ctx, "query", data.CommandTag.RowsAffected(), data.Err)
}

// TraceBatchStart implements pgx.BatchTracer.
func (t *Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if t == nil {
		return ctx
	}
	t.roundTrips.Add(1)
	if t.Logger != nil && t.Logger.Enabled(ctx, t.Level) {
		t.Logger.LogAttrs(ctx, t.Level, "batch", slog.Int("statements", data.Batch.Len()))
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (t *Tracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	if t == nil {
		return
	}
	t.statements.Add(1)
	if t.Logger != nil && t.Logger.Enabled(ctx, t.Level) {
		attrs := []slog.Attr{slog.String("sql", data.SQL)}
		if len(data.Args) > 0 {
			attrs = append(attrs, slog.Any("args", readable(data.Args)))
		}
		if data.Err != nil {
			attrs = append(attrs, slog.String("error", data.Err.Error()))
		} else {
			attrs = append(attrs, slog.Int64("rows", data.CommandTag.RowsAffected()))
		}
		t.Logger.LogAttrs(ctx, t.Level, "batch query", attrs...)
	}
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *Tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	if t == nil {
		return
	}
	if data.Err != nil && t.Logger != nil && t.Logger.Enabled(ctx, t.Level) {
		t.Logger.LogAttrs(ctx, t.Level, "batch end", slog.String("error", data.Err.Error()))
	}
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t *Tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if t == nil {
		return ctx
	}
	t.statements.Add(1)
	t.roundTrips.Add(1)
	return t.start(ctx, "COPY "+data.TableName.Sanitize()+" FROM STDIN", nil)
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t *Tracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	if t == nil {
		return
	}
	t.end(ctx, "copy", data.CommandTag.RowsAffected(), data.Err)
}

// TracePrepareStart implements pgx.PrepareTracer.
func (t *Tracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	if t == nil {
		return ctx
	}
	return ctx
}

// TracePrepareEnd implements pgx.PrepareTracer.
func (t *Tracer) TracePrepareEnd(_ context.Context, _ *pgx.Conn, data pgx.TracePrepareEndData) {
	if t == nil {
		return
	}
	if !data.AlreadyPrepared {
		t.prepares.Add(1)
	}
}

var (
	_ pgx.QueryTracer    = (*Tracer)(nil)
	_ pgx.BatchTracer    = (*Tracer)(nil)
	_ pgx.CopyFromTracer = (*Tracer)(nil)
	_ pgx.PrepareTracer  = (*Tracer)(nil)
)

// readable returns args with pointers of common types replaced by what they point to (nil for
// NULL), so that the log shows 5, not 0xc000012345.
func readable(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = deref(a)
	}
	return out
}

func deref(v any) any {
	switch p := v.(type) {
	case *string:
		return value(p)
	case *int64:
		return value(p)
	case *int32:
		return value(p)
	case *int:
		return value(p)
	case *int16:
		return value(p)
	case *bool:
		return value(p)
	case *float64:
		return value(p)
	case *float32:
		return value(p)
	case *time.Time:
		return value(p)
	case *[]byte:
		return value(p)
	case nil:
		return nil
	}
	if fs, ok := derefs.Load(fmt.Sprintf("%T", v)); ok {
		for _, f := range fs.([]func(any) (any, bool)) {
			if x, ok := f(v); ok {
				return x
			}
		}
	}
	return v
}

// derefs holds, by the name of a pointer type (as %T prints it), functions that return what a
// pointer of that type points to: one for each Go type a Nullable column is declared with, so
// that a trace prints an enum's value, not its address. Two types of one name (in packages of
// one name) share the entry; each function tries its own type.
var (
	derefs   sync.Map // string → []func(any) (any, bool)
	derefsMu sync.Mutex
)

// registerDeref lets traces print the values of *V arguments.
func registerDeref[V any]() {
	name := fmt.Sprintf("%T", (*V)(nil))
	derefsMu.Lock()
	defer derefsMu.Unlock()
	var fs []func(any) (any, bool)
	if x, ok := derefs.Load(name); ok {
		fs = x.([]func(any) (any, bool))
		for _, f := range fs {
			if _, ok := f((*V)(nil)); ok {
				return // registered already
			}
		}
	}
	f := func(a any) (any, bool) {
		p, ok := a.(*V)
		if !ok {
			return nil, false
		}
		return value(p), true
	}
	derefs.Store(name, append(fs[:len(fs):len(fs)], f))
}

func value[V any](p *V) any {
	if p == nil {
		return nil
	}
	return *p
}
