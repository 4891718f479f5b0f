package uow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/repo"
)

// ErrAmbiguousCommit is matched by the error of a COMMIT whose outcome is unknown: the
// connection failed after COMMIT was sent, so the transaction may or may not have committed.
// [Run] never retries it; the caller must find out (read the rows back) before doing it again.
var ErrAmbiguousCommit = errors.New("uow: commit outcome unknown: the connection failed during COMMIT")

type ambiguousCommit struct{ err error }

func (e *ambiguousCommit) Error() string   { return ErrAmbiguousCommit.Error() + ": " + e.err.Error() }
func (e *ambiguousCommit) Unwrap() []error { return []error{ErrAmbiguousCommit, e.err} }

// commitError says what a failed COMMIT means. closedBefore tells that the connection was
// closed before COMMIT was tried: then it was never sent, and the server, having lost the
// connection, rolled back. pgx's "conn closed" (pgconn.ErrConnClosed) is not enough to say so:
// it is what pgx returns, safe to retry by its account, when the connection broke while COMMIT's
// answer was awaited, after COMMIT was sent — and committed, as reliability's fault tests show.
func commitError(err error, closedBefore bool) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return fmt.Errorf("uow: commit: %w", err) // the server refused: nothing was committed
	case closedBefore:
		return fmt.Errorf("uow: commit not sent: %w", err)
	case errors.Is(err, pgconn.ErrConnClosed):
	case pgconn.SafeToRetry(err):
		return fmt.Errorf("uow: commit not sent: %w", err)
	}
	return &ambiguousCommit{err}
}

// retry is how Run retries.
type retry struct {
	attempts int
	min, max time.Duration
}

var defaultRetry = retry{attempts: 5, min: 10 * time.Millisecond, max: time.Second}

func (r retry) check() error {
	if r.attempts < 1 || r.min < 0 || r.max < r.min {
		return fmt.Errorf("uow: Retry(%d, %v, %v): need at least 1 attempt and 0 <= min <= max: %w", r.attempts, r.min, r.max, repo.ErrInvalid)
	}
	return nil
}

// Retry sets how [Run] retries a transaction that failed with a serialization failure (SQLSTATE
// 40001) or a deadlock (40P01): at most attempts runs in all (default 5), waiting between them a
// random time up to a bound that doubles from min to max (default 10ms and 1s: "full jitter").
// Fewer than 1 attempt, a negative min or a max below min make Begin and Run fail with an error
// matching repo.ErrInvalid.
func Retry(attempts int, min, max time.Duration) Option {
	return optionFunc(func(s *settings) { s.retry = retry{attempts, min, max} })
}

// Retryable reports whether err is a serialization failure or a deadlock, after which running
// the whole transaction again may succeed.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.Is(err, ErrAmbiguousCommit) || !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01"
}

// Run runs fn in a unit of work: it begins a transaction on db, calls fn with a new session,
// flushes and commits. If fn returns an error or panics, the transaction is rolled back (and the
// panic goes on). If the transaction fails with a serialization failure or a deadlock, Run
// begins again with a fresh session and calls fn again, up to the attempts of [Retry]: fn must
// not have effects outside the database that cannot be repeated. A COMMIT whose outcome is
// unknown is [ErrAmbiguousCommit] and is not retried.
//
// Inside fn, committing or rolling back is Run's: the session's Commit and Rollback, and those
// of its Tx, are [ErrRunEnds], and change nothing. On a pgx.Tx — a transaction of the caller's,
// or the Tx of another Run's session — Run is a nested unit of work: a SAVEPOINT, released when
// fn succeeds and rolled back alone when it fails, with a session of its own (its rows are other
// instances than the outer session's: flush the outer session first if the inner one must see
// its changes). A nested Run retries nothing itself: a serialization failure aborts the whole
// transaction, which only the outermost Run can run again.
//
// Run costs what the session sends, BEGIN going with its first statement and COMMIT with its
// last flush's last batch (a round trip of its own only when that flush has nothing to send);
// nothing if the session sends nothing (see "Transactions" in the package doc).
//
// A nil context, a nil db, a nil or zero Model, a nil fn, a nil option and a [Retry] out of
// range are errors matching repo.ErrInvalid that say which; nothing is sent and fn is not called.
func Run(ctx context.Context, db Beginner, model *Model, fn func(s *Session) error, opts ...Option) error {
	if err := checkStart(ctx, db, model); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("uow: Run of a nil function: %w", repo.ErrInvalid)
	}
	set, err := collect(opts)
	if err != nil {
		return err
	}
	if _, top := db.(interface {
		BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
	}); !top {
		set.retry.attempts = 1 // a savepoint: the transaction it is in decides
	}
	bound := set.retry.min
	for attempt := 1; ; attempt++ {
		err := runOnce(ctx, db, model, set, fn)
		if err == nil || !Retryable(err) || attempt >= set.retry.attempts {
			if err != nil && attempt > 1 {
				err = fmt.Errorf("uow: after %d attempts: %w", attempt, err)
			}
			return err
		}
		wait := time.Duration(0)
		if bound > 0 {
			wait = rand.N(bound + 1)
		}
		bound = min(2*max(bound, time.Millisecond), set.retry.max)
		select {
		case <-ctx.Done():
			return fmt.Errorf("uow: waiting to retry after %w: %w", err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func runOnce(ctx context.Context, db Beginner, model *Model, set settings, fn func(*Session) error) (err error) {
	tx, err := begin(ctx, db, set.tx)
	if err != nil {
		return fmt.Errorf("uow: begin: %w", err)
	}
	s := newSession(model, tx, set)
	s.inRun = true
	ended := false
	defer func() {
		// fn or the flush panicked (the panic goes on), or fn called runtime.Goexit (t.FailNow
		// in a test): the transaction must not keep its connection.
		if !ended {
			s.rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(s); err != nil {
		s.rollback(context.WithoutCancel(ctx))
	} else {
		err = s.commit(ctx)
	}
	s.inRun = false
	ended = true
	return err
}
