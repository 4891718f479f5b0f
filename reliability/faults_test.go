package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/uow"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// rig is a database of the test's own reached two ways: direct, a pool straight to the server
// (to read what the database holds), and pool, through an in-process toxiproxy whose toxics
// and switch cut, stall or slow the connections of the code under test. Statements through
// pool pass hook first (a pgx tracer: it runs before each statement is sent).
type rig struct {
	direct *pgxpool.Pool
	pool   *pgxpool.Pool
	proxy  *toxiproxy.Proxy
	hook   *hook
}

// hook calls its function with each statement's SQL before pgx sends it.
type hook struct {
	f atomic.Pointer[func(sql string)]
}

func (h *hook) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if f := h.f.Load(); f != nil {
		(*f)(d.SQL)
	}
	return ctx
}
func (h *hook) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart calls the function with each statement of a batch before pgx sends it: the
// flush sends a table's one-row INSERTs (and its DELETEs and UPDATEs) as a batch.
func (h *hook) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	if f := h.f.Load(); f != nil && d.Batch != nil {
		for _, q := range d.Batch.QueuedQueries {
			(*f)(q.SQL)
		}
	}
	return ctx
}
func (h *hook) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (h *hook) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// on calls f once, for the first statement that starts with prefix (case-insensitive), or
// wraps a statement that does (the flush's last batch has its statements checked by the server:
// WITH w AS (INSERT …) SELECT …).
func (h *hook) on(prefix string, f func()) {
	var once sync.Once
	prefix = strings.ToLower(prefix)
	g := func(sql string) {
		sql = strings.ToLower(sql)
		if strings.HasPrefix(sql, prefix) || strings.HasPrefix(sql, "with w as ("+prefix) {
			once.Do(f)
		}
	}
	h.f.Store(&g)
}

func (h *hook) off() { h.f.Store(nil) }

// newRig makes the database, the proxy in front of the server and the two pools; cleanups
// close them all.
func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	if _, err := direct.Exec(ctx, ddl); err != nil {
		t.Fatal(err)
	}

	// toxiproxy dials its upstream over TCP; the throwaway server listens on a Unix socket only,
	// so a plain bridge stands between them then.
	upstream := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	if strings.HasPrefix(cfg.ConnConfig.Host, "/") {
		upstream = bridge(t, filepath.Join(cfg.ConnConfig.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.ConnConfig.Port)))
	}
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := toxiproxy.NewProxy(srv, t.Name(), "127.0.0.1:0", upstream)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	host, port, _ := net.SplitHostPort(proxy.Listen)
	p, _ := strconv.Atoi(port)

	h := &hook{}
	pcfg := cfg.Copy()
	pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Fallbacks = host, uint16(p), nil
	pcfg.ConnConfig.Tracer = h
	pcfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &rig{direct: direct, pool: pool, proxy: proxy, hook: h}
}

// bridge forwards TCP connections on a local port to the Unix socket at path, and returns the
// port's address; a cleanup closes it and every connection it holds.
func bridge(t *testing.T, path string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn, on bool) {
		mu.Lock()
		defer mu.Unlock()
		if on {
			conns[c] = true
		} else {
			delete(conns, c)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", path)
			if err != nil {
				in.Close()
				continue
			}
			track(in, true)
			track(out, true)
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				io.Copy(dst, src)
				dst.Close() // either side ending ends both
				src.Close()
				track(dst, false)
				track(src, false)
			}
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// toxic adds a toxic to the proxy's connections: kind is reset_peer, timeout or latency; stream
// is upstream (client to server) or downstream.
func (r *rig) toxic(t *testing.T, kind, stream string, attrs string) {
	t.Helper()
	js := fmt.Sprintf(`{"name":"%s_%s","type":%q,"stream":%q,"toxicity":1,"attributes":{%s}}`, kind, stream, kind, stream, attrs)
	if _, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Errorf("toxic %s: %v", js, err)
	}
}

// restore removes the toxics and turns the proxy on again, for the checks after the fault.
func (r *rig) restore(t *testing.T) {
	r.hook.off()
	r.proxy.Toxics.ResetToxics(context.Background())
	if !r.proxy.Enabled {
		if err := r.proxy.Start(); err != nil {
			t.Fatal(err)
		}
	}
}

// count returns how many rows of table have name, read straight from the server.
func (r *rig) count(t *testing.T, table, name string) int64 {
	t.Helper()
	var n int64
	if err := r.direct.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// allOrNothing checks that the unit of work that wrote company "Newco" with employees "a" and
// "b" is in the database whole, or not at all, and returns which.
func (r *rig) allOrNothing(t *testing.T) (written bool) {
	t.Helper()
	c, a, b := r.count(t, "companies", "Newco"), r.count(t, "employees", "a"), r.count(t, "employees", "b")
	if !(c == 0 && a == 0 && b == 0 || c == 1 && a == 1 && b == 1) {
		t.Fatalf("a partial write: %d companies, %d and %d employees", c, a, b)
	}
	return c == 1
}

// poolUsable checks that the proxied pool serves a statement again, on a new connection if the
// old ones are gone. A connection cut while idle in the pool is found by its first use, which
// then fails with a connection error (pgx does not ping a connection idle for less than a
// second): at most that one failure is allowed, never a server error.
func (r *rig) poolUsable(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var err error
	for range 2 {
		var one int
		if err = r.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err == nil {
			return
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			break
		}
	}
	t.Fatalf("the pool is not usable after the fault: %v", err)
}

// addAndFlush adds c and flushes: the flush's statements go before Run's commit, none with
// COMMIT.
func addAndFlush(ctx context.Context, s *uow.Session, c *Company) error {
	if err := uow.Add(s, Companies, c); err != nil {
		return err
	}
	return s.Flush(ctx)
}

func newco() *Company {
	return &Company{Name: "Newco", Employees: []*Employee{{Name: "a"}, {Name: "b"}}}
}

// TestFaults cuts, stalls and slows the connection of a unit of work at each stage through an
// in-process toxiproxy, and cancels its context, and checks each time: the error says what
// happened, the database holds the unit of work whole or not at all (read on a direct
// connection), the session reports itself ended or unusable, the pool serves new connections,
// and no goroutine is left (goleak, per case). The cases run one after another: goleak cannot
// tell a leak from the goroutines of a test running beside it.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, r *rig)
	}{
		{
			// Leaves nothing: the session's INSERTs were never sent.
			"connection cut before the flush (proxy switched off)",
			func(t *testing.T, r *rig) {
				s, err := uow.Begin(ctx, r.pool, keepingModel)
				must(t, err)
				c := newco()
				must(t, uow.Add(s, Companies, c))
				r.proxy.Stop() // closes every connection through it, and refuses new ones
				err = s.Commit(ctx)
				if err == nil || errors.Is(err, uow.ErrAmbiguousCommit) {
					t.Fatalf("commit: %v, want a plain failure (the flush failed, COMMIT was never sent)", err)
				}
				if c.ID != 0 {
					t.Fatal("a key from a flush that failed")
				}
				if err := uow.Add(s, Companies, newco()); err == nil {
					t.Fatal("the session is usable after Commit failed")
				}
				r.restore(t)
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves nothing: the company's INSERT reached the server, the employees' did not
			// (the connection was reset as it was sent), and the server rolled back the
			// transaction of the connection it lost. The flush is the function's own, before
			// Run's commit: COMMIT was not sent.
			"connection reset during the flush, after its first statement (reset_peer)",
			func(t *testing.T, r *rig) {
				r.hook.on(`INSERT INTO "employees"`, func() { r.toxic(t, "reset_peer", "upstream", `"timeout":0`) })
				c := newco()
				err := uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error { return addAndFlush(ctx, s, c) })
				r.restore(t)
				if err == nil || errors.Is(err, uow.ErrAmbiguousCommit) {
					t.Fatalf("Run: %v, want a plain failure before COMMIT", err)
				}
				if c.ID != 0 || c.Employees[0].CompanyID != nil {
					t.Fatal("keys from a flush that failed")
				}
				time.Sleep(100 * time.Millisecond) // the server notices the lost connection
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves nothing: the flush's last batch, COMMIT in it, was reset as it was sent. The
			// client cannot know how far the server got: ambiguous; here it got nowhere.
			"connection reset during the batch that carries COMMIT: ambiguous, not committed",
			func(t *testing.T, r *rig) {
				r.hook.on(`INSERT INTO "employees"`, func() { r.toxic(t, "reset_peer", "upstream", `"timeout":0`) })
				c := newco()
				err := uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error { return uow.Add(s, Companies, c) })
				r.restore(t)
				if !errors.Is(err, uow.ErrAmbiguousCommit) {
					t.Fatalf("Run: %v, want ErrAmbiguousCommit", err)
				}
				if c.ID != 0 || c.Employees[0].CompanyID != nil {
					t.Fatal("keys from a flush that did not commit")
				}
				time.Sleep(100 * time.Millisecond)
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves the unit of work whole: COMMIT reached the server and committed; only its
			// answer was lost (the server-to-client stream dropped, then closed). A unit of work
			// of the same statements ran first, so that the connection has them prepared and the
			// last batch goes in one round trip (a first one would wait for their descriptions).
			"COMMIT's answer lost: ambiguous, and committed",
			func(t *testing.T, r *rig) {
				must(t, uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error { return uow.Add(s, Companies, newco()) }))
				_, err := r.direct.Exec(ctx, "DELETE FROM employees; DELETE FROM companies")
				must(t, err)
				r.hook.on("commit", func() { r.toxic(t, "timeout", "downstream", `"timeout":300`) })
				runs := 0
				err = uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error {
					runs++
					return uow.Add(s, Companies, newco())
				})
				r.restore(t)
				if !errors.Is(err, uow.ErrAmbiguousCommit) || runs != 1 {
					t.Fatalf("Run: %v after %d runs, want ErrAmbiguousCommit after 1", err, runs)
				}
				if !r.allOrNothing(t) {
					t.Fatal("not written: COMMIT did reach the server")
				}
			},
		},
		{
			// Leaves nothing: COMMIT never reached the server (the client-to-server stream
			// dropped, then closed), which rolled back when the connection went. The client
			// cannot tell this from the case above: ambiguous too.
			"COMMIT lost on its way: ambiguous, and not committed",
			func(t *testing.T, r *rig) {
				r.hook.on("commit", func() { r.toxic(t, "timeout", "upstream", `"timeout":300`) })
				err := uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error { return uow.Add(s, Companies, newco()) })
				r.restore(t)
				if !errors.Is(err, uow.ErrAmbiguousCommit) {
					t.Fatalf("Run: %v, want ErrAmbiguousCommit", err)
				}
				time.Sleep(100 * time.Millisecond)
				if r.allOrNothing(t) {
					t.Fatal("written: COMMIT never reached the server")
				}
			},
		},
		{
			// Leaves the unit of work whole: it committed before the cut; the connection, idle
			// in the pool, is found dead at its next use.
			"connection cut after the commit",
			func(t *testing.T, r *rig) {
				s, err := uow.Begin(ctx, r.pool, keepingModel)
				must(t, err)
				must(t, uow.Add(s, Companies, newco()))
				must(t, s.Commit(ctx))
				r.proxy.Stop()
				r.restore(t)
				if err := uow.Add(s, Companies, newco()); err == nil {
					t.Fatal("the session is usable after Commit")
				}
				if !r.allOrNothing(t) {
					t.Fatal("not written")
				}
			},
		},
		{
			// Leaves nothing: the employees' INSERT was in flight, slowed down, when the context
			// was cancelled; pgx closed the connection and the server rolled back.
			"context cancelled in the middle of the flush",
			func(t *testing.T, r *rig) {
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				r.hook.on(`INSERT INTO "employees"`, func() {
					r.toxic(t, "latency", "downstream", `"latency":2000`)
					time.AfterFunc(100*time.Millisecond, cancel)
				})
				err := uow.Run(cctx, r.pool, keepingModel, func(s *uow.Session) error { return addAndFlush(cctx, s, newco()) })
				r.restore(t)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Run: %v, want context.Canceled", err)
				}
				time.Sleep(100 * time.Millisecond)
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves nothing, as above, the deadline passing while the INSERT was stalled.
			"deadline exceeded in the middle of the flush",
			func(t *testing.T, r *rig) {
				dctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
				defer cancel()
				r.hook.on(`INSERT INTO "employees"`, func() { r.toxic(t, "timeout", "downstream", `"timeout":0`) })
				err := uow.Run(dctx, r.pool, keepingModel, func(s *uow.Session) error { return addAndFlush(dctx, s, newco()) })
				r.restore(t)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Run: %v, want context.DeadlineExceeded", err)
				}
				time.Sleep(100 * time.Millisecond)
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves nothing: the session had flushed Newco (autoflush before the load), then
			// the load's second statement (the employees, select-in) was cancelled; the session
			// is unusable (its connection is gone) and rolls back.
			"context cancelled in the middle of a load",
			func(t *testing.T, r *rig) {
				s, err := uow.Begin(ctx, r.pool, keepingModel)
				must(t, err)
				defer s.Rollback(ctx)
				must(t, uow.Add(s, Companies, newco()))
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				r.hook.on(`SELECT c0.`, func() {
					r.toxic(t, "latency", "downstream", `"latency":2000`)
					time.AfterFunc(100*time.Millisecond, cancel)
				})
				_, err = Companies.Find(cctx, s, loadopts.With(Keeping, loadopts.SelectIn))
				r.restore(t)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Find: %v, want context.Canceled", err)
				}
				if _, err := Companies.Find(ctx, s); err == nil {
					t.Fatal("the session is usable after its connection was lost")
				}
				s.Rollback(ctx)
				time.Sleep(100 * time.Millisecond)
				if r.allOrNothing(t) {
					t.Fatal("written")
				}
			},
		},
		{
			// Leaves what was committed before, and nothing of the session: as above, with the
			// deadline passing while the load's first statement was stalled.
			"deadline exceeded in the middle of a load",
			func(t *testing.T, r *rig) {
				must(t, uow.Run(ctx, r.pool, keepingModel, func(s *uow.Session) error { return uow.Add(s, Companies, newco()) }))
				s, err := uow.Begin(ctx, r.pool, keepingModel)
				must(t, err)
				defer s.Rollback(ctx)
				must(t, uow.Add(s, Employees, &Employee{Name: "c"}))
				dctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
				defer cancel()
				r.hook.on(`SELECT `, func() { r.toxic(t, "timeout", "downstream", `"timeout":0`) })
				_, err = Companies.Find(dctx, s, loadopts.With(Keeping, loadopts.Joined))
				r.restore(t)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Find: %v, want context.DeadlineExceeded", err)
				}
				if err := s.Commit(ctx); err == nil {
					t.Fatal("the session committed after its connection was lost")
				}
				time.Sleep(100 * time.Millisecond)
				if !r.allOrNothing(t) || r.count(t, "employees", "c") != 0 {
					t.Fatal("want Newco, committed before, and not the session's employee")
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Registered first, so run last: after the cleanups that close the pools, the proxy
			// and the bridge, and drop the database.
			before := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, before) })
			r := newRig(t)
			c.run(t, r)
			r.poolUsable(t)
		})
	}
}
