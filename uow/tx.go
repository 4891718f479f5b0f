package uow

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is a session's transaction on a pool or a connection: a pgx.Tx whose BEGIN is not a
// round trip of its own but goes in one pipeline with the first statement (Exec, Query,
// QueryRow and SendBatch as one pgx batch, BEGIN first). Deferring BEGIN changes nothing the
// transaction sees: PostgreSQL takes a transaction's snapshot at its first statement, not at
// BEGIN. A unit of work that only writes is then its flush's round trips and COMMIT's; one
// that sends nothing costs nothing, its Commit and Rollback included.
//
// What must run inside the transaction and cannot go in a batch begins it alone first: CopyFrom,
// Begin (a savepoint), Conn, LargeObjects, and a Query whose arguments start with a pgx query
// option (a QueryExecMode, QueryResultFormats). If BEGIN fails, every later statement fails
// with its error: none runs outside the transaction.
type lazyTx struct {
	conn      *pgx.Conn
	release   func() // gives a pool's connection back when the transaction ends; nil for a *pgx.Conn
	beginSQL  string
	commitSQL string
	begun     bool  // BEGIN was sent
	failed    error // BEGIN failed: what every statement returns
	closed    bool
	savepoint int    // savepoints made, for their names
	pgxTx     pgx.Tx // pgx's own transaction object on conn, made for LargeObjects
}

// lazyBegin returns the lazy transaction of db if db is a pool or a connection, with the BEGIN
// o asks for; ok false for any other Beginner (a pgx.Tx: a savepoint, begun as it begins them).
// A pool's connection is acquired now, so that a failure to connect is Begin's error.
func lazyBegin(ctx context.Context, db Beginner, o pgx.TxOptions) (tx pgx.Tx, ok bool, err error) {
	t := &lazyTx{beginSQL: beginSQL(o), commitSQL: o.CommitQuery}
	switch d := db.(type) {
	case acquirer:
		c, err := d.Acquire(ctx)
		if err != nil {
			return nil, true, err
		}
		t.conn, t.release = c.Conn(), c.Release
	case *pgx.Conn:
		if d.IsClosed() {
			return nil, true, errors.New("conn closed")
		}
		t.conn = d
	default:
		return nil, false, nil
	}
	return t, true, nil
}

// acquirer is a pool: *pgxpool.Pool.
type acquirer interface {
	Acquire(context.Context) (*pgxpool.Conn, error)
}

// beginSQL is the BEGIN statement of o, as pgx writes it.
func beginSQL(o pgx.TxOptions) string {
	if o.BeginQuery != "" {
		return o.BeginQuery
	}
	sql := "begin"
	if o.IsoLevel != "" {
		sql += " isolation level " + string(o.IsoLevel)
	}
	if o.AccessMode != "" {
		sql += " " + string(o.AccessMode)
	}
	if o.DeferrableMode != "" {
		sql += " " + string(o.DeferrableMode)
	}
	return sql
}

// usable is the error a statement on t returns before anything is sent, if any.
func (t *lazyTx) usable() error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	return t.failed
}

// sendBegun sends b with BEGIN before its statements, and returns its results less BEGIN's.
func (t *lazyTx) sendBegun(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	qs := make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+1)
	qs = append(qs, &pgx.QueuedQuery{SQL: t.beginSQL})
	t.begun = true
	return &begunBatch{t: t, BatchResults: t.conn.SendBatch(ctx, &pgx.Batch{QueuedQueries: append(qs, b.QueuedQueries...)})}
}

// beginNow sends BEGIN alone if it has not been sent.
func (t *lazyTx) beginNow(ctx context.Context) error {
	if err := t.usable(); err != nil || t.begun {
		return err
	}
	t.begun = true
	if _, err := t.conn.Exec(ctx, t.beginSQL); err != nil {
		t.failed = fmt.Errorf("begin: %w", err)
	}
	return t.failed
}

// begunBatch is a batch sent with BEGIN first: its results less BEGIN's, which it reads first.
type begunBatch struct {
	pgx.BatchResults
	t    *lazyTx
	read bool // BEGIN's result was read
}

func (b *begunBatch) begin() error {
	if !b.read {
		b.read = true
		if _, err := b.BatchResults.Exec(); err != nil {
			b.t.failed = fmt.Errorf("begin: %w", err)
		}
	}
	return b.t.failed
}

func (b *begunBatch) Exec() (pgconn.CommandTag, error) {
	if err := b.begin(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return b.BatchResults.Exec()
}

func (b *begunBatch) Query() (pgx.Rows, error) {
	if err := b.begin(); err != nil {
		return nil, err
	}
	return b.BatchResults.Query()
}

func (b *begunBatch) QueryRow() pgx.Row {
	if err := b.begin(); err != nil {
		return errRow{err}
	}
	return b.BatchResults.QueryRow()
}

func (b *begunBatch) Close() error {
	err := b.begin()
	if cerr := b.BatchResults.Close(); err == nil {
		err = cerr
	}
	return err
}

// Exec runs sql in the transaction, with BEGIN in the same round trip if it is the first.
func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.usable(); err != nil {
		return pgconn.CommandTag{}, err
	}
	if t.begun || hasQueryOption(args) {
		if err := t.beginNow(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
		return t.conn.Exec(ctx, sql, args...)
	}
	br := t.sendBegun(ctx, one(sql, args))
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs sql in the transaction, with BEGIN in the same round trip if it is the first.
func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if t.begun || hasQueryOption(args) {
		if err := t.beginNow(ctx); err != nil {
			return nil, err
		}
		return t.conn.Query(ctx, sql, args...)
	}
	br := t.sendBegun(ctx, one(sql, args))
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &begunRows{Rows: rows, br: br}, nil
}

// QueryRow runs sql in the transaction, with BEGIN in the same round trip if it is the first.
func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.begun && t.usable() == nil {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := t.Query(ctx, sql, args...)
	return queryRow{rows, err}
}

// SendBatch sends b in the transaction, BEGIN first if nothing was sent before.
func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.usable(); err != nil {
		return errBatch{err}
	}
	if t.begun {
		return t.conn.SendBatch(ctx, b)
	}
	return t.sendBegun(ctx, b)
}

// CopyFrom copies rows into the table in the transaction, after BEGIN (a round trip of its
// own if nothing was sent before).
func (t *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.beginNow(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

// Prepare prepares sql on the connection; a prepared statement outlives the transaction.
func (t *lazyTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	return t.conn.Prepare(ctx, name, sql)
}

// Begin starts a savepoint, after BEGIN if nothing was sent before (in the same round trip).
func (t *lazyTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	t.savepoint++
	sp := &savepoint{t: t, name: "sp_" + strconv.Itoa(t.savepoint)}
	if _, err := t.Exec(ctx, "savepoint "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

// Conn returns the transaction's connection, after sending BEGIN if nothing was sent before (a
// round trip, with no deadline): a statement run on it is then inside the transaction.
func (t *lazyTx) Conn() *pgx.Conn {
	_ = t.beginNow(context.Background())
	return t.conn
}

// LargeObjects returns the large objects of the transaction. pgx makes them only from a
// transaction object of its own: the first call costs a round trip (BEGIN if nothing was sent,
// an empty statement otherwise, which even an aborted transaction accepts) that makes one on
// the same connection, never committed itself. If that round trip fails, the connection is
// broken: the session's statements return the error from then on, and the LargeObjects
// returned must not be used (pgx's zero LargeObjects).
func (t *lazyTx) LargeObjects() pgx.LargeObjects {
	if t.pgxTx == nil {
		q := " " // an empty query
		if !t.begun && t.usable() == nil {
			q, t.begun = t.beginSQL, true
		}
		tx, err := t.conn.BeginTx(context.Background(), pgx.TxOptions{BeginQuery: q})
		if err != nil {
			t.failed = fmt.Errorf("begin: %w", err)
			return pgx.LargeObjects{}
		}
		t.pgxTx = tx
	}
	return t.pgxTx.LargeObjects()
}

// Commit commits the transaction and gives a pool's connection back. A transaction that sent
// nothing has nothing to commit: no round trip.
func (t *lazyTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	defer t.end()
	if !t.begun {
		return nil
	}
	if t.failed != nil {
		return t.failed
	}
	sql := t.commitSQL
	if sql == "" {
		sql = "commit"
	}
	tag, err := t.conn.Exec(ctx, sql)
	if err != nil {
		if t.conn.PgConn().TxStatus() != 'I' {
			_ = t.conn.Close(context.WithoutCancel(ctx))
		}
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls the transaction back and gives a pool's connection back. A transaction that
// sent nothing has nothing to roll back: no round trip.
func (t *lazyTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	defer t.end()
	if !t.begun || t.failed != nil && t.conn.PgConn().TxStatus() == 'I' {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "rollback"); err != nil {
		_ = t.conn.Close(context.WithoutCancel(ctx)) // its state is unknown
		return err
	}
	return nil
}

func (t *lazyTx) end() {
	t.closed = true
	if t.release != nil {
		t.release() // a connection left inside a transaction is destroyed, not reused
		t.release = nil
	}
}

// rawConn is the connection, without the BEGIN that Conn sends.
func (t *lazyTx) rawConn() *pgx.Conn { return t.conn }

// one is a batch of sql alone.
func one(sql string, args []any) *pgx.Batch {
	return &pgx.Batch{QueuedQueries: []*pgx.QueuedQuery{{SQL: sql, Arguments: args}}}
}

// hasQueryOption reports whether args start with one of pgx's query options, which a batch
// does not take.
func hasQueryOption(args []any) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0].(type) {
	case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
		return true
	}
	return false
}

// begunRows are the rows of a query sent in a batch after BEGIN: closing them closes the batch.
type begunRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error // the batch's, if the rows had none
}

func (r *begunRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *begunRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		if err := r.br.Close(); err != nil && r.Rows.Err() == nil {
			r.err = err
		}
		r.br = nil
	}
}

func (r *begunRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// queryRow is QueryRow's result made from Query's, as pgx makes it.
type queryRow struct {
	rows pgx.Rows
	err  error
}

func (r queryRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// savepoint is a nested transaction of a lazyTx: SAVEPOINT, RELEASE or ROLLBACK TO.
type savepoint struct {
	t      *lazyTx
	name   string
	closed bool
}

func (sp *savepoint) usable() error {
	if sp.closed {
		return pgx.ErrTxClosed
	}
	return sp.t.usable()
}

func (sp *savepoint) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := sp.usable(); err != nil {
		return nil, err
	}
	return sp.t.Begin(ctx)
}

func (sp *savepoint) Commit(ctx context.Context) error { return sp.end(ctx, "release savepoint ") }

func (sp *savepoint) Rollback(ctx context.Context) error {
	return sp.end(ctx, "rollback to savepoint ")
}

func (sp *savepoint) end(ctx context.Context, sql string) error {
	if err := sp.usable(); err != nil {
		return err
	}
	sp.closed = true
	_, err := sp.t.Exec(ctx, sql+sp.name)
	return err
}

func (sp *savepoint) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := sp.usable(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return sp.t.Exec(ctx, sql, args...)
}

func (sp *savepoint) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := sp.usable(); err != nil {
		return nil, err
	}
	return sp.t.Query(ctx, sql, args...)
}

func (sp *savepoint) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := sp.usable(); err != nil {
		return errRow{err}
	}
	return sp.t.QueryRow(ctx, sql, args...)
}

func (sp *savepoint) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := sp.usable(); err != nil {
		return errBatch{err}
	}
	return sp.t.SendBatch(ctx, b)
}

func (sp *savepoint) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := sp.usable(); err != nil {
		return 0, err
	}
	return sp.t.CopyFrom(ctx, table, columns, src)
}

func (sp *savepoint) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return sp.t.Prepare(ctx, name, sql)
}

func (sp *savepoint) LargeObjects() pgx.LargeObjects { return sp.t.LargeObjects() }
func (sp *savepoint) Conn() *pgx.Conn                { return sp.t.Conn() }
