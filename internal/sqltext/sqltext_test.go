package sqltext

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"users":        `"users"`,
		`we"ird`:       `"we""ird"`,
		"Mixed Case":   `"Mixed Case"`,
		`"`:            `""""`,
		"drop--table;": `"drop--table;"`,
		"ünïcode":      `"ünïcode"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteQualified("public", "users"); got != `"public"."users"` {
		t.Errorf("QuoteQualified = %s", got)
	}
}

func TestCheckIdent(t *testing.T) {
	for _, ok := range []string{"a", strings.Repeat("x", 63), `a"b`, "ünïcode"} {
		if err := CheckIdent(ok); err != nil {
			t.Errorf("CheckIdent(%q) = %v", ok, err)
		}
	}
	for in, msg := range map[string]string{
		"":                      "empty",
		strings.Repeat("x", 64): "64 bytes",
		strings.Repeat("é", 32): "64 bytes", // 32 two-byte runes
		"a\x00b":                "NUL",
	} {
		if err := CheckIdent(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("CheckIdent(%q) = %v, want an error saying %q", in, err, msg)
		}
	}
}

func TestRawRenumbers(t *testing.T) {
	tests := []struct {
		name     string
		before   int // arguments already in the builder
		fragment string
		args     int
		want     string
	}{
		{"simple", 2, "a = $1 AND b = $2", 2, "a = $3 AND b = $4"},
		{"reused", 1, "a = $1 OR b = $1", 1, "a = $2 OR b = $2"},
		{"two digits", 9, "x IN ($1, $2)", 2, "x IN ($10, $11)"},
		{"string literal", 1, "a = $1 AND b = 'cost: $1'", 1, "a = $2 AND b = 'cost: $1'"},
		{"doubled quote in literal", 1, "b = 'it''s $1' AND a = $1", 1, "b = 'it''s $1' AND a = $2"},
		{"escape string", 1, `b = E'it\'s $1' AND a = $1`, 1, `b = E'it\'s $1' AND a = $2`},
		{"quoted identifier", 1, `"col$1" = $1`, 1, `"col$1" = $2`},
		{"line comment", 1, "a = $1 -- not $1\n", 1, "a = $2 -- not $1\n"},
		{"block comment", 1, "a = $1 /* $1 /* nested $1 */ $1 */", 1, "a = $2 /* $1 /* nested $1 */ $1 */"},
		{"dollar quote", 1, "a = $1 AND b = $$ $1 $$", 1, "a = $2 AND b = $$ $1 $$"},
		{"tagged dollar quote", 1, "b = $tag$ $1 $$ $1 $tag$ AND a = $1", 1, "b = $tag$ $1 $$ $1 $tag$ AND a = $2"},
		{"identifier with dollar", 1, "a$1 = $1", 1, "a$1 = $2"},
		{"no placeholders", 3, "TRUE", 0, "TRUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Builder{Args: make([]any, tt.before)}
			args := make([]any, tt.args)
			if err := b.Raw(tt.fragment, args); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if len(b.Args) != tt.before+tt.args {
				t.Errorf("%d args, want %d", len(b.Args), tt.before+tt.args)
			}
		})
	}
}

func TestRawMistakes(t *testing.T) {
	for fragment, n := range map[string]int{"a = $2": 1, "a = 1": 1, "a = $0": 1} {
		var b Builder
		if err := b.Raw(fragment, make([]any, n)); err == nil {
			t.Errorf("Raw(%q, %d args) accepted", fragment, n)
		}
	}
}

func TestBuilderArg(t *testing.T) {
	var b Builder
	b.WriteString("a = ")
	b.Arg(1)
	b.WriteString(" AND b = ")
	b.Arg("x")
	if b.String() != "a = $1 AND b = $2" || len(b.Args) != 2 {
		t.Fatalf("%s %v", b.String(), b.Args)
	}
	if got := string(Placeholders(nil, 3, 3)); got != "$3, $4, $5" {
		t.Fatalf("Placeholders = %s", got)
	}
}

// FuzzQuote checks that a quoted identifier is one token: it starts and ends with a quote and
// every quote inside is doubled, so no input can end the identifier early. Its committed corpus
// is testdata/fuzz/FuzzQuote.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"users", `a"b`, `"; DROP TABLE x; --`, "$tag$", "ünïcode", strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
			t.Fatalf("Quote(%q) = %s", s, q)
		}
		inner := q[1 : len(q)-1]
		if strings.ReplaceAll(inner, `""`, "") != strings.ReplaceAll(s, `"`, "") {
			t.Fatalf("Quote(%q) = %s: inner quotes not doubled", s, q)
		}
		if got := strings.ReplaceAll(inner, `""`, `"`); got != s {
			t.Fatalf("Quote(%q) does not round-trip: %s", s, got)
		}
	})
}
