package gen

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Querier is what the generator reads the catalog with: a pgx connection or pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tablesQuery reads every ordinary and partitioned table of the schemas in $1 (partitions are
// left out: a Repo names the parent), with its columns, constraints, unique indexes and whether a
// BEFORE row trigger may change what is written, in one round trip.
const tablesQuery = `SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text,
	coalesce(obj_description(c.oid, 'pg_class'), ''),
	coalesce((SELECT json_agg(json_build_object(
			'name', a.attname, 'num', a.attnum, 'format', format_type(a.atttypid, a.atttypmod),
			'type', t.typname, 'typeSchema', tn.nspname, 'typeKind', t.typtype, 'typeOid', t.oid::int8,
			'base', bt.typname, 'baseKind', bt.typtype, 'baseOid', bt.oid::int8, 'category', bt.typcategory,
			'elem', coalesce(et.typname::text, ''), 'elemKind', coalesce(et.typtype::text, ''), 'elemOid', coalesce(et.oid::int8, 0),
			'notNull', a.attnotnull OR (t.typtype = 'd' AND t.typnotnull),
			'hasDefault', a.atthasdef, 'identity', a.attidentity <> '', 'generated', a.attgenerated <> '',
			'default', coalesce((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum), ''),
			'comment', coalesce(col_description(c.oid, a.attnum), ''))
			ORDER BY a.attnum)
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		JOIN pg_namespace tn ON tn.oid = t.typnamespace
		JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
		LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
	coalesce((SELECT json_agg(json_build_object(
			'name', con.conname, 'type', con.contype,
			'cols', (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
			'refTable', con.confrelid::int8, 'onDelete', con.confdeltype,
			'refCols', (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n))
			ORDER BY con.conname)
		FROM pg_constraint con
		WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u', 'f')), '[]'),
	coalesce((SELECT json_agg(json_build_object(
			'name', ic.relname,
			'cols', (SELECT array_agg(coalesce(a.attname::text, '') ORDER BY k.i) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, i)
				LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
				WHERE k.i <= i.indnkeyatts))
			ORDER BY ic.relname)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL), '[]'),
	EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgtype & 3 = 3 AND tg.tgtype & 20 <> 0)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY array_position($1, n.nspname::text), c.relname`

// enumsQuery reads the labels of the enums whose oids are in $1, in their sort order.
const enumsQuery = `SELECT t.oid::int8, n.nspname::text, t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.oid = ANY($1)
GROUP BY t.oid, n.nspname, t.typname
ORDER BY n.nspname, t.typname`

// dbTable is what the catalog says of one table.
type dbTable struct {
	oid         int64
	schema      string
	name        string
	partitioned bool
	comment     string
	columns     []dbColumn
	cons        []dbConstraint
	uniques     []dbIndex
	trigger     bool // a BEFORE INSERT or UPDATE row trigger: it may change any column
}

type dbColumn struct {
	Name       string `json:"name"`
	Num        int    `json:"num"`
	Format     string `json:"format"`     // format_type: "character varying(20)", "my_domain"
	Type       string `json:"type"`       // the column's type: a domain's own name
	TypeSchema string `json:"typeSchema"` // its schema
	TypeKind   string `json:"typeKind"`   // typtype: b base, d domain, e enum, c composite, r range, m multirange
	TypeOid    int64  `json:"typeOid"`
	Base       string `json:"base"` // the type under a domain: "varchar", "int8", "_text"
	BaseKind   string `json:"baseKind"`
	BaseOid    int64  `json:"baseOid"`
	Category   string `json:"category"` // typcategory of the base: "S", "N", "A", "E"…
	Elem       string `json:"elem"`     // an array's element type
	ElemKind   string `json:"elemKind"`
	ElemOid    int64  `json:"elemOid"`
	NotNull    bool   `json:"notNull"` // NOT NULL, or a domain that is
	HasDefault bool   `json:"hasDefault"`
	Identity   bool   `json:"identity"`
	Generated  bool   `json:"generated"` // GENERATED ALWAYS AS (…) STORED
	Default    string `json:"default"`
	Comment    string `json:"comment"`
}

type dbConstraint struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // p, u, f
	Cols     []string `json:"cols"`
	RefTable int64    `json:"refTable"`
	RefCols  []string `json:"refCols"`
	OnDelete string   `json:"onDelete"` // a no action, r restrict, c cascade, n set null, d set default
}

type dbIndex struct {
	Name string   `json:"name"`
	Cols []string `json:"cols"` // "" for an expression
}

type dbEnum struct {
	oid    int64
	schema string
	name   string
	labels []string
}

// readCatalog reads the tables of schemas and the enums their columns use: two queries.
func readCatalog(ctx context.Context, q Querier, schemas []string) ([]*dbTable, map[int64]*dbEnum, error) {
	rows, err := q.Query(ctx, tablesQuery, schemas)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the catalog: %w", err)
	}
	var tables []*dbTable
	for rows.Next() {
		t := &dbTable{}
		var kind string
		if err := rows.Scan(&t.oid, &t.schema, &t.name, &kind, &t.comment, &t.columns, &t.cons, &t.uniques, &t.trigger); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("reading the catalog: %w", err)
		}
		t.partitioned = kind == "p"
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the catalog: %w", err)
	}
	var oids []int64
	for _, t := range tables {
		for _, c := range t.columns {
			if c.BaseKind == "e" {
				oids = append(oids, c.BaseOid)
			}
			if c.ElemKind == "e" {
				oids = append(oids, c.ElemOid)
			}
		}
	}
	enums := map[int64]*dbEnum{}
	if len(oids) == 0 {
		return tables, enums, nil
	}
	rows, err = q.Query(ctx, enumsQuery, oids)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the enums: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := &dbEnum{}
		if err := rows.Scan(&e.oid, &e.schema, &e.name, &e.labels); err != nil {
			return nil, nil, fmt.Errorf("reading the enums: %w", err)
		}
		enums[e.oid] = e
	}
	return tables, enums, rows.Err()
}

func (t *dbTable) column(name string) *dbColumn {
	for i := range t.columns {
		if t.columns[i].Name == name {
			return &t.columns[i]
		}
	}
	return nil
}

// unique reports whether a primary key, unique constraint or unique index covers exactly cols.
func (t *dbTable) unique(cols ...string) bool {
	for _, c := range t.cons {
		if (c.Type == "p" || c.Type == "u") && sameSet(c.Cols, cols) {
			return true
		}
	}
	for _, ix := range t.uniques {
		if sameSet(ix.Cols, cols) {
			return true
		}
	}
	return false
}

func (t *dbTable) primaryKey() []string {
	for _, c := range t.cons {
		if c.Type == "p" {
			return c.Cols
		}
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}
