package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kinship-go/kinship/loadopts"
)

// BenchmarkPeers runs every workload of the comparison by every library that can do it, under
// one name scheme that cmd/report reads:
//
//	BenchmarkPeers/<workload>/impl=<peer>
//
// The peers: hand-written pgx (the floor: for the loads, the two statements everyone writes by
// hand, parents and then children WHERE parent_id = ANY($1); pgx-batch sends the statements of
// kinship's Pipelined strategy in one pgx.Batch), pgx with scany, GORM, bun, ent, and kinship (one peer
// per load strategy for the loads: kinship-joined, kinship-selectin, kinship-subquery,
// kinship-pipelined). Each implementation is its library's idiomatic code at its best settings
// (see the peer_*_test.go files), and each is checked after its timed loop against the
// database, by the same checks as the kinship-against-pgx benchmarks, so that none is fast
// because it does less. A peer that cannot do a workload skips it, saying why; cmd/report lists
// the reasons.

// A peer is one library's implementation of the workloads, on one database. Each method does one
// op; what it produced stays in the peer until the next op, and the checks after the timed loop
// ask for it in the benchmarks' own types (Models, Companies, Graph), so that converting is
// never timed. A method returns an error wrapping errUnsupported for a workload its library
// cannot do.
type peer interface {
	// The five operations, on table models.

	// Insert inserts one new row of nextModel()'s values and reads its id back.
	Insert(ctx context.Context) error
	// InsertMulti inserts n new rows of nextModels(n)'s values in one statement and reads their
	// ids back.
	InsertMulti(ctx context.Context, n int) error
	// Update sets every non-key column of row m.Id to m's values.
	Update(ctx context.Context, m *Model) error
	// Read reads row id.
	Read(ctx context.Context, id int) error
	// ReadSlice reads n rows (LIMIT n).
	ReadSlice(ctx context.Context, n int) error
	// Models returns the rows the last op inserted or read.
	Models() []*Model

	// Load reads companies 1 … sh.n, in id order, with their employees (and their addresses, or
	// only the top few employees by salary, as sh says).
	Load(ctx context.Context, sh loadShape) error
	// Companies returns what the last Load read.
	Companies() []*Company

	// InsertGraph inserts a new company with flushChildren new employees (newCompany's), in one
	// transaction, and reads all their ids back.
	InsertGraph(ctx context.Context) error
	// Graph returns what the last InsertGraph inserted, with its ids.
	Graph() *Company
	// Raise reads company's employees, adds 1 to each one's salary and writes each back, in one
	// transaction.
	Raise(ctx context.Context, company int64) error
	// DeleteGraph deletes company and its employees, in one transaction.
	DeleteGraph(ctx context.Context, company int64) error
}

// insertSeq numbers the rows that the peers' inserts make.
var insertSeq atomic.Int64

// nextModel returns a new row of newModel()'s values but for its counter, which no other row
// made by nextModel or nextModels has: no two inserts send the same values. (bun writes values
// into its SQL text rather than sending them as parameters; inserting the same values every
// time would have pgx prepare that text once and run it over and over, which no application
// inserting real data would see.)
func nextModel() *Model {
	m := newModel()
	m.Counter = insertSeq.Add(1)
	return m
}

// nextModels returns n new rows as nextModel does.
func nextModels(n int) []*Model {
	ms := make([]*Model, n)
	for i := range ms {
		ms[i] = nextModel()
	}
	return ms
}

// errUnsupported is what a peer's method wraps for a workload its library cannot do.
var errUnsupported = errors.New("not supported")

// unsupported returns an error wrapping errUnsupported that says why.
func unsupported(why string) error { return fmt.Errorf("%w: %s", errUnsupported, why) }

// peerEntry is an entry of peers.
type peerEntry struct {
	name  string
	works workKind
	open  func(tb testing.TB, db *pgxpool.Pool) peer
}

// workKind is a set of kinds of workload.
type workKind uint8

const (
	opsWork    workKind = 1 << iota // the five operations
	loadWork                        // the loads
	flushWork                       // the flushes but the delete
	deleteWork                      // the flush that deletes a company and its employees

	allWork = opsWork | loadWork | flushWork | deleteWork
)

// peers lists the implementations, in the order they run and appear in the report, each with
// the workloads it runs; open returns the peer on db (made once per database and reused). A
// kinship load strategy is a peer of its own for the loads; the ops and flushes, which no
// strategy changes, run once as "kinship"; kinship-passive deletes by its relation declared
// PassiveDeletes, leaving the employees to ON DELETE CASCADE.
var peers = []peerEntry{
	{"pgx", allWork, openPgx(loadopts.SelectIn)},
	{"pgx-batch", loadWork, openPgx(loadopts.Pipelined)},
	{"scany", allWork, openScany},
	{"gorm", allWork, openGorm},
	{"bun", allWork, openBun},
	{"ent", allWork, openEnt},
	{"kinship", opsWork | flushWork | deleteWork, openKinship(loadopts.SelectIn, flushModel)},
	{"kinship-passive", deleteWork, openKinship(loadopts.SelectIn, passiveModel)},
	{"kinship-joined", loadWork, openKinship(loadopts.Joined, nil)},
	{"kinship-selectin", loadWork, openKinship(loadopts.SelectIn, nil)},
	{"kinship-subquery", loadWork, openKinship(loadopts.Subquery, nil)},
	{"kinship-pipelined", loadWork, openKinship(loadopts.Pipelined, nil)},
}

// rotated returns peers rotated left by $BENCH_ROTATE places (0 if unset), so that a run of
// several processes (cmd/report) can vary which peer runs first in each workload: the first
// sub-benchmark after a setup can pay for what the setup left behind.
func rotated() []peerEntry {
	n, _ := strconv.Atoi(os.Getenv("BENCH_ROTATE"))
	n %= len(peers)
	if n < 0 {
		n += len(peers)
	}
	return append(slices.Clone(peers[n:]), peers[:n]...)
}

// memo holds values made on first use, by key.
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// get returns the value of k, made by newV the first time.
func (c *memo[K, V]) get(k K, newV func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	v := newV()
	if c.m == nil {
		c.m = map[K]V{}
	}
	c.m[k] = v
	return v
}

// drain calls f with each value and forgets them all.
func (c *memo[K, V]) drain(f func(V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.m {
		f(v)
	}
	c.m = nil
}

// sqlDBs holds the database/sql handles of the peers that need one (GORM, bun, ent), one per
// pool; closed by TestMain.
var sqlDBs memo[*pgxpool.Pool, *sql.DB]

// sqlDB returns a *sql.DB over pgx's stdlib driver that opens connections of its own with the
// configuration of db (its database, search_path and tracer, so that round trips are counted
// alike), rather than borrowing db's: the peers' idle database/sql connections would otherwise
// hold db's few connections.
func sqlDB(db *pgxpool.Pool) *sql.DB {
	return sqlDBs.get(db, func() *sql.DB {
		s := stdlib.OpenDB(*db.Config().ConnConfig)
		s.SetMaxIdleConns(4)
		return s
	})
}

// closeSQLDBs closes the handles sqlDB made.
func closeSQLDBs() { sqlDBs.drain(func(s *sql.DB) { s.Close() }) }

// openedPeers holds each peer made by peerOn, by database and name.
var openedPeers memo[peerKey, peer]

type peerKey struct {
	db   *pgxpool.Pool
	name string
}

// peerOn returns the peer named name on db, opening it the first time.
func peerOn(tb testing.TB, db *pgxpool.Pool, name string, open func(testing.TB, *pgxpool.Pool) peer) peer {
	tb.Helper()
	return openedPeers.get(peerKey{db, name}, func() peer { return open(tb, db) })
}

// A workload is one row of the comparison, run by every peer that can.
type workload struct {
	// kind says which peers run it.
	kind workKind
	// data returns the database the workload runs on, ready for a sub-benchmark.
	data func(b *testing.B) *pgxpool.Pool
	// op is one timed op.
	op func(p peer) error
	// setup, if not nil, returns the round trips of untimed setup that op has made so far (a
	// refill of rows to delete), which are not the op's.
	setup func() int64
	// check checks what the peer did, after the timed loop.
	check func(b *testing.B, p peer, db *pgxpool.Pool)
	// via, if not nil, returns the pool the peer works through instead of the workload's own
	// (one on the same database through a delaying proxy: BenchmarkLatency).
	via func(tb testing.TB, db *pgxpool.Pool) *pgxpool.Pool
}

// run runs w as sub-benchmark impl=<name> for every peer that runs its kind, timing and counting round
// trips around its loop. The first op runs untimed before the loop: if it fails with
// errUnsupported, the sub-benchmark is skipped with the reason; it also has the peer prepare
// its statements. The checks count it.
func (w workload) run(b *testing.B) {
	for _, pe := range rotated() {
		if pe.works&w.kind == 0 {
			continue
		}
		b.Run("impl="+pe.name, func(b *testing.B) {
			db := w.data(b)
			if w.via != nil {
				db = w.via(b, db)
			}
			p := peerOn(b, db, pe.name, pe.open)
			if err := w.op(p); errors.Is(err, errUnsupported) {
				b.Skip(err)
			} else if err != nil {
				b.Fatal(err)
			}
			var setup int64
			if w.setup != nil {
				setup = w.setup()
			}
			b.ReportAllocs()
			before := countFlush()
			for b.Loop() {
				if err := w.op(p); err != nil {
					b.Fatal(err)
				}
			}
			if w.setup != nil {
				setup = w.setup() - setup
			}
			before.report(b, setup)
			w.check(b, p, db)
		})
	}
}

// BenchmarkPeers: see the comment at the top of this file.
func BenchmarkPeers(b *testing.B) { peerWorkloads(b, nil, func(string) bool { return true }) }

// peerWorkloads runs the workloads whose names keep takes, each peer working through via's
// pool (see workload.via).
func peerWorkloads(b *testing.B, via func(testing.TB, *pgxpool.Pool) *pgxpool.Pool, keep func(name string) bool) {
	ctx := context.Background()
	emptied := func(b *testing.B) *pgxpool.Pool { reset(b); return pool }
	run := func(name string, w workload) {
		if keep(name) {
			w.via = via
			b.Run(name, w.run)
		}
	}

	// The five operations. Each sub-benchmark starts on an empty or freshly seeded table.
	run("Insert", workload{
		kind:  opsWork,
		data:  emptied,
		op:    func(p peer) error { return p.Insert(ctx) },
		check: func(b *testing.B, p peer, _ *pgxpool.Pool) { checkInserted(b, b.N+1, p.Models()...) },
	})
	run("InsertMulti", workload{
		kind:  opsWork,
		data:  emptied,
		op:    func(p peer) error { return p.InsertMulti(ctx, multi) },
		check: func(b *testing.B, p peer, _ *pgxpool.Pool) { checkInserted(b, (b.N+1)*multi, p.Models()...) },
	})
	var row *Model
	run("Update", workload{
		kind:  opsWork,
		data:  func(b *testing.B) *pgxpool.Pool { row = seed(b)[0]; return pool },
		op:    func(p peer) error { row.Counter++; return p.Update(ctx, row) },
		check: func(b *testing.B, _ peer, _ *pgxpool.Pool) { checkRow(b, row) },
	})
	run("Read", workload{
		kind: opsWork,
		data: func(b *testing.B) *pgxpool.Pool { row = seed(b)[multi/2]; return pool },
		op:   func(p peer) error { return p.Read(ctx, row.Id) },
		check: func(b *testing.B, p peer, _ *pgxpool.Pool) {
			if got := p.Models(); len(got) != 1 || *got[0] != *row {
				b.Fatalf("read %v, want %+v", got, *row)
			}
		},
	})
	run("ReadSlice", workload{
		kind: opsWork,
		data: func(b *testing.B) *pgxpool.Pool { seed(b); return pool },
		op:   func(p peer) error { return p.ReadSlice(ctx, multi) },
		check: func(b *testing.B, p peer, _ *pgxpool.Pool) {
			got := p.Models()
			checkSlice(b, len(got), func(i int) Model { return *got[i] })
		},
	})

	// The loads.
	load := func(name string, m int, sh loadShape) {
		var want graphSum
		run("Load/"+name, workload{
			kind: loadWork,
			data: func(b *testing.B) *pgxpool.Pool {
				db := loadData(b, m)
				want = wantSum(b, db, sh)
				return db
			},
			op: func(p peer) error { return p.Load(ctx, sh) },
			check: func(b *testing.B, p peer, _ *pgxpool.Pool) {
				if m > 0 && !sh.addresses && sh.top == 0 {
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*sh.n*int64(m)), "ns/child")
				}
				checkLoaded(b, want, sh, p.Companies())
			},
		})
	}
	for _, n := range loadParents {
		for _, m := range loadChildren {
			load(fmt.Sprintf("parents=%d/children=%d", n, m), m, loadShape{n: n})
		}
	}
	load(fmt.Sprintf("parents=100/children=%d/addresses=%d", twoLevelChildren, twoLevelAddresses),
		twoLevelChildren, loadShape{n: 100, addresses: true})
	load("parents=100/children=100/top=3", 100, loadShape{n: 100, top: 3})

	// The flushes, each in a transaction of its own.
	run("Flush/Insert", workload{
		kind:  flushWork,
		data:  func(b *testing.B) *pgxpool.Pool { return flushDB(b) },
		op:    func(p peer) error { return p.InsertGraph(ctx) },
		check: func(b *testing.B, p peer, db *pgxpool.Pool) { checkInsertedCompany(b, db, b.N+1, p.Graph()) },
	})
	var c *Company
	run("Flush/Update", workload{
		kind: flushWork,
		data: func(b *testing.B) *pgxpool.Pool { db := flushDB(b); c = raised(b, db); return db },
		op:   func(p peer) error { return p.Raise(ctx, c.ID) },
		check: func(b *testing.B, _ peer, db *pgxpool.Pool) {
			checkEmployees(b, db, c, func(e *Employee) int32 { return e.Salary + int32(b.N) + 1 })
		},
	})
	var (
		d        *doomed
		deleting *testing.B // the sub-benchmark, whose timer d.next stops while it seeds
	)
	run("Flush/Delete", workload{
		kind: deleteWork,
		data: func(b *testing.B) *pgxpool.Pool {
			deleting = b
			d = &doomed{db: flushDB(b), refill: refill}
			d.ids = seedCompanies(b, d.db, refill)
			return d.db
		},
		op:    func(p peer) error { return p.DeleteGraph(ctx, d.next(deleting, true)) },
		setup: func() int64 { return d.seeded },
		check: func(b *testing.B, _ peer, _ *pgxpool.Pool) { d.check(b) },
	})
}
