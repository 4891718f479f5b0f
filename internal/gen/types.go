package gen

import (
	"fmt"
	"strings"
)

// goType is the Go type a column's field gets, and how repo declares a column of it.
type goType struct {
	name    string   // as written in Go: "int64", "pgtype.Numeric", "[]string", "Mood"
	imports []string // import paths it needs
	decl    decl
	// valid: the type holds NULL itself (pgtype.Numeric's Valid; a slice's nil), so a nullable
	// column's field is not a pointer.
	valid bool
	width int // an integer's bits (16, 32, 64); 0 for another type
}

// decl is the repo function that declares a column of a type.
type decl uint8

const (
	declCol     decl = iota // repo.Col (repo.Nullable for a nullable column)
	declSlice               // repo.Slice: compared and copied element by element
	declNumeric             // repo.Numeric: 1.5 equals 1.50
	declFunc                // repo.ColFunc with the type's helpers (tsvector)
)

func plain(name string, imports ...string) goType { return goType{name: name, imports: imports} }

func withValid(name string, imports ...string) goType {
	return goType{name: name, imports: imports, valid: true}
}

func slice(name string, imports ...string) goType {
	return goType{name: name, imports: imports, decl: declSlice, valid: true}
}

const (
	pgtypePath = "github.com/jackc/pgx/v5/pgtype"
	timePath   = "time"
	jsonPath   = "encoding/json"
	netipPath  = "net/netip"
)

// builtin maps PostgreSQL's own types (typname of the type under any domain) to Go types pgx
// reads and writes in its binary format, or in text where it has no codec.
var builtin = map[string]goType{
	"bool":        plain("bool"),
	"int2":        {name: "int16", width: 16},
	"int4":        {name: "int32", width: 32},
	"int8":        {name: "int64", width: 64},
	"oid":         plain("uint32"),
	"float4":      plain("float32"),
	"float8":      plain("float64"),
	"numeric":     {name: "pgtype.Numeric", imports: []string{pgtypePath}, decl: declNumeric, valid: true},
	"text":        plain("string"),
	"varchar":     plain("string"),
	"bpchar":      plain("string"),
	"char":        plain("string"),
	"name":        plain("string"),
	"money":       plain("string"),
	"xml":         plain("string"),
	"macaddr":     plain("string"),
	"macaddr8":    plain("string"),
	"timetz":      plain("string"),
	"tsquery":     plain("string"),
	"uuid":        plain("[16]byte"),
	"date":        plain("time.Time", timePath),
	"timestamp":   plain("time.Time", timePath),
	"timestamptz": plain("time.Time", timePath),
	"time":        withValid("pgtype.Time", pgtypePath),
	"interval":    withValid("pgtype.Interval", pgtypePath),
	"bytea":       slice("[]byte"),
	"json":        slice("json.RawMessage", jsonPath),
	"jsonb":       slice("json.RawMessage", jsonPath),
	"inet":        plain("netip.Prefix", netipPath),
	"cidr":        plain("netip.Prefix", netipPath),
	"point":       withValid("pgtype.Point", pgtypePath),
	"int4range":   withValid("pgtype.Range[pgtype.Int4]", pgtypePath),
	"int8range":   withValid("pgtype.Range[pgtype.Int8]", pgtypePath),
	"numrange":    withValid("pgtype.Range[pgtype.Numeric]", pgtypePath),
	"daterange":   withValid("pgtype.Range[pgtype.Date]", pgtypePath),
	"tsrange":     withValid("pgtype.Range[pgtype.Timestamp]", pgtypePath),
	"tstzrange":   withValid("pgtype.Range[pgtype.Timestamptz]", pgtypePath),
	"tsvector":    {name: "pgtype.TSVector", imports: []string{pgtypePath}, decl: declFunc, valid: true},
	// Arrays: NULL is a nil slice.
	"_bool":        slice("[]bool"),
	"_int2":        slice("[]int16"),
	"_int4":        slice("[]int32"),
	"_int8":        slice("[]int64"),
	"_float4":      slice("[]float32"),
	"_float8":      slice("[]float64"),
	"_text":        slice("[]string"),
	"_varchar":     slice("[]string"),
	"_bpchar":      slice("[]string"),
	"_numeric":     slice("[]string"), // each element in its text form, every digit kept
	"_json":        slice("[]string"),
	"_jsonb":       slice("[]string"),
	"_uuid":        slice("[][16]byte"),
	"_date":        slice("[]time.Time", timePath),
	"_timestamp":   slice("[]time.Time", timePath),
	"_timestamptz": slice("[]time.Time", timePath),
}

// typeOf is the Go type of a column: an override (-type), the enum type made for it, the
// builtin mapping, or text for a type of the user's own (a composite, an extension's type);
// why says why there is none.
func (g *generator) typeOf(t *dbTable, c *dbColumn) (typ goType, override bool, why string) {
	if o, ok := g.overrideOf(t, c); ok {
		return o, true, ""
	}
	switch {
	case c.BaseKind == "e":
		return plain(g.enumName(c.BaseOid)), false, ""
	case c.ElemKind == "e":
		return slice("[]string"), false, "" // pgx writes an array of an enum it does not know from []string
	}
	if typ, ok := builtin[c.Base]; ok {
		return typ, false, ""
	}
	if c.TypeSchema != "pg_catalog" && c.Category != "A" {
		return plain("string"), false, "" // unknown to pgx: read and written in text form
	}
	return goType{}, false, fmt.Sprintf("kinship-gen knows no Go type for %s; pass -type %s=<Go type>", c.Format, c.Base)
}

// parseType reads a -type value's Go type: "string", "[]int64", "time.Duration",
// "github.com/shopspring/decimal.Decimal" (an import path, a dot, the type's name).
func parseType(spec string) (goType, error) {
	elem, isSlice := strings.CutPrefix(spec, "[]")
	if elem == "" || strings.ContainsAny(elem, " *[]") {
		return goType{}, fmt.Errorf("the Go type %q: write a type name, []name, or import/path.Name", spec)
	}
	typ := goType{name: elem}
	if i := strings.LastIndex(elem, "."); i >= 0 {
		path, name := elem[:i], elem[i+1:]
		if path == "" || name == "" {
			return goType{}, fmt.Errorf("the Go type %q: write import/path.Name", spec)
		}
		pkg := path[strings.LastIndex(path, "/")+1:]
		typ = goType{name: pkg + "." + name, imports: []string{path}}
	}
	if isSlice {
		typ.name = "[]" + typ.name
		typ.decl, typ.valid = declSlice, true
	}
	return typ, nil
}
