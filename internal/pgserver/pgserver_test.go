package pgserver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestStartStop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Start(ctx)
	if errors.Is(err, ErrNotFound) && os.Getenv("DATABASE_URL") != "" {
		t.Skipf("cannot test Start where DATABASE_URL stands in for missing binaries: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx) // after Stop has closed it: must not hang
	for setting, want := range map[string]string{
		"listen_addresses":   "",
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		"max_connections":    "200",
		"server_encoding":    "UTF8",
	} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	var user, collate string
	err = conn.QueryRow(ctx, "SELECT current_user, datcollate FROM pg_database WHERE datname = current_database()").Scan(&user, &collate)
	if err != nil {
		t.Fatal(err)
	}
	if user != "postgres" || collate != "C" {
		t.Errorf("current_user, datcollate = %q, %q; want postgres, C", user, collate)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Stop, %s: %v; want it removed", s.dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := strconv.Itoa(dead.Process.Pid)
	live := strconv.Itoa(os.Getpid())
	for name, pid := range map[string]string{
		dirPrefix + "stale":  deadPid,
		dirPrefix + "in-use": live,
		dirPrefix + "new":    "", // no owner file yet
		"other-" + "stale":   deadPid,
	} {
		d := filepath.Join(tmp, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if pid != "" {
			if err := os.WriteFile(filepath.Join(d, ownerFile), []byte(pid), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}

	removeStale()

	for name, wantKept := range map[string]bool{
		dirPrefix + "stale":  false,
		dirPrefix + "in-use": true,
		dirPrefix + "new":    true,
		"other-stale":        true,
	} {
		_, err := os.Stat(filepath.Join(tmp, name))
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s: kept = %v, want %v", name, kept, wantKept)
		}
	}
}
