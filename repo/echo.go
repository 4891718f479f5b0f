package repo

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kinship-go/kinship/internal/pipe"
)

// EchoHandler is a slog.Handler for a [Tracer]'s records that writes one short line per
// statement — its SQL with whitespace folded, then its arguments as the server reads them
// (strings quoted, NULL for nil, arrays in braces) — and no durations, so that the same work
// prints the same lines on every run: SQLAlchemy's echo=True, for a terminal, a test's log or an
// example's output. A batch prints a line with its number of statements, sent in one round
// trip, then a line per statement, indented; an error follows its statement after "--". A
// statement that a unit of work's last batch has the server check (inside WITH w AS (…),
// failing unless it affects so many rows: see uow's "Transactions") prints as the statement it
// wraps, then "-- checked: n row(s)".
//
//	tr := &repo.Tracer{Logger: slog.New(repo.NewEchoHandler(os.Stderr, ""))}
//
// It formats the records of a Tracer only: attributes of other records are left out. It is safe
// for concurrent use; lines of statements sent at once on several connections interleave.
type EchoHandler struct {
	w      io.Writer
	prefix string

	mu          sync.Mutex
	batchFailed bool // a statement of the current batch failed, and said why
}

// NewEchoHandler returns an EchoHandler writing to w, each line after prefix ("" for none).
func NewEchoHandler(w io.Writer, prefix string) *EchoHandler {
	return &EchoHandler{w: w, prefix: prefix}
}

// Enabled reports true: the Tracer's Level decides what is logged.
func (h *EchoHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle writes the record's line.
func (h *EchoHandler) Handle(_ context.Context, r slog.Record) error {
	var sql, args, errText, checked string
	var list []any
	var statements int64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "sql":
			sql = strings.Join(strings.Fields(a.Value.String()), " ")
		case "args":
			list, _ = a.Value.Any().([]any)
		case "statements":
			statements = a.Value.Int64()
		case "error":
			errText = a.Value.String()
		}
		return true
	})
	if inner, innerArgs, rows, ok := pipe.Unchecked(sql, list); ok {
		sql, list, checked = inner, innerArgs, fmt.Sprintf("  -- checked: %v row(s)", rows)
	}
	if list != nil {
		args = FormatArgs(list)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var line string
	switch r.Message {
	case "batch":
		line = fmt.Sprintf("batch of %d statement(s), one round trip:", statements)
		h.batchFailed = false
	case "batch query":
		line = "  " + sql
		h.batchFailed = h.batchFailed || errText != ""
	case "batch end": // logged only when the batch failed
		if h.batchFailed {
			return nil // its statement said why
		}
		line = "  batch failed"
	default:
		line = sql
	}
	if args != "" {
		line += "  " + args
	}
	line += checked
	if errText != "" {
		line += "  -- " + errText
	}
	_, err := io.WriteString(h.w, h.prefix+line+"\n")
	return err
}

// WithAttrs returns h: the lines carry no attributes but the statement's.
func (h *EchoHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h *EchoHandler) WithGroup(string) slog.Handler { return h }

// FormatArgs prints bind arguments as the server reads them: [1, "ann", NULL, {1,2}]. A
// pointer of a type kinship declares a column of ([Nullable]) prints as its value or NULL; a
// value with a String method prints as it says (an enum type); any other prints as fmt.Sprint
// prints it.
func FormatArgs(args []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatArg(deref(a)))
	}
	b.WriteByte(']')
	return b.String()
}

func formatArg(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(v)
	case []byte:
		if v == nil {
			return "NULL"
		}
		return `'\x` + hex.EncodeToString(v) + `'`
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return v.String()
	case []string:
		return arrayOf(v, strconv.Quote)
	case []int64:
		return arrayOf(v, func(n int64) string { return strconv.FormatInt(n, 10) })
	case []int32:
		return arrayOf(v, func(n int32) string { return strconv.FormatInt(int64(n), 10) })
	case []int:
		return arrayOf(v, strconv.Itoa)
	case []any:
		return arrayOf(v, func(x any) string { return formatArg(deref(x)) })
	}
	return fmt.Sprint(a)
}

// arrayOf prints a slice as an array literal: {1,2,3}; NULL for nil.
func arrayOf[E any](s []E, format func(E) string) string {
	if s == nil {
		return "NULL"
	}
	parts := make([]string, len(s))
	for i, e := range s {
		parts[i] = format(e)
	}
	return "{" + strings.Join(parts, ",") + "}"
}
