package uow

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// A Session is a unit of work bound to one transaction: it keeps one instance per row (the
// identity map), remembers what each row held when it was read, applies cascades and keeps
// relations in step (fix-up), and writes every change at Flush, in as few round trips as the
// tables allow. A Session is a [repo.DB]: pass it to any Repo's Get, Find or Insert and to any
// relation's Of or Load, and the rows come back tracked.
//
// A Session is not safe for concurrent use. It ends with Commit or Rollback; [Run] does both.
type Session struct {
	// What it runs on, and how far it has got.
	model     *Model
	tx        pgx.Tx
	autoflush bool
	flushing  bool
	closed    bool
	inRun     bool // Run ends it: Commit and Rollback from its function are refused

	// The identity map (identity.go): each table's rows by key, in the order they were met.
	tables map[any]*table
	gone   map[any]struct{} // rows deleted before they were inserted: never to be added again
	seq    int

	// The relations' state (fixup.go): collections and keys as last loaded or written.
	rels map[relation.Relation]*relState

	// The load log (loads.go): which fields loads filled, and which a query said Raise for.
	loads loadLog

	// The flush under way (flush.go): deleted owners whose rows it deletes by foreign key.
	byFK map[relation.Relation][]any
}

// Option configures a session: [Begin] and [Run] take them.
type Option interface{ apply(*settings) }

type settings struct {
	tx        pgx.TxOptions
	autoflush bool
	retry     retry
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// Autoflush turns flushing before each query through the session on (the default) or off. Off,
// a query does not see rows the session added or changed but has not flushed.
func Autoflush(on bool) Option { return optionFunc(func(s *settings) { s.autoflush = on }) }

// TxOptions sets the transaction's isolation level, access mode and deferrable mode.
func TxOptions(o pgx.TxOptions) Option { return optionFunc(func(s *settings) { s.tx = o }) }

// Beginner starts transactions: *pgxpool.Pool and *pgx.Conn begin one (with the options of
// [TxOptions]), a pgx.Tx begins a savepoint in its transaction — a nested unit of work, rolled
// back alone when it fails.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// nilBeginner reports whether db is nil, or a nil pointer of one of pgx's types (or a Run's
// transaction around a nil one), whose methods would dereference it.
func nilBeginner(db Beginner) bool {
	if t, ok := db.(runTx); ok {
		return t.Tx == nil
	}
	return pipe.IsNil(db)
}

// checkStart refuses what Begin and Run cannot start from: a nil context, a nil db, a nil or
// zero Model.
func checkStart(ctx context.Context, db Beginner, model *Model) error {
	switch {
	case ctx == nil:
		return fmt.Errorf("uow: nil context: pass context.Background() or the caller's context: %w", repo.ErrInvalid)
	case nilBeginner(db):
		return fmt.Errorf("uow: nil db: pass a pool, a connection or a transaction: %w", repo.ErrInvalid)
	}
	return checkModel(model)
}

func checkModel(model *Model) error {
	switch {
	case model == nil:
		return fmt.Errorf("uow: nil model: make it with uow.NewModel: %w", repo.ErrInvalid)
	case model.byRepo == nil:
		return fmt.Errorf("uow: a zero Model: make it with uow.NewModel: %w", repo.ErrInvalid)
	}
	return nil
}

// begin starts the session's transaction on db: on a pool or a connection, one whose BEGIN goes
// with its first statement (lazyTx); BeginTx with o on another Beginner that has it; a
// savepoint (Begin) on a pgx.Tx, which takes no options.
func begin(ctx context.Context, db Beginner, o pgx.TxOptions) (pgx.Tx, error) {
	if nilBeginner(db) {
		return nil, fmt.Errorf("uow: nil db: %w", repo.ErrInvalid)
	}
	if tx, ok, err := lazyBegin(ctx, db, o); ok {
		return tx, err
	}
	if b, ok := db.(interface {
		BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
	}); ok {
		return b.BeginTx(ctx, o)
	}
	if o != (pgx.TxOptions{}) {
		return nil, fmt.Errorf("uow: TxOptions on a nested unit of work (a savepoint of %T) cannot apply: the transaction it is in has its own: %w", db, repo.ErrInvalid)
	}
	return db.Begin(ctx)
}

func collect(opts []Option) (settings, error) {
	s := settings{autoflush: true, retry: defaultRetry}
	for i, o := range opts {
		if o == nil {
			return s, fmt.Errorf("uow: nil option (option %d): %w", i, repo.ErrInvalid)
		}
		o.apply(&s)
	}
	return s, s.retry.check()
}

// Begin starts a session on a new transaction of db. Most code uses [Run] instead. On a pool it
// acquires a connection (a failure to connect is its error) and sends nothing: BEGIN goes with
// the session's first statement (see "Transactions" in the package doc).
//
// A nil context, a nil db, a nil or zero Model, a nil option and a [Retry] out of range are
// errors matching repo.ErrInvalid that say which; nothing is sent.
func Begin(ctx context.Context, db Beginner, model *Model, opts ...Option) (*Session, error) {
	if err := checkStart(ctx, db, model); err != nil {
		return nil, err
	}
	set, err := collect(opts)
	if err != nil {
		return nil, err
	}
	tx, err := begin(ctx, db, set.tx)
	if err != nil {
		return nil, fmt.Errorf("uow: begin: %w", err)
	}
	return newSession(model, tx, set), nil
}

// Attach returns a session on a transaction the caller began and will end: the session writes
// at Flush, and the caller commits or rolls back tx itself. A nil tx, a nil or zero Model and
// a nil option are errors matching repo.ErrInvalid that say which.
func Attach(tx pgx.Tx, model *Model, opts ...Option) (*Session, error) {
	if tx == nil || nilBeginner(tx) {
		return nil, fmt.Errorf("uow: nil transaction: %w", repo.ErrInvalid)
	}
	if err := checkModel(model); err != nil {
		return nil, err
	}
	set, err := collect(opts)
	if err != nil {
		return nil, err
	}
	return newSession(model, tx, set), nil
}

func newSession(m *Model, tx pgx.Tx, set settings) *Session {
	return &Session{
		model:     m,
		tx:        tx,
		autoflush: set.autoflush,
		tables:    map[any]*table{},
		rels:      map[relation.Relation]*relState{},
		loads:     loadLog{raised: map[field]struct{}{}, reached: map[field]any{}},
		gone:      map[any]struct{}{},
	}
}

// Tx returns the session's transaction. Inside [Run], its Commit and Rollback are refused
// ([ErrRunEnds]); its Begin starts a savepoint, as Run on it does. It is nil for a nil or zero
// Session. Its statements run inside the transaction, BEGIN going with the first of them; its
// Conn, CopyFrom and LargeObjects send BEGIN first if nothing was sent yet.
func (s *Session) Tx() pgx.Tx {
	if s == nil || s.tx == nil {
		return nil
	}
	if s.inRun {
		return runTx{s.tx}
	}
	return s.tx
}

// runTx is a Run's transaction as its function sees it: it cannot end it.
type runTx struct{ pgx.Tx }

func (runTx) Commit(context.Context) error   { return ErrRunEnds }
func (runTx) Rollback(context.Context) error { return ErrRunEnds }

// Commit flushes and commits; the session ends. On the session's own transaction (Begin, Run)
// COMMIT goes in one batch with the flush's last statements, which the server checks then (see
// "Transactions" in the package doc). A COMMIT whose outcome is unknown because the connection
// broke is [ErrAmbiguousCommit]. Inside [Run] it is [ErrRunEnds]. After the session
// ended it is [ErrEnded]; a nil or zero Session and a nil context are errors matching
// repo.ErrInvalid.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if s.inRun {
		return ErrRunEnds
	}
	return s.commit(ctx)
}

// usable refuses a nil or zero Session (one not made by Begin, Run or Attach), a nil context
// and a session that ended.
func (s *Session) usable(ctx context.Context) error {
	switch {
	case s == nil:
		return fmt.Errorf("uow: nil Session: begin one with uow.Begin, uow.Run or uow.Attach: %w", repo.ErrInvalid)
	case s.tx == nil || s.model == nil:
		return fmt.Errorf("uow: a zero Session: begin one with uow.Begin, uow.Run or uow.Attach: %w", repo.ErrInvalid)
	case ctx == nil:
		return fmt.Errorf("uow: nil context: pass context.Background() or the caller's context: %w", repo.ErrInvalid)
	case s.closed:
		return ErrEnded
	}
	return nil
}

func (s *Session) commit(ctx context.Context) error {
	if s.closed {
		return ErrEnded
	}
	// The session's own transaction commits in the flush's last batch.
	_, folds := s.tx.(*lazyTx)
	ended, err := s.flush(ctx, folds)
	s.closed = true
	if err != nil {
		if !ended {
			s.tx.Rollback(context.WithoutCancel(ctx))
		}
		return err
	}
	if ended {
		return nil
	}
	closedBefore := connOf(s.tx).IsClosed()
	if err := s.tx.Commit(ctx); err != nil {
		return commitError(err, closedBefore)
	}
	return nil
}

// connOf is tx's connection, without the BEGIN a lazyTx's Conn sends.
func connOf(tx pgx.Tx) *pgx.Conn {
	if t, ok := tx.(*lazyTx); ok {
		return t.rawConn()
	}
	return tx.Conn()
}

// Rollback rolls the transaction back, forgetting every change; the session ends, and its rows
// no longer tell what the database holds. Inside [Run] it is [ErrRunEnds]. Rolling back a
// session that ended does nothing and returns nil, so that Rollback can be deferred; a nil or
// zero Session and a nil context are errors matching repo.ErrInvalid.
func (s *Session) Rollback(ctx context.Context) error {
	if err := s.usable(ctx); err != nil && !errors.Is(err, ErrEnded) {
		return err
	}
	if s.inRun {
		return ErrRunEnds
	}
	return s.rollback(ctx)
}

func (s *Session) rollback(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.tx.Rollback(ctx)
}

// The session as a repo.DB: every statement runs on its transaction, after an autoflush.

func (s *Session) before(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	// A load autoflushes once, when it starts (LoadStart): between its statements (a select-in
	// or subquery after the query that read the parents) a flush would take the fields the
	// load has set, but not yet reported done, for changes of the caller's.
	if s.autoflush && !s.flushing && !s.loads.loading {
		return s.Flush(ctx)
	}
	return nil
}

// Exec runs sql on the session's transaction, after an autoflush.
func (s *Session) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := s.before(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return s.tx.Exec(ctx, sql, args...)
}

// Query runs sql on the session's transaction, after an autoflush.
func (s *Session) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := s.before(ctx); err != nil {
		return nil, err
	}
	return s.tx.Query(ctx, sql, args...)
}

// QueryRow runs sql on the session's transaction, after an autoflush.
func (s *Session) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := s.before(ctx); err != nil {
		return errRow{err}
	}
	return s.tx.QueryRow(ctx, sql, args...)
}

// SendBatch sends b on the session's transaction, after an autoflush.
func (s *Session) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := s.before(ctx); err != nil {
		return errBatch{err}
	}
	return s.tx.SendBatch(ctx, b)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
