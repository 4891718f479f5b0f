package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"slices"
	"strconv"
	"strings"
)

const (
	kinshipPath = "github.com/kinship-go/kinship/"
	// sumLine carries the checksum of the file as written, which tells a file a person changed
	// from one kinship-gen may rewrite.
	sumLine     = "// kinship-gen checksum: "
	placeholder = "0000000000000000"
)

// header opens every file.
const header = `// Written by kinship-gen from the database's catalog, and yours to edit: run again, kinship-gen
// rewrites this file only while it is as written (the checksum below says), or with -force.
` + sumLine + placeholder + "\n\n"

// files renders the package.
func (g *generator) files() ([]File, error) {
	var out []File
	for _, t := range g.tables {
		if t.generated() {
			out = append(out, File{Name: t.file, Content: g.tableFile(t)})
		}
	}
	if len(g.enumList) > 0 {
		out = append(out, File{Name: "enums.go", Content: g.enumFile()})
	}
	out = append(out, File{Name: "model.go", Content: g.modelFile()})
	if g.opt.Test {
		out = append(out, File{Name: "model_test.go", Content: g.testFile()})
	}
	for i, f := range out {
		src, err := format.Source(f.Content)
		if err != nil {
			return nil, fmt.Errorf("formatting %s: %w\n%s", f.Name, err, f.Content)
		}
		out[i].Content = stamp(src)
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

type writer struct{ bytes.Buffer }

func (w *writer) p(format string, args ...any) {
	fmt.Fprintf(&w.Buffer, format, args...)
	w.WriteByte('\n')
}

func (w *writer) raw(s string) { w.WriteString(s); w.WriteByte('\n') }

// comment writes text as a // comment, wrapped at 100 columns, indented by indent.
func (w *writer) comment(indent, text string) {
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			w.p("%s//", indent)
		}
		line := indent + "//"
		for _, word := range strings.Fields(para) {
			if len(line)+1+len(word) > 100 && line != indent+"//" {
				w.p("%s", line)
				line = indent + "//"
			}
			line += " " + word
		}
		w.p("%s", line)
	}
}

func (w *writer) imports(paths []string) {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var std, other []string
	for _, p := range paths {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			other = append(other, p)
		} else {
			std = append(std, p)
		}
	}
	w.p("import (")
	for _, p := range std {
		w.p("%q", p)
	}
	if len(std) > 0 && len(other) > 0 {
		w.p("")
	}
	for _, p := range other {
		w.p("%q", p)
	}
	w.p(")")
	w.p("")
}

// receiver is the name of a struct's accessor parameter: its first letter, lower-cased.
func receiver(goName string) string {
	r := strings.ToLower(goName[:1])
	if r < "a" || r > "z" {
		return "r"
	}
	return r
}

func (g *generator) tableFile(t *table) []byte {
	var w writer
	w.WriteString(header)
	w.p("package %s", g.opt.Package)
	w.p("")
	paths := []string{kinshipPath + "repo"}
	for _, c := range t.cols {
		paths = append(paths, c.typ.imports...)
	}
	if len(t.rels) > 0 {
		paths = append(paths, kinshipPath+"rel")
	}
	w.imports(paths)

	doc := fmt.Sprintf("%s is a row of %s.", t.goName, t.sqlName)
	if t.db.comment != "" {
		doc += " " + t.db.comment
	}
	for _, n := range t.notes {
		doc += "\n" + n
	}
	w.comment("", doc)
	w.p("type %s struct {", t.goName)
	for _, c := range t.cols {
		typ := c.typ.name
		if c.nullable {
			typ = "*" + typ
		}
		w.p("%s %s%s", c.field, typ, trailing(c.describe()))
	}
	for _, r := range t.rels {
		typ := "*" + r.other.goName
		if r.kind == "HasMany" || r.kind == "ManyToMany" {
			typ = "[]*" + r.other.goName
		}
		w.p("%s %s // %s: %s", r.field, typ, r.varName, r.fieldDoc())
	}
	w.p("}")
	w.p("")

	x := receiver(t.goName)
	w.p("var (")
	var names []string
	for _, c := range t.cols {
		names = append(names, c.varName)
		w.p("%s = %s", c.varName, c.declaration(t, x))
	}
	w.p("")
	w.comment("\t", fmt.Sprintf("%s reads and writes %s.", t.repoVar, t.sqlName))
	w.p("%s = repo.MustNew(%s, %s)", t.repoVar, strconv.Quote(t.sqlName), strings.Join(names, ", "))
	w.p(")")
	if len(t.rels) == 0 {
		return w.Bytes()
	}
	w.p("")
	w.p("var (")
	for i, r := range t.rels {
		if i > 0 {
			w.p("")
		}
		w.comment("\t", r.varName+" "+r.summary()+" "+r.doc)
		w.p("%s = %s", r.varName, r.declaration())
	}
	w.p(")")
	return w.Bytes()
}

func trailing(s string) string {
	if s == "" {
		return ""
	}
	return " // " + s
}

// describe says what the field's column is, where the type alone does not.
func (c *column) describe() string {
	var parts []string
	if c.db.Comment != "" {
		parts = append(parts, strings.Join(strings.Fields(c.db.Comment), " "))
	}
	switch {
	case c.kind == "Serial" || c.kind == "Generated":
		parts = append(parts, "assigned by the database")
	case c.kind == "Version":
		parts = append(parts, "optimistic concurrency: every UPDATE checks it and adds one")
	case c.db.Generated:
		parts = append(parts, "GENERATED ALWAYS AS (…): read, never written")
	case c.db.Identity:
		parts = append(parts, "an identity: read, never written")
	case c.option == ".Default()":
		zero := "the zero value"
		if c.nullable {
			zero = "nil"
		}
		parts = append(parts, fmt.Sprintf("DEFAULT %s where Go holds %s", c.db.Default, zero))
	}
	switch {
	case c.db.TypeKind == "d":
		parts = append(parts, "domain "+c.db.Format)
	case c.db.ElemKind == "e" && !c.override:
		parts = append(parts, c.db.Format+": each value as a string")
	case c.typ.name == "string" && c.db.Category != "S" && !c.override:
		parts = append(parts, c.db.Format+", in its text form")
	}
	return strings.Join(parts, "; ")
}

func (c *column) declaration(t *table, x string) string {
	get := fmt.Sprintf("func(%s *%s) *%s { return &%s.%s }", x, t.goName, c.typ.name, x, c.field)
	name := strconv.Quote(c.db.Name)
	var d string
	switch {
	case c.kind != "":
		d = fmt.Sprintf("repo.%s(%s, %s)", c.kind, name, get)
	case c.nullable:
		d = fmt.Sprintf("repo.Nullable(%s, func(%s *%s) **%s { return &%s.%s })", name, x, t.goName, c.typ.name, x, c.field)
	case c.typ.decl == declSlice:
		d = fmt.Sprintf("repo.Slice(%s, %s)", name, get)
	case c.typ.decl == declNumeric:
		d = fmt.Sprintf("repo.Numeric(%s, func(%s *%s) *pgtype.Numeric { return &%s.%s })", name, x, t.goName, x, c.field)
	case c.typ.decl == declFunc:
		d = fmt.Sprintf("repo.ColFunc(%s, %s, equalTSVector, cloneTSVector)", name, get) // helpers in model.go
	default:
		d = fmt.Sprintf("repo.Col(%s, %s)", name, get)
	}
	return d + c.option
}

// summary says what the relation is, in a sentence after its name.
func (r *relation) summary() string {
	switch r.kind {
	case "HasMany":
		return fmt.Sprintf("is %s's %s: the %s rows whose %s is its %s.", article(r.owner.goName), r.field, r.other.sqlName, r.fk.db.Name, r.key.db.Name)
	case "HasOne":
		return fmt.Sprintf("is %s's %s: the %s row whose %s is its %s (unique).", article(r.owner.goName), r.field, r.other.sqlName, r.fk.db.Name, r.key.db.Name)
	case "BelongsTo":
		inv := "no inverse is declared"
		if r.inverseOf != nil {
			inv = fmt.Sprintf("the inverse of %s: a session keeps both and %s in step", r.inverseOf.varName, r.fk.db.Name)
		}
		return fmt.Sprintf("is %s's %s: the %s row its %s refers to; %s.", article(r.owner.goName), r.field, r.other.sqlName, r.fk.db.Name, inv)
	}
	return fmt.Sprintf("is %s's %s: the %s rows linked to it through %s.", article(r.owner.goName), r.field, r.other.sqlName, r.through[0])
}

func (r *relation) fieldDoc() string {
	if r.kind == "HasMany" || r.kind == "ManyToMany" {
		return "nil until loaded"
	}
	return "set when loaded"
}

func (r *relation) declaration() string {
	x := receiver(r.owner.goName)
	var field string
	if r.kind == "HasMany" || r.kind == "ManyToMany" {
		field = fmt.Sprintf("func(%s *%s) *[]*%s { return &%s.%s }", x, r.owner.goName, r.other.goName, x, r.field)
	} else {
		field = fmt.Sprintf("func(%s *%s) **%s { return &%s.%s }", x, r.owner.goName, r.other.goName, x, r.field)
	}
	opts := fmt.Sprintf("rel.Named(%q)", r.varName)
	if r.cascade != "" {
		opts += ", " + r.cascade
	}
	switch r.kind {
	case "BelongsTo":
		return fmt.Sprintf("rel.BelongsTo(%s, %s, %s, %s)", r.fk.varName, r.key.varName, field, opts)
	case "ManyToMany":
		return fmt.Sprintf("rel.ManyToMany(%s, %s, rel.Through{Table: %q, From: %q, To: %q}, %s, %s)",
			r.key.varName, r.fk.varName, r.through[0], r.through[1], r.through[2], field, opts)
	}
	return fmt.Sprintf("rel.%s(%s, %s, %s, %s)", r.kind, r.key.varName, r.fk.varName, field, opts)
}

func (g *generator) enumFile() []byte {
	var w writer
	w.WriteString(header)
	w.p("package %s", g.opt.Package)
	for _, e := range g.enumList {
		w.p("")
		w.comment("", fmt.Sprintf("%s is the enum %s.%s. pgx writes and reads it as text.", e.goName, e.db.schema, e.db.name))
		w.p("type %s string", e.goName)
		w.p("")
		w.comment("", fmt.Sprintf("The values of %s, in the enum's order.", e.goName))
		w.p("const (")
		for i, c := range e.consts {
			w.p("%s %s = %s", c, e.goName, strconv.Quote(e.db.labels[i]))
		}
		w.p(")")
	}
	return w.Bytes()
}

func (g *generator) modelFile() []byte {
	var w writer
	w.WriteString(header)
	var doc strings.Builder
	fmt.Fprintf(&doc, "Package %s declares, for kinship, the tables of schema %s: a struct, its columns and a Repo per table, and every foreign key as a pair of relations, which Model joins.",
		g.opt.Package, strings.Join(g.opt.Schemas, ", "))
	doc.WriteString("\nCheck it against the database at start-up with Model.Verify (and each Repo's Verify for tables no relation joins).")
	if len(g.skipped) > 0 {
		doc.WriteString("\nLeft out:")
		for _, s := range g.skipped {
			doc.WriteString("\n- " + s)
		}
	}
	w.comment("", doc.String())
	w.p("package %s", g.opt.Package)
	w.p("")
	helpers := g.usesFunc()
	if helpers {
		w.imports([]string{"slices", pgtypePath, kinshipPath + "uow"})
	} else {
		w.p("import %q", kinshipPath+"uow")
		w.p("")
	}
	w.comment("", "Model is what a unit of work knows: the relations, and the Repos they join.")
	if len(g.rels) == 0 {
		w.p("var Model = uow.MustModel()")
		return w.Bytes()
	}
	w.p("var Model = uow.MustModel(")
	for _, r := range g.rels {
		w.p("%s,", r.varName)
	}
	w.p(")")
	g.helpers(&w, helpers)
	return w.Bytes()
}

// usesFunc reports whether a column is declared with repo.ColFunc and the helpers below.
func (g *generator) usesFunc() bool {
	for _, t := range g.tables {
		for _, c := range t.cols {
			if c.typ.decl == declFunc {
				return true
			}
		}
	}
	return false
}

// helpers writes the equality and copy of a tsvector that its columns are declared with.
func (g *generator) helpers(w *writer, used bool) {
	if !used {
		return
	}
	w.raw(`
// equalTSVector reports whether two tsvectors hold the same lexemes (NULL only equals NULL): the
// session compares a row with its snapshot by it.
func equalTSVector(a, b pgtype.TSVector) bool { return a.Valid == b.Valid && a.String() == b.String() }

// cloneTSVector copies a tsvector with its lexemes, so that an edit in place of a row's shows
// against the snapshot.
func cloneTSVector(v pgtype.TSVector) pgtype.TSVector {
	v.Lexemes = slices.Clone(v.Lexemes)
	for i := range v.Lexemes {
		v.Lexemes[i].Positions = slices.Clone(v.Lexemes[i].Positions)
	}
	return v
}`)
}
