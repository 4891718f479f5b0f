package repo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

// predicateFixture is five widgets, counts 1..5, names ant, Bee, cat, dog, eel; notes on 1, 2, 4.
func predicateFixture(t *testing.T) *Fixture {
	t.Helper()
	pool, _ := pgtest.NewTracedPool(t, widgetsDDL)
	var ws []*Widget
	for i, name := range []string{"ant", "Bee", "cat", "dog", "eel"} {
		w := sampleWidget(i + 1)
		w.Name = name
		w.Note = nil
		if i != 2 && i != 4 {
			w.Note = ptr("note-" + name)
		}
		ws = append(ws, w)
	}
	if err := Widgets.Insert(context.Background(), pool, ws...); err != nil {
		t.Fatal(err)
	}
	return &Fixture{pool}
}

type Fixture struct{ db repo.DB }

func (f *Fixture) names(t *testing.T, opts ...repo.Option[Widget]) []string {
	t.Helper()
	ws, err := Widgets.Find(context.Background(), f.db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	return names
}

func TestPredicates(t *testing.T) {
	t.Parallel()
	f := predicateFixture(t)
	tests := []struct {
		name  string
		pred  repo.Pred[Widget]
		sql   string
		names []string // sorted by count
	}{
		{"Eq", widgetCount.Eq(3), `"count" = $1 [3]`, []string{"cat"}},
		{"Ne", widgetCount.Ne(3), `"count" <> $1 [3]`, []string{"ant", "Bee", "dog", "eel"}},
		{"Lt", widgetCount.Lt(3), `"count" < $1 [3]`, []string{"ant", "Bee"}},
		{"Le", widgetCount.Le(3), `"count" <= $1 [3]`, []string{"ant", "Bee", "cat"}},
		{"Gt", widgetCount.Gt(3), `"count" > $1 [3]`, []string{"dog", "eel"}},
		{"Ge", widgetCount.Ge(3), `"count" >= $1 [3]`, []string{"cat", "dog", "eel"}},
		{"In", widgetName.In("ant", "eel", "zebra"), `"name" = ANY($1) [[ant eel zebra]]`, []string{"ant", "eel"}},
		{"In nothing", widgetName.In(), `"name" = ANY($1) [[]]`, nil},
		{"IsNull", widgetNote.IsNull(), `"note" IS NULL []`, []string{"cat", "eel"}},
		{"NotNull", widgetNote.NotNull(), `"note" IS NOT NULL []`, []string{"ant", "Bee", "dog"}},
		{"nullable Eq", widgetNote.Eq("note-dog"), `"note" = $1 [note-dog]`, []string{"dog"}},
		{"nullable Ne skips NULL", widgetNote.Ne("note-dog"), `"note" <> $1 [note-dog]`, []string{"ant", "Bee"}},
		{"nullable In", widgetNote.In("note-ant", "note-Bee"), `"note" = ANY($1) [[note-ant note-Bee]]`, []string{"ant", "Bee"}},
		{"nullable Lt", widgetNote.Lt("note-b"), `"note" < $1 [note-b]`, []string{"ant", "Bee"}},
		{"nullable Le Gt Ge", repo.And(widgetNote.Le("note-dog"), widgetNote.Gt("note-Bee"), widgetNote.Ge("note-ant")),
			`("note" <= $1 AND "note" > $2 AND "note" >= $3) [note-dog note-Bee note-ant]`, []string{"ant", "dog"}},
		{"Like", widgetName.Like("%e%"), `"name" LIKE $1 [%e%]`, []string{"Bee", "eel"}},
		{"Like is case-sensitive", widgetName.Like("b%"), `"name" LIKE $1 [b%]`, nil},
		{"ILike", widgetName.ILike("b%"), `"name" ILIKE $1 [b%]`, []string{"Bee"}},
		{"And", repo.And(widgetCount.Gt(1), widgetCount.Lt(4)), `("count" > $1 AND "count" < $2) [1 4]`, []string{"Bee", "cat"}},
		{"Or", repo.Or(widgetCount.Eq(1), widgetName.Eq("eel")), `("count" = $1 OR "name" = $2) [1 eel]`, []string{"ant", "eel"}},
		{"Not", repo.Not(widgetCount.In(1, 2)), `NOT ("count" = ANY($1)) [[1 2]]`, []string{"cat", "dog", "eel"}},
		{"nested", repo.Or(repo.And(widgetActive.Eq(true), widgetCount.Gt(2)), widgetNote.IsNull()),
			`(("active" = $1 AND "count" > $2) OR "note" IS NULL) [true 2]`, []string{"cat", "dog", "eel"}},
		{"And of one is itself", repo.And(widgetCount.Eq(2)), `"count" = $1 [2]`, []string{"Bee"}},
		{"And of nothing is no condition", repo.And[Widget](), `TRUE`, []string{"ant", "Bee", "cat", "dog", "eel"}},
		{"zero Preds are skipped", repo.Or(repo.Pred[Widget]{}, widgetCount.Eq(5)), `"count" = $1 [5]`, []string{"eel"}},
		{"Not of nothing", repo.Not(repo.Pred[Widget]{}), `TRUE`, []string{"ant", "Bee", "cat", "dog", "eel"}},
		{"Raw", repo.Raw[Widget]("lower(name) = $1", "bee"), `(lower(name) = $1) [bee]`, []string{"Bee"}},
		{"Raw renumbered after other args", repo.And(widgetCount.Gt(0), repo.Raw[Widget]("count BETWEEN $1 AND $2 AND name <> '$1'", 2, 4)),
			`("count" > $1 AND (count BETWEEN $2 AND $3 AND name <> '$1')) [0 2 4]`, []string{"Bee", "cat", "dog"}},
		{"Raw reuses a placeholder", repo.Raw[Widget]("count = $1 OR big = $1::bigint << 33", 5), `(count = $1 OR big = $1::bigint << 33) [5]`, []string{"eel"}},
		{"pgtype column", widgetLabel.Eq(pgtype.Text{String: "label", Valid: true}), `"label" = $1 [{label true}]`, []string{"ant", "Bee", "dog", "eel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.pred.String(); got != tt.sql {
				t.Errorf("SQL:\n got %s\nwant %s", got, tt.sql)
			}
			got := f.names(t, tt.pred, widgetCount.Asc())
			if !slices.Equal(got, tt.names) {
				t.Errorf("rows: got %v, want %v", got, tt.names)
			}
		})
	}
}

func TestRawMistakesAreErrors(t *testing.T) {
	t.Parallel()
	f := predicateFixture(t)
	for _, tt := range []struct {
		name string
		pred repo.Pred[Widget]
		msg  string
	}{
		{"placeholder without argument", repo.Raw[Widget]("count = $2", 1), "refers to $2 but has 1 argument"},
		{"argument without placeholder", repo.Raw[Widget]("count = 1", 1), "does not use its argument $1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Widgets.Find(context.Background(), f.db, tt.pred)
			if !errors.Is(err, repo.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tt.msg)
			}
		})
	}
}

func TestOrderLimitOffset(t *testing.T) {
	t.Parallel()
	f := predicateFixture(t)
	tests := []struct {
		name  string
		opts  []repo.Option[Widget]
		names []string
	}{
		{"Asc", []repo.Option[Widget]{widgetCount.Asc()}, []string{"ant", "Bee", "cat", "dog", "eel"}},
		{"Desc", []repo.Option[Widget]{widgetCount.Desc()}, []string{"eel", "dog", "cat", "Bee", "ant"}},
		{"NULLs last by default ascending", []repo.Option[Widget]{widgetNote.Asc(), widgetCount.Asc()}, []string{"Bee", "ant", "dog", "cat", "eel"}},
		{"NullsFirst", []repo.Option[Widget]{widgetNote.Asc().NullsFirst(), widgetCount.Asc()}, []string{"cat", "eel", "Bee", "ant", "dog"}},
		{"NULLs first by default descending", []repo.Option[Widget]{widgetNote.Desc(), widgetCount.Asc()}, []string{"cat", "eel", "dog", "ant", "Bee"}},
		{"NullsLast", []repo.Option[Widget]{widgetNote.Desc().NullsLast(), widgetCount.Asc()}, []string{"dog", "ant", "Bee", "cat", "eel"}},
		{"two keys", []repo.Option[Widget]{widgetActive.Desc(), widgetCount.Desc()}, []string{"dog", "Bee", "eel", "cat", "ant"}},
		{"Limit", []repo.Option[Widget]{widgetCount.Asc(), repo.Limit[Widget](2)}, []string{"ant", "Bee"}},
		{"Limit 0", []repo.Option[Widget]{repo.Limit[Widget](0)}, nil},
		{"Offset", []repo.Option[Widget]{widgetCount.Asc(), repo.Offset[Widget](3)}, []string{"dog", "eel"}},
		{"Limit and Offset", []repo.Option[Widget]{widgetCount.Asc(), repo.Limit[Widget](2), repo.Offset[Widget](1)}, []string{"Bee", "cat"}},
		{"with conditions", []repo.Option[Widget]{widgetCount.Gt(1), widgetNote.NotNull(), widgetCount.Desc(), repo.Limit[Widget](1)}, []string{"dog"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := f.names(t, tt.opts...); !slices.Equal(got, tt.names) {
				t.Errorf("got %v, want %v", got, tt.names)
			}
		})
	}
	for _, bad := range []repo.Option[Widget]{repo.Limit[Widget](-1), repo.Offset[Widget](-5), nil} {
		if _, err := Widgets.Find(context.Background(), f.db, bad); !errors.Is(err, repo.ErrInvalid) {
			t.Errorf("Find(%v): got %v, want ErrInvalid", bad, err)
		}
	}
}
