package bench

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkLatency runs the workloads where round trips are the cost — the loads of 100
// companies (10 employees each; with 5 addresses each; the top 3 of 100), inserting a company with
// 100 employees, raising 100 salaries, deleting a company with its employees — by every peer,
// through a proxy that holds each byte back by half the round-trip time in each direction, at
// round-trip times of 0 (the proxy's own hop), 0.5 and 2 ms, as a database in the same zone or
// the next one is:
//
//	BenchmarkLatency/rtt=<d>/<workload>/impl=<peer>
//
// Locally, on a socket, a round trip costs ~50 µs and hides what a library's round trips cost;
// here ns/op grows by the round-trip time for each of roundtrips/op.
func BenchmarkLatency(b *testing.B) {
	keep := func(name string) bool {
		switch name {
		case "Load/parents=100/children=10", "Load/parents=100/children=10/addresses=5", "Load/parents=100/children=100/top=3",
			"Flush/Insert", "Flush/Update", "Flush/Delete":
			return true
		}
		return false
	}
	for _, rtt := range latencies {
		b.Run("rtt="+strconv.FormatFloat(float64(rtt)/float64(time.Millisecond), 'g', -1, 64)+"ms", func(b *testing.B) {
			peerWorkloads(b, func(tb testing.TB, db *pgxpool.Pool) *pgxpool.Pool { return delayed(tb, db, rtt) }, keep)
		})
	}
}

// TestDelayProxy: a round trip through the proxy takes at least the round-trip time it adds
// (how much more is the machine's, and not asserted), and the connection works as a direct one.
func TestDelayProxy(t *testing.T) {
	ctx := context.Background()
	for _, rtt := range latencies {
		db := delayed(t, pool, rtt)
		var fastest time.Duration
		for i := range 5 {
			start := time.Now()
			var n int
			if err := db.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
				t.Fatalf("rtt %v: %v, %d", rtt, err, n)
			}
			if took := time.Since(start); i > 0 && (fastest == 0 || took < fastest) { // the first one connects
				fastest = took
			}
		}
		if fastest < rtt {
			t.Errorf("rtt %v: a round trip took %v", rtt, fastest)
		}
		t.Logf("rtt %v: the fastest of 4 round trips took %v", rtt, fastest)
	}
}

// latencies are BenchmarkLatency's round-trip times.
var latencies = []time.Duration{0, 500 * time.Microsecond, 2 * time.Millisecond}

type delayKey struct {
	db  *pgxpool.Pool
	rtt time.Duration
}

// delayedPool is a pool through a proxy of its own.
type delayedPool struct {
	pool  *pgxpool.Pool
	proxy *delayProxy
}

// delayedPools holds the pools delayed made; closed by TestMain.
var delayedPools memo[delayKey, delayedPool]

// delayed returns a pool with db's configuration (database, search_path, tracer) whose
// connections go through a proxy adding rtt to every round trip.
func delayed(tb testing.TB, db *pgxpool.Pool, rtt time.Duration) *pgxpool.Pool {
	tb.Helper()
	return delayedPools.get(delayKey{db, rtt}, func() delayedPool {
		cfg := db.Config()
		p, err := startProxy(cfg.ConnConfig.Host, cfg.ConnConfig.Port, rtt/2)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.ConnConfig.Host, cfg.ConnConfig.Port = "127.0.0.1", p.port()
		cfg.ConnConfig.TLSConfig, cfg.ConnConfig.Fallbacks = nil, nil
		dp, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			p.close()
			tb.Fatal(err)
		}
		return delayedPool{dp, p}
	}).pool
}

// closeDelayed closes the pools delayed made, then their proxies.
func closeDelayed() {
	delayedPools.drain(func(d delayedPool) { d.pool.Close(); d.proxy.close() })
}

// delayProxy forwards each TCP connection it accepts to the server, holding every chunk of
// bytes back by delay in each direction before passing it on: latency, without a limit on
// bandwidth (chunks in flight overlap, as packets on a network do).
type delayProxy struct {
	ln    net.Listener
	dial  func() (net.Conn, error)
	delay time.Duration
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// startProxy listens on a loopback port for connections to the server at host (a Unix socket
// directory, as pgx takes it, or a host name) and port.
func startProxy(host string, port uint16, delay time.Duration) (*delayProxy, error) {
	network, addr := "tcp", net.JoinHostPort(host, strconv.Itoa(int(port)))
	if strings.HasPrefix(host, "/") {
		network, addr = "unix", filepath.Join(host, fmt.Sprintf(".s.PGSQL.%d", port))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &delayProxy{ln: ln, delay: delay, dial: func() (net.Conn, error) { return net.Dial(network, addr) }}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *delayProxy) port() uint16 { return uint16(p.ln.Addr().(*net.TCPAddr).Port) }

func (p *delayProxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := p.dial()
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); p.pump(server, client) }()
		go func() { defer p.wg.Done(); p.pump(client, server) }()
	}
}

// chunk is bytes read at a time, to be written delay after it.
type chunk struct {
	at   time.Time
	data []byte
}

// pump copies src to dst, each chunk delay after it was read. It closes dst when src ends.
func (p *delayProxy) pump(dst, src net.Conn) {
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // for sleepExact
		defer runtime.UnlockOSThread()
		for c := range queue {
			if wait := time.Until(c.at.Add(p.delay)); wait > 0 {
				sleepExact(wait)
			}
			if _, err := dst.Write(c.data); err != nil {
				for range queue {
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{at: time.Now(), data: buf[:n]}
		}
		if err != nil {
			break // EOF, or the connection closed or reset: pass the end on
		}
	}
	close(queue)
	<-done
	dst.Close()
}

func (p *delayProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
