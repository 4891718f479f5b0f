package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// colors gives each peer its color in every chart: the floor black and grey, the other
// libraries warm colors, kinship's strategies blues and greens.
var colors = map[string]color.RGBA{
	"pgx":               {0x22, 0x22, 0x22, 0xff},
	"pgx-batch":         {0x88, 0x88, 0x88, 0xff},
	"scany":             {0x8c, 0x56, 0x4b, 0xff},
	"gorm":              {0xd6, 0x27, 0x28, 0xff},
	"bun":               {0xff, 0x7f, 0x0e, 0xff},
	"ent":               {0x94, 0x67, 0xbd, 0xff},
	"kinship":           {0x1f, 0x77, 0xb4, 0xff},
	"kinship-passive":   {0x17, 0xbe, 0xcf, 0xff},
	"kinship-joined":    {0x1f, 0x77, 0xb4, 0xff},
	"kinship-selectin":  {0x6b, 0xae, 0xd6, 0xff},
	"kinship-subquery":  {0x17, 0xbe, 0xcf, 0xff},
	"kinship-pipelined": {0x2c, 0xa0, 0x2c, 0xff},
}

// A group is one group of bars: a workload and its label on the x axis.
type group struct{ workload, label string }

// writeCharts writes the charts RESULTS.md shows into dir.
func writeCharts(rs *results, dir string) error {
	loads := []group{
		{"Load/parents=100/children=10", "100 × 10"},
		{"Load/parents=100/children=100", "100 × 100"},
		{"Load/parents=1000/children=10", "1000 × 10"},
		{"Load/parents=1000/children=100", "1000 × 100"},
		{"Load/parents=100/children=10/addresses=5", "100 × 10 × 5"},
		{"Load/parents=100/children=100/top=3", "top 3 of 100, × 100"},
	}
	ops := []group{{"Insert", "Insert"}, {"InsertMulti", "InsertMulti 100"}, {"Update", "Update"}, {"Read", "Read"}, {"ReadSlice", "ReadSlice 100"}}
	flush := []group{{"Flush/Insert", "insert 1 + 100"}, {"Flush/Update", "update 100"}, {"Flush/Delete", "delete 1 + 100"}}
	for _, c := range []struct {
		file, title string
		groups      []group
	}{
		{"loads.svg", "Loads, companies × employees (× addresses): time relative to pgx", loads},
		{"ops.svg", "The five operations: time relative to pgx", ops},
		{"flush.svg", "Flushes, a company and 100 employees: time relative to pgx", flush},
	} {
		if err := ratioChart(rs, c.title, c.groups, filepath.Join(dir, c.file)); err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
	}
	if err := perChildChart(rs, filepath.Join(dir, "perchild.svg")); err != nil {
		return err
	}
	for _, g := range append(loads, flush...) {
		if err := latencyChart(rs, g, dir); err != nil {
			return fmt.Errorf("latency of %s: %w", g.workload, err)
		}
	}
	return nil
}

// latencyRE reads BenchmarkLatency's workload names: rtt=<d>/<workload>.
var latencyRE = regexp.MustCompile(`^rtt=([^/]+)/(.+)$`)

// latencyChart draws, for one workload that BenchmarkLatency ran, each peer's time against the
// round-trip time to the server: a line's slope is the peer's round trips. It writes
// latency-<label>.svg (latency-100x10.svg), or nothing if there are no results.
func latencyChart(rs *results, g group, dir string) error {
	p, legend := plot.New(), newLegend()
	p.Title.Text = "Time against round-trip time: " + g.label
	p.X.Label.Text = "round-trip time to the server (ms)"
	p.Y.Label.Text = "ms per op (lower is better)"
	drawn, err := addLines(p, &legend, rs, func(im string) (plotter.XYs, error) {
		var xys plotter.XYs
		for _, wl := range rs.workloads {
			m := latencyRE.FindStringSubmatch(wl)
			if m == nil || m[2] != g.workload {
				continue
			}
			rtt, err := time.ParseDuration(m[1])
			if err != nil {
				return nil, err
			}
			if v := rs.cells[cellKey{wl, im}].median(timeUnit); v > 0 {
				xys = append(xys, plotter.XY{X: rtt.Seconds() * 1e3, Y: v * 1e3})
			}
		}
		return xys, nil
	})
	if err != nil {
		return err
	}
	if !drawn {
		return nil
	}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	// "100 × 10 × 5" → 100x10x5, "insert 1 + 100" → insert-1-100.
	name := strings.Join(strings.FieldsFunc(strings.ReplaceAll(strings.ToLower(g.label), " × ", "x"), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}), "-")
	return save(p, legend, 7*vg.Inch, 5*vg.Inch, filepath.Join(dir, "latency-"+name+".svg"))
}

// ratioChart draws a bar per peer in each group: its median time divided by pgx's.
func ratioChart(rs *results, title string, groups []group, file string) error {
	var impls []string
	for _, im := range rs.impls {
		for _, g := range groups {
			if rs.cells[cellKey{g.workload, im}] != nil {
				impls = append(impls, im)
				break
			}
		}
	}
	p, legend := plot.New(), newLegend()
	p.Title.Text = title
	p.Y.Label.Text = "time ÷ pgx's (lower is better)"
	p.Y.Min = 0
	w := vg.Points(7)
	for i, im := range impls {
		vs := make(plotter.Values, len(groups))
		for j, g := range groups {
			base := rs.cells[cellKey{g.workload, floor}].median(timeUnit)
			if t := rs.cells[cellKey{g.workload, im}].median(timeUnit); t > 0 && base > 0 {
				vs[j] = t / base
			}
		}
		bars, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return err
		}
		bars.Color = colors[im]
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(impls)-1)/2)
		p.Add(bars)
		legend.Add(im, bars)
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	one.Color = color.Gray{0x55}
	p.Add(one)
	labels := make([]string, len(groups))
	for i, g := range groups {
		labels[i] = g.label
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	p.Y.Max *= 1.05 // room above the tallest bar
	p.Add(plotter.NewGrid())
	width := max(vg.Length(len(groups)*len(impls))*w+2*vg.Inch, 6*vg.Inch)
	return save(p, legend, width, 4.5*vg.Inch, file)
}

// perChildChart draws, for each peer, the time per employee row of loading companies with 100
// employees each against the number of companies, on log scales: a flat line is a cost per
// row that does not grow with the load.
func perChildChart(rs *results, file string) error {
	p, legend := plot.New(), newLegend()
	p.Title.Text = "Time per child row loaded, companies × 100 employees each"
	p.X.Label.Text = "companies loaded"
	p.Y.Label.Text = "ns per employee row (lower is better)"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	drawn, err := addLines(p, &legend, rs, func(im string) (plotter.XYs, error) {
		var xys plotter.XYs
		for _, n := range []float64{10, 100, 1000} {
			c := rs.cells[cellKey{fmt.Sprintf("Load/parents=%g/children=100", n), im}]
			if v := c.median(childUnit); v > 0 {
				xys = append(xys, plotter.XY{X: n, Y: v * 1e9})
			}
		}
		return xys, nil
	})
	if err != nil {
		return err
	}
	if !drawn {
		return nil // no BenchmarkPeers results of these loads
	}
	p.Add(plotter.NewGrid())
	if p.Y.Max > 0 {
		p.Y.Min = math.Max(p.Y.Min/1.5, 1)
		p.Y.Max *= 1.5
	}
	return save(p, legend, 7*vg.Inch, 5*vg.Inch, file)
}

// addLines adds a line for each peer through the points pointsOf gives (none: no line), and
// reports whether it added one.
func addLines(p *plot.Plot, legend *plot.Legend, rs *results, pointsOf func(im string) (plotter.XYs, error)) (bool, error) {
	drawn := false
	for _, im := range rs.impls {
		xys, err := pointsOf(im)
		if err != nil || len(xys) == 0 {
			if err != nil {
				return false, err
			}
			continue
		}
		drawn = true
		if err := addLine(p, legend, im, xys); err != nil {
			return false, err
		}
	}
	return drawn, nil
}

// addLine adds peer im's line through xys to p and legend: solid with circles for kinship,
// dashed with boxes for the others.
func addLine(p *plot.Plot, legend *plot.Legend, im string, xys plotter.XYs) error {
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color, points.Color = colors[im], colors[im]
	line.Width = vg.Points(1.5)
	if strings.HasPrefix(im, "kinship") {
		points.Shape = draw.CircleGlyph{}
	} else {
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		points.Shape = draw.BoxGlyph{}
	}
	p.Add(line, points)
	legend.Add(im, line, points)
	return nil
}

// alsoPNG is whether save also writes each chart as a PNG image beside its SVG (-png).
var alsoPNG bool

// legendWidth is the room save leaves for the legend, right of the plot.
const legendWidth = 1.75 * vg.Inch

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	return l
}

// save draws p, w by h, with legend to its right (so that it hides no bar), to file, and to
// file's name with .png for an extension if alsoPNG.
func save(p *plot.Plot, legend plot.Legend, w, h vg.Length, file string) error {
	files := []string{file}
	if alsoPNG {
		files = append(files, strings.TrimSuffix(file, filepath.Ext(file))+".png")
	}
	for _, f := range files {
		c, err := draw.NewFormattedCanvas(w+legendWidth, h, strings.TrimPrefix(filepath.Ext(f), "."))
		if err != nil {
			return err
		}
		dc := draw.New(c)
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		legend.Draw(draw.Crop(dc, w+vg.Points(6), 0, 0, -vg.Points(24)))
		out, err := os.Create(f)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	return nil
}
