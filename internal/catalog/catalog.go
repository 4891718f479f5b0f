// Package catalog compares what Go declares of tables (package repo) and relations (package
// uow's model) with what PostgreSQL's catalog says of them, in one query. Packages repo and uow
// front it with their Verify methods; the findings become repo.Mismatch values.
package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Table is what Go declares of one table.
type Table struct {
	Name    string // as declared, unqualified: looked up through search_path
	Columns []Column
}

// Column is what Go declares of one column.
type Column struct {
	Name      string
	Go        GoType
	Key       bool // part of the primary key (repo.Key, Serial, Generated)
	Generated bool // the database generates it (Serial, Generated)
	Version   bool // the optimistic-concurrency version
	Default   bool // declared Default: the database gives it a value when a row leaves it out
	ReadOnly  bool // declared ReadOnly: never written
}

// Describer is implemented by what package repo hands package uow for each table (the Untyped
// view of a Repo): it describes the table for the check.
type Describer interface {
	CatalogTable() Table
}

// Kind is a relation's kind.
type Kind uint8

const (
	HasMany Kind = iota
	HasOne
	BelongsTo
	ManyToMany
)

// Relation is what Go declares of one relation, in terms of tables and columns.
type Relation struct {
	Label string
	Kind  Kind
	// Parent is the table whose key the relation refers to, ParentKey that column; Child is
	// the table holding the foreign key FK. For ManyToMany, Parent and ParentKey are the
	// owner's, Child and ChildKey the collection's, and Link, LinkFrom and LinkTo the link table
	// and its columns referring to ParentKey and ChildKey.
	Parent, ParentKey string
	Child, FK         string
	ChildKey          string
	// ParentKeyIsPrimary reports whether ParentKey is its table's whole primary key.
	ParentKeyIsPrimary bool
	// SetsNull reports whether a row that leaves its owner has FK set NULL (a HasMany or HasOne
	// without DeleteOrphan).
	SetsNull               bool
	Link, LinkFrom, LinkTo string
	ChildKeyIsPrimary      bool
	// OnDelete is what the relation's cascades expect of its FOREIGN KEY constraint's ON DELETE,
	// if anything: Restrict (rel.Restrict) or Cascade (rel.PassiveDeletes).
	OnDelete OnDelete
}

// OnDelete is an expectation of a foreign key constraint's ON DELETE action.
type OnDelete uint8

const (
	AnyAction OnDelete = iota
	Restrict           // RESTRICT or NO ACTION: the database refuses
	Cascade            // CASCADE: the database deletes the rows
)

// Querier is what the check runs its one query on: a repo.DB.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Finding is one difference between Go and the database.
type Finding struct {
	Note     bool // harmless, or only a risk: reported, but not an error
	Table    string
	Column   string
	Go       string
	Database string
	Fix      string
}

// query reads, for each table name in $1 (resolved through search_path, as an unqualified name
// in a statement is), its schema, columns, constraints, indexes and whether a BEFORE INSERT
// trigger may set its columns. A name that resolves to nothing gives a row with found false.
const query = `WITH req AS (
	SELECT r.name, r.rel, r.ord, to_regclass(r.quoted) AS oid
	FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(name, quoted, rel, ord)
)
SELECT req.name,
	c.oid IS NOT NULL,
	coalesce(n.nspname::text, ''),
	coalesce(c.relkind::text, ''),
	coalesce(c.oid::int8, 0),
	array_to_string(current_schemas(false), ', '),
	coalesce((SELECT array_agg(DISTINCT n2.nspname::text) FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
		WHERE c2.relname = req.rel AND c2.relkind IN ('r', 'p', 'v', 'm', 'f')), '{}'),
	coalesce((SELECT json_agg(json_build_object(
			'name', a.attname, 'format', format_type(a.atttypid, a.atttypmod), 'base', bt.typname, 'category', bt.typcategory,
			'elem', coalesce(et.typname::text, ''), 'elemCategory', coalesce(et.typcategory::text, ''),
			'notNull', a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), 'hasDefault', a.atthasdef, 'identity', a.attidentity <> '', 'generated', a.attgenerated <> '',
			'default', coalesce((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum), ''))
			ORDER BY a.attnum)
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
		LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
	coalesce((SELECT json_agg(json_build_object(
			'name', con.conname, 'type', con.contype,
			'cols', (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
			'refTable', con.confrelid::int8, 'refName', coalesce(rn.nspname || '.' || rc.relname, ''), 'onDelete', con.confdeltype,
			'refCols', (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n))
			ORDER BY con.conname)
		FROM pg_constraint con
		LEFT JOIN pg_class rc ON rc.oid = con.confrelid
		LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
		WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u', 'f')), '[]'),
	coalesce((SELECT json_agg(json_build_object(
			'name', ic.relname, 'unique', i.indisunique, 'partial', i.indpred IS NOT NULL,
			'cols', (SELECT array_agg(coalesce(a.attname::text, '') ORDER BY k.i) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, i)
				LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
				WHERE k.i <= i.indnkeyatts))
			ORDER BY ic.relname)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE i.indrelid = c.oid), '[]'),
	EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgtype & 6 = 6)
FROM req
LEFT JOIN pg_class c ON c.oid = req.oid
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY req.ord`

// dbTable is what the catalog says of one table.
type dbTable struct {
	name       string
	found      bool
	schema     string
	relkind    string
	oid        int64
	searchPath string
	elsewhere  []string // schemas holding a relation of that name
	columns    []dbColumn
	cons       []dbConstraint
	indexes    []dbIndex
	trigger    bool // a BEFORE INSERT row trigger
	reported   bool // a missing link table already reported
}

type dbColumn struct {
	Name         string `json:"name"`
	Format       string `json:"format"`
	Base         string `json:"base"`
	Category     string `json:"category"`
	Elem         string `json:"elem"`
	ElemCategory string `json:"elemCategory"`
	NotNull      bool   `json:"notNull"`
	HasDefault   bool   `json:"hasDefault"`
	Identity     bool   `json:"identity"`
	Generated    bool   `json:"generated"`
	Default      string `json:"default"` // the default's expression, as pg_get_expr prints it
}

// zeroDefault reports whether the column's default is one Go's zero value equals: see ZeroDefault.
func (c *dbColumn) zeroDefault() bool { return ZeroDefault(c.Default) }

// ZeroDefault reports whether a column default's expression (as pg_get_expr prints it) is a
// constant that Go's zero value of the column's type equals (0, false, the empty string, NULL):
// writing the zero value stores what the default would.
func ZeroDefault(expr string) bool {
	d := expr
	if i := strings.Index(d, "::"); i > 0 {
		d = d[:i] // '':: text, 0::bigint
	}
	switch strings.Trim(d, "()") {
	case "0", "0.0", "false", "''", "NULL":
		return true
	}
	return false
}

func (c *dbColumn) typ() dbType {
	return dbType{Format: c.Format, Base: c.Base, Category: c.Category, Elem: c.Elem, ElemCategory: c.ElemCategory}
}

type dbConstraint struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // p, u, f
	Cols     []string `json:"cols"`
	RefTable int64    `json:"refTable"`
	RefName  string   `json:"refName"`
	RefCols  []string `json:"refCols"`
	OnDelete string   `json:"onDelete"` // confdeltype: a no action, r restrict, c cascade, n set null, d set default
}

type dbIndex struct {
	Name    string   `json:"name"`
	Unique  bool     `json:"unique"`
	Partial bool     `json:"partial"`
	Cols    []string `json:"cols"` // key columns; "" for an expression
}

// read runs the one query for names.
func read(ctx context.Context, q Querier, names []string) (map[string]*dbTable, error) {
	quoted, rels := make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		quoted[i], rels[i] = sqltext.QuoteTable(n), sqltext.Relname(n)
	}
	rows, err := q.Query(ctx, query, names, quoted, rels)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]*dbTable, len(names))
	for rows.Next() {
		t := &dbTable{}
		if err := rows.Scan(&t.name, &t.found, &t.schema, &t.relkind, &t.oid, &t.searchPath, &t.elsewhere,
			&t.columns, &t.cons, &t.indexes, &t.trigger); err != nil {
			return nil, err
		}
		out[t.name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != len(names) {
		return nil, fmt.Errorf("catalog: read %d tables of %d", len(out), len(names))
	}
	return out, nil
}

func (t *dbTable) column(name string) *dbColumn {
	for i := range t.columns {
		if t.columns[i].Name == name {
			return &t.columns[i]
		}
	}
	return nil
}

func (t *dbTable) qualified() string { return t.schema + "." + sqltext.Relname(t.name) }
