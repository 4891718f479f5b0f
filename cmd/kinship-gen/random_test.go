package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/stretchr/testify/require"
)

// randomSchemas is how many random schemas TestRandomSchemas generates packages for
// (KINSHIP_RANDOM_SCHEMAS=n for more).
func randomSchemas() uint64 {
	if n, err := strconv.ParseUint(os.Getenv("KINSHIP_RANDOM_SCHEMAS"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 16
}

// TestRandomSchemas is the generator's adversary: schemas drawn at random from the shapes that
// broke generators before — names that collide once made Go (reserved words, mixed case, a table
// and an enum of one name, columns named as the relations would be), keys of every kind,
// foreign keys to keys and to unique columns, of two integer widths, self-references, several
// foreign keys between two tables, cycles (NOT NULL ones deferred), composite foreign keys, link
// tables — each written as a package with -test, all built in one module and tested against the
// database: every package must compile, pass vet and Verify, and load every relation with
// every strategy as the lazy load does, over rows drawn at random too.
func TestRandomSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module: not with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	dir := module(t)
	schemas := map[string]string{}
	for seed := range randomSchemas() {
		name := fmt.Sprintf("s%03d", seed)
		sql := randomSchema(rand.New(rand.NewPCG(seed, 7)), name)
		schemas[name] = sql
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, "seed %d:\n%s", seed, sql)
		var out, errs bytes.Buffer
		err = run(ctx, []string{"-db", url, "-schema", name, "-out", filepath.Join(dir, name), "-test", "-version", "version"}, &out, &errs)
		require.NoError(t, err, "seed %d: %s\n%s", seed, errs.String(), sql)
	}
	for _, step := range [][]string{{"test", "-count=1", "-v", "./..."}} {
		cmd := exec.Command(goTool, step...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "GOFLAGS="+os.Getenv("GOFLAGS")+" -mod=mod", "GOWORK=off")
		res, err := cmd.CombinedOutput()
		if err != nil {
			var failed []string
			for name, sql := range schemas {
				if strings.Contains(string(res), "/"+name) {
					failed = append(failed, "-- "+name+"\n"+sql)
				}
			}
			t.Fatalf("go %s: %v\n%s\nthe schemas:\n%s", strings.Join(step, " "), err, res, strings.Join(failed, "\n"))
		}
		if runs := strings.Count(string(res), "--- PASS: TestModel "); runs != int(randomSchemas()) {
			t.Fatalf("%d of %d generated tests ran:\n%s", runs, randomSchemas(), res)
		}
	}
}

// module makes an empty module that requires this one, for generated packages to build in.
func module(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.25.0\n\n"+
		"require github.com/kinship-go/kinship v0.0.0\n\nreplace github.com/kinship-go/kinship => "+root+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	return dir
}

// Names that make trouble once they are Go names.
var (
	tableNames  = []string{"order", "user", "Group", "line_items", "select", "status", "models", "type", "staff", "categories", "boxes", "x_test", "people", "Customer", "customers", "stats_linux", "2fa"}
	columnNames = []string{"id", "type", "select", "Order", "customer_id", "status", "name", "parent", "ID", "created_at", "user", "tags", "version", "data", "Key", "group_id", "model"}
)

type rcol struct {
	name, typ            string
	key, notNull, unique bool
	domain               bool   // of a NOT NULL domain: not declared NOT NULL itself
	value                string // a literal for the rows ("" for the default)
	ref                  *rcol  // the column a foreign key refers to
}

type rtable struct {
	name string
	cols []rcol
	key  []string
}

// columnTypes are a column's types, each with a literal for its rows and a DEFAULT.
var columnTypes = []struct{ typ, value, def string }{
	{"int2", "7", "0"}, {"int4", "7", "1"}, {"int8", "7", "2"}, {"text", "'x'", "'d'"}, {"varchar(20)", "'y'", "''"},
	{"bool", "true", "true"}, {"numeric(8,2)", "1.50", "9.99"}, {"float8", "2.5", "0"}, {"date", "'2026-01-02'", "current_date"},
	{"timestamptz", "'2026-01-02T03:04:05Z'", "now()"}, {"jsonb", `'{"a": 1}'`, `'{}'`}, {"bytea", `'\x01'`, `'\x00'`},
	{"text[]", "'{a,b}'", "'{}'"}, {"int4[]", "'{1,2}'", "'{}'"}, {"uuid", "'00000000-0000-0000-0000-000000000009'", "gen_random_uuid()"},
	{"interval", "'1 day'", "'1 hour'"}, {"tsvector", "'a b'", "'x'"}, {"inet", "'10.0.0.1'", "'127.0.0.1'"}, {"%s.mood", "'b'", "'a'"}, {"%s.posint", "3", "1"},
}

// randomSchema draws a schema named name: its types, tables, foreign keys and rows.
func randomSchema(r *rand.Rand, name string) string {
	var b strings.Builder
	q := func(s string) string { return `"` + s + `"` }
	fmt.Fprintf(&b, "CREATE SCHEMA %s;\nCREATE TYPE %s.mood AS ENUM ('a', 'b', 'a-b');\nCREATE DOMAIN %s.posint AS int4 NOT NULL CHECK (VALUE > 0);\n", name, name, name)
	n := 2 + r.IntN(5)
	used := map[string]bool{}
	var tables []*rtable
	for len(tables) < n {
		tn := tableNames[r.IntN(len(tableNames))]
		if used[tn] {
			continue
		}
		used[tn] = true
		t := &rtable{name: tn}
		taken := map[string]bool{}
		col := func(c rcol) {
			if !taken[c.name] {
				taken[c.name] = true
				t.cols = append(t.cols, c)
			}
		}
		switch r.IntN(5) {
		case 0:
			col(rcol{name: "id", typ: "bigserial", key: true, notNull: true, value: "%d"})
		case 1:
			col(rcol{name: tn + "_id", typ: "int4 GENERATED BY DEFAULT AS IDENTITY", key: true, notNull: true, value: "%d"})
		case 2:
			col(rcol{name: "uid", typ: "uuid DEFAULT gen_random_uuid()", key: true, notNull: true, value: "'00000000-0000-0000-0000-00000000000%d'"})
		case 3:
			col(rcol{name: "code", typ: "text", key: true, notNull: true, value: "'k%d'"})
		case 4:
			col(rcol{name: "a", typ: "int8", key: true, notNull: true, value: "%d"})
			col(rcol{name: "b", typ: "text", key: true, notNull: true, value: "'k%d'"})
		}
		for _, c := range t.cols {
			t.key = append(t.key, c.name)
		}
		for range r.IntN(5) {
			ct := columnTypes[r.IntN(len(columnTypes))]
			c := rcol{name: columnNames[r.IntN(len(columnNames))], typ: strings.ReplaceAll(ct.typ, "%s", name), notNull: r.IntN(2) == 0, value: ct.value}
			if r.IntN(3) == 0 {
				c.typ += " DEFAULT " + ct.def
			}
			if strings.HasPrefix(c.typ, name+".posint") {
				c.notNull, c.domain = true, true // NOT NULL by its domain only
			}
			col(c)
		}
		if r.IntN(4) == 0 {
			col(rcol{name: "label", typ: "text", notNull: true, unique: true, value: "'label%d'"})
		}
		if r.IntN(5) == 0 {
			col(rcol{name: "shout", typ: "text GENERATED ALWAYS AS (upper(\"" + t.key[len(t.key)-1] + "\"::text)) STORED"})
		}
		tables = append(tables, t)
	}
	// An enum whose Go name is a struct's (box, Order), no column of its own.
	if e := []string{"Status", "box", "Order", "user", "Type", "person"}[r.IntN(6)]; !used[e] {
		fmt.Fprintf(&b, "CREATE TYPE %s.%s AS ENUM ('x', 'X');\n", name, q(e))
	}
	table := func(t *rtable) string { return name + "." + q(t.name) }
	for _, t := range tables {
		var defs []string
		for _, c := range t.cols {
			d := q(c.name) + " " + c.typ
			if c.notNull && !c.key && !c.domain {
				d += " NOT NULL"
			}
			if c.unique {
				d += " UNIQUE"
			}
			defs = append(defs, d)
		}
		var keys []string
		for _, k := range t.key {
			keys = append(keys, q(k))
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
		fmt.Fprintf(&b, "CREATE TABLE %s (%s);\n", table(t), strings.Join(defs, ", "))
	}
	// Foreign keys, to any table, itself included: to its one-column key, or to its unique label.
	for i, t := range tables {
		for f := range r.IntN(3) {
			p := tables[r.IntN(len(tables))]
			var ref *rcol
			switch {
			case len(p.key) == 1:
				ref = &p.cols[0]
			case r.IntN(2) == 0:
				// Over two columns, to a composite key: no relation, a note.
				fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN fk%d_a int8, ADD COLUMN fk%d_b text, ADD FOREIGN KEY (fk%d_a, fk%d_b) REFERENCES %s;\n", table(t), f, f, f, f, table(p))
				continue
			default:
				continue
			}
			for j := range p.cols {
				if p.cols[j].unique && p.cols[j].notNull && r.IntN(2) == 0 { // a key of every row
					ref = &p.cols[j]
				}
			}
			typ := strings.Fields(ref.typ)[0]
			switch typ {
			case "bigserial":
				typ = []string{"int8", "int4"}[r.IntN(2)]
			case "int4":
				typ = []string{"int8", "int4"}[r.IntN(2)]
			}
			fk := []string{fmt.Sprintf("%s_ref%d", strings.ToLower(p.name), f), p.name + "_id", "parent", "Owner"}[r.IntN(4)]
			notNull := r.IntN(3) == 0 && p != t
			onDelete := []string{"NO ACTION", "RESTRICT", "CASCADE", "SET NULL"}[r.IntN(4)]
			if notNull && onDelete == "SET NULL" {
				onDelete = "CASCADE"
			}
			null := ""
			if notNull {
				null = " NOT NULL"
			}
			deferred := ""
			if i <= indexOf(tables, p) {
				deferred = " DEFERRABLE INITIALLY DEFERRED" // its rows may be inserted before the row they refer to
			}
			if hasCol(t, fk) {
				continue
			}
			unique := r.IntN(4) == 0 // a HasOne
			if unique {
				null += " UNIQUE"
			}
			t.cols = append(t.cols, rcol{name: fk, typ: typ, notNull: notNull, ref: ref, unique: unique})
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN %s %s%s REFERENCES %s (%s) ON DELETE %s%s;\n", table(t), q(fk), typ, null, table(p), q(ref.name), onDelete, deferred)
			if r.IntN(3) > 0 {
				fmt.Fprintf(&b, "CREATE INDEX ON %s (%s);\n", table(t), q(fk))
			}
		}
	}
	// A link table between two tables of one-column keys.
	linkRow := ""
	if a, c := tables[r.IntN(len(tables))], tables[r.IntN(len(tables))]; len(a.key) == 1 && len(c.key) == 1 && r.IntN(2) == 0 {
		ta, tc := strings.Fields(a.cols[0].typ)[0], strings.Fields(c.cols[0].typ)[0]
		if ta == "bigserial" {
			ta = "int8"
		}
		if tc == "bigserial" {
			tc = "int8"
		}
		// With a column of its own sometimes: one with a default keeps it a link, one a row
		// needs makes it a table.
		extra := []string{"", `, "since" timestamptz NOT NULL DEFAULT now()`, `, "role" text NOT NULL`}[r.IntN(3)]
		link := q(a.name + "_" + c.name)
		fmt.Fprintf(&b, "CREATE TABLE %s.%s (l int4, %s %s NOT NULL REFERENCES %s ON DELETE CASCADE, %s %s NOT NULL REFERENCES %s ON DELETE CASCADE%s, PRIMARY KEY (%s, %s));\nALTER TABLE %s.%s DROP COLUMN l;\n",
			name, link, q("from_id"), ta, table(a), q("to_id"), tc, table(c), extra, q("from_id"), q("to_id"), name, link)
		if extra == "" || strings.Contains(extra, "since") {
			linkRow = fmt.Sprintf("INSERT INTO %s.%s (from_id, to_id) VALUES (%s, %s);\n", name, link, value(a.cols[0], 0), value(c.cols[0], 1))
		}
	}
	// Rows: two per table, with every NOT NULL foreign key pointing at the first row of its table,
	// inserted in one transaction (the deferred keys are checked at COMMIT).
	b.WriteString("BEGIN;\nSET CONSTRAINTS ALL DEFERRED;\n")
	for _, t := range tables {
		for row := range 2 {
			var cols, vals []string
			for _, c := range t.cols {
				v := value(c, row)
				if v == "" {
					continue
				}
				cols, vals = append(cols, q(c.name)), append(vals, v)
			}
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES (%s);\n", table(t), strings.Join(cols, ", "), strings.Join(vals, ", "))
		}
	}
	b.WriteString(linkRow + "COMMIT;\n")
	return b.String()
}

func indexOf(ts []*rtable, t *rtable) int {
	for i, x := range ts {
		if x == t {
			return i
		}
	}
	return -1
}

func hasCol(t *rtable, name string) bool {
	for _, c := range t.cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// value is a literal for column c of row row (0 or 1), or "" to leave it to its default: a
// foreign key refers to the first row of its table (a unique one to the row of its own number),
// or (nullable, second row) is NULL.
func value(c rcol, row int) string {
	switch {
	case c.ref != nil && !c.notNull && row == 1:
		return "NULL"
	case c.ref != nil && c.unique:
		return value(*c.ref, row) // one row each
	case c.ref != nil:
		return value(*c.ref, 0)
	case c.value == "" || strings.Contains(c.typ, "GENERATED ALWAYS"):
		return ""
	case strings.Contains(c.value, "%d"):
		return fmt.Sprintf(c.value, row+1)
	case !c.notNull && row == 1:
		return "NULL"
	}
	return c.value
}
