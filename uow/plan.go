package uow

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/repo"
)

// A plan is what a flush sends: its steps, in the order they go (before, inserts, after), each
// one round trip. planFlush decides it from the session's state alone, before anything is sent:
// which rows each step writes, and in what order. A step's statements are built only when it is
// reached (see flush.run), because the INSERTs of a wave carry the keys that the waves before it
// generated, and the UPDATEs and link rows after the INSERTs the keys of the rows they now refer
// to; link rows, which go sorted by their keys, are sorted then too.
//
// The steps are, in this order:
//
//  1. one batch before any INSERT: the link rows deleted, the rows unhooked, the DELETEs (children before
//     parents), and the UPDATEs that do not need a key this flush generates — so that a row
//     deleted frees its unique values (and its key) for a row updated or inserted in the same
//     flush. The DELETEs of rows that an UPDATE moves rows away from (and of every table ranked
//     above theirs, so that children still go first) follow the UPDATEs;
//  2. the INSERTs, parents before children, one step per table (per wave of a self-referential
//     one), each parent's generated keys copied into its children when their step is built;
//  3. one batch after them, built once every row has taken the keys of the rows it refers to
//     (relate): the UPDATEs that point rows at rows just inserted, the link rows inserted, and
//     the DELETEs of rows that were still referred to by rows those UPDATEs move away (with
//     every table ranked above them, so that children still go first).
//
// A waiting UPDATE holds back only the DELETEs of the rows it refers to in the database; where
// such a row's key is taken by a new row of the flush, the waiting row is unhooked instead (its
// foreign key set NULL in step 1, see unhooks), so that the DELETE can still go first. A batch
// with no statements sends nothing. What this order cannot do: a row deleted in step 3 cannot
// give a unique value that is not a parent key to a row inserted in the same flush, and two rows
// cannot swap unique values; flush between such changes.
type plan struct {
	tables  []*table // the session's tables, parents before children
	before  step     // step 1
	inserts []step   // step 2, a step per wave
	after   step     // step 3
}

// A step is one round trip: the pgx batch of ops' statements, or, where insert is set, the
// INSERTs of one wave of that table's new rows (as repo sends them: one round trip, one per
// 10,000 rows with a generated key).
type step struct {
	ops    []op
	insert *table
	rows   []*entry // the wave, in the order the rows were added
	// relate: before the step is built, the rows of every table take the keys of the rows they
	// refer to that the steps before it inserted.
	relate bool
	// cuts are the rows of the wave inserted with a self-referential foreign key NULL, which
	// step 3 sets: rows that refer to each other in a cycle (see waves).
	cuts []cut
}

// A cut is a row inserted with its foreign key of rel NULL, to break a cycle of new rows.
type cut struct {
	e   *entry
	rel relation.Relation
}

// An op is statements of a batch step, of one kind, and the rows they write.
type op struct {
	kind opKind
	// byOwner: opUnlinkAll goes through the link table's column that refers to rel's owner
	// (From), not to its rows (To).
	byOwner bool
	t       *table   // the table of rows; for opDeleteByFK, of the rows deleted by foreign key
	rows    []*entry // opUnlinkAll, opDelete, opUpdate
	rel     relation.Relation
	link    *linkSQL  // opUnlink, opLink, opUnlinkAll: rel's
	owners  []any     // opDeleteByFK: the deleted owners whose rows go
	pairs   []linkRow // opUnlink, opLink: rel's link rows
}

type opKind uint8

const (
	opUnlink     opKind = iota // a DELETE per link row of pairs
	opDeleteByFK               // a DELETE … WHERE fk = ANY($1) RETURNING of the rows of rel's owners
	opUnlinkAll                // a DELETE per row of the link rows of rel that refer to it
	opDelete                   // the DELETEs of rows (one, or one per row: see DeleteStatements)
	opUpdate                   // an UPDATE per row, of the columns it changed (if any, by then)
	opUnhook                   // an UPDATE per row setting rel's foreign key NULL, for now
	opLink                     // one INSERT of every link row of pairs
)

// A linkRow is a many-to-many link row to insert or delete: an owner and one row of its
// collection.
type linkRow struct{ owner, item any }

// linkSQL is the SQL of one many-to-many relation's link rows, built with the model.
type linkSQL struct {
	delete  string   // the DELETE of one link row: $1 the owner's key, $2 the row's
	byOwner string   // the DELETE of the link rows of one owner ($1)
	byItem  string   // the DELETE of the link rows of one row of the collection ($1)
	insert  string   // the INSERT of link rows, up to VALUES
	many    sync.Map // number of link rows → their INSERT, built on first use
}

// insertOf returns the INSERT of n link rows.
func (l *linkSQL) insertOf(n int) string {
	if s, ok := l.many.Load(n); ok {
		return s.(string)
	}
	buf := make([]byte, 0, len(l.insert)+12*n+24)
	buf = append(buf, l.insert...)
	for i := range n {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, '(')
		buf = sqltext.Placeholders(buf, 2*i+1, 2)
		buf = append(buf, ')')
	}
	buf = append(buf, " ON CONFLICT DO NOTHING"...)
	s := string(buf)
	l.many.Store(n, s)
	return s
}

// An unlink is a link table's column whose rows go with a deleted row it refers to: the From
// column of rel (byOwner) or its To.
type unlink struct {
	rel     relation.Relation
	byOwner bool
}

// linkStatements builds the SQL of the model's link tables, each many-to-many relation's, and
// gives each table the link table columns whose rows go with its rows (once per link table and
// column, where two relations go through one link table).
func (m *Model) linkStatements() {
	m.links = map[relation.Relation]*linkSQL{}
	for _, r := range m.rels {
		if r.Shape() != relation.ManyToMany {
			continue
		}
		link := r.Link()
		table, from, to := sqltext.QuoteTable(link.Table), sqltext.Quote(link.From), sqltext.Quote(link.To)
		m.links[r] = &linkSQL{
			delete:  "DELETE FROM " + table + " WHERE " + from + " = $1 AND " + to + " = $2",
			byOwner: "DELETE FROM " + table + " WHERE " + from + " = $1",
			byItem:  "DELETE FROM " + table + " WHERE " + to + " = $1",
			insert:  "INSERT INTO " + table + " (" + from + ", " + to + ") VALUES ",
		}
	}
	for _, t := range m.tables {
		done := map[string]bool{}
		for _, r := range m.rels {
			if r.Shape() != relation.ManyToMany {
				continue
			}
			o, _ := r.Owner()
			c, _ := r.Other()
			link := r.Link()
			var col string
			var byOwner bool
			switch t.u.Repo() {
			case o.Repo():
				col, byOwner = link.From, true
			case c.Repo():
				col = link.To
			default:
				continue
			}
			if id := link.Table + "." + col; !done[id] {
				done[id] = true
				t.unlinks = append(t.unlinks, unlink{r, byOwner})
			}
		}
	}
}

// planFlush decides what a flush sends (see plan), from the session's tables and relations as
// fix-up and the delete cascades left them; it sends nothing. New rows of a table that refer to
// each other in a cycle cannot be inserted in any order: that is an error, found before any SQL.
func (s *Session) planFlush() (plan, error) {
	tables := s.ordered()
	p := plan{tables: tables}
	early := &p.before
	early.ops = s.linkOps(nil, false)
	var waiting []tracked // clean rows whose foreign keys wait for rows this flush inserts
	var updates []op      // the UPDATEs of the other clean rows that changed
	var scratch []int     // the columns a row changed, to tell whether it did
	lateRank := -1        // deletes of tables ranked up to this wait for step 3
	afterRank := -1       // deletes of tables ranked up to this (and above lateRank) follow the UPDATEs
	// The keys of deleted rows (and those new rows take) matter only to clean rows that hold
	// foreign keys: found once, on meeting the first.
	var gone, reused map[relation.Relation]map[any]bool
	for _, t := range tables {
		clean := rowsIn(t, nil, stClean)
		if len(clean) > 0 && gone == nil && t.def != nil && len(t.def.holds) > 0 {
			gone = s.goneKeys()
			reused = s.reusedKeys(gone)
		}
		for _, e := range clean {
			if s.waitsForNew(t, e) {
				// Its UPDATE goes last, so the rows it refers to must be deleted after it —
				// unless a new row takes the key of the row it refers to, which must then be
				// deleted before that INSERT: its foreign key is set NULL first (unhooked).
				waiting = append(waiting, tracked{t, e})
				unhooked, err := s.unhooks(t, e, reused)
				if err != nil {
					return plan{}, err
				}
				for _, r := range unhooked {
					early.ops = append(early.ops, op{kind: opUnhook, t: t, rows: []*entry{e}, rel: r})
				}
				lateRank = max(lateRank, s.refersTo(t, e, gone, false, unhooked...))
				continue
			}
			// Deletes go before the UPDATEs, so that an updated row can take a deleted row's
			// unique value — except the deletes of rows an UPDATE moves rows away from (and of
			// the tables ranked above theirs, parents of what they hold), which must follow it.
			afterRank = max(afterRank, s.refersTo(t, e, gone, true))
			if scratch = t.u.Changed(scratch[:0], e.row, e.snap); len(scratch) > 0 {
				updates = updateOp(updates, t, e)
			}
		}
	}
	afterRank = max(afterRank, lateRank)
	var err error
	if early.ops, err = s.cycleUnhooks(early.ops, tables); err != nil {
		return plan{}, err
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) > afterRank {
			early.ops = s.deleteOps(early.ops, t)
		}
	}
	early.ops = append(early.ops, updates...)
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) > lateRank && rank(t) <= afterRank {
			early.ops = s.deleteOps(early.ops, t)
		}
	}
	for _, t := range tables {
		if p.inserts, err = s.waves(p.inserts, t, len(tables)); err != nil {
			return plan{}, err
		}
	}
	late := &p.after
	late.relate = true
	for _, st := range p.inserts {
		for _, c := range st.cuts {
			late.ops = updateOp(late.ops, st.insert, c.e)
		}
	}
	for _, x := range waiting {
		late.ops = updateOp(late.ops, x.t, x.e)
	}
	late.ops = s.postUpdates(late.ops, tables)
	late.ops = s.linkOps(late.ops, true)
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) <= lateRank {
			late.ops = s.deleteOps(late.ops, t)
		}
	}
	return p, nil
}

// postUpdates appends the UPDATEs that close the cycles between tables: of each new row whose
// foreign key breaks a cycle (Model.postUpdate) and whose row there is new too, inserted after
// it. Its INSERT left the key NULL; the UPDATE sets it, once relate has given it the key.
func (s *Session) postUpdates(ops []op, tables []*table) []op {
	if len(s.model.postUpdate) == 0 {
		return ops
	}
	for _, t := range tables {
		for _, r := range s.postUpdateFKs(t) {
			for _, e := range rowsIn(t, nil, stNew) {
				if s.refersToNew(r, e) {
					ops = updateOp(ops, t, e)
				}
			}
		}
	}
	return ops
}

// postUpdateFKs returns one relation for each foreign key of t that breaks a cycle.
func (s *Session) postUpdateFKs(t *table) []relation.Relation {
	if t.def == nil {
		return nil
	}
	var out []relation.Relation
	for _, r := range t.def.holds {
		if s.model.postUpdate[r.FK()] && !slices.ContainsFunc(out, func(x relation.Relation) bool { return x.FK() == r.FK() }) {
			out = append(out, r)
		}
	}
	return out
}

// cycleUnhooks appends, before the DELETEs, the UPDATEs that set NULL the foreign keys breaking
// a cycle (Model.postUpdate) of deleted rows: the table they refer to goes first, and its rows
// would otherwise still be referred to. A row with a Version column cannot be: the UPDATE would
// change the version its DELETE checks; that is an error, before any SQL.
func (s *Session) cycleUnhooks(ops []op, tables []*table) ([]op, error) {
	if len(s.model.postUpdate) == 0 {
		return ops, nil
	}
	for _, t := range tables {
		for _, r := range s.postUpdateFKs(t) {
			for _, e := range rowsIn(t, nil, stDeleted) {
				if e.snap == nil || !r.HasFK(e.snap) {
					continue
				}
				if t.u.Versioned() {
					return nil, &repo.Error{Op: "uow.Flush", Relation: r.Label(), Table: t.u.Table(), Key: t.u.Key(e.row),
						Err: fmt.Errorf("the row closes a cycle between tables, so its foreign key must be set NULL before its DELETE, which its Version column forbids in the same flush: set the foreign key NULL and flush, then delete it: %w", ErrConflict)}
				}
				ops = append(ops, op{kind: opUnhook, t: t, rows: []*entry{e}, rel: r})
			}
		}
	}
	return ops, nil
}

// updateOp appends the UPDATE of e, a row of t, to ops: to the last op if it updates t. The
// columns it changed are found when its step is built: a row waiting for a new row's key has
// changed them only then.
func updateOp(ops []op, t *table, e *entry) []op {
	if n := len(ops); n > 0 && ops[n-1].kind == opUpdate && ops[n-1].t == t {
		ops[n-1].rows = append(ops[n-1].rows, e)
		return ops
	}
	return append(ops, op{kind: opUpdate, t: t, rows: []*entry{e}})
}

// deleteOps appends the DELETEs of t's deleted rows: first the rows of theirs that cascades
// delete by foreign key (after the rows of their table the session deleted one by one, for
// tables ranked below go first), then their link rows, then the rows.
func (s *Session) deleteOps(ops []op, t *table) []op {
	rows := rowsIn(t, nil, stDeleted)
	if len(rows) == 0 {
		return ops
	}
	for _, r := range s.model.rels {
		owners := s.byFK[r]
		if o, _ := r.Owner(); len(owners) == 0 || o.Repo() != t.u.Repo() {
			continue
		}
		_, ct := s.tablesOf(r)
		ops = append(ops, op{kind: opDeleteByFK, t: ct, rel: r, owners: owners})
	}
	if t.def != nil {
		for _, u := range t.def.unlinks {
			ops = append(ops, op{kind: opUnlinkAll, byOwner: u.byOwner, t: t, rows: rows, rel: u.rel, link: s.model.links[u.rel]})
		}
	}
	return append(ops, op{kind: opDelete, t: t, rows: rows})
}

// linkOps appends, for every many-to-many relation with link rows to insert (or delete), the op
// that does it. The link rows are in the order their rows were tracked here; the statements
// sort them by their keys (see linkKeys), which new rows only have once inserted.
func (s *Session) linkOps(ops []op, insert bool) []op {
	for _, r := range s.model.rels {
		if r.Shape() != relation.ManyToMany {
			continue
		}
		st := s.relState(r)
		var pairs []linkRow
		for k, ins := range st.links {
			if ins == insert {
				pairs = append(pairs, k)
			}
		}
		if len(pairs) == 0 {
			continue
		}
		ot, ct := s.tablesOf(r)
		slices.SortFunc(pairs, func(a, b linkRow) int {
			return cmp.Or(seqOf(ot, a.owner)-seqOf(ot, b.owner), seqOf(ct, a.item)-seqOf(ct, b.item))
		})
		kind := opUnlink
		if insert {
			kind = opLink
		}
		ops = append(ops, op{kind: kind, rel: r, pairs: pairs, link: s.model.links[r]})
	}
	return ops
}

// waves appends the INSERT steps of t's new rows: one, or one per wave when rows refer to new
// rows of the same table, each wave the rows that refer to none of the rows not inserted yet.
// New rows that refer to each other in a cycle (two employees each the other's manager) are
// cut: the first of them, in the order they were added, whose foreign keys to the others can
// be NULL goes in with them NULL, and step 3 sets them (SQLAlchemy's post_update); a cycle of
// rows whose foreign keys cannot be NULL is an error. The first appended makes room for tables
// steps.
func (s *Session) waves(steps []step, t *table, tables int) ([]step, error) {
	pending := rowsIn(t, nil, stNew)
	if len(pending) > 0 && steps == nil {
		steps = make([]step, 0, tables)
	}
	for len(pending) > 0 {
		var wave, later []*entry
		for _, e := range pending {
			if len(s.siblingsOf(t, e, pending)) > 0 {
				later = append(later, e)
			} else {
				wave = append(wave, e)
			}
		}
		var cuts []cut
		if len(wave) == 0 {
			for i, e := range later {
				rels := s.siblingsOf(t, e, pending)
				if slices.ContainsFunc(rels, func(r relation.Relation) bool { return !r.FKNullable() }) {
					continue
				}
				for _, r := range rels {
					cuts = append(cuts, cut{e, r})
				}
				wave, later = []*entry{e}, slices.Delete(later, i, i+1)
				break
			}
		}
		if len(wave) == 0 {
			return nil, &repo.Error{Op: "uow.Flush", Table: t.u.Table(), Err: invalidf("new rows refer to each other in a cycle through foreign keys that cannot be NULL, so none can be inserted first")}
		}
		steps = append(steps, step{insert: t, rows: wave, cuts: cuts})
		pending = later
	}
	return steps, nil
}

// siblingsOf returns the self-referential relations through which e refers to a row of
// pending that is not e.
func (s *Session) siblingsOf(t *table, e *entry, pending []*entry) []relation.Relation {
	if t.def == nil {
		return nil
	}
	var out []relation.Relation
	for _, r := range t.def.holds {
		o, _ := r.Owner()
		c, _ := r.Other()
		if o.Repo() != c.Repo() || slices.ContainsFunc(out, func(x relation.Relation) bool { return x.FK() == r.FK() }) {
			continue
		}
		p := s.ownerOf(r, e.row)
		if p == nil || p == e.row {
			continue
		}
		for _, x := range pending {
			if x.row == p {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// waitsForNew reports whether e refers, through one of its relations, to a row not inserted
// yet: e's UPDATE needs that row's key.
func (s *Session) waitsForNew(t *table, e *entry) bool {
	if t.def == nil {
		return false
	}
	for _, r := range t.def.holds {
		if s.refersToNew(r, e) {
			return true
		}
	}
	return false
}

// refersToNew reports whether e refers through r, a relation whose foreign key is on e's
// table, to a row this flush inserts.
func (s *Session) refersToNew(r relation.Relation, e *entry) bool {
	p := s.ownerOf(r, e.row)
	if p == nil {
		return false
	}
	// The row referred to is one of the relation's owner table (for BelongsTo, its other).
	pt, other := s.tablesOf(r)
	if r.Shape() == relation.BelongsTo {
		pt = other
	}
	pe, ok := pt.entries[p]
	return ok && pe.state == stNew
}

// refersTo returns the highest rank of the tables with rows to delete that e refers to, as
// the database has it (its snapshot), through its relations but except — with changed, only
// through foreign keys its UPDATE changes — or -1.
func (s *Session) refersTo(t *table, e *entry, gone map[relation.Relation]map[any]bool, changed bool, except ...relation.Relation) int {
	top := -1
	if t.def == nil {
		return top
	}
	for _, r := range t.def.holds {
		keys := gone[r]
		if keys == nil || slices.Contains(except, r) {
			continue
		}
		pt, _, fk := s.parentSide(r)
		was, ok := fk(e.snap)
		if !ok || !keys[was] {
			continue
		}
		if now, _ := fk(e.row); changed && was == now {
			continue
		}
		top = max(top, rank(pt))
	}
	return top
}

// parentSide returns, for a relation with a foreign key, the table of the rows it refers to,
// their key (the column the foreign key matches) and the foreign key of the rows that hold it.
func (s *Session) parentSide(r relation.Relation) (pt *table, key, fk func(any) (any, bool)) {
	owner, other := s.tablesOf(r)
	if r.Shape() == relation.BelongsTo {
		return other, r.ItemKey, r.OwnerKey
	}
	return owner, r.OwnerKey, r.ItemKey
}

// goneKeys returns, per relation with a foreign key, the parent-key values of the rows of its
// parent table that this flush deletes: the values a row's foreign key may refer to in the
// database and not after the flush.
func (s *Session) goneKeys() map[relation.Relation]map[any]bool {
	out := map[relation.Relation]map[any]bool{}
	for _, r := range s.model.rels {
		if r.Shape() == relation.ManyToMany {
			continue
		}
		pt, key, _ := s.parentSide(r)
		for _, e := range rowsIn(pt, nil, stDeleted) {
			if k, ok := key(e.row); ok {
				if out[r] == nil {
					out[r] = map[any]bool{}
				}
				out[r][k] = true
			}
		}
	}
	return out
}

// reusedKeys returns, per relation of gone, the parent-key values of deleted rows that a new
// row of the parent table takes (a client key, or a unique column that is not the primary
// key): nil if none.
func (s *Session) reusedKeys(gone map[relation.Relation]map[any]bool) map[relation.Relation]map[any]bool {
	var out map[relation.Relation]map[any]bool
	for r, keys := range gone {
		pt, key, _ := s.parentSide(r)
		for _, e := range rowsIn(pt, nil, stNew) {
			if k, ok := key(e.row); ok && keys[k] {
				if out == nil {
					out = map[relation.Relation]map[any]bool{}
				}
				if out[r] == nil {
					out[r] = map[any]bool{}
				}
				out[r][k] = true
			}
		}
	}
	return out
}

// unhooks returns the relations through which e, a clean row of t whose UPDATE waits for new
// rows, refers in the database to a row this flush deletes whose key a new row takes: that row
// must be deleted before the INSERT (the key is unique), and e must not refer to it then, so
// the flush sets e's foreign key NULL first (and to its value at the end). A foreign key that
// cannot be NULL, or a Version column (the row would be written twice), cannot be unhooked:
// that is an error naming the rows, before any SQL; flush between the delete and the add.
func (s *Session) unhooks(t *table, e *entry, reused map[relation.Relation]map[any]bool) ([]relation.Relation, error) {
	if t.def == nil || reused == nil {
		return nil, nil
	}
	var out []relation.Relation
	for _, r := range t.def.holds {
		keys := reused[r]
		if keys == nil {
			continue
		}
		pt, _, fk := s.parentSide(r)
		was, ok := fk(e.snap)
		if !ok || !keys[was] {
			continue
		}
		if !r.FKNullable() || t.u.Versioned() {
			return nil, &repo.Error{Op: "uow.Flush", Relation: r.Label(), Table: t.u.Table(), Key: t.u.Key(e.row), Err: fmt.Errorf("the row refers to the %s row with key %v, deleted in this flush, whose %v a new row takes; its foreign key cannot be set NULL meanwhile (it is NOT NULL, or the row has a Version column): flush after the delete, then add the new row: %w",
				pt.u.Table(), was, was, ErrConflict)}
		}
		out = append(out, r)
	}
	return out, nil
}

// ownerOf returns the row that row refers to through r's foreign key, as fix-up last saw it.
func (s *Session) ownerOf(r relation.Relation, row any) any {
	st := s.relState(r)
	if inv := s.model.inverse[r]; r.Shape() == relation.BelongsTo && inv != nil {
		st = s.relState(inv)
	}
	return st.owner[row]
}

// A linkKey is the keys a link row holds: its owner's, and its row's.
type linkKey struct{ owner, item any }

// linkKeys returns the keys of op's link rows, sorted by the owner's key, then the row's (see
// compareKeys): the order their statements go in, the same from run to run.
func linkKeys(o *op) []linkKey {
	keys := make([]linkKey, len(o.pairs))
	for i, pc := range o.pairs {
		keys[i].owner, _ = o.rel.OwnerKey(pc.owner)
		keys[i].item, _ = o.rel.ItemKey(pc.item)
	}
	slices.SortStableFunc(keys, func(a, b linkKey) int {
		return cmp.Or(compareKeys(a.owner, b.owner), compareKeys(a.item, b.item))
	})
	return keys
}

// compareKeys orders two values of a key column, without allocating: numbers, strings,
// booleans, times and 16-byte arrays (UUIDs) by value, composite keys ([]any) part by part.
// Values of other types (a named type, a struct), or of two types, compare equal, and so keep
// the order they came in.
func compareKeys(a, b any) int {
	switch x := a.(type) {
	case int64:
		return compareAs(x, b)
	case int32:
		return compareAs(x, b)
	case int:
		return compareAs(x, b)
	case int16:
		return compareAs(x, b)
	case int8:
		return compareAs(x, b)
	case uint64:
		return compareAs(x, b)
	case uint32:
		return compareAs(x, b)
	case uint:
		return compareAs(x, b)
	case uint16:
		return compareAs(x, b)
	case uint8:
		return compareAs(x, b)
	case float64:
		return compareAs(x, b)
	case float32:
		return compareAs(x, b)
	case string:
		return compareAs(x, b)
	case bool:
		if y, ok := b.(bool); ok && x != y {
			if x {
				return 1
			}
			return -1
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case [16]byte:
		if y, ok := b.([16]byte); ok {
			return strings.Compare(string(x[:]), string(y[:]))
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := range min(len(x), len(y)) {
				if c := compareKeys(x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(x), len(y))
		}
	}
	return 0
}

func compareAs[T cmp.Ordered](x T, b any) int {
	if y, ok := b.(T); ok {
		return cmp.Compare(x, y)
	}
	return 0
}
