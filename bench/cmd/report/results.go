package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// results is what a benchmark output file says about the peers.
type results struct {
	workloads []string // in the order they ran
	impls     []string // in the order of order
	cells     map[cellKey]*cell
	skipped   map[cellKey]string // why a peer skipped a workload
	config    map[string]string  // goos, goarch, cpu, postgres, go, …
}

type cellKey struct{ workload, impl string }

// A cell is one peer's measurements of one workload, a value per run for each unit.
type cell struct {
	values map[string][]float64 // by unit, as benchfmt tidies it: sec/op, B/op, …
}

// summary returns the median of unit with its 95% confidence interval, and whether there is
// one.
func (c *cell) summary(unit string) (benchmath.Summary, bool) {
	if c == nil || len(c.values[unit]) == 0 {
		return benchmath.Summary{}, false
	}
	vs := append([]float64(nil), c.values[unit]...)
	return benchmath.AssumeNothing.Summary(benchmath.NewSample(vs, &benchmath.DefaultThresholds), 0.95), true
}

// median returns the median of unit, or 0.
func (c *cell) median(unit string) float64 {
	s, _ := c.summary(unit)
	return s.Center
}

// A name is BenchmarkPeers/<workload>/impl=<peer>-<GOMAXPROCS>, or BenchmarkLatency/rtt=<d>/
// <workload>/impl=<peer>-<GOMAXPROCS>, whose workload is then rtt=<d>/<workload>; benchfmt drops
// "Benchmark".
var nameRE = regexp.MustCompile(`^(?:Benchmark)?(?:Peers|Latency)/(.+)/impl=([a-z]+(?:-[a-z]+)*)(?:-\d+)?$`)

// readResults reads the benchmark output in file.
func readResults(file string) (*results, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs := &results{cells: map[cellKey]*cell{}, skipped: map[cellKey]string{}, config: map[string]string{}}
	seenW, seenI := map[string]bool{}, map[string]bool{}
	add := func(w, i string) {
		if !seenW[w] {
			seenW[w] = true
			rs.workloads = append(rs.workloads, w)
		}
		if !seenI[i] {
			seenI[i] = true
			rs.impls = append(rs.impls, i)
		}
	}
	r := benchfmt.NewReader(f, file)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					rs.config[c.Key] = strings.TrimSpace(string(c.Value))
				}
			}
			m := nameRE.FindStringSubmatch(rec.Name.String())
			if m == nil {
				continue
			}
			add(m[1], m[2])
			k := cellKey{m[1], m[2]}
			c := rs.cells[k]
			if c == nil {
				c = &cell{values: map[string][]float64{}}
				rs.cells[k] = c
			}
			for _, v := range rec.Values {
				c.values[v.Unit] = append(c.values[v.Unit], v.Value)
			}
		}
		// A *benchfmt.SyntaxError is a line of -test.v output that names a benchmark about to
		// run (or one skipped); the results come on a line of their own.
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if err := readSkips(file, rs, add); err != nil {
		return nil, err
	}
	slices.SortStableFunc(rs.impls, func(a, b string) int { return rank(a) - rank(b) })
	if len(rs.cells) == 0 {
		return nil, fmt.Errorf("%s: no BenchmarkPeers or BenchmarkLatency results", file)
	}
	return rs, nil
}

// readSkips finds the sub-benchmarks that were skipped, and why: in -test.v output, the line the
// benchmark logged, which ends in "not supported: <why>", and then "--- SKIP: <name>". A failed
// benchmark is an error.
func readSkips(file string, rs *results, add func(w, i string)) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	why := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutPrefix(line, "--- FAIL: "); ok {
			return fmt.Errorf("%s: %s failed", file, name)
		}
		if _, reason, ok := strings.Cut(line, "not supported: "); ok {
			why = reason
			continue
		}
		if name, ok := strings.CutPrefix(line, "--- SKIP: "); ok {
			if m := nameRE.FindStringSubmatch(name); m != nil && why != "" {
				add(m[1], m[2])
				rs.skipped[cellKey{m[1], m[2]}] = why
			}
		}
		why = ""
	}
	return sc.Err()
}

// order is the order of the peers in tables and charts: the floor, the other libraries, kinship.
var order = []string{"pgx", "pgx-batch", "scany", "gorm", "bun", "ent",
	"kinship", "kinship-passive", "kinship-joined", "kinship-selectin", "kinship-subquery", "kinship-pipelined"}

// rank returns im's place in order; a peer not in it comes last.
func rank(im string) int {
	if i := slices.Index(order, im); i >= 0 {
		return i
	}
	return len(order)
}

// The units as benchfmt tidies them.
const (
	timeUnit   = "sec/op"
	bytesUnit  = "B/op"
	allocsUnit = "allocs/op"
	tripsUnit  = "roundtrips/op"
	stmtsUnit  = "stmts/op"
	childUnit  = "sec/child"
)
