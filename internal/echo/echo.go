// Package echo prints the SQL a repo.Tracer logs as one short line per statement — the
// statement and its arguments, without durations — so that examples print the same thing on
// every run.
package echo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// Handler is a slog.Handler writing "query: SELECT … [args]" lines to W.
type Handler struct{ W io.Writer }

// Logger returns a logger that writes to w through a Handler.
func Logger(w io.Writer) *slog.Logger { return slog.New(Handler{w}) }

func (Handler) Enabled(context.Context, slog.Level) bool { return true }

func (h Handler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message + ":"
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "sql", "statements":
			line += " " + a.Value.String()
		case "args":
			line += fmt.Sprint(" ", a.Value.Any())
		case "error":
			line += " error: " + a.Value.String()
		}
		return true
	})
	_, err := fmt.Fprintln(h.W, line)
	return err
}

func (h Handler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h Handler) WithGroup(string) slog.Handler      { return h }
