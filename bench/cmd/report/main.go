// Command report runs the comparison of kinship with its peers (BenchmarkPeers in package
// bench) and writes what it measured: RESULTS.md (tables of time, memory and round trips per
// workload, ratios to the hand-written pgx floor, the targets kinship must meet), the charts in
// results/*.svg, the raw benchmark output (results/raw.txt) and benchstat's view of it
// (results/benchstat.txt).
//
// Run it from the bench directory:
//
//	go run ./cmd/report                 # -count 10 -benchtime 500ms: about 18 minutes
//	go run ./cmd/report -from results/raw.txt   # rewrite the report from earlier output
//
// The benchmarks are compiled once, then run -count times, each time in a process of its own
// (with its own throwaway PostgreSQL server unless DATABASE_URL is set) with -test.count 1, and
// with the order of the peers rotated by one place (BENCH_ROTATE), so that every peer of a
// workload runs at about the same time as the others and no peer always runs first.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	count := flag.Int("count", 10, "run the benchmarks `n` times, each in a process of its own")
	benchtime := flag.String("benchtime", "500ms", "each benchmark's -test.benchtime")
	bench := flag.String("bench", "^BenchmarkPeers$", "the benchmarks to run (-test.bench)")
	from := flag.String("from", "", "write the report from this benchmark output `file` rather than running the benchmarks")
	out := flag.String("out", ".", "the `directory` to write RESULTS.md and results/ in")
	flag.BoolVar(&alsoPNG, "png", false, "also write each chart as a PNG image, beside its SVG")
	flag.Parse()
	if err := run(*count, *benchtime, *bench, *from, *out); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(count int, benchtime, bench, from, out string) error {
	dir := filepath.Join(out, "results")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw := from
	if raw == "" {
		raw = filepath.Join(dir, "raw.txt")
		if err := runBenchmarks(raw, count, benchtime, bench); err != nil {
			return err
		}
	}
	rs, err := readResults(raw)
	if err != nil {
		return err
	}
	if err := writeCharts(rs, dir); err != nil {
		return err
	}
	stat, err := benchstat(raw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "benchstat.txt"), stat, 0o644); err != nil {
		return err
	}
	md, err := os.Create(filepath.Join(out, "RESULTS.md"))
	if err != nil {
		return err
	}
	if err := writeMarkdown(md, rs, runInfo{count: count, benchtime: benchtime, from: from}); err != nil {
		md.Close()
		return err
	}
	return md.Close()
}

// runBenchmarks compiles the bench package's test binary and runs it count times, writing its
// output to raw and the name of each benchmark as it finishes to stderr.
func runBenchmarks(raw string, count int, benchtime, bench string) error {
	tmp, err := os.MkdirTemp("", "kinship-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the benchmarks: %w", err)
	}
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	defer f.Close()
	// A configuration line of the benchmark format, so that a report made later with -from
	// says how these results were made.
	if _, err := fmt.Fprintf(f, "report: -count %d -benchtime %s\n", count, benchtime); err != nil {
		return err
	}
	start := time.Now()
	for i := range count {
		fmt.Fprintf(os.Stderr, "run %d of %d (%s so far)\n", i+1, count, time.Since(start).Round(time.Second))
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", bench, "-test.benchtime", benchtime,
			"-test.count", "1", "-test.timeout", "0", "-test.v") // -test.v: the reasons for skipping
		cmd.Env = append(os.Environ(), "BENCH_ROTATE="+strconv.Itoa(i))
		cmd.Stdout = io.MultiWriter(f, progress{})
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %d: %w (output in %s)", i+1, err, raw)
		}
	}
	fmt.Fprintf(os.Stderr, "%d runs in %s\n", count, time.Since(start).Round(time.Second))
	return nil
}

// progress writes the benchmark lines it is given to stderr, shortened.
type progress struct{}

func (progress) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(string(p), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.Contains(line, "--- FAIL") {
			if i := strings.IndexByte(line, '\t'); i > 0 {
				line = line[:i]
			}
			fmt.Fprintln(os.Stderr, "  ", strings.TrimSpace(line))
		}
	}
	return len(p), nil
}

// benchstat returns benchstat's comparison of the peers in raw, one column per peer.
func benchstat(raw string) ([]byte, error) {
	cmd := exec.Command("go", "run", "golang.org/x/perf/cmd/benchstat", "-col", "/impl", raw)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("benchstat: %w", err)
	}
	return out, nil
}
