// Package sqltext builds SQL text: identifier quoting, numbered placeholders and the renumbering of
// placeholders inside raw fragments. It is shared by repo, rel, loadopts and uow; users never see it.
package sqltext

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxIdentLen is the longest identifier, in bytes, that PostgreSQL keeps whole (NAMEDATALEN-1).
// A longer one is silently truncated by the server, so two long names could collide.
const MaxIdentLen = 63

// MaxParams is the most bind parameters one statement of the extended protocol can carry.
const MaxParams = 65535

// CheckIdent reports why name cannot be used as an identifier, or nil if it can.
func CheckIdent(name string) error {
	switch {
	case name == "":
		return errors.New("empty identifier")
	case len(name) > MaxIdentLen:
		return fmt.Errorf("identifier %q is %d bytes; PostgreSQL truncates identifiers longer than %d bytes", name, len(name), MaxIdentLen)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("identifier %q contains a NUL byte", name)
	}
	return nil
}

// QuoteTable returns a table's name as SQL writes it: "invoices", or for a name qualified with
// its schema, billing.invoices, two quoted identifiers, "billing"."invoices". The first dot
// separates the schema from the table. It does not validate; call CheckTable first.
func QuoteTable(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return Quote(name[:i]) + "." + Quote(name[i+1:])
	}
	return Quote(name)
}

// CheckTable is CheckIdent for a table's name, unqualified or qualified with its schema
// (billing.invoices): each part must be an identifier.
func CheckTable(name string) error {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		if err := CheckIdent(name[:i]); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		return CheckIdent(name[i+1:])
	}
	return CheckIdent(name)
}

// Relname returns the table's name without its schema.
func Relname(name string) string {
	return name[strings.IndexByte(name, '.')+1:]
}

// Quote returns name as a quoted identifier: wrapped in double quotes, inner double quotes doubled.
// It does not validate; call CheckIdent first.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Builder accumulates SQL text and its bind arguments; Arg writes the next $n placeholder.
// The zero value is ready to use.
type Builder struct {
	buf  []byte
	Args []any
	// Qual, if set, is the alias that Col writes before each column: Qual."col".
	Qual string
}

// Col appends a quoted column name, qualified by b.Qual if it is set.
func (b *Builder) Col(quoted string) {
	if b.Qual != "" {
		b.buf = append(b.buf, b.Qual...)
		b.buf = append(b.buf, '.')
	}
	b.buf = append(b.buf, quoted...)
}

// WriteString appends SQL text as is.
func (b *Builder) WriteString(s string) { b.buf = append(b.buf, s...) }

// WriteByte appends one byte of SQL text.
func (b *Builder) WriteByte(c byte) error { b.buf = append(b.buf, c); return nil }

// Arg appends v to the arguments and writes its placeholder.
func (b *Builder) Arg(v any) {
	b.Args = append(b.Args, v)
	b.buf = append(b.buf, '$')
	b.buf = strconv.AppendInt(b.buf, int64(len(b.Args)), 10)
}

// Raw appends a fragment whose placeholders $1…$n refer to args, renumbering them to follow the
// arguments already in b. Placeholders inside string literals, quoted identifiers, dollar-quoted
// strings and comments are left alone. It fails, appending nothing, when the fragment is empty,
// refers to a placeholder beyond len(args), leaves one of args unused, or could end the
// statement it joins (see [CheckFragment]). A fragment that ends inside a -- comment (under
// either setting of standard_conforming_strings) gets a newline after it, so that the comment
// ends with the fragment.
func (b *Builder) Raw(fragment string, args []any) error {
	if strings.TrimSpace(fragment) == "" {
		return errors.New("raw fragment is empty: write a condition, or TRUE")
	}
	inComment, err := checkFragment(fragment)
	if err != nil {
		return err
	}
	base := len(b.Args)
	used := make([]bool, len(args))
	out, _ := appendRenumbered(b.buf, fragment, func(n int) int {
		if n < 1 || n > len(args) {
			if err == nil {
				err = fmt.Errorf("raw fragment %q refers to $%d but has %d argument(s)", fragment, n, len(args))
			}
			return n
		}
		used[n-1] = true
		return base + n
	})
	if err != nil {
		return err
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("raw fragment %q does not use its argument $%d", fragment, i+1)
		}
	}
	if inComment {
		out = append(out, '\n')
	}
	b.buf = out
	b.Args = append(b.Args, args...)
	return nil
}

// CheckFragment reports why a raw fragment could end the statement it joins, or nil if it
// cannot: a statement separator ; outside string literals, quoted identifiers, dollar-quoted
// strings and comments (under the simple protocol, which pgx and poolers such as PgBouncer use,
// it would start a second statement), or a literal, quoted identifier, dollar-quoted string or
// block comment left open (which would swallow the text after the fragment). It reads the
// fragment twice: as PostgreSQL does with standard_conforming_strings on, where a backslash
// escapes only inside E'…', and as it does with the setting off, where a backslash escapes the
// next character in every '…' literal; either reading finding a ; or an open construct is an
// error, so the answer does not depend on the server's setting.
func CheckFragment(fragment string) error {
	_, err := checkFragment(fragment)
	return err
}

// checkFragment is CheckFragment, and reports whether either reading of the fragment ends
// inside a -- comment, which a newline must end.
func checkFragment(fragment string) (inComment bool, err error) {
	for _, backslashes := range []bool{false, true} {
		sep, pos := -1, 0
		open := scan(fragment, backslashes, func(k tokenKind, tok string) {
			if k == code && tok == ";" && sep < 0 {
				sep = pos
			}
			pos += len(tok)
		})
		where := ""
		if backslashes {
			where = " where standard_conforming_strings is off (a backslash in '…' then escapes the quote after it; write such a literal as E'…')"
		}
		switch {
		case open == ambiguous:
			return false, fmt.Errorf("raw fragment %q has a $ that PostgreSQL versions read differently: right after a number written with letters or _ (1_000$, 0x1F$, 1e5$), or after a placeholder followed by a letter, _ or $ ($1_0, $1a, $1$); put a space between them", fragment)
		case sep >= 0:
			return false, fmt.Errorf("raw fragment %q has a statement separator \";\" at byte %d, outside any literal or comment%s: a fragment is part of one statement, and under the simple protocol the text after the ; would run as a second one; remove the ;", fragment, sep, where)
		case open != "" && open != lineComment:
			return false, fmt.Errorf("raw fragment %q leaves %s open%s: it would swallow the SQL after the fragment; close it inside the fragment", fragment, open, where)
		}
		inComment = inComment || open == lineComment
	}
	return inComment, nil
}

// Len returns the length of the SQL text so far.
func (b *Builder) Len() int { return len(b.buf) }

// String returns the SQL text.
func (b *Builder) String() string { return string(b.buf) }

// Placeholders appends "$from, $from+1, …" (n of them) to dst.
func Placeholders(dst []byte, from, n int) []byte {
	for i := range n {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(from+i), 10)
	}
	return dst
}

// Values appends the rows of a VALUES list to dst: n rows of width placeholders each, numbered
// from $1 — "($1, $2), ($3, $4)" for n = 2, width = 2.
func Values(dst []byte, n, width int) []byte {
	for i := range n {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '(')
		dst = Placeholders(dst, i*width+1, width)
		dst = append(dst, ')')
	}
	return dst
}

// appendRenumbered copies src to dst, replacing each placeholder $n outside literals, quoted
// identifiers and comments by $renum(n), reading src as PostgreSQL does with
// standard_conforming_strings on (the only setting under which pgx sends arguments in the SQL
// text). It returns what src leaves open at its end, as [scan] does.
func appendRenumbered(dst []byte, src string, renum func(int) int) ([]byte, string) {
	open := scan(src, false, func(k tokenKind, tok string) {
		if k == placeholder {
			n, _ := strconv.Atoi(tok[1:])
			dst = append(dst, '$')
			dst = strconv.AppendInt(dst, int64(renum(n)), 10)
			return
		}
		dst = append(dst, tok...)
	})
	return dst, open
}

// tokenKind is what a token of [scan] is.
type tokenKind uint8

const (
	code        tokenKind = iota // one byte of SQL outside everything below
	placeholder                  // $n
	quoted                       // a string literal, quoted identifier or dollar-quoted string, quotes included
	comment                      // a -- comment (up to its newline, excluded) or a /* */ comment
)

// What scan reports left open at the end of its text.
const (
	stringLiteral    = "a string literal"
	quotedIdentifier = "a quoted identifier"
	dollarQuoted     = "a dollar-quoted string"
	blockComment     = "a block comment"
	lineComment      = "a -- comment"
	ambiguous        = "a $ that PostgreSQL versions read differently"
)

// scan splits src into tokens as PostgreSQL's lexer does, as far as placeholders, literals,
// quoted identifiers and comments go, and calls fn with each in order; the tokens put together
// are src. backslashes says whether a backslash escapes the next character in every '…' literal
// (standard_conforming_strings off) rather than only in E'…' ones. It returns what src leaves
// open at its end: "" for nothing, or one of stringLiteral, quotedIdentifier, dollarQuoted,
// blockComment, lineComment, or ambiguous for a $ whose meaning depends on the server's version.
//
// Identifiers and numbers are read whole, as the lexer reads them, because a $ means something
// else after each: inside an identifier (a$1, x$$) it is part of the name, after a number (0$$)
// it starts a placeholder or a dollar quote.
func scan(src string, backslashes bool, fn func(k tokenKind, tok string)) (open string) {
	i := 0
	afterE := false // the last token was the identifier E (or e): a quote after it starts E'…'
	for i < len(src) {
		c := src[i]
		wasE := afterE
		afterE = false
		switch {
		case c == '\'' || c == '"':
			j, closed := skipQuoted(src, i, c, c == '\'' && (backslashes || wasE))
			fn(quoted, src[i:j])
			i = j
			if !closed {
				if c == '"' {
					return quotedIdentifier
				}
				return stringLiteral
			}
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				fn(comment, src[i:])
				return lineComment
			}
			fn(comment, src[i:i+j])
			i += j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j, closed := skipBlockComment(src, i)
			fn(comment, src[i:j])
			i = j
			if !closed {
				return blockComment
			}
		case identStart(c):
			// An identifier or key word: letters, digits, _ and $, as PostgreSQL reads one.
			j := i + 1
			for j < len(src) && (identStart(src[j]) || isDigit(src[j]) || src[j] == '$') {
				j++
			}
			fn(code, src[i:j])
			afterE = j == i+1 && (c == 'E' || c == 'e')
			i = j
		case isDigit(c):
			// A number. PostgreSQL 16 reads 1_000, 0x1F and 1e5 whole and a $ after them starts a
			// placeholder or a dollar quote; older servers read the letters or _ as an identifier,
			// which the $ continues. Such a $ has no one meaning: refuse it.
			j := i + 1
			plain := true
			for j < len(src) && (identStart(src[j]) || isDigit(src[j])) {
				plain = plain && isDigit(src[j])
				j++
			}
			fn(code, src[i:j])
			i = j
			if !plain && i < len(src) && src[i] == '$' {
				return ambiguous
			}
		case c == '$':
			if j := digitsEnd(src, i+1); j > i+1 {
				fn(placeholder, src[i:j])
				i = j
				if i < len(src) && (identStart(src[i]) || src[i] == '$') {
					return ambiguous // $1_0, $1a, $1$: read differently by different versions
				}
				continue
			}
			if tag, ok := dollarTag(src, i); ok {
				end := strings.Index(src[i+len(tag):], tag)
				if end < 0 {
					fn(quoted, src[i:])
					return dollarQuoted
				}
				j := i + len(tag) + end + len(tag)
				fn(quoted, src[i:j])
				i = j
				continue
			}
			fn(code, src[i:i+1])
			i++
		default:
			fn(code, src[i:i+1])
			i++
		}
	}
	return ""
}

// identStart reports whether c can start an identifier: a letter, _, or a byte of a multibyte
// character.
func identStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// skipQuoted returns the index just past the literal or quoted identifier starting at s[i]==q,
// and whether it is closed there (len(s) and false if it is not); a doubled quote inside it is
// an escaped quote, and so is a backslash-escaped one where backslash is set.
func skipQuoted(s string, i int, q byte, backslash bool) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		if backslash && s[j] == '\\' {
			j++
			continue
		}
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(s), false
}

// skipBlockComment returns the index past the (possibly nested) block comment starting at s[i],
// and whether it is closed there (len(s) and false if it is not).
func skipBlockComment(s string, i int) (int, bool) {
	depth := 0
	for j := i; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return len(s), false
}

// dollarTag reports the opening tag ($$ or $name$) of a dollar-quoted string starting at s[i].
func dollarTag(s string, i int) (string, bool) {
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[i : j+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || (j > i+1 && c >= '0' && c <= '9')) {
			return "", false
		}
	}
	return "", false
}
