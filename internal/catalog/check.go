package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kinship-go/kinship/internal/sqltext"
)

// Check reads the catalog of tables and of the link tables of rels in one query and returns
// every difference with what they declare, in the order of tables, then of rels.
func Check(ctx context.Context, q Querier, tables []Table, rels []Relation) ([]Finding, error) {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, t := range tables {
		add(t.Name)
	}
	for _, r := range rels {
		add(r.Link)
	}
	db, err := read(ctx, q, names)
	if err != nil {
		return nil, err
	}
	c := &checker{db: db, setsNull: map[[2]string]string{}, once: map[string]bool{}}
	for _, r := range rels {
		if r.SetsNull && r.Kind != ManyToMany {
			c.setsNull[[2]string{r.Child, r.FK}] = r.Label
		}
	}
	c.declared = map[string]*Table{}
	for i := range tables {
		c.declared[tables[i].Name] = &tables[i]
	}
	for i := range tables {
		c.table(&tables[i])
	}
	for _, r := range rels {
		c.relation(r)
	}
	return c.out, nil
}

type checker struct {
	db       map[string]*dbTable
	declared map[string]*Table
	setsNull map[[2]string]string // child table and column → the relation that sets it NULL
	once     map[string]bool      // checks made once for a relation and its inverse
	out      []Finding
}

func (c *checker) add(f Finding) { c.out = append(c.out, f) }

// found returns the table's catalog entry if the table exists (a missing one is reported once,
// by table or by the relation whose link table it is).
func (c *checker) found(name string) *dbTable {
	if t := c.db[name]; t != nil && t.found {
		return t
	}
	return nil
}

func (c *checker) missingTable(name, goSays, fix string) {
	t := c.db[name]
	db := fmt.Sprintf("no table %s in search_path (%s)", name, t.searchPath)
	if t.searchPath == "" {
		db = fmt.Sprintf("no table %s: search_path names no schema that exists", name)
	}
	if len(t.elsewhere) > 0 {
		db += fmt.Sprintf("; schema %s has one", strings.Join(t.elsewhere, ", "))
		fix = fmt.Sprintf("declare the table as %s.%s, or add schema %s to the search_path of the service's role (ALTER ROLE … SET search_path), or %s", t.elsewhere[0], sqltext.Relname(name), t.elsewhere[0], fix)
	}
	c.add(Finding{Table: name, Go: goSays, Database: db, Fix: fix})
}

func colNames(cols []Column, keep func(Column) bool) []string {
	var out []string
	for _, k := range cols {
		if keep(k) {
			out = append(out, k.Name)
		}
	}
	return out
}

func list(names []string) string { return "(" + strings.Join(names, ", ") + ")" }

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = sqltext.Quote(n)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

func (c *checker) table(t *Table) {
	db := c.found(t.Name)
	if db == nil {
		c.missingTable(t.Name, "repo.New("+fmt.Sprintf("%q", t.Name)+", …)",
			"create the table, or correct the name given to repo.New")
		return
	}
	qt := sqltext.QuoteTable(t.Name)
	view := db.relkind != "r" && db.relkind != "p"
	if view {
		c.add(Finding{Note: true, Table: t.Name, Go: "a table kinship writes to", Database: fmt.Sprintf("%s is a %s, not a table", db.qualified(), relkindName(db.relkind)),
			Fix: "writes fail unless the view is updatable; keys and indexes are not checked"})
	}
	for _, col := range t.Columns {
		c.column(t, db, col)
	}
	// Columns the table has and Go does not declare: an INSERT leaves them out.
	for _, dc := range db.columns {
		if slices.ContainsFunc(t.Columns, func(k Column) bool { return k.Name == dc.Name }) {
			continue
		}
		if dc.NotNull && !dc.HasDefault && !dc.Identity && !dc.Generated && !db.trigger {
			c.add(Finding{Note: true, Table: t.Name, Column: dc.Name, Go: "not declared",
				Database: dc.Format + " NOT NULL, no default",
				Fix:      fmt.Sprintf("an INSERT through kinship leaves it out and fails: declare the column in Go, or give it a default (ALTER TABLE %s ALTER COLUMN %s SET DEFAULT …)", qt, sqltext.Quote(dc.Name))})
		}
	}
	if !view {
		c.primaryKey(t, db)
	}
}

func relkindName(k string) string {
	switch k {
	case "v":
		return "view"
	case "m":
		return "materialized view"
	case "f":
		return "foreign table"
	case "S":
		return "sequence"
	case "i", "I":
		return "index"
	}
	return "relation of kind " + k
}

func (c *checker) column(t *Table, db *dbTable, col Column) {
	qt, qc := sqltext.QuoteTable(t.Name), sqltext.Quote(col.Name)
	dc := db.column(col.Name)
	if dc == nil {
		fix := "remove the column from repo.New, or correct its name"
		if s := col.Go.Class.sqlType(); s != "" {
			fix = fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s, or remove the column from repo.New", qt, qc, s)
		}
		c.add(Finding{Table: t.Name, Column: col.Name, Go: col.Go.Name, Database: "no such column in " + db.qualified(), Fix: fix})
		return
	}
	typ := dc.typ()
	// 3. the type.
	if f, why := fitOf(col.Go.Class, typ); f != fits {
		m := Finding{Note: f == lossy, Table: t.Name, Column: col.Name, Go: col.Go.Name, Database: dc.Format}
		if why != "" {
			why += ": "
		}
		m.Fix = why + "declare the field as " + goFor(typ)
		if s := col.Go.Class.sqlType(); s != "" && f != lossy {
			m.Fix += fmt.Sprintf(", or ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", qt, qc, s, qc, s)
		}
		c.add(m)
	}
	// 8. the version.
	if col.Version && typ.Base != "int2" && typ.Base != "int4" && typ.Base != "int8" {
		c.add(Finding{Table: t.Name, Column: col.Name, Go: "repo.Version " + col.Go.Name, Database: dc.Format,
			Fix: fmt.Sprintf("a version column must be an integer: ALTER TABLE %s ALTER COLUMN %s TYPE bigint", qt, qc)})
	}
	// 4. nullability.
	switch {
	case col.Go.Null == Nullable && dc.NotNull && !col.Key && !col.Default && !col.ReadOnly:
		if label, ok := c.setsNull[[2]string{t.Name, col.Name}]; ok {
			c.add(Finding{Table: t.Name, Column: col.Name, Go: col.Go.Name + " (nullable), the foreign key of " + label, Database: dc.Format + " NOT NULL",
				Fix: fmt.Sprintf("a row that leaves its owner in %s has its foreign key set NULL, which the database refuses: ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL, or declare the relation with rel.DeleteOrphan", label, qt, qc)})
		} else if strings.HasPrefix(col.Go.Name, "*") {
			c.add(Finding{Note: true, Table: t.Name, Column: col.Name, Go: col.Go.Name + " (nullable)", Database: dc.Format + " NOT NULL",
				Fix: "a NULL written from Go fails; declare the field not nullable (" + strings.TrimPrefix(col.Go.Name, "*") + ")"})
		}
	case col.Go.Null == NotNull && !dc.NotNull && !col.Key:
		c.add(Finding{Table: t.Name, Column: col.Name, Go: col.Go.Name + " (not nullable)", Database: dc.Format + " (nullable)",
			Fix: fmt.Sprintf("reading a NULL fails to scan: declare the column with repo.Nullable (a *%s field), or ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", col.Go.Name, qt, qc)})
	}
	// 9. columns the database owns.
	switch {
	case dc.Generated && !col.ReadOnly && !col.Generated:
		c.add(Finding{Table: t.Name, Column: col.Name, Go: "written by kinship", Database: dc.Format + " GENERATED ALWAYS AS (…) STORED",
			Fix: "every INSERT and UPDATE that writes it fails (SQLSTATE 428C9): declare the column with .ReadOnly()"})
	case col.Default && !dc.HasDefault && !dc.Identity && !db.trigger:
		c.add(Finding{Note: !dc.NotNull, Table: t.Name, Column: col.Name, Go: "Default() (the database gives it a value)", Database: dc.Format + ": no default, no BEFORE INSERT trigger",
			Fix: fmt.Sprintf("a row holding the zero value gets NULL: ALTER TABLE %s ALTER COLUMN %s SET DEFAULT …, or drop .Default()", qt, qc)})
	case dc.HasDefault && !dc.Generated && !dc.Identity && !dc.zeroDefault() && !col.Default && !col.ReadOnly && !col.Key && !col.Version:
		c.add(Finding{Note: true, Table: t.Name, Column: col.Name, Go: "written as Go holds it", Database: dc.Format + " DEFAULT " + dc.Default,
			Fix: "an INSERT writes Go's zero value over the default: declare the column with .Default() to leave it to the database"})
	}
	// 6. a generated key the database must generate.
	if col.Generated && !dc.HasDefault && !dc.Identity && !dc.Generated && !db.trigger {
		c.add(Finding{Table: t.Name, Column: col.Name, Go: "repo.Serial/Generated (the database assigns it)", Database: dc.Format + ": no default, no identity, no BEFORE INSERT trigger",
			Fix: fmt.Sprintf("an INSERT without it fails: ALTER TABLE %s ALTER COLUMN %s ADD GENERATED BY DEFAULT AS IDENTITY (or SET DEFAULT …), or declare it repo.Key and assign it", qt, qc)})
	}
}

// 5. the primary key.
func (c *checker) primaryKey(t *Table, db *dbTable) {
	key := colNames(t.Columns, func(k Column) bool { return k.Key })
	var pk []string
	for _, con := range db.cons {
		if con.Type == "p" {
			pk = con.Cols
		}
	}
	if sameSet(key, pk) {
		return
	}
	qt := sqltext.QuoteTable(t.Name)
	var have string
	if pk == nil {
		have = "no primary key"
	} else {
		have = "primary key " + list(pk)
	}
	if db.uniqueOver(key) {
		c.add(Finding{Note: true, Table: t.Name, Go: "primary key " + list(key), Database: have + "; a unique constraint over " + list(key),
			Fix: "a unique key serves as the identity; make it the primary key to be sure no NULL enters it"})
		return
	}
	fix := fmt.Sprintf("declare the key columns %s with repo.Key, repo.Serial or repo.Generated", list(pk))
	if pk == nil {
		fix = fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY %s", qt, quotedList(key))
	}
	c.add(Finding{Table: t.Name, Go: "primary key " + list(key), Database: have, Fix: fix})
}

// uniqueOver reports whether a unique constraint or a unique index (not partial, on columns
// only) covers exactly cols.
func (t *dbTable) uniqueOver(cols []string) bool {
	for _, ix := range t.indexes {
		if ix.Unique && !ix.Partial && sameSet(ix.Cols, cols) {
			return true
		}
	}
	return false
}

// leads reports whether some index has col as its first key column.
func (t *dbTable) leads(col string) bool {
	for _, ix := range t.indexes {
		if len(ix.Cols) > 0 && ix.Cols[0] == col {
			return true
		}
	}
	return false
}

// 7. relations.
// first reports whether the check named by parts is made for the first time.
func (c *checker) first(parts ...string) bool {
	k := strings.Join(parts, "\x00")
	if c.once[k] {
		return false
	}
	c.once[k] = true
	return true
}

func (c *checker) relation(r Relation) {
	if r.Kind == ManyToMany {
		c.link(r)
		return
	}
	child, parent := c.found(r.Child), c.found(r.Parent)
	if child != nil && child.column(r.FK) != nil {
		// An index on the foreign key, for the children's loads and cascades from the parent.
		if r.Kind != BelongsTo && !child.leads(r.FK) && c.first("index", r.Child, r.FK) {
			c.add(Finding{Note: true, Table: r.Child, Column: r.FK, Go: "the foreign key of " + r.Label, Database: "no index whose first column is " + r.FK,
				Fix: fmt.Sprintf("every load of the relation and every cascade from %s scans %s: CREATE INDEX ON %s (%s)", r.Parent, r.Child, sqltext.QuoteTable(r.Child), sqltext.Quote(r.FK))})
		}
		// A FOREIGN KEY constraint, if there is one, must refer to the declared key.
		if parent != nil && c.first("fk", r.Child, r.FK, r.Parent, r.ParentKey) {
			var wrong []dbConstraint
			right := false
			for _, con := range child.cons {
				if con.Type != "f" || len(con.Cols) != 1 || con.Cols[0] != r.FK {
					continue
				}
				if con.RefTable == parent.oid && len(con.RefCols) == 1 && con.RefCols[0] == r.ParentKey {
					right = true
					c.onDelete(r, con)
				} else {
					wrong = append(wrong, con)
				}
			}
			if !right && len(wrong) > 0 {
				con := wrong[0]
				c.add(Finding{Table: r.Child, Column: r.FK, Go: fmt.Sprintf("%s refers to %s.%s", r.Label, parent.qualified(), r.ParentKey),
					Database: fmt.Sprintf("FOREIGN KEY %s REFERENCES %s%s", con.Name, con.RefName, list(con.RefCols)),
					Fix:      fmt.Sprintf("declare the relation with the key the constraint refers to, or correct the constraint (ALTER TABLE %s DROP CONSTRAINT %s, ADD FOREIGN KEY (%s) REFERENCES %s (%s))", sqltext.QuoteTable(r.Child), sqltext.Quote(con.Name), sqltext.Quote(r.FK), sqltext.QuoteTable(r.Parent), sqltext.Quote(r.ParentKey))})
			}
		}
	}
	if !r.ParentKeyIsPrimary {
		c.unique(r.Label, r.Parent, r.ParentKey)
	}
}

// onDelete reports a FOREIGN KEY constraint whose ON DELETE action contradicts the relation's
// cascades: rel.Restrict over a constraint that cascades or sets NULL (a delete of an owner whose
// rows the session does not know would delete or orphan them unseen), rel.PassiveDeletes over
// one that does not cascade (deleting an owner would fail, or leave its rows).
func (c *checker) onDelete(r Relation, con dbConstraint) {
	qc, fix := sqltext.QuoteTable(r.Child), ""
	switch {
	case r.OnDelete == Restrict && (con.OnDelete == "c" || con.OnDelete == "n" || con.OnDelete == "d"):
		fix = fmt.Sprintf("rel.Restrict refuses to delete an owner that has rows, but the database would delete or orphan them when the session does not know them: ALTER TABLE %s DROP CONSTRAINT %s, ADD FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE RESTRICT, or drop rel.Restrict", qc, sqltext.Quote(con.Name), sqltext.Quote(r.FK), sqltext.QuoteTable(r.Parent), sqltext.Quote(r.ParentKey))
	case r.OnDelete == Cascade && con.OnDelete != "c":
		fix = fmt.Sprintf("rel.PassiveDeletes leaves the rows to ON DELETE CASCADE, which this constraint does not have, so deleting an owner with rows fails: ALTER TABLE %s DROP CONSTRAINT %s, ADD FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE CASCADE, or drop PassiveDeletes", qc, sqltext.Quote(con.Name), sqltext.Quote(r.FK), sqltext.QuoteTable(r.Parent), sqltext.Quote(r.ParentKey))
	default:
		return
	}
	c.add(Finding{Table: r.Child, Column: r.FK, Go: r.Label + "'s cascades", Database: fmt.Sprintf("FOREIGN KEY %s … ON DELETE %s", con.Name, ActionName(con.OnDelete)), Fix: fix})
}

// ActionName is the SQL of a constraint's confdeltype: RESTRICT, CASCADE, SET NULL, SET DEFAULT
// or NO ACTION.
func ActionName(a string) string {
	switch a {
	case "r":
		return "RESTRICT"
	case "c":
		return "CASCADE"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	}
	return "NO ACTION"
}

// unique reports a key column that a relation refers to and that nothing makes unique.
func (c *checker) unique(label, table, col string) {
	t := c.found(table)
	if t == nil || t.column(col) == nil || t.uniqueOver([]string{col}) || !c.first("unique", table, col) {
		return
	}
	c.add(Finding{Table: table, Column: col, Go: label + " refers to it as a key", Database: "no unique constraint or index on " + col + " alone",
		Fix: fmt.Sprintf("two rows with one value would both claim the same children: ALTER TABLE %s ADD UNIQUE (%s)", sqltext.QuoteTable(table), sqltext.Quote(col))})
}

// link checks a many-to-many relation's link table.
func (c *checker) link(r Relation) {
	if !r.ParentKeyIsPrimary {
		c.unique(r.Label, r.Parent, r.ParentKey)
	}
	if !r.ChildKeyIsPrimary {
		c.unique(r.Label, r.Child, r.ChildKey)
	}
	lt := c.found(r.Link)
	if lt == nil {
		if t := c.db[r.Link]; t != nil && !t.reported {
			t.reported = true
			c.missingTable(r.Link, "the link table of "+r.Label,
				fmt.Sprintf("CREATE TABLE %s (%s … NOT NULL, %s … NOT NULL, PRIMARY KEY (%s, %s))", sqltext.QuoteTable(r.Link), sqltext.Quote(r.LinkFrom), sqltext.Quote(r.LinkTo), sqltext.Quote(r.LinkFrom), sqltext.Quote(r.LinkTo)))
		}
		return
	}
	for _, end := range []struct{ col, table, key string }{{r.LinkFrom, r.Parent, r.ParentKey}, {r.LinkTo, r.Child, r.ChildKey}} {
		dc := lt.column(end.col)
		if dc == nil {
			c.add(Finding{Table: r.Link, Column: end.col, Go: fmt.Sprintf("%s: the link column referring to %s.%s", r.Label, end.table, end.key), Database: "no such column in " + lt.qualified(),
				Fix: fmt.Sprintf("correct the column named in rel.Through, or ALTER TABLE %s ADD COLUMN %s … REFERENCES %s (%s)", sqltext.QuoteTable(r.Link), sqltext.Quote(end.col), sqltext.QuoteTable(end.table), sqltext.Quote(end.key))})
			continue
		}
		// Its type must hold the key's Go type.
		if t := c.declared[end.table]; t != nil {
			for _, k := range t.Columns {
				if k.Name != end.key {
					continue
				}
				if f, why := fitOf(k.Go.Class, dc.typ()); f == misfit || f == narrow {
					if why != "" {
						why += ": "
					}
					c.add(Finding{Table: r.Link, Column: end.col, Go: fmt.Sprintf("%s (the key %s.%s)", k.Go.Name, end.table, end.key), Database: dc.Format,
						Fix: why + fmt.Sprintf("give the link column the key's type: ALTER TABLE %s ALTER COLUMN %s TYPE %s", sqltext.QuoteTable(r.Link), sqltext.Quote(end.col), k.Go.Class.sqlType())})
				}
			}
		}
	}
}
