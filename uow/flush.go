package uow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// ErrStale is returned when an UPDATE or DELETE of a flush matched no row: someone else changed
// (with a Version column) or deleted the row since this session read it.
var ErrStale = repo.ErrStale

// Flush writes every change the session holds, in this order and no other round trips: one
// multi-row INSERT … RETURNING per table with new rows, parents before children (a
// self-referential table in as many waves as its new rows are deep), then one pgx batch with the
// link rows deleted, every UPDATE (changed columns only), the link rows inserted and the
// DELETEs, children before parents: one per table (one per row where the key is composite or a
// Version column guards it). A flush with nothing to write sends nothing.
//
// Before any SQL it brings relations in step (fix-up), applies the delete cascades (loading,
// through the session, collections of deleted rows that are not loaded, unless PassiveDeletes)
// and refuses an orphan whose foreign key cannot be NULL. If a statement fails, the flush
// returns its error and the rows are as they were before it: no key assigned, no row counted as
// written; the transaction is then unusable and the session must be rolled back.
func (s *Session) Flush(ctx context.Context) error {
	if s.closed {
		return errClosed
	}
	if s.flushing {
		return nil
	}
	s.flushing = true
	defer func() { s.flushing = false }()
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
	f := &flush{s: s}
	if err := f.run(ctx); err != nil {
		f.undo()
		return err
	}
	f.done()
	return nil
}

// cascadeDeletes follows the relations of rows marked deleted: Delete deletes their rows (loaded
// first unless PassiveDeletes), otherwise their rows' foreign keys are set NULL. It reports whether
// any row is to be deleted.
func (s *Session) cascadeDeletes(ctx context.Context) (deleting bool, err error) {
	seen := map[any]bool{}
	for {
		var todo []tracked
		for _, t := range s.ordered() {
			for _, e := range t.entries {
				if e.state == stDeleted && !seen[e.row] {
					seen[e.row] = true
					todo = append(todo, tracked{t, e})
				}
			}
		}
		if len(todo) == 0 {
			return len(seen) > 0, nil
		}
		for _, d := range todo {
			if d.t.def == nil {
				continue
			}
			for _, r := range d.t.def.owns {
				if err := s.cascadeDelete(ctx, r, d.e.row); err != nil {
					return true, err
				}
			}
		}
	}
}

func (s *Session) cascadeDelete(ctx context.Context, r load.Relation, p any) error {
	c := rel.Cascades(r.Cascades())
	switch r.Shape() {
	case load.BelongsTo:
		return nil
	case load.ManyToMany:
		return nil // the link rows go with a statement of their own
	}
	_, ct := s.tablesOf(r)
	items, loaded := r.Items(p)
	if !loaded {
		if c.Has(rel.PassiveDeletes) {
			// The database deletes them; forget the ones the session holds.
			st := s.relState(r)
			for row, owner := range st.owner {
				if owner == p {
					s.forget(ct, row)
				}
			}
			return nil
		}
		if err := r.LoadFor(ctx, s, p); err != nil {
			return fmt.Errorf("uow: loading %s to delete them: %w", r.Label(), err)
		}
		// The load read the database, which does not know yet the rows this flush will
		// insert or move to p: take those from the session.
		items, _ = r.Items(p)
		items = append(items, s.heldBy(r, ct, p, items)...)
	}
	return s.followDelete(r, ct, p, items)
}

// heldBy returns the rows that the session holds as p's through r (HasMany, HasOne) and that
// are not in items, in the order they were added.
func (s *Session) heldBy(r load.Relation, ct *table, p any, items []any) []any {
	var (
		more []any
		in   map[any]bool // items, as a set, made at the first row of p's (if items are many)
	)
	for row, owner := range s.relState(r).owner {
		if owner != p {
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
func (s *Session) followDelete(r load.Relation, ct *table, p any, items []any) error {
	c := rel.Cascades(r.Cascades())
	st := s.relState(r)
	inv := s.model.inverse[r]
	for _, item := range items {
		e, ok := ct.entries[item]
		if !ok || e.state == stDeleted {
			continue
		}
		if c.Has(rel.Delete) {
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
			if r.Shape() != load.HasMany && r.Shape() != load.HasOne {
				continue
			}
			if st, ok := f.s.rels[r]; ok {
				if _, had := st.fkSnap[row]; had {
					k, ok := r.ItemKey(row)
					st.fkSnap[row] = keyOrNil(k, ok)
				}
			}
		}
	}
	for _, x := range f.deleted {
		f.s.forget(x.t, x.e.row)
	}
	for _, st := range f.s.rels {
		clear(st.links)
	}
}

func (f *flush) run(ctx context.Context) error {
	s := f.s
	tables := s.ordered()
	for _, t := range tables {
		if err := f.insert(ctx, t); err != nil {
			return err
		}
	}
	// Rows whose owners were just inserted take their keys.
	for _, t := range tables {
		f.relate(t)
	}
	b := &pgx.Batch{}
	var checks []func(rows int64) error
	queue := func(sql string, args []any, check func(int64) error) {
		b.Queue(sql, args...)
		checks = append(checks, check)
	}
	f.queueLinks(queue, false)
	for _, t := range tables {
		for _, e := range sortedEntries(t, stClean) {
			cols := t.u.Changed(nil, e.row, e.snap)
			if len(cols) == 0 {
				continue
			}
			sql, args := t.u.UpdateStatement(e.row, cols)
			key := t.u.Key(e.row)
			table := t.u.Table()
			queue(sql, args, func(n int64) error {
				if n != 1 {
					return &repo.Error{Op: "update", Table: table, Key: key, Err: ErrStale}
				}
				return nil
			})
			f.updated = append(f.updated, tracked{t, e})
		}
	}
	f.queueLinks(queue, true)
	for i := len(tables) - 1; i >= 0; i-- {
		t := tables[i]
		rows := sortedEntries(t, stDeleted)
		if len(rows) == 0 {
			continue
		}
		f.queueUnlinkAll(queue, t, rows)
		var list []any
		for _, e := range rows {
			list = append(list, e.row)
			f.deleted = append(f.deleted, tracked{t, e})
		}
		for _, st := range t.u.DeleteStatements(list) {
			table, want := t.u.Table(), st.Rows
			var key any
			if want == 1 {
				key = st.Args[0]
			}
			queue(st.SQL, st.Args, func(n int64) error {
				if n != want {
					return &repo.Error{Op: "delete", Table: table, Key: key, Err: ErrStale}
				}
				return nil
			})
		}
	}
	if b.Len() == 0 {
		return nil
	}
	br := s.tx.SendBatch(ctx, b)
	for _, check := range checks {
		tag, err := br.Exec()
		if err == nil {
			err = check(tag.RowsAffected())
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

func sortedEntries(t *table, st state) []*entry {
	var out []*entry
	for _, e := range t.entries {
		if e.state == st {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return a.seq - b.seq })
	return out
}

// ownerOf returns the row that row refers to through r's foreign key, as fix-up last saw it.
func (f *flush) ownerOf(r load.Relation, row any) any {
	st := f.s.relState(r)
	if inv := f.s.model.inverse[r]; r.Shape() == load.BelongsTo && inv != nil {
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
func (f *flush) relateOne(t *table, r load.Relation, e *entry, isNew bool) {
	p := f.ownerOf(r, e.row)
	if p == nil {
		return
	}
	owners, others := f.s.tablesOf(r)
	pt := owners
	if r.Shape() == load.BelongsTo { // e holds the key of p, a row of the other table
		pt = others
	}
	if !pt.u.KeyAssigned(p) {
		return
	}
	if !isNew {
		var have, want any
		var ok bool
		if r.Shape() == load.BelongsTo {
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
	if r.Shape() == load.BelongsTo {
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
		if r.Shape() != load.ManyToMany {
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
		if r.Shape() != load.ManyToMany {
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
