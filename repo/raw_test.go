package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

// simpleProtocol configures a pool as a PgBouncer in transaction mode wants it: every statement
// sent with the simple protocol, arguments in the SQL text.
func simpleProtocol(c *pgxpool.Config) {
	c.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
}

// TestRawCannotEndTheStatement checks that a Raw fragment cannot run a second statement under
// the simple protocol, nor swallow the SQL after it, while a ; inside a literal, a quoted
// identifier, a dollar quote or a comment is fine.
func TestRawCannotEndTheStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, proto := range []struct {
		name      string
		configure []func(*pgxpool.Config)
	}{{"extended protocol", nil}, {"simple protocol", []func(*pgxpool.Config){simpleProtocol}}} {
		t.Run(proto.name, func(t *testing.T) {
			t.Parallel()
			pool := pgtest.NewPool(t, proto.configure...)
			if _, err := pool.Exec(ctx, widgetsDDL); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				if err := Widgets.Insert(ctx, pool, sampleWidget(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			for _, tt := range []struct {
				name string
				pred repo.Pred[Widget]
				msg  string
			}{
				{"a second statement", repo.Raw[Widget]("count > 0); DELETE FROM widgets; SELECT (1"), `separator ";" at byte 10`},
				{"a second statement with arguments", repo.Raw[Widget]("count > $1); DELETE FROM widgets; SELECT (1", 0), "separator"},
				{"a trailing ;", repo.Raw[Widget]("count > 0;"), "separator"},
				{"an open literal", repo.Raw[Widget]("name = 'x"), "leaves a string literal open"},
				{"an open comment", repo.Raw[Widget]("count > 0 /* "), "leaves a block comment open"},
				{"an open dollar quote", repo.Raw[Widget]("name = $q$x"), "dollar-quoted string open"},
				{"empty", repo.Raw[Widget](" "), "raw fragment is empty"},
			} {
				_, err := Widgets.Find(ctx, pool, tt.pred, widgetCount.Asc())
				if !errors.Is(err, repo.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("%s: got %v, want ErrInvalid saying %q", tt.name, err, tt.msg)
				}
				if _, err := Widgets.DeleteWhere(ctx, pool, tt.pred); !errors.Is(err, repo.ErrInvalid) {
					t.Errorf("%s: DeleteWhere: got %v, want ErrInvalid", tt.name, err)
				}
			}
			if n, err := Widgets.Count(ctx, pool); err != nil || n != 5 {
				t.Fatalf("the table has %d rows (%v), want 5: a fragment ran a second statement", n, err)
			}
			for _, tt := range []struct {
				name string
				pred repo.Pred[Widget]
				want int64
			}{
				{"; in a literal", repo.Raw[Widget]("name <> ';'"), 5},
				{"; in a literal with an argument", repo.Raw[Widget]("name <> ';' AND count > $1", 2), 2},
				{"; in a dollar quote", repo.Raw[Widget]("name <> $$;$$"), 5},
				{"; in a tagged dollar quote", repo.Raw[Widget]("name <> $tag$;$tag$"), 5},
				{"; in a quoted identifier", repo.Raw[Widget](`"count" > 0 OR 'a;b' = "name"`), 5},
				{"; in a block comment", repo.Raw[Widget]("count > 0 /* ; */"), 5},
				{"; in an E string", repo.Raw[Widget](`name <> E'\\;'`), 5},
				{"a line comment at the end", repo.Raw[Widget]("count > 1 -- ; and the rest of the line"), 3}, // with count < 5 below
				{"a line comment, then an argument", repo.Raw[Widget]("count > $1 -- more than $1\n", 3), 1},
			} {
				n, err := Widgets.Count(ctx, pool, tt.pred, widgetCount.Lt(5))
				if tt.want == 5 {
					n, err = Widgets.Count(ctx, pool, tt.pred)
				}
				if err != nil || n != tt.want {
					t.Errorf("%s: Count = %d, %v; want %d", tt.name, n, err, tt.want)
				}
			}
		})
	}
}

// FuzzRawFragment uses PostgreSQL's own lexer as the oracle of what Raw accepts: a fragment Raw
// takes must never show the server a statement separator, nor a literal, identifier or comment
// it leaves open. The server may refuse the fragment for any other reason (it is fuzzed SQL).
// Seeds: the tricky inputs; go test runs them, go test -fuzz FuzzRawFragment explores.
func FuzzRawFragment(f *testing.F) {
	for _, s := range []string{"';'", "$$;$$", "$tag$;$tag$", `"a;b" = 1`, "TRUE -- ;\n", "TRUE -- ;", "TRUE /* ; */",
		`E'\\';'`, `'\' ' ; SELECT 1; -- '`, "x$$;$$", "count = 1; SELECT 2", "'\\''--'", "$a$$b$$a$ = ''",
		"0$$", "0$$;$$ = ''", "count$$;$$ = 1", "1_0$$ $$ = ''", "1e5 > 0", "U&'\\0041;' = 'A'"} {
		f.Add(s)
	}
	pool := pgtest.NewPool(f, func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["statement_timeout"] = "200ms" })
	ctx := context.Background()
	if _, err := pool.Exec(ctx, widgetsDDL); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frag string) {
		_, err := Widgets.Count(ctx, pool, repo.Raw[Widget](frag))
		if err == nil || errors.Is(err, repo.ErrInvalid) {
			return
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			return // e.g. invalid UTF-8, refused by pgx
		}
		if strings.Contains(pgErr.Message, "multiple commands") || strings.Contains(pgErr.Message, `at or near ";"`) ||
			strings.Contains(pgErr.Message, "unterminated") {
			t.Fatalf("Raw accepted %q, and the server says: %v", frag, pgErr)
		}
	})
}
