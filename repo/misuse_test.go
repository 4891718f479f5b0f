package repo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

// deep reaches a field through a pointer, nil in a zero row.
type deep struct {
	ID int64
	In *thing
}

// protect runs call, turning a panic into an error that matches nothing.
func protect(call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return call()
}

// TestMisuse calls every exported function and method of package repo with the nil, zero, empty
// and ill-typed inputs a caller can give it. Each one that can report an error returns one that
// matches ErrInvalid and says what is wrong, sends nothing and never panics. The functions that
// have no error to return (accessors, the seam for loads and sessions, the tracer) are listed
// last: they must not panic, and they return what their documentation says.
func TestMisuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL, membershipsDDL)
	w := sampleWidget(1)
	if err := Widgets.Insert(ctx, pool, w); err != nil {
		t.Fatal(err)
	}
	var (
		nilRepo  *repo.Repo[Widget]
		zeroRepo = new(repo.Repo[Widget])
		nilCtx   context.Context
		nilCol   *repo.Column[Widget, int32]
		nilNull  *repo.NullColumn[Widget, string]
		nilField repo.Field[Widget]
		nilOpt   repo.Option[Widget]
	)
	type misuse struct {
		name string
		call func() error
		msg  string // part of the message
	}
	var cases []misuse

	// Every operation, on a nil or undeclared Repo, with a nil context, with a nil DB.
	ops := []struct {
		name string
		call func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error
	}{
		{"Get", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			_, err := r.Get(ctx, db, w.ID)
			return err
		}},
		{"Find", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			_, err := r.Find(ctx, db)
			return err
		}},
		{"All", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			for _, err := range r.All(ctx, db) {
				return err
			}
			return nil
		}},
		{"Count", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			_, err := r.Count(ctx, db)
			return err
		}},
		{"Exists", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			_, err := r.Exists(ctx, db)
			return err
		}},
		{"Insert", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			return r.Insert(ctx, db, sampleWidget(2))
		}},
		{"Insert of nothing", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error { return r.Insert(ctx, db) }},
		{"Update", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error { return r.Update(ctx, db, w) }},
		{"Upsert", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			return r.Upsert(ctx, db, []*Widget{w})
		}},
		{"Delete", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error { return r.Delete(ctx, db, w.ID) }},
		{"DeleteWhere", func(r *repo.Repo[Widget], ctx context.Context, db repo.DB) error {
			_, err := r.DeleteWhere(ctx, db, widgetCount.Eq(-1))
			return err
		}},
	}
	for _, op := range ops {
		for _, bad := range []struct {
			name string
			r    *repo.Repo[Widget]
			ctx  context.Context
			db   repo.DB
			msg  string
		}{
			{"nil Repo", nilRepo, ctx, pool, "nil Repo"},
			{"zero Repo", zeroRepo, ctx, pool, "not declared with repo.New"},
			{"nil context", Widgets, nilCtx, pool, "nil context"},
			{"nil DB", Widgets, ctx, nil, "nil DB"},
			{"nil *pgxpool.Pool", Widgets, ctx, (*pgxpool.Pool)(nil), "nil DB"},
			{"nil *pgx.Conn", Widgets, ctx, (*pgx.Conn)(nil), "nil DB"},
		} {
			cases = append(cases, misuse{op.name + ": " + bad.name, func() error { return op.call(bad.r, bad.ctx, bad.db) }, bad.msg})
		}
	}

	find := func(opts ...repo.Option[Widget]) error { _, err := Widgets.Find(ctx, pool, opts...); return err }

	// Every condition and ordering of a nil *Column or *NullColumn: the query refuses it.
	nilText := (*repo.Column[Widget, string])(nil)
	onNil := []struct {
		what string
		make func() repo.Option[Widget]
	}{
		{"Eq", func() repo.Option[Widget] { return nilCol.Eq(1) }},
		{"Ne", func() repo.Option[Widget] { return nilCol.Ne(1) }},
		{"Lt", func() repo.Option[Widget] { return nilCol.Lt(1) }},
		{"Le", func() repo.Option[Widget] { return nilCol.Le(1) }},
		{"Gt", func() repo.Option[Widget] { return nilCol.Gt(1) }},
		{"Ge", func() repo.Option[Widget] { return nilCol.Ge(1) }},
		{"In", func() repo.Option[Widget] { return nilCol.In() }},
		{"IsNull", func() repo.Option[Widget] { return nilCol.IsNull() }},
		{"NotNull", func() repo.Option[Widget] { return nilCol.NotNull() }},
		{"Like", func() repo.Option[Widget] { return nilText.Like("a%") }},
		{"ILike", func() repo.Option[Widget] { return nilText.ILike("a%") }},
		{"Contains", func() repo.Option[Widget] { return nilText.Contains("a") }},
		{"HasPrefix", func() repo.Option[Widget] { return nilText.HasPrefix("a") }},
		{"HasSuffix", func() repo.Option[Widget] { return nilText.HasSuffix("a") }},
		{"ContainsFold", func() repo.Option[Widget] { return nilText.ContainsFold("a") }},
		{"HasPrefixFold", func() repo.Option[Widget] { return nilText.HasPrefixFold("a") }},
		{"HasSuffixFold", func() repo.Option[Widget] { return nilText.HasSuffixFold("a") }},
		{"Eq", func() repo.Option[Widget] { return nilNull.Eq("a") }},
		{"Ne", func() repo.Option[Widget] { return nilNull.Ne("a") }},
		{"Lt", func() repo.Option[Widget] { return nilNull.Lt("a") }},
		{"Le", func() repo.Option[Widget] { return nilNull.Le("a") }},
		{"Gt", func() repo.Option[Widget] { return nilNull.Gt("a") }},
		{"Ge", func() repo.Option[Widget] { return nilNull.Ge("a") }},
		{"In", func() repo.Option[Widget] { return nilNull.In("a") }},
		{"Asc", func() repo.Option[Widget] { return nilCol.Asc() }},
		{"Desc", func() repo.Option[Widget] { return nilCol.Desc().NullsFirst() }},
		{"Asc", func() repo.Option[Widget] { return nilCol.Asc().NullsLast() }},
	}
	for i, p := range onNil {
		msg := p.what + " on a nil column"
		if p.what == "Asc" || p.what == "Desc" {
			msg = "ordering by a nil column (" + p.what
		}
		cases = append(cases, misuse{fmt.Sprintf("Find: %s of a nil column (%d)", p.what, i), func() error { return find(p.make()) }, msg})
	}
	cases = append(cases, []misuse{
		// Declarations.
		{"New: empty table name", func() error { _, err := repo.New("", thingID()); return err }, "table name: empty identifier"},
		{"New: no columns", func() error { _, err := repo.New[thing]("things"); return err }, "no columns"},
		{"New: nil column", func() error { _, err := repo.New("things", thingID(), nil); return err }, "column 1 is nil"},
		{"New: nil *Column", func() error { _, err := repo.New("things", thingID(), (*repo.Column[thing, string])(nil)); return err }, "column 1 is nil"},
		{"New: nil *NullColumn", func() error {
			_, err := repo.New("things", thingID(), (*repo.NullColumn[thing, string])(nil))
			return err
		}, "column 1 is nil"},
		{"New: NullColumn without its Column", func() error {
			_, err := repo.New("things", thingID(), &repo.NullColumn[thing, string]{})
			return err
		}, "column 1 is nil"},
		{"New: empty column name", func() error {
			_, err := repo.New("things", thingID(), repo.Col("", func(t *thing) *string { return &t.Name }))
			return err
		}, "column name: empty identifier"},
		{"Col: nil accessor", func() error {
			_, err := repo.New("things", thingID(), repo.Col[thing, string]("name", nil))
			return err
		}, "without an accessor"},
		{"Key: nil accessor", func() error { _, err := repo.New("things", repo.Key[thing, int64]("id", nil)); return err }, "without an accessor"},
		{"Serial: nil accessor", func() error { _, err := repo.New("things", repo.Serial[thing, int64]("id", nil)); return err }, "without an accessor"},
		{"Generated: nil accessor", func() error { _, err := repo.New("things", repo.Generated[thing, string]("id", nil)); return err }, "without an accessor"},
		{"Version: nil accessor", func() error {
			_, err := repo.New("things", thingID(), repo.Version[thing, int64]("v", nil))
			return err
		}, "without an accessor"},
		{"Slice: nil accessor", func() error { _, err := repo.New("things", thingID(), repo.Slice[thing, []byte]("b", nil)); return err }, "without an accessor"},
		{"Nullable: nil accessor", func() error {
			_, err := repo.New("things", thingID(), repo.Nullable[thing, string]("n", nil))
			return err
		}, "without an accessor"},
		{"ColFunc: nil accessor", func() error {
			_, err := repo.New("things", thingID(), repo.ColFunc[thing, string]("n", nil, func(a, b string) bool { return a == b }, nil))
			return err
		}, "without an accessor"},
		{"ColFunc: nil equality", func() error {
			_, err := repo.New("things", thingID(), repo.ColFunc("n", func(t *thing) *string { return &t.Name }, nil, nil))
			return err
		}, "without an equality function"},
		{"an accessor that returns nil", func() error {
			_, err := repo.New("things", thingID(), repo.Col("name", func(*thing) *string { return nil }))
			return err
		}, "accessor returns nil"},
		{"an accessor that panics on a zero row", func() error {
			_, err := repo.New("deep", repo.Serial("id", func(d *deep) *int64 { return &d.ID }),
				repo.Col("name", func(d *deep) *string { return &d.In.Name }))
			return err
		}, "accessor panics on a zero row"},
		{"MustNew", func() (err error) {
			defer func() { err, _ = recover().(error) }()
			repo.MustNew[thing]("")
			return nil
		}, "empty identifier"},

		// Keys.
		{"Get: nil key", func() error { _, err := Widgets.Get(ctx, pool, nil); return err }, "nil key"},
		{"Get: key of the wrong type", func() error { _, err := Widgets.Get(ctx, pool, "1"); return err }, `key "1" has type string, but the key column id has type int64`},
		{"Get: empty composite key", func() error { _, err := Memberships.Get(ctx, pool, []any{}); return err }, "key has 0 values"},
		{"Get: nil composite key", func() error { _, err := Memberships.Get(ctx, pool, []any(nil)); return err }, "key has 0 values"},
		{"Get: nil part of a composite key", func() error { _, err := Memberships.Get(ctx, pool, []any{int64(1), nil}); return err }, "key value 2 (user_id) is nil"},
		{"Get: part of a composite key of the wrong type", func() error { _, err := Memberships.Get(ctx, pool, []any{int64(1), "2"}); return err }, `key value 2 (user_id) "2" has type string, but the column has type int64`},
		{"Delete: nil key", func() error { return Widgets.Delete(ctx, pool, nil) }, "nil key"},
		{"Delete: key of the wrong type", func() error { return Widgets.Delete(ctx, pool, 1.5) }, "key 1.5 has type float64, but the key column id has type int64"},
		{"Delete: nil composite key", func() error { return Memberships.Delete(ctx, pool, []any(nil)) }, "key has 0 values"},

		// Options and conditions.
		{"Get: nil option", func() error { _, err := Widgets.Get(ctx, pool, w.ID, nilOpt); return err }, "option 0 is nil"},
		{"Find: nil option", func() error { return find(widgetCount.Gt(0), nilOpt) }, "option 1 is nil"},
		{"All: nil option", func() error {
			for _, err := range Widgets.All(ctx, pool, nilOpt) {
				return err
			}
			return nil
		}, "option 0 is nil"},
		{"Find: a condition on a nil column", func() error { return find(nilCol.Eq(1)) }, "Eq on a nil column"},
		{"Find: In on a nil column", func() error { return find(nilCol.In(1, 2)) }, "In on a nil column"},
		{"Find: IsNull on a nil column", func() error { return find(nilCol.IsNull()) }, "IsNull on a nil column"},
		{"Find: Like on a nil column", func() error { return find(repo.Or(widgetCount.Eq(1), (*repo.Column[Widget, string])(nil).Like("x"))) }, "Like on a nil column"},
		{"Find: a condition on a nil NullColumn", func() error { return find(nilNull.Eq("x")) }, "Eq on a nil column"},
		{"Find: an ordering by a nil column", func() error { return find(nilCol.Desc()) }, "ordering by a nil column"},
		{"Find: the zero Order", func() error { return find(repo.Order[Widget]{}) }, "the zero Order"},
		{"Find: an empty Raw", func() error { return find(repo.Raw[Widget]("")) }, "raw fragment is empty"},
		{"Count: a condition on a nil column", func() error { _, err := Widgets.Count(ctx, pool, nilCol.Lt(1)); return err }, "Lt on a nil column"},
		{"Exists: a condition on a nil column", func() error { _, err := Widgets.Exists(ctx, pool, repo.Not(nilCol.Ge(1))); return err }, "Ge on a nil column"},
		{"DeleteWhere: only zero Preds", func() error {
			_, err := Widgets.DeleteWhere(ctx, pool, repo.Pred[Widget]{}, repo.And[Widget]())
			return err
		}, "without a condition"},
		{"DeleteWhere: a condition on a nil column", func() error { _, err := Widgets.DeleteWhere(ctx, pool, nilCol.Ne(1)); return err }, "Ne on a nil column"},
		{"Find: a negative Limit", func() error { return find(repo.Limit[Widget](-1)) }, "Limit(-1): a limit cannot be negative"},
		{"Find: a negative Offset", func() error { return find(repo.Offset[Widget](-2)) }, "Offset(-2): an offset cannot be negative"},
		{"Find: a nil column inside And", func() error { return find(repo.And(widgetCount.Gt(0), nilCol.Lt(9))) }, "Lt on a nil column"},
		{"Find: a Raw with a ;", func() error { return find(repo.Raw[Widget]("TRUE; SELECT 1")) }, "statement separator"},
		{"Pred.String: a nil column", func() error {
			if s := nilCol.Eq(1).String(); strings.Contains(s, "nil column") {
				return fmt.Errorf("repo: %s: %w", s, repo.ErrInvalid) // String has no error: it shows it
			}
			return nil
		}, "Eq on a nil column"},
		{"Pred.SQL: a negative argBase", func() error { _, _, err := widgetCount.Eq(1).SQL("", -1); return err }, "argBase -1"},
		{"Pred.SQL: a nil column", func() error { _, _, err := nilCol.Gt(1).SQL("w", 0); return err }, "Gt on a nil column"},

		// Rows and columns to write.
		{"Insert: nil row", func() error { return Widgets.Insert(ctx, pool, sampleWidget(3), nil) }, "row 1 is nil"},
		{"Update: nil row", func() error { return Widgets.Update(ctx, pool, nil) }, "nil row"},
		{"Update: nil column", func() error { return Widgets.Update(ctx, pool, w, nilField) }, "nil column"},
		{"Update: nil *Column", func() error { return Widgets.Update(ctx, pool, w, nilCol) }, "nil column"},
		{"Update: nil *NullColumn", func() error { return Widgets.Update(ctx, pool, w, nilNull) }, "nil column"},
		{"Upsert: nil row", func() error { return Widgets.Upsert(ctx, pool, []*Widget{nil}) }, "row 0 is nil"},
		{"Upsert: nil conflict column", func() error { return Widgets.Upsert(ctx, pool, []*Widget{w}, nilField) }, "nil column"},
		{"Upsert: nil *Column as conflict column", func() error { return Widgets.Upsert(ctx, pool, []*Widget{w}, nilCol) }, "nil column"},

		// The seam for loads.
		{"ScanRows: nil rows", func() error { return widgetRows.ScanRows(pool, nil, nil, func(*Widget) bool { return true }) }, "nil rows"},
		{"ScanRows: nil fn", func() error {
			rows, err := pool.Query(ctx, "SELECT "+widgetRows.SelectList("")+" FROM widgets")
			if err != nil {
				return err
			}
			defer rows.Close()
			return widgetRows.ScanRows(pool, rows, nil, nil)
		}, "nil fn"},
	}...)

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := tr.Count(func() { err = protect(tt.call) })
			if !errors.Is(err, repo.ErrInvalid) {
				t.Fatalf("got %v, want an error matching ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "repo: ") {
				t.Errorf("%q does not start with repo: ", err)
			}
			if n.Statements > 0 && !strings.HasPrefix(tt.name, "ScanRows: nil fn") {
				t.Errorf("%d statements sent", n.Statements)
			}
		})
	}

	// No error to return: each must not panic, and returns the neutral value its doc names.
	ix := widgetRows.RowIndex()
	var nilTracer *repo.Tracer
	dest := make([]any, len(Widgets.Columns()))
	quiet := []struct {
		name string
		ok   func() bool
	}{
		{"Column.Name of a nil column", func() bool { return nilCol.Name() == "" }},
		{"Column.Repo of a nil column", func() bool { return nilCol.Repo() == nil }},
		{"Column.Get of a nil column", func() bool { return nilCol.Get(w) == 0 }},
		{"Column.Get of a nil row", func() bool { return widgetCount.Get(nil) == 0 }},
		{"Column.Set of a nil column", func() bool { nilCol.Set(w, 5); return w.Count == 1 }},
		{"Column.Set of a nil row", func() bool { widgetCount.Set(nil, 5); return true }},
		{"Column.Equal of nil rows", func() bool { return widgetCount.Equal(nil, nil) && !widgetCount.Equal(nil, w) && !nilCol.Equal(w, w) }},
		{"Column.Ref of a nil row", func() bool { v, ok := widgetCount.Ref(nil); return v == 0 && !ok }},
		{"Column.SetRef of a nil row", func() bool { return !widgetCount.SetRef(nil, 1, true) && !nilCol.SetRef(w, 1, true) }},
		{"NullColumn.Ref of a nil row", func() bool { v, ok := widgetNote.Ref(nil); return v == "" && !ok }},
		{"NullColumn.SetRef of a nil row", func() bool { return !widgetNote.SetRef(nil, "x", true) && !nilNull.SetRef(w, "x", true) }},
		{"NullColumn.Nullable of a nil column", func() bool { return nilNull.Nullable() }},
		{"NullColumn.Name and Repo of a nil column", func() bool { return nilNull.Name() == "" && nilNull.Repo() == nil }},
		{"NullColumn without its Column", func() bool {
			var empty repo.NullColumn[Widget, string]
			v, ok := empty.Ref(w)
			return empty.Name() == "" && empty.Repo() == nil && v == "" && !ok && !empty.SetRef(w, "x", true)
		}},
		{"Repo.Table of a nil Repo", func() bool { return nilRepo.Table() == "" }},
		{"Repo.Columns of a nil Repo", func() bool { return nilRepo.Columns() == nil }},
		{"Repo.PrimaryKey of a nil Repo", func() bool { return nilRepo.PrimaryKey() == nil }},
		{"Repo.Key of a nil Repo", func() bool { return nilRepo.Key(w) == nil }},
		{"Repo.Key of a nil row", func() bool { return Widgets.Key(nil) == nil && Memberships.Key(nil) == nil }},
		{"the engine view of a nil Repo", func() bool {
			return engine.TableOf(nilRepo) == nil && engine.RowsOf[Widget](nilRepo) == nil && engine.TableOf(42) == nil
		}},
		{"engine Dests of a nil row", func() bool { widgetRows.Dests(nil, dest); return dest[0] == nil }},
		{"engine Dests into a short slice", func() bool { widgetRows.Dests(w, dest[:2]); return true }},
		{"engine KeyDests of a nil row", func() bool { widgetRows.KeyDests(nil, dest); return dest[0] == nil }},
		{"Index methods with a nil row or key", func() bool {
			ix.Put(nil)
			ix.Delete(nil)
			_, got := ix.Get(nil)
			_, of := ix.Of(nil)
			return !got && !of && ix.Len() == 0
		}},
		{"Order.SQL of the zero Order", func() bool { return repo.Order[Widget]{}.SQL("w") == "" }},
		{"Tracer methods of a nil Tracer", func() bool {
			ran := false
			n := nilTracer.Count(func() { ran = true })
			c := nilTracer.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{})
			nilTracer.TraceQueryEnd(c, nil, pgx.TraceQueryEndData{})
			c = nilTracer.TraceBatchStart(ctx, nil, pgx.TraceBatchStartData{})
			nilTracer.TraceBatchQuery(c, nil, pgx.TraceBatchQueryData{})
			nilTracer.TraceBatchEnd(c, nil, pgx.TraceBatchEndData{})
			c = nilTracer.TraceCopyFromStart(ctx, nil, pgx.TraceCopyFromStartData{})
			nilTracer.TraceCopyFromEnd(c, nil, pgx.TraceCopyFromEndData{})
			c = nilTracer.TracePrepareStart(ctx, nil, pgx.TracePrepareStartData{})
			nilTracer.TracePrepareEnd(c, nil, pgx.TracePrepareEndData{})
			return ran && n == repo.Stats{} && nilTracer.Stats() == repo.Stats{}
		}},
		{"Error of a nil *Error", func() bool { var e *repo.Error; return e.Error() != "" && e.Unwrap() == nil }},
	}
	for _, tt := range quiet {
		t.Run(tt.name, func(t *testing.T) {
			var ok bool
			if err := protect(func() error { ok = tt.ok(); return nil }); err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Error("did not return what its doc says")
			}
		})
	}
}

// widgetRows is the engine view of Widgets, the seam the other packages of kinship use.
var widgetRows = engine.RowsOf[Widget](Widgets)
