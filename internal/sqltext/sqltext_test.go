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

// TestCheckFragment reads tricky fragments: a ; inside a literal, a quoted identifier, a dollar
// quote or a comment is part of it; a ; outside, or a construct left open, is refused, under
// either setting of standard_conforming_strings.
func TestCheckFragment(t *testing.T) {
	for _, ok := range []string{
		"a = ';'",
		"a = $$;$$",
		"a = $tag$;$tag$",
		"a = $tag$ $$;$$ ; $tag$",
		`"a;b" = 1`,
		"a = 1 -- ;\n",
		"a = 1 -- ; no newline",
		"a = 1 /* ; */",
		"a = 1 /* /* ; */ ; */",
		`a = E'\\;'`,
		`a = E'\';'`,
		"a = 'it''s;'",
		`a = '\\'`, // two backslashes: one literal either way
		"a$$ = 1",  // an identifier with dollars, no quote
		"ünï = 'ü;'",
		"a = 0$$;$$",     // after a number, $$ starts a dollar quote
		"a = 1.5 + $1",   // a placeholder after an operator
		"a$1 = $1",       // a$1 is an identifier
		"_x$y$ = 1",      // so is _x$y$
		"a = 1e5 + 0x1F", // numbers with letters, no $ after them
		`x = E'\\'`,      // E'\\' is one backslash: the literal is closed
	} {
		if err := CheckFragment(ok); err != nil {
			t.Errorf("CheckFragment(%q) = %v, want nil", ok, err)
		}
	}
	for in, msg := range map[string]string{
		"a = 1; DROP TABLE t":    `separator ";" at byte 5`,
		"a = 1;":                 "separator",
		`E'\\';'`:                "separator", // E'\\' is one backslash, then ; outside
		"';' ; ';'":              "separator", // between two literals
		"$$;$$;":                 "separator", // after a dollar quote
		"$a$ ; $b$ ; $a$ ;":      "byte 16",   // the tags differ, so $b$ is inside
		"x$$;$$":                 "separator", // x$$ is an identifier, not a quote
		`"a;b";`:                 "separator", // after a quoted identifier
		"/* ; */ ;":              "separator", // after a comment
		"-- ;\n;":                "separator", // after a line comment
		"a = 'x":                 "a string literal open",
		`a = "x`:                 "a quoted identifier open",
		"a = $q$ x":              "a dollar-quoted string open",
		"a = 1 /* x":             "a block comment open",
		"a = 1 /* /* */":         "a block comment open", // nested
		`a = 'C:\'`:              "standard_conforming_strings is off",
		`a = 'x\' ; DROP t; --'`: "separator",
		`'\' ' ; DROP t; -- '`:   "standard_conforming_strings is off", // balanced with the setting on, not off
		"0$$":                    "a dollar-quoted string open",        // 0 is a number, not part of an identifier
		"a$$;$$":                 "separator",                          // a$$ is an identifier: the ; is outside
		"1_000$$;$$":             "versions read differently",          // 1_000 is one number from PostgreSQL 16 on
		"0x1F$$":                 "versions read differently",
		"a = $1_0":               "versions read differently",
		"a = $1a":                "versions read differently",
	} {
		err := CheckFragment(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("CheckFragment(%q) = %v, want an error saying %q", in, err, msg)
		}
	}
}

func TestRawEndsALineComment(t *testing.T) {
	var b Builder
	b.WriteString("WHERE (")
	if err := b.Raw("a = $1 -- the first", []any{1}); err != nil {
		t.Fatal(err)
	}
	b.WriteString(") AND b = ")
	b.Arg(2)
	if got, want := b.String(), "WHERE (a = $1 -- the first\n) AND b = $2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"", "  \n", "a = $1; SELECT $1", "a = '$1"} {
		before := b.String()
		if err := b.Raw(bad, []any{1}); err == nil {
			t.Errorf("Raw(%q) accepted", bad)
		}
		if b.String() != before || len(b.Args) != 2 {
			t.Errorf("Raw(%q) failed but changed the builder: %q %v", bad, b.String(), b.Args)
		}
	}
}

// FuzzCheckFragment checks that a fragment CheckFragment accepts is self-contained under both
// readings: put inside a statement, everything after it is SQL again (a placeholder after it is
// seen as one), and no ; outside literals and comments appears anywhere. Its seeds are the
// tricky inputs of TestCheckFragment; go test runs them, go test -fuzz explores from them.
func FuzzCheckFragment(f *testing.F) {
	for _, s := range []string{"';'", "$$;$$", "$tag$;$tag$", `"a;b"`, "-- ;\n", "-- ;", "/* ; */", `E'\\';'`,
		`'\' ' ; x; -- '`, "x$$;$$", "0$$;$$", "0$$", "1_0$$", "$1", "$1a", "a = $1 AND b = '$1'", "/* /* */ */", "E'\\'", "$a$$b$$a$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frag string) {
		if CheckFragment(frag) != nil || strings.TrimSpace(frag) == "" {
			return
		}
		var b Builder
		b.WriteString("SELECT 1 WHERE (")
		if err := b.Raw(frag, nil); err != nil {
			if strings.Contains(err.Error(), "refers to $") {
				return // a placeholder without an argument
			}
			t.Fatalf("Raw(%q): %v", frag, err)
		}
		b.WriteString(") AND x = ")
		b.Arg(1)
		whole := b.String()
		for _, backslashes := range []bool{false, true} {
			var last string
			var lastKind tokenKind
			open := scan(whole, backslashes, func(k tokenKind, tok string) {
				if k == code && tok == ";" {
					t.Fatalf("%q (backslashes %v): a ; outside literals in %q", frag, backslashes, whole)
				}
				last, lastKind = tok, k
			})
			if open != "" || lastKind != placeholder || last != "$1" {
				t.Fatalf("%q (backslashes %v): the statement %q ends in %q (%d), open %q: the fragment swallowed what follows it", frag, backslashes, whole, last, lastKind, open)
			}
		}
	})
}

func TestValues(t *testing.T) {
	for _, tt := range []struct {
		n, width int
		want     string
	}{
		{0, 3, ""},
		{1, 1, "($1)"},
		{2, 2, "($1, $2), ($3, $4)"},
		{3, 1, "($1), ($2), ($3)"},
	} {
		if got := string(Values([]byte("V "), tt.n, tt.width)); got != "V "+tt.want {
			t.Errorf("Values(%d, %d) = %q, want %q", tt.n, tt.width, got, "V "+tt.want)
		}
	}
}
