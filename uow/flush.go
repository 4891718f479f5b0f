package uow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// ErrStale is returned when an UPDATE or DELETE of a flush matched no row: someone else changed
// (with a Version column) or deleted the row since this session read it.
var ErrStale = repo.ErrStale

// Flush writes every change the session holds, in this order and no other round trips: one pgx
// batch with the link rows deleted, the DELETEs (children before parents: one per table, one
// per row where the key is composite or a Version column guards it) and the UPDATEs (changed
// columns only; orphans' foreign keys set NULL in one UPDATE per table); one round trip of
// INSERTs per table with new rows, parents before children (a self-referential table in as
// many as its new rows are deep); then one batch with the UPDATEs that need keys those INSERTs
// generated, the link rows inserted, and the DELETEs that must follow such UPDATEs. A flush with nothing to write sends nothing. Where a new row takes the
// key of a row deleted in the same flush (a client key, or a unique parent key), the rows that
// move from the deleted row to the new one have their foreign key set NULL in the first batch
// and set again in the last, so that the DELETE can go before the INSERT (a NOT NULL foreign key
// or a Version column: [ErrConflict], before any SQL). What the order cannot do: let a new row
// take the unique value of a row deleted in the last batch that is not a parent key, nor two
// rows swap unique values: flush between such changes.
//
// Before any SQL it loads collections assigned before they were loaded, brings relations in
// step (fix-up; [ErrConflict] where two edits disagree), applies the delete cascades (loading,
// through the session, one select-in per relation and level, the collections of deleted rows
// that are not loaded, unless PassiveDeletes) and refuses an orphan ([ErrOrphan]). If a
// statement fails, the flush returns its error and the rows are as they were before it: no
// key assigned, no row counted as written; the transaction is then unusable and the session
// must be rolled back.
//
// The flush that Commit makes sends COMMIT with its last batch (see "Transactions" in the
// package doc); Flush itself never commits.
//
// A flush of a session that ended is [ErrEnded]; of a nil or zero Session, or with a nil context,
// an error matching repo.ErrInvalid.
func (s *Session) Flush(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	_, err := s.flush(ctx, false)
	return err
}

// flush writes every change the session holds. With commit (the session's own transaction,
// a lazyTx), the last batch it sends ends with COMMIT (see sendCommitting); it reports whether
// the transaction ended so, committed if err is nil.
func (s *Session) flush(ctx context.Context, commit bool) (ended bool, err error) {
	if s.flushing {
		return false, nil
	}
	s.flushing = true
	defer func() { s.flushing = false }()
	if err := s.prepare(ctx); err != nil {
		return false, err
	}
	p, err := s.planFlush()
	if err != nil {
		return false, err
	}
	f := &flush{s: s, db: s.tx, commit: commit}
	if err := f.run(ctx, &p); err != nil {
		if !f.committed {
			f.undo()
		}
		return f.ended, err
	}
	f.done()
	return f.ended, nil
}

// prepare does what a flush does before it plans: it loads what assignments replaced, brings
// relations in step, applies the delete cascades and refuses orphans.
func (s *Session) prepare(ctx context.Context) error {
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
	return s.checkOrphans()
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
		for _, e := range rowsIn(ot, nil, stClean, stDeleted) {
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
			return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Err: fmt.Errorf("loading the collection assigned before it was loaded: %w", err)}
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
		for _, e := range rowsIn(ct, nil, stNew) {
			if st.owner[e.row] != nil || r.HasFK(e.row) {
				continue
			}
			return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Err: fmt.Errorf("%s has no %s row: put it in one's collection or set its foreign key; it would be inserted without an owner: %w",
				describeRow(ct, e.row), ot.u.Table(), ErrOrphan)}
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
			for _, e := range rowsIn(t, nil, stDeleted) {
				if !seen[e.row] {
					seen[e.row] = true
					todo = append(todo, tracked{t, e})
				}
			}
		}
		if len(todo) == 0 {
			return len(seen) > 0, s.restrict()
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
	if c.Has(relation.Restrict) {
		return nil // checked once every cascade is known: see restrict
	}
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
			return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Err: fmt.Errorf("loading the rows to delete them: %w", err)}
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

// restrict refuses to delete an owner that the session knows to have rows through a relation
// that cascades Restrict: rows of its loaded collection or field, or rows the session holds
// whose foreign key names it, which this flush does not delete too. An owner whose rows are
// not loaded is left to the database, whose refusal its DELETE maps to ErrRestricted.
func (s *Session) restrict() error {
	for _, r := range s.model.rels {
		if !r.Cascades().Has(relation.Restrict) {
			continue
		}
		ot, ct := s.tablesOf(r)
		if ot == nil || ct == nil {
			continue
		}
		for _, e := range rowsIn(ot, nil, stDeleted) {
			var items []any
			if r.IsLoaded(e.row) {
				items, _ = r.Items(e.row)
			}
			for _, item := range append(items, s.heldBy(r, ct, e.row, items)...) {
				if c, ok := ct.entries[item]; ok && c.state == stDeleted {
					continue
				}
				return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Table: ot.u.Table(), Key: ot.u.Key(e.row),
					Err: fmt.Errorf("the row still has %s rows (%s) and the relation cascades Restrict: delete them, or move them to another owner, first: %w", ct.u.Table(), describeRow(ct, item), ErrRestricted)}
			}
		}
	}
	return nil
}

// ErrRestricted is matched by the error of a flush that deletes an owner which still has rows
// through a relation that cascades rel.Restrict: raised before any SQL when the session knows
// the rows, and mapped from the database's refusal (foreign_key_violation, restrict_violation)
// of the DELETE otherwise, the *pgconn.PgError still reachable with errors.As.
var ErrRestricted = errors.New("uow: restricted: the row still has rows referring to it")

// restricted maps the database's refusal to delete a row of t still referred to
// (foreign_key_violation or restrict_violation) to ErrRestricted, naming the relation of the
// model whose foreign key it is, if one is.
func (s *Session) restricted(t *table) func(error) error {
	return func(err error) error {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23503" && pe.Code != "23001" {
			return err
		}
		e := &repo.Error{Op: "uow.Flush", Table: t.u.Table(), Err: restrictedError{pe}}
		for _, r := range s.model.rels {
			if _, ct := s.tablesOf(r); ct != nil && ct.u.Table() == pe.TableName && r.Shape() != relation.BelongsTo {
				if o, _ := r.Owner(); o.Repo() == t.u.Repo() {
					e.Relation = r.Label()
					break
				}
			}
		}
		return e
	}
}

// restrictedError is the database's refusal to delete a row still referred to: it matches
// ErrRestricted and unwraps to the *pgconn.PgError.
type restrictedError struct{ pe *pgconn.PgError }

func (e restrictedError) Error() string        { return e.pe.Error() }
func (e restrictedError) Unwrap() error        { return e.pe }
func (e restrictedError) Is(target error) bool { return target == ErrRestricted }

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

// flush is one flush under way: where it sends its plan, and what it changed, to undo on
// failure or record when done.
type flush struct {
	s        *Session
	db       pipe.DB          // the session's transaction
	saved    map[any]savedRow // rows the flush changed (keys, foreign keys), as they were
	inserted []tracked
	updated  []tracked
	deleted  []tracked
	goneByFK []goneRows // keys of rows cascades deleted by foreign key
	unhooked []unhooked // rows whose foreign key the flush set NULL for now, with their snapshots

	commit    bool // the last batch ends with COMMIT
	ended     bool // the transaction ended with that batch: committed, failed or unknown
	committed bool // it committed
}

type unhooked struct {
	e    *entry
	snap any
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
	for i := len(f.unhooked) - 1; i >= 0; i-- {
		f.unhooked[i].e.snap = f.unhooked[i].snap
	}
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
			st, ok := f.s.rels[r]
			if !ok {
				continue
			}
			if _, had := st.fkSnap[row]; !had {
				continue
			}
			switch {
			case r.Shape() == relation.HasMany || r.Shape() == relation.HasOne:
				st.fkSnap[row] = fkOf(r, row)
			case r.Shape() == relation.BelongsTo && f.s.model.inverse[r] == nil:
				// A BelongsTo alone keeps its own state (syncBelongs), its key the row's own.
				st.fkSnap[row] = keyOrNil(r.OwnerKey(row))
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

// run sends p's steps in order, building each when it is reached; it stops at the first error.
// With f.commit, the last step that has anything to send ends with COMMIT.
func (f *flush) run(ctx context.Context, p *plan) error {
	steps := make([]*step, 0, len(p.inserts)+2)
	steps = append(steps, &p.before)
	for i := range p.inserts {
		steps = append(steps, &p.inserts[i])
	}
	steps = append(steps, &p.after)
	last := -1
	for i, st := range steps {
		if f.commit && (st.insert != nil || len(st.ops) > 0) {
			last = i
		}
	}
	for i, st := range steps {
		if err := f.send(ctx, p, st, i == last); err != nil {
			return err
		}
	}
	return nil
}

// send builds st, a step of p, and sends it; final, with COMMIT after its statements.
func (f *flush) send(ctx context.Context, p *plan, st *step, final bool) error {
	if st.relate {
		// Rows whose owners were just inserted take their keys.
		for _, t := range p.tables {
			f.relate(t)
		}
	}
	if st.insert != nil {
		return f.insert(ctx, st.insert, st.rows, st.cuts, final)
	}
	if final {
		return f.sendCommitting(ctx, f.statements(st.ops))
	}
	return pipe.Batch(ctx, f.db, f.statements(st.ops))
}

// sendCommitting sends stmts and COMMIT in one batch, each statement Checked: one that affects
// fewer rows than it must fails in the server, which then skips everything after it, COMMIT
// included, as it does after any error. With no statements it sends nothing, and COMMIT goes
// alone after the flush.
//
// If the batch fails, what happened is told apart by the first failure: COMMIT's own (the
// transaction did not commit: the server's refusal, or ErrAmbiguousCommit if the connection
// broke); a statement's error from the server (COMMIT was skipped); the connection breaking
// (ErrAmbiguousCommit, unless nothing was sent); or an error of Go's about what the server
// accepted (a RETURNING it cannot scan), after which the server went on and committed, as the
// connection, idle again, tells.
func (f *flush) sendCommitting(ctx context.Context, stmts []pipe.Statement) error {
	if len(stmts) == 0 {
		return nil
	}
	failed, raw := -1, error(nil)
	out := make([]pipe.Statement, len(stmts)+1)
	for i, s := range stmts {
		s = pipe.Checked(s)
		fail := s.Fail
		s.Fail = func(err error) error {
			failed, raw = i, err
			if fail != nil {
				return fail(err)
			}
			return err
		}
		out[i] = s
	}
	out[len(stmts)] = pipe.Statement{SQL: "commit",
		Done: func(tag pgconn.CommandTag) error {
			if tag.String() == "ROLLBACK" {
				return pgx.ErrTxCommitRollback
			}
			return nil
		},
		Fail: func(err error) error {
			failed, raw = len(stmts), err
			return err
		},
	}
	err := pipe.Batch(ctx, f.db, out)
	tx := f.s.tx.(*lazyTx)
	conn := tx.rawConn()
	var pe *pgconn.PgError
	switch {
	case err == nil:
		f.committed = true
	case failed == len(stmts): // COMMIT's own
		if errors.Is(raw, pgx.ErrTxCommitRollback) {
			err = fmt.Errorf("uow: commit: %w", err)
		} else {
			err = commitError(err, false)
		}
	case errors.As(raw, &pe): // COMMIT was skipped: the session rolls back
		return err
	case conn.IsClosed():
		err = commitError(raw, false)
	case conn.PgConn().TxStatus() == 'I':
		f.committed = true
		err = fmt.Errorf("uow: committed, but: %w", err)
	default:
		return err
	}
	f.ended = true
	tx.end()
	return err
}

// statements builds the statements of a batch step's ops, each with its check.
func (f *flush) statements(ops []op) []pipe.Statement {
	n := 0 // as many statements as there are, or a few more (or fewer: DeleteStatements)
	for i := range ops {
		switch o := &ops[i]; o.kind {
		case opDelete, opDeleteByFK, opLink:
			n++
		default:
			n += len(o.rows) + len(o.pairs)
		}
	}
	out := make([]pipe.Statement, 0, n)
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opUnlink:
			for _, k := range linkKeys(o) {
				out = append(out, pipe.Statement{SQL: o.link.delete, Args: []any{k.owner, k.item}})
			}
		case opLink:
			keys := linkKeys(o)
			args := make([]any, 0, 2*len(keys))
			for _, k := range keys {
				args = append(args, k.owner, k.item)
			}
			out = append(out, pipe.Statement{SQL: o.link.insertOf(len(keys)), Args: args})
		case opDeleteByFK:
			sql, args, keys := o.rel.DeleteByFK(o.owners)
			ct := o.t
			out = append(out, pipe.Statement{SQL: sql, Args: args, Read: func(rows pgx.Rows) error {
				deleted, err := keys(rows)
				f.goneByFK = append(f.goneByFK, goneRows{ct, deleted})
				return err
			}})
		case opUnlinkAll:
			sql, key := o.link.byItem, o.rel.ItemKey
			if o.byOwner {
				sql, key = o.link.byOwner, o.rel.OwnerKey
			}
			for _, e := range o.rows {
				k, _ := key(e.row)
				out = append(out, pipe.Statement{SQL: sql, Args: []any{k}})
			}
		case opDelete:
			out = f.deletes(out, o.t, o.rows)
		case opUpdate:
			out = f.updates(out, o.t, o.rows)
		case opUnhook:
			for _, e := range o.rows {
				out = f.unhook(out, o.t, e, o.rel)
			}
		}
	}
	return out
}

// updates appends the UPDATEs of rows, rows of t: one per row of its changed columns, but one
// for all the rows whose changes are the same columns set NULL (orphans' foreign keys:
// UPDATE … SET fk = NULL WHERE id = ANY($1) RETURNING id), checked as one; a row missing from
// what it returns is ErrStale, naming that row.
func (f *flush) updates(out []pipe.Statement, t *table, rows []*entry) []pipe.Statement {
	type nulled struct {
		cols []int
		rows []*entry
	}
	var groups []*nulled
	for _, e := range rows {
		cols := t.u.Changed(nil, e.row, e.snap)
		if len(cols) == 0 || !t.u.Nulls(e.row, cols) {
			out = f.update(out, t, e)
			continue
		}
		i := slices.IndexFunc(groups, func(g *nulled) bool { return slices.Equal(g.cols, cols) })
		if i < 0 {
			i = len(groups)
			groups = append(groups, &nulled{cols: cols})
		}
		groups[i].rows = append(groups[i].rows, e)
	}
	for _, g := range groups {
		if len(g.rows) == 1 {
			out = f.update(out, t, g.rows[0])
			continue
		}
		list := make([]any, len(g.rows))
		for i, e := range g.rows {
			list[i] = e.row
			f.updated = append(f.updated, tracked{t, e})
		}
		seen := make(map[any]bool, len(list))
		st := t.u.NullUpdate(list, g.cols, func(k any) { seen[k] = true })
		st.Done = func(tag pgconn.CommandTag) error {
			if int(tag.RowsAffected()) == len(list) {
				return nil
			}
			var key any // the row missing from what the UPDATE returned, if it returned any
			for _, row := range list {
				if k := t.u.Key(row); len(seen) > 0 && !seen[k] {
					key = k
					break
				}
			}
			return &repo.Error{Op: "update", Table: t.u.Table(), Key: key, Err: ErrStale}
		}
		out = append(out, st)
	}
	return out
}

// update appends the UPDATE of e's changed columns, if any.
func (f *flush) update(out []pipe.Statement, t *table, e *entry) []pipe.Statement {
	cols := t.u.Changed(nil, e.row, e.snap)
	if len(cols) == 0 {
		return out
	}
	st := t.u.UpdateStatement(e.row, cols)
	if st.Read != nil {
		f.save(t, e.row) // it reads columns back into the row: undone if the flush fails
	}
	st.Done, st.Rows = staleUpdate(t, t.u.Key(e.row)), 1
	f.updated = append(f.updated, tracked{t, e})
	return append(out, st)
}

// unhook appends the UPDATE that sets e's foreign key of r NULL, and takes that as e's state in
// the database, so that its UPDATE at the end of the flush writes the key it holds.
func (f *flush) unhook(out []pipe.Statement, t *table, e *entry, r relation.Relation) []pipe.Statement {
	null := t.u.Clone(e.snap)
	unrelate(r, null)
	cols := t.u.Changed(nil, null, e.snap)
	if len(cols) == 0 {
		return out
	}
	st := t.u.UpdateStatement(null, cols)
	st.Done, st.Rows = staleUpdate(t, t.u.Key(e.row)), 1
	f.unhooked = append(f.unhooked, unhooked{e, e.snap})
	e.snap = null
	return append(out, st)
}

// deletes appends the DELETEs of rows, rows of t.
func (f *flush) deletes(out []pipe.Statement, t *table, rows []*entry) []pipe.Statement {
	list := make([]any, len(rows))
	for i, e := range rows {
		list[i] = e.row
		f.deleted = append(f.deleted, tracked{t, e})
	}
	for _, st := range t.u.DeleteStatements(list) {
		var key any
		if st.Rows == 1 {
			key = st.Args[0]
		}
		out = append(out, pipe.Statement{SQL: st.SQL, Args: st.Args, Done: staleDelete(t, key, st.Rows), Fail: f.s.restricted(t), Rows: st.Rows})
	}
	return out
}

// staleUpdate is the check of the UPDATE of t's row with key: ErrStale if it matched no row.
func staleUpdate(t *table, key any) func(pgconn.CommandTag) error {
	return func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != 1 {
			return &repo.Error{Op: "update", Table: t.u.Table(), Key: key, Err: ErrStale}
		}
		return nil
	}
}

// staleDelete is the check of a DELETE of want rows of t (the row with key, if one): ErrStale
// if it deleted fewer.
func staleDelete(t *table, key any, want int64) func(pgconn.CommandTag) error {
	return func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != want {
			return &repo.Error{Op: "delete", Table: t.u.Table(), Key: key, Err: ErrStale}
		}
		return nil
	}
}

// insert writes rows, one wave of t's new rows, after giving them the keys of the rows they
// refer to that have keys by now.
func (f *flush) insert(ctx context.Context, t *table, wave []*entry, cuts []cut, final bool) error {
	rows := make([]any, len(wave))
	cycles := f.s.postUpdateFKs(t)
	for i, e := range wave {
		if t.def != nil {
			for _, r := range t.def.holds {
				f.relateOne(t, r, e, true)
			}
		}
		f.save(t, e.row)
		for _, r := range cycles {
			if f.s.refersToNew(r, e) {
				// It breaks a cycle, and the row it refers to comes later: NULL for now, set
				// by the UPDATE of step 3 (postUpdates).
				unrelate(r, e.row)
			}
		}
		rows[i] = e.row
	}
	for _, c := range cuts {
		unrelate(c.rel, c.e.row) // set by the UPDATE of step 3
	}
	trips := t.u.InsertStatements(rows)
	for i, stmts := range trips {
		var err error
		if final && i == len(trips)-1 {
			err = f.sendCommitting(ctx, stmts)
		} else {
			err = pipe.Send(ctx, f.db, stmts)
		}
		if err != nil && !f.ended {
			return &repo.Error{Op: "insert", Table: t.u.Table(), Err: err}
		} else if err != nil {
			return err
		}
	}
	for _, e := range wave {
		t.index.Put(e.row)
		f.inserted = append(f.inserted, tracked{t, e})
		// Clean for the waves and tables after; undone if the flush fails.
		e.state, e.snap = stClean, t.u.Clone(e.row)
	}
	return nil
}

// unrelate sets row's foreign key of r NULL, row being of the side that holds it.
func unrelate(r relation.Relation, row any) {
	if r.Shape() == relation.BelongsTo {
		r.Unrelate(row, nil)
	} else {
		r.Unrelate(nil, row)
	}
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
	p := f.s.ownerOf(r, e.row)
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
