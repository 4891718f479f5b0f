package uow

import (
	"errors"
	"slices"
	"strings"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// A Model is the tables and relations a session knows: validated once, when it is made, and
// shared by every session. Declare it once at package level with [MustModel].
type Model struct {
	tables []*tableDef // parents before children: the order of inserts
	byRepo map[any]*tableDef
	rels   []relation.Relation
	// inverse pairs a HasMany or HasOne with the BelongsTo over the same foreign key.
	inverse map[relation.Relation]relation.Relation
	has     map[relation.Relation]bool // the model's relations, as a set
	// byFK holds the relations whose rows a delete cascade removes with one DELETE … WHERE fk =
	// ANY($1) RETURNING, without loading them first: see leafOf.
	byFK map[relation.Relation]bool
	// links holds each many-to-many relation's link-row SQL, built once here.
	links map[relation.Relation]*linkSQL
	// postUpdate holds the foreign keys (their columns, relation.Relation.FK) that break a
	// cycle between tables: their table is inserted before the table they refer to, so a row
	// whose row there is new is inserted with it NULL and then updated (SQLAlchemy's
	// post_update); see rank.
	postUpdate map[any]bool
}

// tableDef is what the model knows of one table.
type tableDef struct {
	u     engine.Table
	rank  int
	owns  []relation.Relation // relations whose field is on this table's rows
	holds []relation.Relation // relations whose foreign key is on this table's rows (HasMany, HasOne: the child; BelongsTo: the owner)
	items []relation.Relation // relations whose rows are this table's
	// unlinks are the link table columns whose rows go with a row of this table deleted.
	unlinks []unlink
}

// NewModel makes a model of relations (declared with package rel); the Repos they join are its
// tables. A Repo that no relation joins need not be named: a session tracks the rows of any
// Repo (check its table with [repo.Repo.Verify]). NewModel checks the whole graph: every relation
// declared right and joining declared Repos; no two Repos over one table; no two relations
// filling one field; DeleteOrphan on rows with only one owning relation; no relation whose
// foreign key cannot be NULL without rel.Delete or rel.Restrict (deleting the owner would have to set it NULL,
// which can only fail); no cycle between tables whose foreign keys are all NOT NULL. A cycle
// with a nullable foreign key (staff.store_id beside store.manager_id) is broken there: when
// one flush inserts both ends, the row holding it is inserted with it NULL and then updated
// (SQLAlchemy's post_update), and when one flush deletes both, it is set NULL before the
// DELETEs. Self-referential tables need none of that: their rows are ordered. A nil or zero relation and a
// relation declared wrong are each a [*repo.Error] (Op "uow.NewModel", matching repo.ErrInvalid)
// naming it.
func NewModel(relations ...rel.Relation) (*Model, error) {
	m := &Model{byRepo: map[any]*tableDef{}, inverse: map[relation.Relation]relation.Relation{}, byFK: map[relation.Relation]bool{}, has: map[relation.Relation]bool{}}
	for i, x := range relations {
		r := relation.Of(x)
		switch {
		case r == nil:
			return nil, modelError("", "", "relation %d (%T) is a nil or zero relation", i, x)
		case m.has[r]:
			continue
		}
		if err := m.addRelation(r); err != nil {
			return nil, err
		}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	m.linkStatements()
	return m, nil
}

// MustModel is [NewModel] for package-level declarations: it panics on an invalid model.
func MustModel(relations ...rel.Relation) *Model {
	m, err := NewModel(relations...)
	if err != nil {
		panic(err)
	}
	return m
}

func (m *Model) table(u engine.Table) *tableDef {
	if t, ok := m.byRepo[u.Repo()]; ok {
		return t
	}
	t := &tableDef{u: u}
	m.byRepo[u.Repo()] = t
	m.tables = append(m.tables, t)
	return t
}

func (m *Model) addRelation(r relation.Relation) error {
	fail := func(problem string) error { return modelError(r.Label(), "", "%s", problem) }
	if err := r.Check(); err != nil {
		// The error matches ErrInvalid by itself: its problem need not say so.
		return fail(strings.TrimSuffix(err.Error(), ": "+repo.ErrInvalid.Error()))
	}
	owner, err := r.Owner()
	if err != nil {
		return fail(err.Error())
	}
	other, err := r.Other()
	if err != nil {
		return fail(err.Error())
	}
	o, c := m.table(owner), m.table(other)
	o.owns = append(o.owns, r)
	c.items = append(c.items, r)
	switch r.Shape() {
	case relation.HasMany, relation.HasOne:
		c.holds = append(c.holds, r)
	case relation.BelongsTo:
		o.holds = append(o.holds, r)
	}
	m.rels = append(m.rels, r)
	m.has[r] = true
	return nil
}

func (m *Model) validate() error {
	tables := map[string]*tableDef{}
	for _, t := range m.tables {
		if prev, dup := tables[t.u.Table()]; dup && prev != t {
			return modelError("", t.u.Table(), "two Repos are declared over this table; a session would hold two instances of one row and write both: declare the table once and share its Repo")
		}
		tables[t.u.Table()] = t
	}
	for _, t := range m.tables {
		// Two relations filling one field: their accessors return the same address.
		probe := t.u.New()
		fields := map[any]relation.Relation{}
		for _, r := range t.owns {
			addr := r.FieldAddr(probe)
			if prev, dup := fields[addr]; dup {
				return modelError(r.Label(), "", "fills the same field of %s as relation %s; give each relation its own field", t.u.Table(), prev.Label())
			}
			fields[addr] = r
		}
		// DeleteOrphan on rows that more than one relation owns.
		var orphanOwners []relation.Relation
		for _, r := range t.items {
			if r.Cascades().Has(relation.DeleteOrphan) {
				orphanOwners = append(orphanOwners, r)
			}
		}
		if len(orphanOwners) > 0 {
			for _, r := range t.items {
				if r != orphanOwners[0] && r.Shape() != relation.BelongsTo {
					return modelError(orphanOwners[0].Label(), "", "DeleteOrphan deletes %s rows without an owner, but relation %s owns them too; keep DeleteOrphan on rows with one owning relation", t.u.Table(), r.Label())
				}
			}
		}
	}
	for _, r := range m.rels {
		c := r.Cascades()
		if r.Shape() == relation.ManyToMany && c.Has(relation.DeleteOrphan) {
			return modelError(r.Label(), "", "DeleteOrphan on a many-to-many relation: removing a row from the collection deletes the link, never the row; drop DeleteOrphan")
		}
		if c.Has(relation.Restrict) && r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
			return modelError(r.Label(), "", "Restrict is for HasMany and HasOne: it refuses to delete an owner whose rows refer to it")
		}
		if (r.Shape() == relation.HasMany || r.Shape() == relation.HasOne) && !r.FKNullable() && !c.Has(relation.Delete) && !c.Has(relation.Restrict) {
			other, _ := r.Other()
			owner, _ := r.Owner()
			return modelError(r.Label(), "", "the foreign key of %s cannot be NULL, so deleting a %s row would have to delete its %s rows: declare rel.Cascade(rel.All) (with rel.DeleteOrphan to delete rows removed from the collection), or rel.Cascade(rel.SaveUpdate, rel.Restrict) to refuse deleting a %s row that has %s rows", other.Table(), owner.Table(), other.Table(), owner.Table(), other.Table())
		}
		if r.Shape() == relation.BelongsTo {
			for _, x := range m.rels {
				if x != r && x.FK() == r.FK() && x.Shape() != relation.BelongsTo {
					m.inverse[x], m.inverse[r] = r, x
				}
			}
		}
	}
	for _, r := range m.rels {
		m.byFK[r] = m.leafOf(r)
	}
	return m.rank()
}

// leafOf reports whether a delete cascade through r can delete r's rows by their foreign key,
// unseen: it cascades Delete (not PassiveDeletes), and deleting its rows needs nothing of them —
// their table owns no relation that cascades or sets keys NULL, no link table refers to it,
// and no Version column guards its DELETEs.
func (m *Model) leafOf(r relation.Relation) bool {
	c := r.Cascades()
	if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne || !c.Has(relation.Delete) || c.Has(relation.PassiveDeletes) {
		return false
	}
	other, _ := r.Other()
	ct := m.byRepo[other.Repo()]
	if ct == nil || ct.u.Versioned() {
		return false
	}
	for _, x := range ct.owns {
		if x.Shape() != relation.BelongsTo {
			return false
		}
	}
	for _, x := range m.rels {
		if o, _ := x.Other(); x.Shape() == relation.ManyToMany && o.Repo() == other.Repo() {
			return false
		}
	}
	return true
}

// rank orders the tables so that a table comes after every table it refers to. A cycle between
// tables (staff.store_id and store.manager_id) is broken at one of its foreign keys that can be
// NULL, the first of the cycle in the order of the relations, which goes into postUpdate; a
// cycle whose foreign keys are all NOT NULL cannot be inserted, and is an error.
func (m *Model) rank() error {
	m.postUpdate = map[any]bool{}
	for {
		cycle := m.order()
		if cycle == nil {
			return nil
		}
		var names []string
		for _, t := range cycle.tables {
			names = append(names, t.u.Table())
		}
		broken := false
		for _, r := range m.rels { // in declaration order, for a stable choice
			if cycle.edges[r] && r.FKNullable() {
				m.postUpdate[r.FK()] = true
				broken = true
				break
			}
		}
		if !broken {
			t := cycle.tables[len(cycle.tables)-1]
			return modelError("", t.u.Table(), "the tables %s refer to each other in a cycle whose foreign keys are all NOT NULL: no row of theirs could be inserted first; make one of them nullable (kinship then inserts it NULL and sets it with an UPDATE), or drop one relation", strings.Join(names, " → "))
		}
	}
}

// cycleOf is a cycle between tables that order found: the tables in it and the relations of
// its edges.
type cycleOf struct {
	tables []*tableDef
	edges  map[relation.Relation]bool
}

// order sorts m.tables, parents before children, over the edges that postUpdate does not break,
// and gives each its rank; it returns the first cycle it meets instead, without sorting.
func (m *Model) order() *cycleOf {
	after := map[*tableDef]map[*tableDef][]relation.Relation{} // t → the tables t refers to, through which relations
	for _, r := range m.rels {
		owner, _ := r.Owner()
		other, _ := r.Other()
		parent, child := m.byRepo[owner.Repo()], m.byRepo[other.Repo()]
		switch r.Shape() {
		case relation.BelongsTo:
			parent, child = child, parent
		case relation.ManyToMany:
			continue
		}
		if parent == child || m.postUpdate[r.FK()] {
			continue // a self-referential table: its rows are ordered at flush
		}
		if after[child] == nil {
			after[child] = map[*tableDef][]relation.Relation{}
		}
		after[child][parent] = append(after[child][parent], r)
	}
	var ordered []*tableDef
	state := map[*tableDef]int{} // 1 visiting, 2 done
	var found *cycleOf
	var visit func(t *tableDef, path []*tableDef) bool
	visit = func(t *tableDef, path []*tableDef) bool {
		switch state[t] {
		case 1:
			start := slices.Index(path, t)
			c := &cycleOf{tables: append(slices.Clone(path[start:]), t), edges: map[relation.Relation]bool{}}
			for i := 0; i+1 < len(c.tables); i++ {
				for _, r := range after[c.tables[i]][c.tables[i+1]] {
					c.edges[r] = true
				}
			}
			found = c
			return false
		case 2:
			return true
		}
		state[t] = 1
		for _, p := range m.tables { // in declaration order, for a stable result
			if _, ok := after[t][p]; ok {
				if !visit(p, append(path, t)) {
					return false
				}
			}
		}
		state[t] = 2
		ordered = append(ordered, t)
		return true
	}
	for _, t := range m.tables {
		if !visit(t, nil) {
			return found
		}
	}
	for i, t := range ordered {
		t.rank = i
	}
	m.tables = ordered
	return nil
}

// ErrEnded is matched by the error of any use of a session after it ended (Commit, Rollback,
// or the end of its Run): begin another.
var ErrEnded = errors.New("uow: the session has ended (Commit or Rollback); begin another")

// ErrRunEnds is matched by the error of Commit or Rollback called inside [Run]'s function, on
// the session or its transaction: ending the unit of work is Run's job (return nil to commit,
// an error to roll back), and a COMMIT behind its back would make Run report a failure for work
// that was committed. Nothing is committed or rolled back.
var ErrRunEnds = errors.New("uow: inside Run, Run commits or rolls back: return nil from the function to commit, an error to roll back")
