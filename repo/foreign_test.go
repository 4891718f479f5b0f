package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

// Archived widgets: a second Repo of Widget, over another table. Its columns build Pred[Widget]
// and Order[Widget] values that compile in a query of Widgets; the query refuses them.
var (
	archiveID    = repo.Serial("id", func(w *Widget) *int64 { return &w.ID })
	archiveName  = repo.Col("name", func(w *Widget) *string { return &w.Name })
	archiveCount = repo.Col("count", func(w *Widget) *int32 { return &w.Count })
	archiveNote  = repo.Nullable("note", func(w *Widget) **string { return &w.Note })
	Archive      = repo.MustNew("widgets_archive", archiveID, archiveName, archiveCount, archiveNote)
)

func TestConditionOfAnotherRepo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL)
	loose := repo.Col("count", func(w *Widget) *int32 { return &w.Count }) // given to no Repo
	w := sampleWidget(1)
	if err := Widgets.Insert(ctx, pool, w); err != nil {
		t.Fatal(err)
	}
	find := func(opts ...repo.Option[Widget]) error { _, err := Widgets.Find(ctx, pool, opts...); return err }
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"Find with a condition", func() error { return find(archiveName.Eq("x")) }, "name is a column of widgets_archive, not of widgets"},
		{"Find with an ordering", func() error { return find(widgetCount.Gt(0), archiveCount.Desc()) }, "ordering: column count is a column of widgets_archive, not of widgets"},
		{"inside And", func() error { return find(repo.And(widgetCount.Gt(0), archiveCount.Lt(3))) }, "count is a column of widgets_archive"},
		{"inside Or and Not", func() error { return find(repo.Or(widgetCount.Gt(0), repo.Not(archiveNote.IsNull()))) }, "note is a column of widgets_archive"},
		{"a nullable column", func() error { return find(archiveNote.Eq("x")) }, "note is a column of widgets_archive"},
		{"In", func() error { return find(archiveName.In("x")) }, "name is a column of widgets_archive"},
		{"a column in no Repo", func() error { return find(loose.Eq(1)) }, "count belongs to no Repo"},
		{"Get with a condition", func() error { _, err := Widgets.Get(ctx, pool, w.ID, archiveName.Ne("x")); return err }, "widgets_archive"},
		{"All", func() error {
			for _, err := range Widgets.All(ctx, pool, archiveName.Asc()) {
				return err
			}
			return nil
		}, "widgets_archive"},
		{"Count", func() error { _, err := Widgets.Count(ctx, pool, archiveCount.Ge(0)); return err }, "widgets_archive"},
		{"Exists", func() error { _, err := Widgets.Exists(ctx, pool, archiveCount.Ge(0)); return err }, "widgets_archive"},
		{"DeleteWhere", func() error { _, err := Widgets.DeleteWhere(ctx, pool, archiveCount.Ge(0)); return err }, "widgets_archive"},
		{"Update", func() error { return Widgets.Update(ctx, pool, w, archiveName) }, "name is a column of widgets_archive, not of widgets"},
		{"Upsert", func() error { return Widgets.Upsert(ctx, pool, []*Widget{w}, archiveName) }, "name is a column of widgets_archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := tr.Count(func() { err = tt.call() })
			if !errors.Is(err, repo.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tt.msg)
			}
			if !strings.Contains(err.Error(), "widgets") {
				t.Errorf("%v does not name the table queried", err)
			}
			if n.Statements != 0 {
				t.Errorf("%d statements sent", n.Statements)
			}
		})
	}
	// The Repo's own columns, and Raw, which names no column, still work.
	if n, err := Widgets.Count(ctx, pool, widgetCount.Eq(w.Count), repo.Raw[Widget]("name = $1", w.Name)); err != nil || n != 1 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if ws, err := Widgets.Find(ctx, pool, widgetName.Asc(), widgetCount.Desc()); err != nil || len(ws) != 1 {
		t.Fatalf("Find = %v, %v", ws, err)
	}
}
