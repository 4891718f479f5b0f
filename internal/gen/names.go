package gen

import (
	"strconv"
	"strings"
	"unicode"
)

// initialisms are the words Go spells in capitals (customer_id → CustomerID), after the list
// golint and staticcheck use.
var initialisms = map[string]bool{
	"acl": true, "api": true, "ascii": true, "cpu": true, "css": true, "dns": true, "eof": true,
	"guid": true, "html": true, "http": true, "https": true, "id": true, "ip": true, "json": true,
	"lhs": true, "qps": true, "ram": true, "rhs": true, "rpc": true, "sla": true, "smtp": true,
	"sql": true, "ssh": true, "tcp": true, "tls": true, "ttl": true, "udp": true, "ui": true,
	"uid": true, "uuid": true, "uri": true, "url": true, "utf8": true, "vm": true, "xml": true,
	"xmpp": true, "xsrf": true, "xss": true,
}

// words splits an SQL identifier into words: at anything not a letter or digit, and, in a
// mixed-case identifier, before a capital that follows a lower-case letter ("OrderLines").
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// camel makes an exported Go name of an SQL identifier: customer_id → CustomerID,
// "OrderLines" → OrderLines, 2fa → X2fa.
func camel(s string) string { return camelCase(s, false) }

// camelCase is camel; with capitals, a word in capitals stays so (an enum's PG-13 → PG13).
func camelCase(s string, capitals bool) string {
	var b strings.Builder
	for _, w := range words(s) {
		lw := strings.ToLower(w)
		if initialisms[lw] {
			b.WriteString(strings.ToUpper(lw))
			continue
		}
		rs := []rune(lw)
		if w != lw && (capitals || w != strings.ToUpper(w)) {
			rs = []rune(w) // mixed case, as written: keep it
		}
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	out := b.String()
	if out == "" || !unicode.IsLetter([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}

// singular makes the last word of a Go name singular, by the rules of English that cover
// table names: categories → Category, addresses → Address, status stays.
func singular(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, "ies") && len(name) > 3:
		return name[:len(name)-3] + matchCase(name[len(name)-3:], "y")
	case hasAnySuffix(lower, "sses", "xes", "ches", "shes", "zzes"):
		return name[:len(name)-2]
	case hasAnySuffix(lower, "ss", "us", "is"):
		return name
	case strings.HasSuffix(lower, "s") && len(name) > 1:
		return name[:len(name)-1]
	}
	return name
}

// plural makes the last word of a Go name plural: Category → Categories, Box → Boxes, ID → IDs.
func plural(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, "y") && len(name) > 1 && !strings.ContainsRune("aeiou", rune(lower[len(lower)-2])):
		return name[:len(name)-1] + "ies"
	case hasAnySuffix(lower, "s", "x", "z", "ch", "sh"):
		return name + "es"
	}
	return name + "s" // IDs, as Go spells it
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// matchCase spells s in capitals if like is.
func matchCase(like, s string) string {
	if like == strings.ToUpper(like) && like != strings.ToLower(like) {
		return strings.ToUpper(s)
	}
	return s
}

// trimID drops a foreign key column's "_id" ending, which names the row it refers to:
// customer_id → customer, ManagerId → Manager; a name that is nothing else stays.
func trimID(col string) string {
	ws := words(col)
	if len(ws) > 1 && strings.EqualFold(ws[len(ws)-1], "id") {
		return strings.Join(ws[:len(ws)-1], "_")
	}
	return col
}

// namespace hands out names unique within it, in the order asked: a name taken already gets
// the first free number after it.
type namespace map[string]bool

func (ns namespace) take(name string, alternates ...string) string {
	for _, n := range append([]string{name}, alternates...) {
		if !ns[n] {
			ns[n] = true
			return n
		}
	}
	for i := 2; ; i++ {
		if n := name + strconv.Itoa(i); !ns[n] {
			ns[n] = true
			return n
		}
	}
}

// fileBase makes a file name (without .go) of a table's name: lower case, words joined by "_",
// never ending as a build constraint does (_test, _linux, _amd64…).
func fileBase(parts ...string) string {
	var ws []string
	for _, p := range parts {
		for _, w := range words(p) {
			ws = append(ws, strings.ToLower(w))
		}
	}
	if len(ws) == 0 {
		ws = []string{"x"}
	}
	base := strings.Join(ws, "_")
	if len(ws) > 1 && constraintSuffix[ws[len(ws)-1]] {
		base += "_table"
	}
	return base
}

var constraintSuffix = map[string]bool{
	"test": true, "aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true,
	"hurd": true, "illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true,
	"openbsd": true, "plan9": true, "solaris": true, "wasip1": true, "windows": true, "zos": true,
	"386": true, "amd64": true, "arm": true, "arm64": true, "loong64": true, "mips": true, "mipsle": true,
	"mips64": true, "mips64le": true, "ppc64": true, "ppc64le": true, "riscv64": true, "s390x": true,
	"sparc64": true, "wasm": true,
}

// article is "a" or "an" before a word.
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
