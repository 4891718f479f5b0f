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

// Quote returns name as a quoted identifier: wrapped in double quotes, inner double quotes doubled.
// It does not validate; call CheckIdent first.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteQualified quotes a possibly schema-qualified name given as its parts ("public", "users").
func QuoteQualified(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = Quote(p)
	}
	return strings.Join(q, ".")
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
// strings and comments are left alone. It fails when the fragment refers to a placeholder beyond
// len(args) or leaves one of args unused.
func (b *Builder) Raw(fragment string, args []any) error {
	base := len(b.Args)
	used := make([]bool, len(args))
	var err error
	b.buf = appendRenumbered(b.buf, fragment, func(n int) int {
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
	b.Args = append(b.Args, args...)
	return nil
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

// appendRenumbered copies src to dst, replacing each placeholder $n outside literals, quoted
// identifiers and comments by $renum(n).
func appendRenumbered(dst []byte, src string, renum func(int) int) []byte {
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(src, i, c, c == '\'' && escapeString(src, i))
			dst = append(dst, src[i:j]...)
			i = j
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			dst = append(dst, src[i:i+j]...)
			i += j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := skipBlockComment(src, i)
			dst = append(dst, src[i:j]...)
			i = j
		case c == '$':
			if j := digitsEnd(src, i+1); j > i+1 && !identChar(prevByte(src, i)) {
				n, _ := strconv.Atoi(src[i+1 : j])
				dst = append(dst, '$')
				dst = strconv.AppendInt(dst, int64(renum(n)), 10)
				i = j
				continue
			}
			if tag, ok := dollarTag(src, i); ok && !identChar(prevByte(src, i)) {
				end := strings.Index(src[i+len(tag):], tag)
				j := len(src)
				if end >= 0 {
					j = i + len(tag) + end + len(tag)
				}
				dst = append(dst, src[i:j]...)
				i = j
				continue
			}
			dst = append(dst, c)
			i++
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

func prevByte(s string, i int) byte {
	if i == 0 {
		return ' '
	}
	return s[i-1]
}

func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// escapeString reports whether the literal starting at s[i] is an E'…' string, in which a
// backslash escapes the next character.
func escapeString(s string, i int) bool {
	return i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && !identChar(prevByte(s, i-1))
}

// skipQuoted returns the index just past the literal or quoted identifier starting at s[i]==q;
// a doubled quote inside it is an escaped quote, and so is a backslash-escaped one where
// backslash is set.
func skipQuoted(s string, i int, q byte, backslash bool) int {
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
			return j + 1
		}
	}
	return len(s)
}

// skipBlockComment returns the index past the (possibly nested) block comment starting at s[i].
func skipBlockComment(s string, i int) int {
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
				return j + 1
			}
		}
	}
	return len(s)
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
