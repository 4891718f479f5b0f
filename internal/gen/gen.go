package gen

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/kinship-go/kinship/internal/catalog"
)

// Options says what to generate.
type Options struct {
	Schemas []string // the schemas to read, in order (the first "public" when empty)
	Package string   // the package name ("db" when empty)
	// Include and Exclude are table patterns (path.Match syntax) matched against a table's name
	// and its schema-qualified name; with Include, only the tables it matches.
	Include, Exclude []string
	// Types overrides the Go type of columns: the key is a column (table.column or
	// schema.table.column) or a type's name (numeric, a domain's or an enum's name; text[] for
	// an array), the value a Go type (string, []int64, github.com/shopspring/decimal.Decimal).
	Types map[string]string
	// Version names the columns that are optimistic-concurrency versions (repo.Version).
	Version []string
	// Test writes model_test.go: a test that checks the model against DATABASE_URL and loads every
	// relation with every strategy.
	Test bool
}

// File is one file the generator writes.
type File struct {
	Name    string
	Content []byte
}

type generator struct {
	opt       Options
	overrides map[string]goType
	used      map[string]bool
	enums     map[int64]*enum
	enumList  []*enum
	tables    []*table
	byOid     map[int64]*table
	global    namespace
	edges     map[*table][]*fkEdge // the foreign keys that declare relations, by the table holding them
	rels      []*relation
	skipped   []string // tables left out, and why
	warnings  []string
}

type table struct {
	db      *dbTable
	sqlName string // as repo.New takes it: "customers", "billing.invoices"
	goName  string // the struct
	repoVar string
	file    string
	cols    []*column
	fields  namespace
	rels    []*relation // relations whose field is on this struct
	notes   []string    // said in the struct's doc comment
	link    bool        // a pure link table: a ManyToMany, no struct
	skip    bool        // no key: no struct
}

// generated reports whether the table gets a struct and a Repo.
func (t *table) generated() bool { return !t.link && !t.skip }

type column struct {
	db       *dbColumn
	field    string
	varName  string
	typ      goType
	override bool
	nullable bool   // a pointer field, repo.Nullable
	kind     string // "Serial", "Generated", "Key", "Version" or ""
	option   string // ".Default()", ".ReadOnly()" or ""
}

type relation struct {
	kind      string // HasMany, HasOne, BelongsTo, ManyToMany
	owner     *table // the struct whose field it fills
	other     *table // the rows it loads
	field     string
	varName   string
	key, fk   *column // HasMany, HasOne: the owner's key, the other's foreign key; BelongsTo: the owner's foreign key, the other's key
	through   [3]string
	cascade   string // rel.Cascade(…), or ""
	doc       string
	inverseOf *relation
}

type enum struct {
	db     *dbEnum
	goName string
	consts []string
}

// Generate reads the catalog of the schemas opt names through q (two queries) and returns the
// files of the package, in name order, and warnings: what it left out, and overrides that matched
// nothing.
func Generate(ctx context.Context, q Querier, opt Options) ([]File, []string, error) {
	overrides, err := opt.check()
	if err != nil {
		return nil, nil, err
	}
	if len(opt.Schemas) == 0 {
		opt.Schemas = []string{"public"}
	}
	if opt.Package == "" {
		opt.Package = "db"
	}
	g := &generator{opt: opt, overrides: overrides, used: map[string]bool{}, enums: map[int64]*enum{},
		byOid: map[int64]*table{}, global: namespace{"Model": true}}
	dbTables, dbEnums, err := readCatalog(ctx, q, opt.Schemas)
	if err != nil {
		return nil, nil, err
	}
	for _, sc := range opt.Schemas {
		if !slices.ContainsFunc(dbTables, func(t *dbTable) bool { return t.schema == sc }) {
			g.warnings = append(g.warnings, fmt.Sprintf("-schema %s: no table in it (names are case-sensitive)", sc))
		}
	}
	g.plan(dbTables, dbEnums)
	for k := range g.overrides {
		if !g.used[k] {
			g.warnings = append(g.warnings, fmt.Sprintf("-type %s matched no column", k))
		}
	}
	for _, v := range opt.Version {
		if !g.used["-version "+v] {
			g.warnings = append(g.warnings, fmt.Sprintf("-version %s matched no column", v))
		}
	}
	for _, p := range opt.Include {
		if !g.used["-include "+p] {
			g.warnings = append(g.warnings, fmt.Sprintf("-include %s matched no table", p))
		}
	}
	slices.Sort(g.warnings)
	files, err := g.files()
	return files, g.warnings, err
}

// Check reports what is wrong with the options, before any query.
func (o Options) Check() error {
	_, err := o.check()
	return err
}

func (o Options) check() (map[string]goType, error) {
	if o.Package != "" && !isIdent(o.Package) {
		return nil, fmt.Errorf("package name %q: not a Go identifier in lower case", o.Package)
	}
	for _, p := range append(slices.Clone(o.Include), o.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("table pattern %q: %w", p, err)
		}
	}
	overrides := map[string]goType{}
	for k, v := range o.Types {
		typ, err := parseType(v)
		if err != nil {
			return nil, fmt.Errorf("-type %s=%s: %w", k, v, err)
		}
		if base, ok := strings.CutSuffix(k, "[]"); ok {
			k = "_" + base
		}
		overrides[k] = typ
	}
	return overrides, nil
}

func isIdent(s string) bool {
	return s != "" && camel(s) != "" && strings.ToLower(s) == s && words(s)[0] == s
}

// included reports whether the options take the table.
func (g *generator) included(t *dbTable) bool {
	match := func(flag string, patterns []string) bool {
		found := false
		for _, p := range patterns {
			a, _ := path.Match(p, t.name)
			b, _ := path.Match(p, t.schema+"."+t.name)
			if a || b {
				g.used[flag+p], found = true, true
			}
		}
		return found
	}
	in := len(g.opt.Include) == 0 || match("-include ", g.opt.Include)
	return !match("-exclude ", g.opt.Exclude) && in
}

func (g *generator) plan(dbTables []*dbTable, dbEnums map[int64]*dbEnum) {
	// Tables, and the pure link tables among them.
	for _, dt := range dbTables {
		if !g.included(dt) {
			continue
		}
		if strings.Contains(dt.name, ".") || strings.Contains(dt.schema, ".") {
			g.skipped = append(g.skipped, fmt.Sprintf("%s.%s: a name with a dot in it, which repo.New would read as schema.table", dt.schema, dt.name))
			continue
		}
		t := &table{db: dt, sqlName: dt.name, fields: namespace{}}
		if dt.schema != "public" {
			t.sqlName = dt.schema + "." + dt.name
		}
		g.tables = append(g.tables, t)
		g.byOid[dt.oid] = t
	}
	referenced := map[int64]bool{} // tables a foreign key refers to: not link tables
	for _, t := range g.tables {
		for _, c := range t.db.cons {
			if c.Type == "f" {
				referenced[c.RefTable] = true
			}
		}
	}
	for _, t := range g.tables {
		t.link = !referenced[t.db.oid] && g.isLink(t)
		if !t.link && !g.keyable(t) {
			t.skip = true
			g.skipped = append(g.skipped, fmt.Sprintf("%s: no primary key, and no unique constraint over NOT NULL columns to key its rows by", t.sqlName))
		}
	}
	// Names: the structs first, then the enums, each in catalog order.
	files := namespace{"model": true, "enums": true, "model_test": true}
	for _, t := range g.tables {
		if !t.generated() {
			continue
		}
		name := singular(camel(t.db.name))
		if g.global[name] && t.db.schema != g.opt.Schemas[0] {
			name = camel(t.db.schema) + name
		}
		t.goName = g.global.take(name, name+"Row")
		repoVar := camel(t.db.name)
		if repoVar == t.goName || g.global[repoVar] {
			repoVar = t.goName + "Table"
		}
		t.repoVar = g.global.take(repoVar)
		base := fileBase(t.db.name)
		if t.db.schema != "public" {
			base = fileBase(t.db.schema, t.db.name)
		}
		t.file = files.take(base) + ".go"
	}
	g.makeEnums(dbEnums)
	// Columns.
	for _, t := range g.tables {
		if t.generated() {
			g.columns(t)
		}
	}
	g.unifyKeys()
	g.relatable()
	// Relations.
	for _, t := range g.tables {
		if t.link {
			g.manyToMany(t)
		} else if t.generated() {
			g.foreignKeys(t)
		}
	}
	for _, r := range g.rels {
		// As a column's: Language's LanguageFilms is LanguageFilms, Order's Customer OrderCustomer.
		v := r.owner.goName + r.field
		if strings.HasPrefix(r.field, r.owner.goName) {
			v = r.field
		}
		r.varName = g.global.take(v, r.owner.goName+r.field)
	}
}

// isLink reports whether a table is a link table a ManyToMany can stand for: two foreign keys,
// each to a generated table's one-column key, that are its key (or unique) together; other
// columns only if a row can do without them (a default, NULL), for the link rows kinship writes
// hold the two keys alone. (The caller checks that no foreign key refers to it.)
func (g *generator) isLink(t *table) bool {
	var fks []dbConstraint
	for _, c := range t.db.cons {
		if c.Type == "f" {
			fks = append(fks, c)
		}
	}
	if len(fks) != 2 || len(fks[0].Cols) != 1 || len(fks[1].Cols) != 1 || fks[0].Cols[0] == fks[1].Cols[0] ||
		!t.db.unique(fks[0].Cols[0], fks[1].Cols[0]) {
		return false
	}
	for _, c := range t.db.columns {
		if c.Name != fks[0].Cols[0] && c.Name != fks[1].Cols[0] && c.NotNull && !c.HasDefault && !c.Identity && !c.Generated {
			return false
		}
	}
	for _, fk := range fks {
		p := g.byOid[fk.RefTable]
		if p == nil || p == t || !g.keyable(p) || !p.db.unique(fk.RefCols...) {
			return false
		}
	}
	return true
}

// keyable reports whether kinship can key the table's rows: a primary key, or a unique
// constraint over NOT NULL columns.
func (g *generator) keyable(t *table) bool { return len(keyColumns(t.db)) > 0 }

// keyColumns is a table's key: its primary key, or else its first unique constraint or index
// over NOT NULL columns.
func keyColumns(t *dbTable) []string {
	if pk := t.primaryKey(); pk != nil {
		return pk
	}
	var cands [][]string
	for _, c := range t.cons {
		if c.Type == "u" {
			cands = append(cands, c.Cols)
		}
	}
	for _, ix := range t.uniques {
		cands = append(cands, ix.Cols)
	}
next:
	for _, cols := range cands {
		for _, n := range cols {
			if c := t.column(n); c == nil || !c.NotNull {
				continue next
			}
		}
		return cols
	}
	return nil
}

func (g *generator) makeEnums(dbEnums map[int64]*dbEnum) {
	var oids []int64
	for oid := range dbEnums {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool {
		a, b := dbEnums[oids[i]], dbEnums[oids[j]]
		return a.schema+"\x00"+a.name < b.schema+"\x00"+b.name
	})
	for _, oid := range oids {
		de := dbEnums[oid]
		name := camel(de.name)
		if g.global[name] {
			if de.schema != g.opt.Schemas[0] {
				name = camel(de.schema) + name
			}
			if g.global[name] {
				name += "Type"
			}
		}
		e := &enum{db: de, goName: g.global.take(name)}
		for _, l := range de.labels {
			v := camelCase(l, true)
			if v == "X" {
				v = "Empty"
			}
			e.consts = append(e.consts, g.global.take(e.goName+strings.TrimPrefix(v, "X")))
		}
		g.enums[oid] = e
		g.enumList = append(g.enumList, e)
	}
}

func (g *generator) enumName(oid int64) string { return g.enums[oid].goName }

// columns maps a table's columns to fields and declarations.
func (g *generator) columns(t *table) {
	key := keyColumns(t.db)
	if t.db.primaryKey() == nil {
		t.notes = append(t.notes, fmt.Sprintf("The table has no primary key: its rows are keyed by the unique columns %s.", strings.Join(key, ", ")))
	}
	if t.db.partitioned {
		t.notes = append(t.notes, "The table is partitioned: its Repo reads and writes the partitions through it.")
	}
	if t.db.trigger {
		t.notes = append(t.notes, "A BEFORE INSERT or UPDATE trigger may change the row as it is written: declare the columns it sets .ReadBack() (or .ReadOnly()) to read them back.")
	}
	for i := range t.db.columns {
		dc := &t.db.columns[i]
		typ, override, why := g.typeOf(t.db, dc)
		if why != "" {
			t.notes = append(t.notes, fmt.Sprintf("Column %s is left out: %s.", dc.Name, why))
			g.warnings = append(g.warnings, fmt.Sprintf("%s.%s left out: %s", t.sqlName, dc.Name, why))
			continue
		}
		c := &column{db: dc, typ: typ, override: override, field: t.fields.take(camel(dc.Name))}
		// The column's variable: Order's OrderID is OrderID, its Status OrderStatus.
		v := t.goName + c.field
		if strings.HasPrefix(c.field, t.goName) {
			v = c.field
		}
		c.varName = g.global.take(v, v+"Column")
		c.nullable = !dc.NotNull && !typ.valid
		inKey := slices.Contains(key, dc.Name)
		serial := typ.width > 0 && (dc.Identity || strings.HasPrefix(dc.Default, "nextval("))
		switch {
		case inKey && serial && !slices.ContainsFunc(t.cols, func(o *column) bool { return o.kind == "Serial" }):
			c.kind = "Serial"
		case inKey && (dc.HasDefault || dc.Identity):
			c.kind = "Generated"
		case inKey:
			c.kind = "Key"
		case slices.Contains(g.opt.Version, dc.Name) && typ.width > 0 && dc.NotNull:
			c.kind = "Version"
			g.used["-version "+dc.Name] = true
		case slices.Contains(g.opt.Version, dc.Name):
			g.warnings = append(g.warnings, fmt.Sprintf("-version %s: %s.%s is %s, not a NOT NULL integer: declared as a plain column", dc.Name, t.sqlName, dc.Name, dc.Format))
			g.used["-version "+dc.Name] = true
		case dc.Generated || dc.Identity:
			c.option = ".ReadOnly()"
		case dc.HasDefault && !(dc.NotNull && catalog.ZeroDefault(dc.Default)):
			c.option = ".Default()"
		}
		if inKey {
			c.nullable = false
		}
		emptyLabel := dc.BaseKind == "e" && slices.Contains(g.enums[dc.BaseOid].db.labels, "")
		if c.option == ".Default()" && !c.nullable && (zeroIsAValue[typ.name] || emptyLabel && !c.override) {
			// DEFAULT true on a bool: with a bool field, false would read as "leave it to the
			// default" and could never be written (GORM's trap; EF Core scaffolds bool? for it).
			// A pointer says it: nil is the default, false is false.
			c.nullable = true
		}
		t.cols = append(t.cols, c)
	}
}

// zeroIsAValue are the types whose zero value is one a row may mean (false, 0, ""), unlike
// a zero time, a nil slice or an invalid pgtype.Numeric: a column of one with a default gets a
// pointer, nil for the default.
var zeroIsAValue = map[string]bool{"bool": true, "int16": true, "int32": true, "int64": true, "uint32": true,
	"float32": true, "float64": true, "string": true}

func (g *generator) overrideOf(t *dbTable, c *dbColumn) (goType, bool) {
	for _, k := range []string{t.schema + "." + t.name + "." + c.Name, t.name + "." + c.Name, c.Type, c.Base} {
		if o, ok := g.overrides[k]; ok {
			g.used[k] = true
			return o, true
		}
	}
	return goType{}, false
}

func (t *table) column(name string) *column {
	for _, c := range t.cols {
		if c.db.Name == name {
			return c
		}
	}
	return nil
}

// unifyKeys gives a foreign key and the key it refers to one Go type, as a relation needs: the
// widest integer of the columns a chain of foreign keys joins (an int4 key with an int8 foreign
// key both become int64, which holds both).
func (g *generator) unifyKeys() {
	parent := map[*column]*column{}
	var find func(c *column) *column
	find = func(c *column) *column {
		if p, ok := parent[c]; ok && p != c {
			r := find(p)
			parent[c] = r
			return r
		}
		return c
	}
	var members []*column
	for _, t := range g.tables {
		if !t.generated() {
			continue
		}
		for _, con := range t.db.cons {
			if con.Type != "f" || len(con.Cols) != 1 {
				continue
			}
			p := g.byOid[con.RefTable]
			if p == nil || !p.generated() {
				continue
			}
			fk, key := t.column(con.Cols[0]), p.column(con.RefCols[0])
			if fk == nil || key == nil || fk.override || key.override || fk.typ.width == 0 || key.typ.width == 0 {
				continue
			}
			members = append(members, fk, key)
			parent[find(fk)] = find(key)
		}
	}
	widest := map[*column]goType{}
	for _, c := range members {
		r := find(c)
		if w, ok := widest[r]; !ok || c.typ.width > w.width {
			widest[r] = c.typ
		}
	}
	for _, c := range members {
		c.typ = widest[find(c)]
	}
}

// fkEdge is a one-column foreign key that declares relations: from table child to parent.
type fkEdge struct {
	con           dbConstraint
	child, parent *table
	fk, key       *column
}

// relatable finds each table's foreign keys that can declare relations (into g.edges), and
// notes on the table why each other one declares none; then it breaks the cycles of NOT NULL
// foreign keys among them. It runs before any relation's field is named, so that a relation left
// out leaves no trace in the names.
func (g *generator) relatable() {
	g.edges = map[*table][]*fkEdge{}
	for _, t := range g.tables {
		if !t.generated() {
			continue
		}
		for _, con := range t.db.cons {
			if con.Type != "f" {
				continue
			}
			p := g.byOid[con.RefTable]
			why := ""
			switch {
			case len(con.Cols) != 1:
				why = fmt.Sprintf("it joins on %d columns, and kinship's relations join on one", len(con.Cols))
			case p == nil:
				why = "the table it refers to is not generated"
			case !p.generated():
				why = fmt.Sprintf("%s has no struct", p.sqlName)
			}
			var fk, key *column
			if why == "" {
				fk, key = t.column(con.Cols[0]), p.column(con.RefCols[0])
				switch {
				case fk == nil || key == nil:
					why = "a column of it is left out"
				case fk.typ.name != key.typ.name:
					why = fmt.Sprintf("its Go type %s differs from %s's %s", fk.typ.name, key.db.Name, key.typ.name)
				}
			}
			if why != "" {
				t.notes = append(t.notes, fmt.Sprintf("Foreign key %s (%s) declares no relation: %s.", con.Name, strings.Join(con.Cols, ", "), why))
				continue
			}
			g.edges[t] = append(g.edges[t], &fkEdge{con: con, child: t, parent: p, fk: fk, key: key})
		}
	}
	g.breakCycles()
}

// foreignKeys declares a table's one-column foreign keys as relations: a BelongsTo on the
// table, and its inverse (HasMany, or HasOne where the foreign key is unique) on the table it
// refers to.
func (g *generator) foreignKeys(t *table) {
	for _, e := range g.edges[t] {
		con, p, fk, key := e.con, e.parent, e.fk, e.key
		// Names: the BelongsTo after the foreign key (customer_id → Customer); the inverse after
		// the rows, prefixed by the foreign key where one name would not tell them apart (two
		// foreign keys to one table, or to its own).
		many := 0
		for _, o := range g.edges[t] {
			if o.parent == p {
				many++
			}
		}
		by := camel(trimID(fk.db.Name))
		up := by
		if t.fields[up] {
			// The foreign key's name is no name for the row (product_sku): the table's.
			up = p.goName
			if t.fields[up] || p == t {
				up = by + p.goName
			}
		}
		unique := t.db.unique(fk.db.Name)
		down := t.goName
		if !unique {
			down = plural(t.goName)
		}
		if many > 1 || p == t {
			down = by + down
		}
		inverse := &relation{kind: "HasMany", owner: p, other: t, key: key, fk: fk}
		if unique {
			inverse.kind = "HasOne"
		}
		belongs := &relation{kind: "BelongsTo", owner: t, other: p, key: key, fk: fk, field: t.fields.take(up), inverseOf: inverse}
		switch {
		case con.OnDelete == "c":
			inverse.cascade = "rel.Cascade(rel.All, rel.PassiveDeletes)"
			inverse.doc = fmt.Sprintf("ON DELETE CASCADE: deleting %s deletes its %s rows (the database does, for rows the session has not loaded).", article(p.goName), t.sqlName)
		case fk.db.NotNull && (con.OnDelete == "a" || con.OnDelete == "r"):
			inverse.cascade = "rel.Cascade(rel.SaveUpdate, rel.Restrict)"
			inverse.doc = fmt.Sprintf("%s cannot be NULL and the foreign key has ON DELETE %s: deleting %s that still has %s rows is refused (uow.ErrRestricted).", fk.db.Name, catalog.ActionName(con.OnDelete), article(p.goName), t.sqlName)
		case fk.db.NotNull:
			belongs.doc = fmt.Sprintf("No inverse on %s: %s cannot be NULL, and ON DELETE %s is neither a cascade nor a refusal a session can apply.", p.goName, fk.db.Name, catalog.ActionName(con.OnDelete))
			belongs.inverseOf = nil
		default:
			inverse.doc = fmt.Sprintf("%s taken out of the collection, or whose %s is deleted, stays, with %s set NULL; add rel.DeleteOrphan to delete it instead.", article(t.goName), p.goName, fk.db.Name)
			inverse.doc = strings.ToUpper(inverse.doc[:1]) + inverse.doc[1:]
		}
		if belongs.inverseOf != nil {
			inverse.field = p.fields.take(down)
			g.add(inverse)
		}
		g.add(belongs)
	}
}

func (g *generator) add(r *relation) {
	r.owner.rels = append(r.owner.rels, r)
	g.rels = append(g.rels, r)
}

// manyToMany declares a pure link table as a ManyToMany on each of the two tables it links.
func (g *generator) manyToMany(l *table) {
	var fks []dbConstraint
	for _, c := range l.db.cons {
		if c.Type == "f" {
			fks = append(fks, c)
		}
	}
	a, b := g.byOid[fks[0].RefTable], g.byOid[fks[1].RefTable]

	ka, kb := a.column(fks[0].RefCols[0]), b.column(fks[1].RefCols[0])
	if ka == nil || kb == nil {
		return
	}
	// A link from a table to itself is named after its columns: a film's Sequels (film_id →
	// sequel_id), and the other way its SequelOf.
	name := func(owner, other *table, toCol string, back bool) string {
		n := plural(other.goName)
		switch {
		case owner == other && back:
			n = camel(trimID(toCol)) + "Of"
		case owner == other:
			n = plural(camel(trimID(toCol)))
		}
		if owner.fields[n] {
			n = camel(l.db.name)
		}
		return owner.fields.take(n)
	}
	from, to := fks[0].Cols[0], fks[1].Cols[0]
	ab := &relation{kind: "ManyToMany", owner: a, other: b, key: ka, fk: kb, through: [3]string{l.sqlName, from, to}, field: name(a, b, to, false)}
	ba := &relation{kind: "ManyToMany", owner: b, other: a, key: kb, fk: ka, through: [3]string{l.sqlName, to, from}, field: name(b, a, to, a == b)}
	other := "%s.%s is the other side; change one side in a session, and the other shows it once reloaded."
	ab.doc, ba.doc = fmt.Sprintf(other, b.goName, ba.field), fmt.Sprintf(other, a.goName, ab.field)
	var rest []string
	for _, c := range l.db.columns {
		if c.Name != from && c.Name != to {
			rest = append(rest, c.Name)
		}
	}
	if len(rest) > 0 {
		more := fmt.Sprintf(" A link row holds the two keys: %s %s left to the database (its default, or NULL); declare %s as a table of its own to reach them.",
			strings.Join(rest, ", "), map[bool]string{true: "is", false: "are"}[len(rest) == 1], l.sqlName)
		ab.doc += more
		ba.doc += more
	}
	g.add(ab)
	g.add(ba)
}

// breakCycles drops, from each cycle of tables whose foreign keys are all NOT NULL (no row of
// theirs could be inserted first, and uow.NewModel refuses it), one foreign key: the last of the
// cycle in catalog order.
func (g *generator) breakCycles() {
	for {
		notNull := map[*table][]*fkEdge{}
		for _, t := range g.tables {
			for _, e := range g.edges[t] {
				if e.parent != t && e.fk.db.NotNull {
					notNull[t] = append(notNull[t], e)
				}
			}
		}
		cycle := findCycle(g.tables, notNull)
		if cycle == nil {
			return
		}
		last := cycle[len(cycle)-1]
		var names []string
		for _, e := range cycle {
			names = append(names, e.child.sqlName)
		}
		last.child.notes = append(last.child.notes, fmt.Sprintf("Foreign key %s (%s) declares no relation: the tables %s → %s refer to each other through NOT NULL foreign keys, so no row of theirs can be inserted first without a deferred constraint; kinship's flush needs one of them nullable.",
			last.con.Name, last.fk.db.Name, strings.Join(names, " → "), cycle[0].child.sqlName))
		g.edges[last.child] = slices.DeleteFunc(g.edges[last.child], func(e *fkEdge) bool { return e == last })
	}
}

// findCycle returns the foreign keys of a cycle in the graph, in order, or nil.
func findCycle(tables []*table, edges map[*table][]*fkEdge) []*fkEdge {
	state := map[*table]int{} // 1 on the path, 2 done
	var path []*fkEdge
	var visit func(t *table) []*fkEdge
	visit = func(t *table) []*fkEdge {
		state[t] = 1
		for _, e := range edges[t] {
			switch state[e.parent] {
			case 1:
				for i, x := range path {
					if x.child == e.parent {
						return append(slices.Clone(path[i:]), e)
					}
				}
				return []*fkEdge{e}
			case 0:
				path = append(path, e)
				if c := visit(e.parent); c != nil {
					return c
				}
				path = path[:len(path)-1]
			}
		}
		state[t] = 2
		return nil
	}
	for _, t := range tables {
		if state[t] == 0 {
			if c := visit(t); c != nil {
				return c
			}
		}
	}
	return nil
}
