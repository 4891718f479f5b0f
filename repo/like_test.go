package repo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Word is a text value to search, in a column whose collation folds every letter's case.
type Word struct {
	ID   int64
	Text string
}

var (
	wordID   = repo.Serial("id", func(w *Word) *int64 { return &w.ID })
	wordText = repo.Col("text", func(w *Word) *string { return &w.Text })
	Words    = repo.MustNew("words", wordID, wordText)
)

// wordsDDL declares the column with an ICU collation: ILIKE folds case as the column's collation
// says, and under the C collation of the test databases only ASCII letters fold.
const wordsDDL = `CREATE TABLE words (id bigserial PRIMARY KEY, text text COLLATE "und-x-icu" NOT NULL)`

var someWords = []string{
	"100%", "100% sure", "1000", "a_b", "aXb", `back\slash`, `backslash`, `x\%y`, `x%y`,
	"it's", `say "hi"`, "ÄBC", "äbc", "abc", "日本語テキスト", "",
}

func TestEscapedLike(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, proto := range []struct {
		name      string
		configure []func(*pgxpool.Config)
	}{{"extended protocol", nil}, {"simple protocol", []func(*pgxpool.Config){simpleProtocol}}} {
		t.Run(proto.name, func(t *testing.T) {
			t.Parallel()
			pool := pgtest.NewPool(t, proto.configure...)
			_, err := pool.Exec(ctx, wordsDDL)
			require.NoError(t, err)
			rows := make([]*Word, len(someWords))
			for i, s := range someWords {
				rows[i] = &Word{Text: s}
			}
			require.NoError(t, Words.Insert(ctx, pool, rows...))
			tests := []struct {
				name string
				pred repo.Pred[Word]
				want []string
			}{
				{"Contains %", wordText.Contains("%"), []string{"100%", "100% sure", `x\%y`, "x%y"}},
				{"Like % is a wildcard", wordText.Like("%%%"), someWords},
				{"Contains _", wordText.Contains("_"), []string{"a_b"}},
				{"Like _ is a wildcard", wordText.Like("a_b"), []string{"a_b", "aXb"}},
				{"Contains a backslash", wordText.Contains(`\`), []string{`back\slash`, `x\%y`}},
				{"Contains a backslash and %", wordText.Contains(`\%`), []string{`x\%y`}},
				{"HasPrefix 100%", wordText.HasPrefix("100%"), []string{"100%", "100% sure"}},
				{"HasSuffix %", wordText.HasSuffix("%"), []string{"100%"}},
				{"a quote", wordText.HasSuffix("'s"), []string{"it's"}},
				{"double quotes", wordText.Contains(`"hi"`), []string{`say "hi"`}},
				{"multibyte Contains", wordText.Contains("本語"), []string{"日本語テキスト"}},
				{"multibyte HasPrefix", wordText.HasPrefix("日本"), []string{"日本語テキスト"}},
				{"multibyte HasSuffix", wordText.HasSuffix("スト"), []string{"日本語テキスト"}},
				{"Contains keeps case", wordText.Contains("äb"), []string{"äbc"}},
				{"ContainsFold", wordText.ContainsFold("äb"), []string{"ÄBC", "äbc"}},
				{"HasPrefixFold", wordText.HasPrefixFold("ÄB"), []string{"ÄBC", "äbc"}},
				{"HasSuffixFold", wordText.HasSuffixFold("BC"), []string{"ÄBC", "äbc", "abc"}},
				{"ContainsFold escapes", wordText.ContainsFold("A_B"), []string{"a_b"}},
				{"HasPrefixFold escapes", wordText.HasPrefixFold(`BACK\`), []string{`back\slash`}},
				{"HasSuffixFold escapes", wordText.HasSuffixFold(`\%Y`), []string{`x\%y`}},
				{"Contains nothing", wordText.Contains(""), someWords},
				{"EscapeLike in a Like of one's own", wordText.Like(repo.EscapeLike("x%") + "_"), []string{"x%y"}},
				{"EscapeLike in an ILike", wordText.ILike("%" + repo.EscapeLike("_B")), []string{"a_b"}},
			}
			for _, tt := range tests {
				got := wordsOf(t, pool, tt.pred)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s (%v): got %q, want %q", tt.name, tt.pred, got, want)
				}
			}
			// With standard_conforming_strings off the ESCAPE clause still means one backslash.
			// (pgx's simple protocol refuses to run with the setting off.)
			if proto.configure == nil {
				tx, err := pool.Begin(ctx)
				require.NoError(t, err)
				defer tx.Rollback(ctx)
				_, err = tx.Exec(ctx, "SET LOCAL standard_conforming_strings = off")
				require.NoError(t, err)
				require.Equal(t, []string{`x\%y`}, wordsOf(t, tx, wordText.Contains(`\%`)))
				require.Equal(t, []string{"a_b"}, wordsOf(t, tx, wordText.ContainsFold("A_b")))
			}
		})
	}
}

// wordsOf returns the words that match pred, sorted.
func wordsOf(t *testing.T, db repo.DB, pred repo.Pred[Word]) []string {
	t.Helper()
	ws, err := Words.Find(context.Background(), db, pred)
	require.NoError(t, err)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	slices.Sort(out)
	return out
}

func TestEscapeLike(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":            "",
		"plain":       "plain",
		"100%":        `100\%`,
		"a_b":         `a\_b`,
		`back\slash`:  `back\\slash`,
		`\%_`:         `\\\%\_`,
		"it's \"x\"":  "it's \"x\"",
		"ÄB_日本%":      `ÄB\_日本\%`,
		`already\\%`:  `already\\\\\%`,
		"%%__\\\\":    `\%\%\_\_\\\\`,
		"ä%\x00b":     "ä\\%\x00b",
		"$1 $$ -- /*": "$1 $$ -- /*",
	} {
		if got := repo.EscapeLike(in); got != want {
			t.Errorf("EscapeLike(%q) = %q, want %q", in, got, want)
		}
	}
	// The pattern is one bind parameter; the statement names the escape character.
	if got, want := wordText.Contains("50%_off").String(), `"text" LIKE $1 ESCAPE E'\\' [%50\%\_off%]`; got != want {
		t.Errorf("Contains: %s, want %s", got, want)
	}
	if got, want := wordText.HasPrefixFold(`a\`).String(), `"text" ILIKE $1 ESCAPE E'\\' [a\\%]`; got != want {
		t.Errorf("HasPrefixFold: %s, want %s", got, want)
	}
	if got, want := wordText.Like("a%").String(), `"text" LIKE $1 [a%]`; got != want {
		t.Errorf("Like: %s, want %s (its pattern is taken as it is)", got, want)
	}
}
