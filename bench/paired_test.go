package bench

import (
	"context"
	"testing"
	"time"

	"github.com/kinship-go/kinship/repo"
)

// BenchmarkPaired runs each operation by kinship and by pgx in the same loop, alternating which
// goes first, and reports the time of each (kinship-ns/op, pgx-ns/op) and their ratio
// (kinship/pgx). On a busy machine the load drifts between one sub-benchmark and the next far
// more than the two implementations differ; here both see the same load, so the ratio is much
// steadier than the ratio of two Benchmark<Op> results. Its ns/op is the sum of the two.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	b.Run("Insert", func(b *testing.B) {
		reset(b)
		mk, mp := newModel(), newModel()
		pair(b,
			func() error { mk.Id = 0; return Models.Insert(ctx, pool, mk) },
			func() error { mp.Id = 0; return insertModel(ctx, pool, mp) })
		checkInserted(b, 2*b.N, mk, mp)
	})
	b.Run("InsertMulti", func(b *testing.B) {
		reset(b)
		mk, mp := newModels(multi), newModels(multi)
		sql := insertModelsSQL(multi)
		pair(b,
			func() error { return Models.Insert(ctx, pool, mk...) },
			func() error { return insertModels(ctx, pool, sql, mp) })
		checkInserted(b, 2*b.N*multi, append(mk, mp...)...)
	})
	b.Run("Update", func(b *testing.B) {
		rows := seed(b)
		mk, mp := rows[0], rows[1]
		pair(b,
			func() error { mk.Counter++; return Models.Update(ctx, pool, mk) },
			func() error { mp.Counter++; return updateModel(ctx, pool, mp) })
		checkRow(b, mk)
		checkRow(b, mp)
	})
	b.Run("Read", func(b *testing.B) {
		want := seed(b)[multi/2]
		var gk *Model
		var gp Model
		pair(b,
			func() (err error) { gk, err = Models.Get(ctx, pool, want.Id); return err },
			func() (err error) { gp, err = getModel(ctx, pool, want.Id); return err })
		if *gk != *want || gp != *want {
			b.Fatalf("read %+v and %+v, want %+v", *gk, gp, *want)
		}
	})
	b.Run("ReadSlice", func(b *testing.B) {
		seed(b)
		var gk []*Model
		var gp []Model
		pair(b,
			func() (err error) { gk, err = Models.Find(ctx, pool, repo.Limit[Model](multi)); return err },
			func() (err error) { gp, err = listModels(ctx, pool, multi); return err })
		checkSlice(b, len(gk), func(i int) Model { return *gk[i] })
		checkSlice(b, len(gp), func(i int) Model { return gp[i] })
	})
}

// pair runs kinship and pgx once per iteration, kinship first on even iterations and pgx first
// on odd ones, timing each.
func pair(b *testing.B, kinship, pgx func() error) { pairEach(b, nil, kinship, pgx) }

// pairEach is pair with setup, if not nil, run (untimed in kinship-ns/op and pgx-ns/op, timed in
// ns/op) at the start of each iteration.
func pairEach(b *testing.B, setup func(), kinship, pgx func() error) {
	b.Helper()
	alternate(b, setup, "kinship", kinship, "pgx", pgx)
}

// alternate runs x and y once per iteration, after setup if not nil, x first on even iterations
// and y first on odd ones, timing each, and reports <nx>-ns/op, <ny>-ns/op and <nx>/<ny>.
func alternate(b *testing.B, setup func(), nx string, x func() error, ny string, y func() error) {
	b.Helper()
	alternatePer(b, setup, "op", nx, 1, x, ny, 1, y)
}

// alternatePer is alternate for x and y that each do some number of units of work, kx and ky: it
// reports <nx>-ns/<unit>, <ny>-ns/<unit> and the ratio of the two.
func alternatePer(b *testing.B, setup func(), unit string, nx string, kx float64, x func() error, ny string, ky float64, y func() error) {
	b.Helper()
	var tx, ty time.Duration
	odd := false
	for b.Loop() {
		if setup != nil {
			setup()
		}
		first, second := x, y
		if odd {
			first, second = y, x
		}
		t0 := time.Now()
		if err := first(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := second(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if odd {
			ty, tx = ty+t1.Sub(t0), tx+t2.Sub(t1)
		} else {
			tx, ty = tx+t1.Sub(t0), ty+t2.Sub(t1)
		}
		odd = !odd
	}
	px, py := float64(tx)/float64(b.N)/kx, float64(ty)/float64(b.N)/ky
	b.ReportMetric(px, nx+"-ns/"+unit)
	b.ReportMetric(py, ny+"-ns/"+unit)
	b.ReportMetric(px/py, nx+"/"+ny)
}
