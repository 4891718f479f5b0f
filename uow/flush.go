package uow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/repo"
)

// ErrStale is returned when an UPDATE or DELETE of a flush matched no row: someone else changed
// (with a Version column) or deleted the row since this session read it.
var ErrStale = repo.ErrStale

// Flush writes every change the session holds, in this order and no other round trips: one pgx
// batch with the link rows deleted, the DELETEs (children before parents: one per table, one
// per row where the key is composite or a Version column guards it) and the UPDATEs (changed
// columns only); one round trip of INSERTs per table with new rows, parents before children (a
// self-referential table in as many as its new rows are deep); then one batch with the UPDATEs
// that need keys those INSERTs generated, the link rows inserted, and the DELETEs that must
// follow such UPDATEs. A flush with nothing to write sends nothing. That order cannot let a new row take the unique value
// of a row deleted in the last batch (its children moved to a new row), nor two rows swap
// unique values: flush between such changes.
//
// Before any SQL it loads collections assigned before they were loaded, brings relations in
// step (fix-up; [ErrConflict] where two edits disagree), applies the delete cascades (loading,
// through the session, one select-in per relation and level, the collections of deleted rows
// that are not loaded, unless PassiveDeletes) and refuses an orphan ([ErrOrphan]). If a
// statement fails, the flush returns its error and the rows are as they were before it: no
// key assigned, no row counted as written; the transaction is then unusable and the session
// must be rolled back.
//
// A flush of a session that ended is [ErrEnded]; of a nil or zero Session, or with a nil context,
// an error matching repo.ErrInvalid.
func (s *Session) Flush(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if s.flushing {
		return nil
	}
	s.flushing = true
	defer func() { s.flushing = false }()
	s.byFK = nil
	if err := s.loadAssigned(ctx); err != nil {
		return err
	}
	if err := s.sync(nil); err != nil {
		return err
	}
	if deleting, err := s.cascadeDeletes(ctx); err != nil {
		return err
	} else if deleting {
		if err := s.sync(nil); err != nil { // the cascades loaded and changed rows
			return err
		}
	}
	if err := s.checkOrphans(); err != nil {
		return err
	}
	f := &flush{s: s}
	if err := f.run(ctx); err != nil {
		f.undo()
		return err
	}
	f.done()
	return nil
}

// loadAssigned loads, before the flush decides anything, the members of every collection (or
// to-one field) that was assigned on a row the database holds before it was ever loaded: those
// members are what the assignment replaces, so set-NULL, DeleteOrphan and link deletes must
// reach the ones it drops (SQLAlchemy loads a collection on assignment for the same reason).
// What the caller assigned is put back after the load. It costs one load per relation with
// such owners, of all of them at once (select-in), and nothing where there are none.
func (s *Session) loadAssigned(ctx context.Context) error {
	for _, r := range s.model.rels {
		if r.Shape() == relation.BelongsTo {
			continue // a foreign key is always loaded: setting the field is seen without a load
		}
		ot, _ := s.tablesOf(r)
		st := s.relState(r)
		var owners, assigned []any
		for _, e := range sortedEntries(ot, stClean, stDeleted) {
			if _, known := st.coll[e.row]; known || !r.IsLoaded(e.row) {
				continue
			}
			owners = append(owners, e.row)
			assigned = append(assigned, r.Field(e.row))
			r.SetField(e.row, nil)
		}
		if len(owners) == 0 {
			continue
		}
		err := r.LoadAll(ctx, s, owners)
		for i, p := range owners {
			r.SetField(p, assigned[i])
		}
		if err != nil {
			return fmt.Errorf("uow: loading %s, assigned before it was loaded: %w", r.Label(), err)
		}
	}
	return nil
}

// checkOrphans refuses, before any SQL, a new row that no owner holds where the relation needs
// one: DeleteOrphan (SQLAlchemy's "is an orphan"), or a foreign key that cannot be NULL. A row
// whose foreign key was set names its owner, held by the session or not.
func (s *Session) checkOrphans() error {
	for _, r := range s.model.rels {
		var ct, ot *table
		switch r.Shape() {
		case relation.HasMany, relation.HasOne:
			ot, ct = s.tablesOf(r)
		case relation.BelongsTo:
			if s.model.inverse[r] != nil {
				continue // its inverse checks
			}
			ct, ot = s.tablesOf(r)
		default:
			continue
		}
		if r.FKNullable() && !r.Cascades().Has(relation.DeleteOrphan) {
			continue
		}
		st := s.relState(r)
		for _, e := range sortedEntries(ct, stNew) {
			if st.owner[e.row] != nil || r.HasFK(e.row) {
				continue
			}
			return fmt.Errorf("uow: relation %s: %s has no %s row: put it in one's collection or set its foreign key; it would be inserted without an owner: %w",
				r.Label(), describeRow(ct, e.row), ot.u.Table(), ErrOrphan)
		}
	}
	return nil
}

// cascadeDeletes follows the relations of rows marked deleted: Delete deletes their rows (loaded
// first unless PassiveDeletes), otherwise their rows' foreign keys are set NULL. It goes level
// by level: the rows deleted so far, then the rows their cascades reached, and so on; at each
// level one load per relation, of every deleted owner whose collection is not loaded (select-in,
// never a statement per row). It reports whether any row is to be deleted.
func (s *Session) cascadeDeletes(ctx context.Context) (deleting bool, err error) {
	seen := map[any]bool{}
	for {
		var todo []tracked
		for _, t := range s.ordered() {
			for _, e := range sortedEntries(t, stDeleted) {
				if !seen[e.row] {
					seen[e.row] = true
					todo = append(todo, tracked{t, e})
				}
			}
		}
		if len(todo) == 0 {
			return len(seen) > 0, nil
		}
		for _, r := range s.model.rels {
			if err := s.cascadeLevel(ctx, r, todo); err != nil {
				return true, err
			}
		}
	}
}

// cascadeLevel applies r's delete cascades to the owners of level, the rows just found deleted.
func (s *Session) cascadeLevel(ctx context.Context, r relation.Relation, level []tracked) error {
	if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
		return nil // BelongsTo cascades nothing; many-to-many links go with statements of their own
	}
	o, _ := r.Owner()
	var owners, unloaded []any
	for _, d := range level {
		if d.t.u.Repo() != o.Repo() {
			continue
		}
		owners = append(owners, d.e.row)
		if !r.IsLoaded(d.e.row) {
			unloaded = append(unloaded, d.e.row)
		}
	}
	if len(owners) == 0 {
		return nil
	}
	_, ct := s.tablesOf(r)
	c := r.Cascades()
	if len(unloaded) > 0 && s.model.byFK[r] {
		// The last level: one DELETE … WHERE fk = ANY($1) RETURNING at the flush, no load. The
		// rows the session holds as theirs are deleted as loaded rows are, below.
		if s.byFK == nil {
			s.byFK = map[relation.Relation][]any{}
		}
		s.byFK[r] = append(s.byFK[r], unloaded...)
		for _, p := range unloaded {
			if err := s.followDelete(r, ct, p, s.heldBy(r, ct, p, nil)); err != nil {
				return err
			}
		}
		unloadedSet := make(map[any]bool, len(unloaded))
		for _, p := range unloaded {
			unloadedSet[p] = true
		}
		owners = slices.DeleteFunc(owners, func(p any) bool { return unloadedSet[p] })
		unloaded = nil
	} else if len(unloaded) > 0 && c.Has(relation.PassiveDeletes) {
		// The database deletes them; forget the ones the session holds.
		gone := make(map[any]bool, len(unloaded))
		for _, p := range unloaded {
			gone[p] = true
		}
		for row, owner := range s.relState(r).owner {
			if gone[owner] {
				s.forget(ct, row)
			}
		}
		owners = slices.DeleteFunc(owners, func(p any) bool { return gone[p] })
		unloaded = nil
	} else if len(unloaded) > 0 {
		if err := r.LoadAll(ctx, s, unloaded); err != nil {
			return fmt.Errorf("uow: loading %s to delete them: %w", r.Label(), err)
		}
	}
	// A load read the database, which does not know yet the rows this flush will insert or move
	// to an owner: take those from the session, in one pass over what it knows of r.
	loaded := make(map[any][]any, len(unloaded))
	for _, p := range unloaded {
		loaded[p], _ = r.Items(p)
	}
	held := map[any][]any{}
	byKey := keysOf(r, unloaded)
	for row, owner := range s.relState(r).owner {
		if owner == nil {
			owner = byKey[fkOf(r, row)]
		}
		if _, ok := loaded[owner]; ok {
			held[owner] = append(held[owner], row)
		}
	}
	items := make([][]any, len(owners))
	for i, p := range owners {
		its, ok := loaded[p]
		if !ok {
			items[i], _ = r.Items(p)
			continue
		}
		in := membership(its)
		more := slices.DeleteFunc(held[p], in)
		slices.SortFunc(more, func(a, b any) int { return seqOf(ct, a) - seqOf(ct, b) })
		items[i] = append(its, more...)
	}
	for i, p := range owners {
		if err := s.followDelete(r, ct, p, items[i]); err != nil {
			return err
		}
	}
	return nil
}

// keysOf returns owners by their key through r, for rows without an owner whose foreign key
// names one of them: see heldBy.
func keysOf(r relation.Relation, owners []any) map[any]any {
	m := make(map[any]any, len(owners))
	for _, p := range owners {
		if k, ok := r.OwnerKey(p); ok {
			m[k] = p
		}
	}
	return m
}

// heldBy returns the rows that the session holds as p's through r (HasMany, HasOne) and that
// are not in items, in the order they were added. A row that fix-up left without an owner
// while its foreign key names p's key is p's: its key was set, or read, while the session did
// not hold p, which it holds by now (a delete cascade loaded it).
func (s *Session) heldBy(r relation.Relation, ct *table, p any, items []any) []any {
	var (
		more []any
		in   map[any]bool // items, as a set, made at the first row of p's (if items are many)
	)
	pk, hasKey := r.OwnerKey(p)
	for row, owner := range s.relState(r).owner {
		if owner != p && (owner != nil || !hasKey || fkOf(r, row) != pk) {
			continue
		}
		if in == nil && len(items) > 16 {
			in = make(map[any]bool, len(items))
			for _, x := range items {
				in[x] = true
			}
		}
		if in != nil && !in[row] || in == nil && !slices.Contains(items, row) {
			more = append(more, row)
		}
	}
	slices.SortFunc(more, func(a, b any) int { return seqOf(ct, a) - seqOf(ct, b) })
	return more
}

func seqOf(t *table, row any) int {
	if e, ok := t.entries[row]; ok {
		return e.seq
	}
	return 0
}

// followDelete applies r's cascades to items, the rows of p, which is being deleted: Delete
// deletes them, otherwise they leave p (DeleteOrphan deletes them then, else their foreign key
// is set NULL).
func (s *Session) followDelete(r relation.Relation, ct *table, p any, items []any) error {
	c := r.Cascades()
	st := s.relState(r)
	inv := s.model.inverse[r]
	for _, item := range items {
		e, ok := ct.entries[item]
		if !ok || e.state == stDeleted {
			continue
		}
		if c.Has(relation.Delete) {
			if err := s.markDeleted(ct, item); err != nil {
				return err
			}
			continue
		}
		if err := s.orphan(r, inv, st, ct, item, p); err != nil {
			return err
		}
	}
	return nil
}

// ordered returns the session's tables, parents before children.
func (s *Session) ordered() []*table {
	out := make([]*table, 0, len(s.tables))
	for _, t := range s.tables {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *table) int {
		ra, rb := rank(a), rank(b)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.u.Table(), b.u.Table())
	})
	return out
}

func rank(t *table) int {
	if t.def == nil {
		return 1 << 30
	}
	return t.def.rank
}

// flush is one flush's plan and what it changed, to undo on failure.
type flush struct {
	s        *Session
	saved    map[any]savedRow // rows the flush changed (keys, foreign keys), as they were
	inserted []tracked
	updated  []tracked
	deleted  []tracked
	goneByFK []goneRows // keys of rows cascades deleted by foreign key
}

type goneRows struct {
	t    *table
	keys []any
}

type tracked struct {
	t *table
	e *entry
}

type savedRow struct {
	t    *table
	snap any
}

// save remembers row as it is, before the flush changes it.
func (f *flush) save(t *table, row any) {
	if f.saved == nil {
		f.saved = map[any]savedRow{}
	}
	if _, ok := f.saved[row]; !ok {
		f.saved[row] = savedRow{t, t.u.Clone(row)}
	}
}

// undo puts the rows back as they were before a flush that failed.
func (f *flush) undo() {
	for row, sv := range f.saved {
		sv.t.u.CopyColumns(row, sv.snap)
	}
	for _, x := range f.inserted {
		x.t.index.Delete(x.e.row)
		x.e.state, x.e.snap = stNew, nil
	}
}

// done records that everything was written: the rows as they are now are the database's.
func (f *flush) done() {
	for _, x := range f.updated {
		x.t.u.Bump(x.e.row)
		x.e.snap = x.t.u.Clone(x.e.row)
	}
	// The foreign keys the flush filled in (from the keys of rows it inserted) are what fix-up
	// must compare with from now on: left as they were (NULL, the owner having no key), a NULL
	// set later by the caller would look like no change, and the owner would be kept.
	for row, sv := range f.saved {
		if sv.t.def == nil {
			continue
		}
		for _, r := range sv.t.def.holds {
			if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
				continue
			}
			if st, ok := f.s.rels[r]; ok {
				if _, had := st.fkSnap[row]; had {
					st.fkSnap[row] = fkOf(r, row)
				}
			}
		}
	}
	for _, x := range f.deleted {
		f.s.forget(x.t, x.e.row)
	}
	for _, g := range f.goneByFK {
		for _, k := range g.keys {
			if row, ok := g.t.index.Get(k); ok {
				f.s.leaveCollections(g.t, row)
				f.s.forget(g.t, row)
			}
		}
	}
	for _, st := range f.s.rels {
		clear(st.links)
	}
}

// A batch is statements sent in one round trip, each with the check of its command tag.
type batch struct {
	b      pgx.Batch
	checks []func(rows int64) error
	reads  map[int]func(pgx.Rows) error // by position: statements whose rows are read
}

func (b *batch) queue(sql string, args []any, check func(int64) error) {
	b.b.Queue(sql, args...)
	b.checks = append(b.checks, check)
}

// queueRead queues a statement whose rows read consumes.
func (b *batch) queueRead(sql string, args []any, read func(pgx.Rows) error) {
	if b.reads == nil {
		b.reads = map[int]func(pgx.Rows) error{}
	}
	b.reads[len(b.checks)] = read
	b.queue(sql, args, nil)
}

func (b *batch) send(ctx context.Context, tx pgx.Tx) error {
	if b.b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, &b.b)
	for i, check := range b.checks {
		var err error
		if read, ok := b.reads[i]; ok {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				err = read(rows)
				rows.Close()
			}
		} else {
			var tag pgconn.CommandTag
			if tag, err = br.Exec(); err == nil {
				err = check(tag.RowsAffected())
			}
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// run sends the flush in three steps:
//
//  1. one batch before any INSERT: the link rows deleted, the DELETEs (children before
//     parents), and the UPDATEs that do not need a key this flush generates — so that a row
//     deleted frees its unique values (and its key) for a row updated or inserted in the same
//     flush. The DELETEs of rows that an UPDATE moves rows away from (and of every table ranked
//     above theirs, so that children still go first) follow the UPDATEs;
//  2. the INSERTs, parents before children, one round trip per table (per level of a
//     self-referential one), each parent's generated keys copied into its children in between;
//  3. one batch after them: the UPDATEs that point rows at rows just inserted, the link rows
//     inserted, and the DELETEs of rows that were still referred to by rows those UPDATEs move
//     away (with every table ranked above them, so that children still go first).
//
// Where a step has nothing to send it costs nothing. What this order cannot do: a row deleted
// in step 3 (its children moved to a new row) cannot give its unique value to a row inserted in
// the same flush, and two rows cannot swap unique values; flush between such changes.
func (f *flush) run(ctx context.Context) error {
	s := f.s
	tables := s.ordered()
	early, late := &batch{}, &batch{}
	f.queueLinks(early.queue, false)
	var waiting []tracked // clean rows whose foreign keys wait for rows this flush inserts
	var updates []tracked // the other clean rows
	lateRank := -1        // deletes of tables ranked up to this wait for step 3
	deleting := map[*table]bool{}
	for _, t := range tables {
		deleting[t] = hasDeleted(t)
	}
	for _, t := range tables {
		for _, e := range sortedEntries(t, stClean) {
			if f.waitsForNew(t, e) {
				// Its UPDATE goes last, so the rows it refers to must be deleted after it.
				waiting = append(waiting, tracked{t, e})
				lateRank = max(lateRank, f.refersTo(t, e, deleting, false))
				continue
			}
			updates = append(updates, tracked{t, e})
		}
	}
	// Deletes go before the UPDATEs, so that an updated row can take a deleted row's unique
	// value — except the deletes of rows an UPDATE moves rows away from (and of the tables
	// ranked above theirs, parents of what they hold), which must follow it.
	afterRank := lateRank
	for _, x := range updates {
		afterRank = max(afterRank, f.refersTo(x.t, x.e, deleting, true))
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) > afterRank {
			f.queueDeletes(early, t)
		}
	}
	for _, x := range updates {
		f.queueUpdate(early, x.t, x.e)
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) > lateRank && rank(t) <= afterRank {
			f.queueDeletes(early, t)
		}
	}
	if err := early.send(ctx, s.tx); err != nil {
		return err
	}
	for _, t := range tables {
		if err := f.insert(ctx, t); err != nil {
			return err
		}
	}
	// Rows whose owners were just inserted take their keys.
	for _, t := range tables {
		f.relate(t)
	}
	for _, x := range waiting {
		f.queueUpdate(late, x.t, x.e)
	}
	f.queueLinks(late.queue, true)
	for i := len(tables) - 1; i >= 0; i-- {
		if t := tables[i]; rank(t) <= lateRank {
			f.queueDeletes(late, t)
		}
	}
	return late.send(ctx, s.tx)
}

// waitsForNew reports whether e refers, through one of its relations, to a row not inserted
// yet: e's UPDATE needs that row's key.
func (f *flush) waitsForNew(t *table, e *entry) bool {
	if t.def == nil {
		return false
	}
	for _, r := range t.def.holds {
		p := f.ownerOf(r, e.row)
		if p == nil {
			continue
		}
		// The row referred to is one of the relation's owner table (for BelongsTo, its other).
		pt, other := f.s.tablesOf(r)
		if r.Shape() == relation.BelongsTo {
			pt = other
		}
		if pe, ok := pt.entries[p]; ok && pe.state == stNew {
			return true
		}
	}
	return false
}

// refersTo returns the highest rank of the tables with rows to delete that e refers to, as
// the database has it, through its relations — with changed, only through foreign keys its
// UPDATE changes — or -1.
func (f *flush) refersTo(t *table, e *entry, deleting map[*table]bool, changed bool) int {
	top := -1
	if t.def == nil {
		return top
	}
	for _, r := range t.def.holds {
		fk := r.ItemKey
		owner, other := f.s.tablesOf(r)
		if r.Shape() == relation.BelongsTo {
			fk, owner = r.OwnerKey, other
		}
		if !deleting[owner] {
			continue
		}
		if changed {
			was, _ := fk(e.snap)
			now, _ := fk(e.row)
			if was == now {
				continue
			}
		}
		top = max(top, rank(owner))
	}
	return top
}

func hasDeleted(t *table) bool {
	for _, e := range t.entries {
		if e.state == stDeleted {
			return true
		}
	}
	return false
}

// queueUpdate queues the UPDATE of e's changed columns, if any.
func (f *flush) queueUpdate(b *batch, t *table, e *entry) {
	cols := t.u.Changed(nil, e.row, e.snap)
	if len(cols) == 0 {
		return
	}
	sql, args := t.u.UpdateStatement(e.row, cols)
	key := t.u.Key(e.row)
	table := t.u.Table()
	b.queue(sql, args, func(n int64) error {
		if n != 1 {
			return &repo.Error{Op: "update", Table: table, Key: key, Err: ErrStale}
		}
		return nil
	})
	f.updated = append(f.updated, tracked{t, e})
}

// queueDeletes queues the DELETEs of t's deleted rows, after their link rows.
func (f *flush) queueDeletes(b *batch, t *table) {
	rows := sortedEntries(t, stDeleted)
	if len(rows) == 0 {
		return
	}
	// The rows of deleted owners that cascades delete by foreign key go first, after the rows
	// of their table the session deleted one by one (tables ranked below go first).
	for _, r := range f.s.model.rels {
		owners := f.s.byFK[r]
		if o, _ := r.Owner(); len(owners) == 0 || o.Repo() != t.u.Repo() {
			continue
		}
		_, ct := f.s.tablesOf(r)
		sql, args, keys := r.DeleteByFK(owners)
		b.queueRead(sql, args, func(rows pgx.Rows) error {
			deleted, err := keys(rows)
			f.goneByFK = append(f.goneByFK, goneRows{ct, deleted})
			return err
		})
	}
	f.queueUnlinkAll(b.queue, t, rows)
	list := make([]any, len(rows))
	for i, e := range rows {
		list[i] = e.row
		f.deleted = append(f.deleted, tracked{t, e})
	}
	for _, st := range t.u.DeleteStatements(list) {
		table, want := t.u.Table(), st.Rows
		var key any
		if want == 1 {
			key = st.Args[0]
		}
		b.queue(st.SQL, st.Args, func(n int64) error {
			if n != want {
				return &repo.Error{Op: "delete", Table: table, Key: key, Err: ErrStale}
			}
			return nil
		})
	}
}

// sortedEntries returns t's rows in any of states, in the order they were first tracked.
func sortedEntries(t *table, states ...state) []*entry {
	var out []*entry
	for _, e := range t.entries {
		if slices.Contains(states, e.state) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return a.seq - b.seq })
	return out
}

// ownerOf returns the row that row refers to through r's foreign key, as fix-up last saw it.
func (f *flush) ownerOf(r relation.Relation, row any) any {
	st := f.s.relState(r)
	if inv := f.s.model.inverse[r]; r.Shape() == relation.BelongsTo && inv != nil {
		st = f.s.relState(inv)
	}
	return st.owner[row]
}

// relate gives the rows of t the keys of the rows they refer to that have keys by now (those
// inserted by this flush).
func (f *flush) relate(t *table) {
	if t.def == nil {
		return
	}
	for _, r := range t.def.holds {
		for _, e := range t.entries {
			if e.state == stClean {
				f.relateOne(t, r, e, false)
			}
		}
	}
}

// relateOne copies into e's foreign key for r the key of the row it refers to, once that row
// has one, remembering e as it was. A new row is related without looking: its key is about to
// be written anyway; a clean one only if its key would change.
func (f *flush) relateOne(t *table, r relation.Relation, e *entry, isNew bool) {
	p := f.ownerOf(r, e.row)
	if p == nil {
		return
	}
	owners, others := f.s.tablesOf(r)
	pt := owners
	if r.Shape() == relation.BelongsTo { // e holds the key of p, a row of the other table
		pt = others
	}
	if !pt.u.KeyAssigned(p) {
		return
	}
	if !isNew {
		var have, want any
		var ok bool
		if r.Shape() == relation.BelongsTo {
			have, _ = r.OwnerKey(e.row)
			want, ok = r.ItemKey(p)
		} else {
			have, _ = r.ItemKey(e.row)
			want, ok = r.OwnerKey(p)
		}
		if !ok || have == want {
			return
		}
	}
	f.save(t, e.row)
	if r.Shape() == relation.BelongsTo {
		r.Relate(e.row, p)
	} else {
		r.Relate(p, e.row)
	}
}

// insert writes t's new rows: one statement, or one per wave when rows refer to new rows of
// the same table.
func (f *flush) insert(ctx context.Context, t *table) error {
	pending := sortedEntries(t, stNew)
	for len(pending) > 0 {
		var wave, later []*entry
		for _, e := range pending {
			if f.waitsForSibling(t, e, pending) {
				later = append(later, e)
			} else {
				wave = append(wave, e)
			}
		}
		if len(wave) == 0 {
			return fmt.Errorf("uow: flush: new %s rows refer to each other in a cycle", t.u.Table())
		}
		rows := make([]any, len(wave))
		for i, e := range wave {
			if t.def != nil {
				for _, r := range t.def.holds {
					f.relateOne(t, r, e, true)
				}
			}
			f.save(t, e.row)
			rows[i] = e.row
		}
		if err := t.u.Insert(ctx, f.s.tx, rows); err != nil {
			return err
		}
		for _, e := range wave {
			t.index.Put(e.row)
			f.inserted = append(f.inserted, tracked{t, e})
			// Clean for the waves and tables after; undone if the flush fails.
			e.state, e.snap = stClean, t.u.Clone(e.row)
		}
		pending = later
	}
	return nil
}

// waitsForSibling reports whether e refers, through a self-referential relation, to a row of
// pending that is not e.
func (f *flush) waitsForSibling(t *table, e *entry, pending []*entry) bool {
	if t.def == nil {
		return false
	}
	for _, r := range t.def.holds {
		o, _ := r.Owner()
		c, _ := r.Other()
		if o.Repo() != c.Repo() {
			continue
		}
		p := f.ownerOf(r, e.row)
		if p == nil || p == e.row {
			continue
		}
		for _, x := range pending {
			if x.row == p {
				return true
			}
		}
	}
	return false
}

// queueLinks queues the link rows to insert (or delete) of every many-to-many relation.
func (f *flush) queueLinks(queue func(string, []any, func(int64) error), insert bool) {
	for _, r := range f.s.model.rels {
		if r.Shape() != relation.ManyToMany {
			continue
		}
		st := f.s.relState(r)
		link := r.Link()
		var pairs [][2]any
		for k, ins := range st.links {
			if ins == insert {
				pairs = append(pairs, k)
			}
		}
		if len(pairs) == 0 {
			continue
		}
		slices.SortFunc(pairs, func(a, b [2]any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		table := sqltext.Quote(link.Table)
		from, to := sqltext.Quote(link.From), sqltext.Quote(link.To)
		if insert {
			var b strings.Builder
			args := make([]any, 0, 2*len(pairs))
			fmt.Fprintf(&b, "INSERT INTO %s (%s, %s) VALUES ", table, from, to)
			for i, pc := range pairs {
				pk, _ := r.OwnerKey(pc[0])
				ck, _ := r.ItemKey(pc[1])
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "($%d, $%d)", 2*i+1, 2*i+2)
				args = append(args, pk, ck)
			}
			b.WriteString(" ON CONFLICT DO NOTHING")
			queue(b.String(), args, func(int64) error { return nil })
			continue
		}
		for _, pc := range pairs {
			pk, _ := r.OwnerKey(pc[0])
			ck, _ := r.ItemKey(pc[1])
			queue(fmt.Sprintf("DELETE FROM %s WHERE %s = $1 AND %s = $2", table, from, to), []any{pk, ck}, func(int64) error { return nil })
		}
	}
}

// queueUnlinkAll queues the deletion of every link row that refers to the deleted rows of t.
func (f *flush) queueUnlinkAll(queue func(string, []any, func(int64) error), t *table, rows []*entry) {
	done := map[string]bool{}
	for _, r := range f.s.model.rels {
		if r.Shape() != relation.ManyToMany {
			continue
		}
		o, _ := r.Owner()
		c, _ := r.Other()
		link := r.Link()
		var col string
		var key func(any) (any, bool)
		switch t.u.Repo() {
		case o.Repo():
			col, key = link.From, r.OwnerKey
		case c.Repo():
			col, key = link.To, r.ItemKey
		default:
			continue
		}
		id := link.Table + "." + col
		if done[id] {
			continue
		}
		done[id] = true
		sql := fmt.Sprintf("DELETE FROM %s WHERE %s = $1", sqltext.Quote(link.Table), sqltext.Quote(col))
		for _, e := range rows {
			k, _ := key(e.row)
			queue(sql, []any{k}, func(int64) error { return nil })
		}
	}
}
