// Package pgserver starts a throwaway PostgreSQL server for the example
// program, tests and benchmarks.
//
// [URL] returns DATABASE_URL when it is set. Otherwise it calls [Start],
// which runs initdb in a fresh temporary directory and starts postgres
// listening only on a Unix socket in another, with durability turned off
// (fsync, synchronous_commit and full_page_writes). Starting costs 1 to 2
// seconds, almost all of it initdb; [Server.Stop] shuts the server down and
// removes both directories.
//
// PostgreSQL refuses to run as root, so when this process runs as root the
// server runs as the "postgres" user. On Linux the server is also told to
// shut down at once if this process dies without calling Stop, and a later
// Start removes directories left behind by processes that died.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timeouts for starting and stopping.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// port names the socket file (.s.PGSQL.5432); nothing listens on TCP.
const port = "5432"

// dirPrefix names the temporary directories, so that stale ones can be found.
const dirPrefix = "kinship-pg-"

// ownerFile holds the id of the process that made a temporary directory.
const ownerFile = "owner.pid"

// Settings passed to postgres with -c. max_connections is high because tests
// run many pools at once.
var settings = []string{
	"listen_addresses=",
	"port=" + port,
	"fsync=off",
	"synchronous_commit=off",
	"full_page_writes=off",
	"max_connections=200",
	"shared_buffers=32MB",
	"log_checkpoints=off",
}

// A Server is a running throwaway PostgreSQL server. Its methods are safe
// for concurrent use.
type Server struct {
	dir     string // temporary directory holding data/, socket/ and server.log
	url     string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// URL returns DATABASE_URL when that is set, with a stop function that does
// nothing. Otherwise it starts a server with [Start] and returns its URL and
// a function that stops it; stop reports errors to standard error.
func URL(ctx context.Context) (url string, stop func(), err error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, func() {}, nil
	}
	s, err := Start(ctx)
	if err != nil {
		return "", nil, err
	}
	return s.URL(), func() {
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

// Start initialises a database cluster in a new temporary directory and
// starts a server on it, listening only on a Unix socket. It returns once
// the server accepts connections, or fails after 30 seconds with the tail
// of the server's log.
//
// The programs initdb and postgres are looked for on PATH, then under
// /usr/lib/postgresql/*/bin, highest version first. The error wraps
// [ErrNotFound] when there are none.
func Start(ctx context.Context) (*Server, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	bin, err := findBinaries(os.Getenv("PATH"), defaultGlobs)
	if err != nil {
		return nil, err
	}
	var runAs *account
	if os.Geteuid() == 0 {
		if runAs, err = lookupAccount("postgres"); err != nil {
			return nil, err
		}
	}
	removeStale()

	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	s := &Server{dir: dir, exited: make(chan struct{})}
	if err := s.start(ctx, bin, runAs); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin binaries, runAs *account) error {
	data := filepath.Join(s.dir, "data")
	socket := filepath.Join(s.dir, "socket")
	logPath := filepath.Join(s.dir, "server.log")
	if err := os.WriteFile(filepath.Join(s.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	for _, d := range []string{data, socket} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("pgserver: %w", err)
		}
	}
	if runAs != nil {
		// The server needs to pass through dir (0700) and own data/ and socket/.
		for _, d := range []string{s.dir, data, socket} {
			if err := os.Chown(d, int(runAs.uid), int(runAs.gid)); err != nil {
				return fmt.Errorf("pgserver: running as root, giving %s to user %q: %w", d, runAs.name, err)
			}
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	defer logFile.Close() // the children keep their own descriptors

	initdb := exec.CommandContext(ctx, bin.initdb,
		"--pgdata="+data, "--auth=trust", "--username=postgres", "--no-sync",
		"--encoding=UTF8", "--locale=C")
	initdb.Dir = s.dir
	initdb.Stdout, initdb.Stderr = logFile, logFile
	setProcAttr(initdb, runAs, sigKill)
	if err := initdb.Run(); err != nil {
		return fmt.Errorf("pgserver: %s: %w\n%s", bin.initdb, err, logTail(logPath))
	}

	args := []string{"-D", data, "-c", "unix_socket_directories=" + socket}
	for _, kv := range settings {
		args = append(args, "-c", kv)
	}
	s.cmd = exec.Command(bin.postgres, args...)
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	setProcAttr(s.cmd, runAs, sigImmediate)
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		return fmt.Errorf("pgserver: %s: %w", bin.postgres, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	s.url = fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres sslmode=disable", socket, port)
	if err := s.waitReady(ctx); err != nil {
		return fmt.Errorf("%w\n%s", err, logTail(logPath))
	}
	return nil
}

// waitReady polls until a connection succeeds.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgserver: postgres exited while starting: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("pgserver: postgres did not accept connections: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URL returns a connection string for database postgres as user postgres
// over the server's Unix socket, in keyword/value form.
func (s *Server) URL() string { return s.url }

// Stop shuts the server down (fast shutdown: connections are closed at
// once), killing it if it has not stopped within 10 seconds, and removes its
// directories. Calls after the first return the first's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var errs []error
	if s.cmd != nil {
		select {
		case <-s.exited:
		default:
			if err := s.cmd.Process.Signal(sigFast); err != nil && !errors.Is(err, os.ErrProcessDone) {
				errs = append(errs, fmt.Errorf("pgserver: stopping postgres: %w", err))
			}
			select {
			case <-s.exited:
			case <-time.After(stopTimeout):
				errs = append(errs, fmt.Errorf("pgserver: postgres did not stop within %v; killed it", stopTimeout))
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgserver: %w", err))
	}
	return errors.Join(errs...)
}

// An account is a user to run the server as.
type account struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

func lookupAccount(name string) (*account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root, which PostgreSQL refuses, and cannot run the server as user %q: %w; "+
			"create the user (e.g. `useradd --system %s`), run as another user, or set DATABASE_URL", name, err, name)
	}
	a := &account{name: name}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgserver: user %q: %w", name, err)
	}
	a.uid, a.gid = uint32(uid), uint32(gid)
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			a.groups = append(a.groups, uint32(n))
		}
	}
	return a, nil
}

// logTail returns the last lines of the server log, indented.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	var sb strings.Builder
	sb.WriteString("server log (" + path + ", last lines):")
	for _, l := range lines {
		sb.WriteString("\n\t")
		sb.Write(l)
	}
	return sb.String()
}

// removeStale removes temporary directories whose owning process is gone and
// whose server is no longer running: what a killed test binary leaves.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		owner, ok := readPid(filepath.Join(dir, ownerFile))
		if !ok || processAlive(owner) {
			continue // being set up, or still in use
		}
		// postmaster.pid starts with the server's process id.
		if pid, ok := readPid(filepath.Join(dir, "data", "postmaster.pid")); ok && processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

func readPid(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 0
}
