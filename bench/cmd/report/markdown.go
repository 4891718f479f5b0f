package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// runInfo is how the results were made, for the report's header.
type runInfo struct {
	count     int
	benchtime string
	from      string // the file the results were read from, if not run now
}

// The peers kinship is held against (its targets), and the floor.
var (
	rivals = []string{"gorm", "bun", "ent"}
	floor  = "pgx"
)

// floorWorkload is the load at which kinship must come within 1.10× of the pgx floor.
const floorWorkload = "Load/parents=100/children=10"

// writeMarkdown writes RESULTS.md.
func writeMarkdown(w io.Writer, rs *results, info runInfo) error {
	p := &printer{w: w}
	p.f("# kinship against its peers: results\n\n")
	p.f("Written by `go run ./cmd/report` in `bench/` (see [README.md](README.md) for what each workload does and how); do not edit by hand.\n\n")
	how := fmt.Sprintf("%d runs of every benchmark, each run a process of its own with `-test.benchtime %s`", info.count, info.benchtime)
	if info.from != "" {
		how = "read from " + info.from
		var count int
		var benchtime string
		if _, err := fmt.Sscanf(rs.config["report"], "-count %d -benchtime %s", &count, &benchtime); err == nil {
			how = fmt.Sprintf("%d runs of every benchmark, each run a process of its own with `-test.benchtime %s` (%s)", count, benchtime, how)
		}
	}
	p.f("- Measured: %s, on %s. Every cell is the median of the runs; ± is the 95%% confidence interval of the median (benchstat's); ×pgx is the ratio of medians to hand-written pgx, the floor. Lower is better everywhere.\n", how, time.Now().UTC().Format("2006-01-02"))
	p.f("- Machine: %s; %s/%s, %d cores (GOMAXPROCS %d), %s of memory, Linux %s. The machine is shared: compare peers within a run (the ratios), not runs.\n",
		orUnknown(rs.config["cpu"]), rs.config["goos"], rs.config["goarch"], runtime.NumCPU(), runtime.GOMAXPROCS(0), memory(), kernel())
	p.f("- PostgreSQL %s on the same machine, over loopback TCP; Go %s.\n", orUnknown(rs.config["postgres"]), orUnknown(rs.config["go"]))
	p.f("- Peers: %s.\n\n", versions())
	p.f("![Loads: time per load relative to hand-written pgx](results/loads.svg)\n\n")

	targets(p, rs)
	summaryTable(p, rs)
	p.f("## Each workload\n\n")
	p.f("Time per op (± the confidence interval, as a percentage), then per op: bytes and allocations on the Go heap, round trips to the server (BEGIN and COMMIT count), statements sent.\n\n")
	p.f("![The five operations](results/ops.svg)\n\n![Flushes](results/flush.svg)\n\n![Time per child row](results/perchild.svg)\n\n")
	for _, wl := range rs.workloads {
		detailTable(p, rs, wl)
	}
	if len(rs.skipped) > 0 {
		p.f("## What a peer cannot do\n\n")
		for _, wl := range rs.workloads {
			for _, im := range rs.impls {
				if why, ok := rs.skipped[cellKey{wl, im}]; ok {
					p.f("- %s, %s: %s.\n", im, wl, why)
				}
			}
		}
		p.f("\n")
	}
	p.f("The raw output is [results/raw.txt](results/raw.txt); benchstat's view of it, one column per peer, is [results/benchstat.txt](results/benchstat.txt).\n")
	return p.err
}

// targets writes the section on kinship's targets: on every load, its best strategy against
// GORM, bun and ent; at floorWorkload, against the pgx floor.
func targets(p *printer, rs *results) {
	p.f("## Targets\n\n")
	p.f("kinship's best strategy for each load (its median time), and that time divided by each peer's: below 1 kinship is faster. Target: below 1 against GORM, bun and ent everywhere, and at most 1.10 against the pgx floor at parents=100, children=10.\n\n")
	p.f("| workload | best kinship | time | ÷ pgx | ÷ pgx-batch | ÷ gorm | ÷ bun | ÷ ent | met |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, wl := range rs.workloads {
		if !strings.HasPrefix(wl, "Load/") {
			continue
		}
		best, bt := bestKinship(rs, wl)
		if best == "" {
			continue
		}
		met := true
		row := []string{wl, best, fmtDuration(bt)}
		for _, peer := range []string{floor, "pgx-batch", "gorm", "bun", "ent"} {
			t := rs.cells[cellKey{wl, peer}].median(timeUnit)
			if _, ok := rs.skipped[cellKey{wl, peer}]; ok {
				row = append(row, "cannot")
				continue
			}
			if t == 0 {
				row = append(row, "—")
				continue
			}
			r := bt / t
			row = append(row, fmt.Sprintf("%.2f", r))
			if slices.Contains(rivals, peer) && r >= 1 || peer == floor && wl == floorWorkload && r > 1.10 {
				met = false
			}
		}
		row = append(row, map[bool]string{true: "yes", false: "**no**"}[met])
		p.f("| %s |\n", strings.Join(row, " | "))
	}
	p.f("\n")
	p.f("The flushes, kinship's unit of work (`uow.Run`) against the same job done by each peer, time divided by each peer's:\n\n")
	p.f("| workload | kinship | ÷ pgx | ÷ gorm | ÷ bun | ÷ ent |\n|---|---|---|---|---|---|\n")
	for _, wl := range rs.workloads {
		if !strings.HasPrefix(wl, "Flush/") {
			continue
		}
		for _, k := range []string{"kinship", "kinship-passive"} {
			kt := rs.cells[cellKey{wl, k}].median(timeUnit)
			if kt == 0 {
				continue
			}
			row := []string{wl, k + " " + fmtDuration(kt)}
			for _, peer := range []string{floor, "gorm", "bun", "ent"} {
				if t := rs.cells[cellKey{wl, peer}].median(timeUnit); t > 0 {
					row = append(row, fmt.Sprintf("%.2f", kt/t))
				} else {
					row = append(row, "—")
				}
			}
			p.f("| %s |\n", strings.Join(row, " | "))
		}
	}
	p.f("\n")
}

// bestKinship returns the kinship strategy with the lowest median time on wl, and that time.
func bestKinship(rs *results, wl string) (string, float64) {
	best, bt := "", math.Inf(1)
	for _, im := range rs.impls {
		if !strings.HasPrefix(im, "kinship-") {
			continue
		}
		if t := rs.cells[cellKey{wl, im}].median(timeUnit); t > 0 && t < bt {
			best, bt = im, t
		}
	}
	return best, bt
}

// summaryTable writes every workload's time per peer relative to the pgx floor.
func summaryTable(p *printer, rs *results) {
	p.f("## All workloads, relative to pgx\n\n")
	p.f("Median time per op divided by hand-written pgx's (whose own time is in its column); — where the peer does not run the workload (see the end of this file).\n\n")
	p.f("| workload | %s |\n|---|%s\n", strings.Join(rs.impls, " | "), strings.Repeat("---|", len(rs.impls)))
	for _, wl := range rs.workloads {
		base := rs.cells[cellKey{wl, floor}].median(timeUnit)
		row := []string{wl}
		for _, im := range rs.impls {
			t := rs.cells[cellKey{wl, im}].median(timeUnit)
			switch {
			case t == 0:
				row = append(row, "—")
			case im == floor || base == 0:
				row = append(row, fmtDuration(t))
			default:
				row = append(row, fmt.Sprintf("%.2f×", t/base))
			}
		}
		p.f("| %s |\n", strings.Join(row, " | "))
	}
	p.f("\n")
}

// detailTable writes one workload's measurements, a row per peer.
func detailTable(p *printer, rs *results, wl string) {
	p.f("### %s\n\n", wl)
	p.f("| peer | time/op | ×pgx | B/op | allocs/op | round trips | statements |\n|---|---|---|---|---|---|---|\n")
	base := rs.cells[cellKey{wl, floor}].median(timeUnit)
	for _, im := range rs.impls {
		c := rs.cells[cellKey{wl, im}]
		if c == nil {
			if why, ok := rs.skipped[cellKey{wl, im}]; ok {
				p.f("| %s | cannot: %s | | | | | |\n", im, why)
			}
			continue
		}
		s, _ := c.summary(timeUnit)
		ratio := ""
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", s.Center/base)
		}
		p.f("| %s | %s %s | %s | %s | %s | %s | %s |\n", im, fmtDuration(s.Center), s.PctRangeString(), ratio,
			fmtCount(c.median(bytesUnit)), fmtCount(c.median(allocsUnit)), fmtCount(c.median(tripsUnit)), fmtCount(c.median(stmtsUnit)))
	}
	p.f("\n")
}

// printer writes formatted text and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// fmtDuration formats seconds with three significant digits, in µs or ms.
func fmtDuration(sec float64) string {
	switch {
	case sec >= 1e-3:
		return fmt.Sprintf("%.3g ms", sec*1e3)
	default:
		return fmt.Sprintf("%.3g µs", sec*1e6)
	}
}

// fmtCount formats a per-op count: whole numbers as such, others with one decimal.
func fmtCount(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// memory returns this machine's memory, from /proc/meminfo.
func memory() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	var kb float64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.0f GiB", kb/(1<<20))
}

// kernel returns the Linux kernel's release.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// versions returns the versions of the peers' modules, as this module requires them.
func versions() string {
	mods := []string{"github.com/jackc/pgx/v5", "github.com/georgysavva/scany/v2", "gorm.io/gorm", "gorm.io/driver/postgres",
		"github.com/uptrace/bun", "entgo.io/ent"}
	out, err := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, mods...)...).Output()
	if err != nil {
		return "unknown (go list -m failed)"
	}
	var vs []string
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		vs = append(vs, strings.TrimSpace(line))
	}
	return strings.Join(vs, ", ")
}
