package uow

import (
	"fmt"

	"github.com/kinship-go/kinship/repo"
)

// Errors in this package follow one rule, shared with package repo: what went wrong is a
// sentinel (repo.ErrInvalid for a mistake in the caller's code, ErrConflict, ErrOrphan, ErrStale,
// ErrEnded, …) matched with errors.Is; where it went wrong — the table, relation and key — is a
// *repo.Error around it, whose Op names the call ("uow.Add", "uow.Flush", "uow.NewModel"); an
// error with nowhere to name (a nil context, a nil session) is the sentinel wrapped with a
// message.

// invalid is a mistake in the caller's code: its message says what is wrong and what to do, and
// it matches repo.ErrInvalid without printing it.
type invalid struct{ msg string }

func (e invalid) Error() string { return e.msg }

func (e invalid) Is(target error) bool { return target == repo.ErrInvalid }

func invalidf(format string, args ...any) error { return invalid{fmt.Sprintf(format, args...)} }

// modelError is NewModel's refusal of a relation or table, what is wrong and what to change.
func modelError(relation, table, format string, args ...any) error {
	return &repo.Error{Op: "uow.NewModel", Relation: relation, Table: table, Err: invalidf(format, args...)}
}
