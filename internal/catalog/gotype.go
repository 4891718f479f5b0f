package catalog

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Class is what kind of value a Go type holds, as far as the catalog check cares: which
// PostgreSQL types pgx can scan into it without failing or losing digits.
type Class uint8

const (
	Unknown     Class = iota // a type kinship does not know (a user's pgx Scanner, a named type): not checked
	Bool                     // bool
	Int16                    // int16
	Int32                    // int32
	Int64                    // int64, int
	Float32                  // float32
	Float64                  // float64
	String                   // string
	Bytes                    // []byte
	Time                     // time.Time, pgtype.Timestamptz, pgtype.Timestamp, pgtype.Date
	JSON                     // json.RawMessage
	StringArray              // []string
	Int32Array               // []int32
	Int64Array               // []int64
	UUID                     // [16]byte, pgtype.UUID
	Numeric                  // pgtype.Numeric
	Interval                 // pgtype.Interval
	Text                     // pgtype.Text: anything with a text form
)

// Null says whether a Go type holds SQL NULL.
type Null uint8

const (
	NotNull  Null = iota // a NULL fails to scan (string, int64, time.Time)
	Nullable             // declared to hold NULL: a pointer, a pgtype type, sql.Null
	NilOK                // a slice: NULL scans as nil, though the type does not say "nullable"
	Maybe                // unknown type: it may or may not take NULL
)

// GoType is a column's Go type as the check sees it.
type GoType struct {
	Name  string // as Go prints it: "*int64", "pgtype.Text"
	Class Class
	Null  Null
}

// Classify returns the GoType of the field p points to (the *V a column's accessor returns),
// named name. It is a type switch: no reflection.
func Classify(p any, name string) GoType {
	g := GoType{Name: name, Class: Unknown, Null: Maybe}
	switch p.(type) {
	// Plain values.
	case *bool:
		g.Class, g.Null = Bool, NotNull
	case *int16:
		g.Class, g.Null = Int16, NotNull
	case *int32:
		g.Class, g.Null = Int32, NotNull
	case *int64, *int:
		g.Class, g.Null = Int64, NotNull
	case *float32:
		g.Class, g.Null = Float32, NotNull
	case *float64:
		g.Class, g.Null = Float64, NotNull
	case *string:
		g.Class, g.Null = String, NotNull
	case *time.Time:
		g.Class, g.Null = Time, NotNull
	case *[16]byte:
		g.Class, g.Null = UUID, NotNull
	// Slices: NULL scans as nil.
	case *[]byte:
		g.Class, g.Null = Bytes, NilOK
	case *json.RawMessage:
		g.Class, g.Null = JSON, NilOK
	case *[]string:
		g.Class, g.Null = StringArray, NilOK
	case *[]int32:
		g.Class, g.Null = Int32Array, NilOK
	case *[]int64:
		g.Class, g.Null = Int64Array, NilOK
	// Pointers: nullable (repo.Nullable).
	case **bool:
		g.Class, g.Null = Bool, Nullable
	case **int16:
		g.Class, g.Null = Int16, Nullable
	case **int32:
		g.Class, g.Null = Int32, Nullable
	case **int64, **int:
		g.Class, g.Null = Int64, Nullable
	case **float32:
		g.Class, g.Null = Float32, Nullable
	case **float64:
		g.Class, g.Null = Float64, Nullable
	case **string:
		g.Class, g.Null = String, Nullable
	case **time.Time:
		g.Class, g.Null = Time, Nullable
	case **[16]byte:
		g.Class, g.Null = UUID, Nullable
	// pgx's own types, each with Valid.
	case *pgtype.Bool:
		g.Class, g.Null = Bool, Nullable
	case *pgtype.Int2:
		g.Class, g.Null = Int16, Nullable
	case *pgtype.Int4:
		g.Class, g.Null = Int32, Nullable
	case *pgtype.Int8:
		g.Class, g.Null = Int64, Nullable
	case *pgtype.Float4:
		g.Class, g.Null = Float32, Nullable
	case *pgtype.Float8:
		g.Class, g.Null = Float64, Nullable
	case *pgtype.Text:
		g.Class, g.Null = Text, Nullable
	case *pgtype.Timestamptz, *pgtype.Timestamp, *pgtype.Date:
		g.Class, g.Null = Time, Nullable
	case *pgtype.UUID:
		g.Class, g.Null = UUID, Nullable
	case *pgtype.Numeric:
		g.Class, g.Null = Numeric, Nullable
	case *pgtype.Interval:
		g.Class, g.Null = Interval, Nullable
	// database/sql's nullable types.
	case *sql.NullBool, *sql.Null[bool]:
		g.Class, g.Null = Bool, Nullable
	case *sql.NullInt16, *sql.Null[int16]:
		g.Class, g.Null = Int16, Nullable
	case *sql.NullInt32, *sql.Null[int32]:
		g.Class, g.Null = Int32, Nullable
	case *sql.NullInt64, *sql.Null[int64], *sql.Null[int]:
		g.Class, g.Null = Int64, Nullable
	case *sql.NullFloat64, *sql.Null[float64]:
		g.Class, g.Null = Float64, Nullable
	case *sql.NullString, *sql.Null[string]:
		g.Class, g.Null = String, Nullable
	case *sql.NullTime, *sql.Null[time.Time]:
		g.Class, g.Null = Time, Nullable
	}
	return g
}

// sqlType is the PostgreSQL type that holds a class best, for a suggested ADD COLUMN.
func (c Class) sqlType() string {
	switch c {
	case Bool:
		return "boolean"
	case Int16:
		return "smallint"
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	case Float32:
		return "real"
	case Float64:
		return "double precision"
	case String, Text:
		return "text"
	case Bytes:
		return "bytea"
	case Time:
		return "timestamptz"
	case JSON:
		return "jsonb"
	case StringArray:
		return "text[]"
	case Int32Array:
		return "integer[]"
	case Int64Array:
		return "bigint[]"
	case UUID:
		return "uuid"
	case Numeric:
		return "numeric"
	case Interval:
		return "interval"
	}
	return ""
}

// dbType is what the catalog says of a column's type, its domain resolved to the base type.
type dbType struct {
	Format       string // format_type: "character varying(20)", "bigint", "my_domain"
	Base         string // typname of the base type: "varchar", "int8", "_text"
	Category     string // typcategory of the base type: "S", "N", "A", "E", …
	Elem         string // for an array, the element's typname
	ElemCategory string
}

// fit says how well a Go class holds a database type.
type fit uint8

const (
	fits   fit = iota
	lossy      // scans, but may lose digits or range: a note
	narrow     // scans small values, fails on large ones: an error
	misfit     // fails to scan
)

// fitOf tells how well class c holds t, and, if not well, why (for the message).
func fitOf(c Class, t dbType) (fit, string) {
	isInt := func(s string) bool { return s == "int2" || s == "int4" || s == "int8" }
	switch c {
	case Unknown, Text:
		return fits, ""
	case Bool:
		if t.Base == "bool" {
			return fits, ""
		}
	case Int16, Int32, Int64:
		width := map[string]int{"int2": 16, "int4": 32, "int8": 64}[t.Base]
		have := map[Class]int{Int16: 16, Int32: 32, Int64: 64}[c]
		switch {
		case width == 0 && t.Base == "numeric":
			return misfit, "a numeric with a fraction fails to scan into an integer"
		case width == 0:
		case width <= have:
			return fits, ""
		default:
			return narrow, "a value beyond the Go type's range fails to scan"
		}
	case Float32:
		switch {
		case t.Base == "float4":
			return fits, ""
		case t.Category == "N":
			return lossy, "float32 keeps about 7 digits"
		}
	case Float64:
		switch {
		case t.Base == "float4" || t.Base == "float8" || t.Base == "int2" || t.Base == "int4":
			return fits, ""
		case t.Base == "numeric":
			return lossy, "float64 loses the digits of a numeric beyond about 15"
		case t.Base == "int8":
			return lossy, "float64 loses integers beyond 2^53"
		}
	case String:
		switch t.Category {
		case "S", "E", "N":
			return fits, ""
		}
		switch t.Base {
		case "uuid", "json", "jsonb", "timetz", "xml", "macaddr", "macaddr8", "tsquery":
			return fits, "" // pgx reads and writes them as text
		}
		if t.Category == "C" || t.Category == "U" && !builtinBinary[t.Base] {
			return fits, "" // a composite, or a type of an extension's: text, which pgx has no codec to refuse
		}
	case Bytes:
		if t.Base == "bytea" || t.Base == "json" || t.Base == "jsonb" || t.Category == "S" {
			return fits, ""
		}
	case Time:
		if t.Base == "date" || t.Base == "timestamp" || t.Base == "timestamptz" {
			return fits, ""
		}
	case JSON:
		if t.Base == "json" || t.Base == "jsonb" {
			return fits, ""
		}
	case StringArray:
		if t.Category == "A" && (t.ElemCategory == "S" || t.ElemCategory == "E" || t.Elem == "uuid") {
			return fits, ""
		}
	case Int32Array, Int64Array:
		if t.Category == "A" && isInt(t.Elem) {
			if c == Int32Array && t.Elem == "int8" {
				return narrow, "an element beyond int32's range fails to scan"
			}
			return fits, ""
		}
	case UUID:
		if t.Base == "uuid" {
			return fits, ""
		}
	case Numeric:
		if t.Base == "numeric" || isInt(t.Base) {
			return fits, ""
		}
	case Interval:
		if t.Base == "interval" {
			return fits, ""
		}
	}
	return misfit, ""
}

// goFor suggests the Go type for a database type.
func goFor(t dbType) string {
	switch t.Base {
	case "bool":
		return "bool"
	case "int2":
		return "int16"
	case "int4":
		return "int32"
	case "int8":
		return "int64"
	case "float4":
		return "float32"
	case "float8":
		return "float64"
	case "numeric":
		return "pgtype.Numeric (or string; float64 loses digits)"
	case "uuid":
		return "[16]byte, pgtype.UUID or string"
	case "date", "timestamp", "timestamptz":
		return "time.Time"
	case "bytea":
		return "[]byte"
	case "json", "jsonb":
		return "json.RawMessage"
	case "interval":
		return "pgtype.Interval"
	}
	switch {
	case t.Category == "S" || t.Category == "E":
		return "string"
	case t.Category == "A" && (t.ElemCategory == "S" || t.ElemCategory == "E"):
		return "[]string"
	case t.Category == "A" && t.Elem == "int8":
		return "[]int64"
	case t.Category == "A" && (t.Elem == "int4" || t.Elem == "int2"):
		return "[]int32"
	}
	return "a type pgx scans " + t.Format + " into"
}

// builtinBinary are the user-category types pgx has a binary codec for, which it will not scan
// into a string.
var builtinBinary = map[string]bool{"tsvector": true}
