package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// echo is a slog.Handler for a repo.Tracer's records: one short line per statement, its SQL
// and arguments, without the duration, so that the program prints the same thing on every run.
// It prints while it is on, or always with -echo.
type echo struct {
	w      io.Writer
	always bool
	on     atomic.Bool

	mu        sync.Mutex
	batchFail bool // a statement of the current batch failed, and said why
}

// during turns the echo on while fn runs.
func (h *echo) during(fn func() error) error {
	h.on.Store(true)
	defer h.on.Store(false)
	return fn()
}

func (h *echo) Enabled(context.Context, slog.Level) bool { return h.always || h.on.Load() }

func (h *echo) Handle(_ context.Context, r slog.Record) error {
	var sql, args, errText string
	statements := int64(0)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "sql":
			sql = strings.Join(strings.Fields(a.Value.String()), " ")
		case "args":
			if list, ok := a.Value.Any().([]any); ok {
				args = formatArgs(list)
			}
		case "statements":
			statements = a.Value.Int64()
		case "error":
			errText = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	var line string
	switch r.Message {
	case "batch": // a pgx batch: its statements follow, sent in one round trip
		line = fmt.Sprintf("  > batch of %d statement(s), one round trip:", statements)
		h.batchFail = false
	case "batch query":
		line = "  >   " + sql
		h.batchFail = h.batchFail || errText != ""
	case "batch end": // logged only when the batch failed
		if h.batchFail {
			return nil // its statement said why
		}
		line = "  >   batch failed"
	default:
		line = "  > " + sql
	}
	if args != "" {
		line += "  " + args
	}
	if errText != "" {
		line += "  -- " + errText
	}
	_, err := fmt.Fprintln(h.w, line)
	return err
}

func (h *echo) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *echo) WithGroup(string) slog.Handler      { return h }

// formatArgs prints bind arguments the way they reach the server: strings quoted, NULL for a nil
// pointer, arrays in braces.
func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = formatArg(a)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func formatArg(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(v)
	case *string:
		if v == nil {
			return "NULL"
		}
		return strconv.Quote(*v)
	case *int64:
		if v == nil {
			return "NULL"
		}
		return strconv.FormatInt(*v, 10)
	case []int64:
		nums := make([]string, len(v))
		for i, n := range v {
			nums[i] = strconv.FormatInt(n, 10)
		}
		return "{" + strings.Join(nums, ",") + "}"
	}
	return fmt.Sprint(a)
}
