package repo

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrNotFound is returned when a row looked up by key does not exist, or when Update or Delete by
// key matched no row. It also matches pgx.ErrNoRows and sql.ErrNoRows with errors.Is.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string { return "repo: not found" }

func (notFound) Is(target error) bool { return target == pgx.ErrNoRows || target == sql.ErrNoRows }

// ErrStale is returned when an UPDATE or DELETE guarded by a [Version] column matched no row:
// someone else changed or deleted the row since it was read (SQLAlchemy's StaleDataError).
var ErrStale = errors.New("repo: stale row: changed or deleted since it was read")

// ErrInvalid is matched by every error that reports a mistake in the caller's declarations or
// arguments (a duplicate column, a nil row, a column of another table): nothing was sent to the
// database.
var ErrInvalid = errors.New("repo: invalid")

// Error is kinship's one error type for a failed operation that concerns a table or relation:
// what was done, to which table, column, relation or key, and why. Every kinship package
// returns it where there is a place to name (a Repo's call, a flush, a session's Add or Delete,
// a model NewModel refused), so one errors.As finds the place whichever package failed; what
// went wrong is the cause, a sentinel (ErrNotFound, ErrStale, ErrInvalid, uow.ErrConflict, …)
// or a *pgconn.PgError or context error, reachable with errors.Is and errors.As. An error with
// no place to name (a nil context, a nil session) is its sentinel wrapped with a message.
type Error struct {
	// Op is what was done: a Repo method in lower case ("declare", "get", "find", "insert",
	// "update", "delete", "upsert", "count", …), or the qualified name of another package's
	// call ("uow.Add", "uow.Flush", "uow.NewModel"), which then leads the message instead of
	// "repo:".
	Op       string
	Table    string
	Column   string // the column at fault, if one is
	Relation string // the relation at fault, if one is (its label, as rel.Named gives it)
	Key      any    // the primary key concerned, if one is
	Err      error
}

func (e *Error) Error() string {
	if e == nil {
		return "repo: <nil *Error>"
	}
	var b strings.Builder
	if !strings.Contains(e.Op, ".") {
		b.WriteString("repo: ")
	}
	b.WriteString(e.Op)
	if e.Relation != "" {
		b.WriteString(" relation ")
		b.WriteString(e.Relation)
		if e.Table != "" {
			b.WriteString(",")
		}
	}
	if e.Table != "" {
		b.WriteString(" ")
		b.WriteString(e.Table)
	}
	if e.Column != "" {
		b.WriteString(".")
		b.WriteString(e.Column)
	}
	if e.Key != nil {
		fmt.Fprintf(&b, " key %v", e.Key)
	}
	if e.Err != nil {
		b.WriteString(": ")
		msg := e.Err.Error()
		for _, prefix := range []string{"repo: ", "invalid: "} {
			msg = strings.TrimPrefix(msg, prefix)
		}
		b.WriteString(msg)
	}
	return b.String()
}

// Unwrap returns the cause (nil for a nil *Error).
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// invalid is a caller's mistake: it wraps ErrInvalid and says what is wrong.
type invalid struct{ msg string }

func (e invalid) Error() string { return e.msg }

func (e invalid) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error { return invalid{fmt.Sprintf(format, args...)} }
