package catalog

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

type scanner struct{}

func TestClassify(t *testing.T) {
	cases := []struct {
		p     any
		class Class
		null  Null
	}{
		{new(int64), Int64, NotNull},
		{new(int), Int64, NotNull},
		{new(*int64), Int64, Nullable},
		{new(int32), Int32, NotNull},
		{new(string), String, NotNull},
		{new(*string), String, Nullable},
		{new(time.Time), Time, NotNull},
		{new([]byte), Bytes, NilOK},
		{new(json.RawMessage), JSON, NilOK},
		{new([]string), StringArray, NilOK},
		{new([16]byte), UUID, NotNull},
		{new(pgtype.Text), Text, Nullable},
		{new(pgtype.Numeric), Numeric, Nullable},
		{new(sql.Null[int64]), Int64, Nullable},
		{new(sql.NullString), String, Nullable},
		{new(scanner), Unknown, Maybe},
	}
	for _, c := range cases {
		if g := Classify(c.p, "x"); g.Class != c.class || g.Null != c.null {
			t.Errorf("Classify(%T) = %v, %v; want %v, %v", c.p, g.Class, g.Null, c.class, c.null)
		}
	}
}

func TestFit(t *testing.T) {
	text := dbType{Format: "text", Base: "text", Category: "S"}
	cases := []struct {
		c    Class
		t    dbType
		want fit
	}{
		{Int32, text, misfit},
		{Int32, dbType{Base: "int8", Category: "N"}, narrow},
		{Int64, dbType{Base: "int4", Category: "N"}, fits},
		{Int64, dbType{Base: "numeric", Category: "N"}, misfit},
		{Float64, dbType{Base: "numeric", Category: "N"}, lossy},
		{String, dbType{Base: "uuid", Category: "U"}, fits},
		{String, dbType{Base: "my_enum", Category: "E"}, fits},
		{Time, dbType{Base: "date", Category: "D"}, fits},
		{Time, text, misfit},
		{StringArray, dbType{Base: "_text", Category: "A", Elem: "text", ElemCategory: "S"}, fits},
		{Int64Array, dbType{Base: "_text", Category: "A", Elem: "text", ElemCategory: "S"}, misfit},
		{Unknown, text, fits},
	}
	for _, c := range cases {
		if got, _ := fitOf(c.c, c.t); got != c.want {
			t.Errorf("fitOf(%v, %s) = %v; want %v", c.c, c.t.Base, got, c.want)
		}
	}
}
