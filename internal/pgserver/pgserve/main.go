// Command pgserve starts a throwaway PostgreSQL server, as the tests do, for scripts that put
// something in front of it (.ci/pgbouncer): it prints the server's Unix socket directory on its
// first line of output, and stops the server and removes it on SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kinship-go/kinship/internal/pgserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := pgserver.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserve:", err)
		os.Exit(1)
	}
	for _, part := range strings.Fields(s.URL()) {
		if dir, ok := strings.CutPrefix(part, "host="); ok {
			fmt.Println(dir)
		}
	}
	<-ctx.Done()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgserve:", err)
		os.Exit(1)
	}
}
