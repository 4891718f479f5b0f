package repo_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

type fuzzRow struct {
	ID    int64
	Value string
}

// FuzzIdentifiers declares a table and a column with a fuzzed name, creates them in PostgreSQL
// and writes and reads a row whose value is the same fuzzed text: the name must round-trip as
// an identifier (quoted, never truncated), and the value must travel as a bind parameter, never
// in the SQL text. Seeds: quotes, NUL, comments, dollar quotes, 63 and 64 bytes, unicode, here
// and in the committed corpus testdata/fuzz/FuzzIdentifiers (which go test runs too).
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{
		"users", `we"ird`, `"; DROP TABLE x; --`, "a--b", "/* c */", "$tag$", "$1", "ünïcödé",
		strings.Repeat("x", 63), strings.Repeat("y", 64), "a\x00b", "", " ", "Mixed Case",
	} {
		f.Add(s)
	}
	pool := pgtest.NewPool(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, name string) {
		id := repo.Serial("id", func(r *fuzzRow) *int64 { return &r.ID })
		col := repo.Col(name, func(r *fuzzRow) *string { return &r.Value })
		table, err := repo.New(name, id, col)
		valid := name != "" && name != "id" && len(name) <= 63 && !strings.ContainsRune(name, 0) && utf8.ValidString(name)
		if !valid {
			if err == nil && name != "id" && utf8.ValidString(name) {
				t.Fatalf("New accepted %q", name)
			}
			return
		}
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		quoted := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		pred := col.Eq(name)
		if sql, args, _ := pred.SQL("", 0); sql != quoted+" = $1" || len(args) != 1 || args[0] != name {
			t.Fatalf("the condition on %q is %s %v: the value must be the one bind parameter", name, sql, args)
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE "+quoted+" (id bigserial PRIMARY KEY, "+quoted+" text)"); err != nil {
			t.Skipf("PostgreSQL refuses the name %q: %v", name, err) // e.g. invalid encoding
		}
		row := &fuzzRow{Value: name}
		if err := table.Insert(ctx, tx, row); err != nil {
			t.Fatalf("Insert into %q: %v", name, err)
		}
		got, err := table.Find(ctx, tx, pred)
		if err != nil || len(got) != 1 || got[0].Value != name || got[0].ID != row.ID {
			t.Fatalf("Find in %q: %v %+v", name, err, got)
		}
		var relname string
		if err := tx.QueryRow(ctx, `SELECT relname FROM pg_class WHERE oid = $1::regclass`, "pg_temp."+quoted).Scan(&relname); err != nil || relname != name {
			t.Fatalf("the table is named %q, not %q (%v)", relname, name, err)
		}
	})
}
