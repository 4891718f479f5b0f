package main

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/kinship-go/kinship/repo"
)

// echo is repo's EchoHandler, indented under the step it belongs to, printing while it is on,
// or always with -echo.
type echo struct {
	*repo.EchoHandler
	always bool
	on     atomic.Bool
}

func newEcho(w io.Writer, always bool) *echo {
	return &echo{EchoHandler: repo.NewEchoHandler(w, "  > "), always: always}
}

// during turns the echo on while fn runs.
func (h *echo) during(fn func() error) error {
	h.on.Store(true)
	defer h.on.Store(false)
	return fn()
}

func (h *echo) Enabled(context.Context, slog.Level) bool { return h.always || h.on.Load() }

func (h *echo) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *echo) WithGroup(string) slog.Handler      { return h }
