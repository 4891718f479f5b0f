package uow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// ErrOrphan is matched by the error of a flush that would leave a row without an owner where
// it needs one: a row that left its owner while its foreign key cannot be NULL and the relation
// does not cascade DeleteOrphan, or a new row that no owner holds (and whose foreign key is not
// set) under DeleteOrphan or a foreign key that cannot be NULL. It names the relation and the
// row, and is raised before any SQL is sent.
var ErrOrphan = errors.New("uow: orphan")

// ErrConflict is matched by the error of a flush (or Add) that finds, among the edits made since
// the last flush, two that give one row two different owners through one relation: put in two
// collections, or in one collection while its foreign key or inverse field names another owner.
// The session cannot tell which edit came last, so it refuses both, before any SQL, naming the
// relation, the row and each owner. Edits separated by a flush (or an Add, which brings the rows
// it adds in step at once) are not in conflict: the later one wins.
var ErrConflict = errors.New("uow: conflicting edits of one relation")

// sync keeps every relation's three sides in step: the owner's loaded collection (or field),
// the row's foreign key, and the row's inverse BelongsTo field (relationship fix-up, as EF
// Core's DetectChanges does). Each row's owner is decided from every side that changed since
// the last sync (see syncOwned); the others are made to agree. Rows that left their owner
// become orphans: deleted with DeleteOrphan, else their foreign key is set NULL. only, if not
// nil, limits the rows looked at to those an Add just added: such a sync moves rows to the
// owners they name, but leaves what left a collection to the flush, which reads every owner.
func (s *Session) sync(only map[any]bool) error {
	for _, r := range s.model.rels {
		var err error
		switch r.Shape() {
		case relation.HasMany, relation.HasOne:
			err = s.syncOwned(r, only)
		case relation.ManyToMany:
			err = s.syncLinks(r, only)
		case relation.BelongsTo:
			if s.model.inverse[r] == nil {
				err = s.syncBelongs(r, only)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) tablesOf(r relation.Relation) (owner, other *table) {
	o, _ := r.Owner()
	c, _ := r.Other()
	return s.tableOf(o), s.tableOf(c)
}

// A claim is what one side of a relation says a row's owner is now, after an edit: a row the
// session holds (row), the key of one it does not hold (key), or no owner (neither).
type claim struct {
	row any
	key any
	via string // the side that says so, for errors
}

func (c claim) same(d claim) bool { return c.row == d.row && c.key == d.key }

func addClaim(claims []claim, c claim) []claim {
	for _, x := range claims {
		if x.same(c) {
			return claims
		}
	}
	return append(claims, c)
}

// syncOwned brings a HasMany or HasOne relation in step. It reads every owner's collection
// first, then decides each row's owner once, from what every side says changed since the last
// sync (the package doc's "Owners, moves and orphans"):
//
//   - one side names a new owner (a collection gained the row, its inverse field or its foreign
//     key changed): the row moves there, whatever collection it left and in whatever order the
//     session met the owners;
//   - two sides name different owners: the session cannot tell which edit came last, and says
//     so ([ErrConflict]) rather than pick one;
//   - no side names one, but the row left its owner's collection: it is an orphan (deleted with
//     DeleteOrphan, else its foreign key set NULL).
func (s *Session) syncOwned(r relation.Relation, only map[any]bool) error {
	st := s.relState(r)
	ot, ct := s.tablesOf(r)
	inv := s.model.inverse[r]
	byKey := s.ownerIndex(r, ot, r.OwnerKey, false)
	// Rows first seen, read from the database, look their owner up among the rows it holds.
	byStoredKey := s.ownerIndex(r, ot, r.OwnerKey, true)
	// row → the owner whose collection gained it, and the others, if more than one did (rare:
	// a conflict), apart so that the common case allocates no slice per row.
	gained, gainedMore := map[any]any{}, map[any][]any{}
	lost := map[any]any{} // row → the owner whose collection lost it
	var changed, met []any
	// The owners' side. An owner marked deleted counts too: what its collection gained and lost
	// before the Delete decides which rows its delete cascades reach and which left it.
	for _, e := range rowsIn(ot, only, stNew, stClean, stDeleted) {
		p := e.row
		items, loaded := r.Items(p)
		prev, known := st.coll[p]
		if !loaded && !known {
			continue // never loaded; a loaded field set to nil is emptied
		}
		if known && !loaded {
			r.Init(p) // a loaded collection set to nil is emptied, and stays loaded
		}
		if known && slices.Equal(prev, items) {
			continue // the common case: nothing changed
		}
		if !known && e.state != stNew {
			continue // assigned before it was loaded: the flush loads its members first (loadAssigned)
		}
		if err := nilInCollection("uow.Flush", r, ot, p); err != nil {
			return err
		}
		changed = append(changed, p)
		inPrev, inItems := membership(prev), membership(items)
		for _, c := range items {
			if known && inPrev(c) {
				continue
			}
			if s.deleted(ct, c) {
				r.Detach(p, c) // deleted before this collection was synced
				continue
			}
			if _, ok := gained[c]; ok {
				gainedMore[c] = append(gainedMore[c], p)
			} else {
				met = append(met, c)
				gained[c] = p
			}
		}
		if only != nil {
			// An Add sees some owners only: a row one of them lost may be in another's
			// collection. What left a collection is decided by the flush, which reads them all;
			// st.coll keeps it until then (assign adds what was gained).
			continue
		}
		for _, c := range prev {
			if !inItems(c) && st.owner[c] == p {
				lost[c] = p
				met = append(met, c)
			}
		}
	}
	for _, c := range met {
		if _, ok := gained[c]; ok {
			if err := s.adopt(r, ct, c); err != nil {
				return err
			}
		}
	}
	// The rows' side, each row once: its claims, then the decision.
	rows := rowsIn(ct, only, stNew, stClean)
	if only != nil || len(met) > 0 {
		in := make(map[any]bool, len(rows))
		for _, e := range rows {
			in[e.row] = true
		}
		for _, c := range met {
			if e, ok := ct.entries[c]; ok && !in[c] && e.state != stDeleted {
				in[c] = true
				rows = append(rows, e)
			}
		}
	}
	for _, e := range rows {
		if e.state == stDeleted {
			continue
		}
		c := e.row
		old := st.owner[c]
		var buf [2]claim // one claim is the common case, two a conflict: no allocation
		claims := buf[:0]
		if p, ok := gained[c]; ok {
			claims = addClaim(claims, claim{row: p, via: "put in the collection of"})
		}
		for _, p := range gainedMore[c] {
			claims = addClaim(claims, claim{row: p, via: "put in the collection of"})
		}
		if inv != nil {
			var bp any
			if items, _ := inv.Items(c); len(items) > 0 {
				bp = items[0]
			}
			if bp != st.bSnap[c] {
				claims = addClaim(claims, claim{row: bp, via: "its field " + inv.Label() + " set to"})
			}
		}
		fk := fkOf(r, c)
		base, had := st.fkSnap[c]
		if !had && e.snap != nil {
			base = fkOf(r, e.snap) // as the database has it
		}
		if fk != base {
			cl := claim{via: "its foreign key set to"}
			if fk != nil {
				if p, found := byKey(fk); found {
					cl.row = p
				} else {
					cl.key = fk
				}
			}
			claims = addClaim(claims, cl)
		}
		var err error
		switch {
		case len(claims) > 1:
			return s.conflict(r, ot, ct, c, claims)
		case len(claims) == 1 && claims[0].row != nil:
			s.assign(r, inv, st, c, claims[0].row)
		case len(claims) == 1 && claims[0].key != nil:
			s.leaveForKey(r, inv, st, c, old, claims[0].key)
		case len(claims) == 1:
			err = s.orphan(r, inv, st, ct, c, old)
		case lost[c] != nil:
			err = s.orphan(r, inv, st, ct, c, lost[c])
		case !had && fk != nil:
			// First sight of a row read by a query: it joins its owner's loaded collection. Its
			// key names a row the database holds, not a new one that took a deleted row's key.
			if p, found := byStoredKey(fk); found {
				s.assign(r, inv, st, c, p)
			} else {
				st.owner[c], st.fkSnap[c] = nil, fk
			}
		}
		if err != nil {
			return err
		}
	}
	if only == nil {
		for _, p := range changed {
			st.coll[p], _ = r.Items(p)
		}
	}
	return nil
}

// leaveForKey records that c's foreign key now names k, the key of a row the session does not
// hold: c leaves its old owner's collection, and its inverse field, which named the old owner,
// is cleared (not loaded), so that no later flush writes the old key back.
func (s *Session) leaveForKey(r, inv relation.Relation, st *relState, c, old, k any) {
	if old != nil {
		r.Detach(old, c)
		s.forgetMember(st, old, c)
	}
	if inv != nil {
		inv.SetField(c, nil)
	}
	st.owner[c], st.bSnap[c], st.fkSnap[c] = nil, nil, k
}

// conflict is the error for c, given two owners by edits made since the last flush.
func (s *Session) conflict(r relation.Relation, ot, ct *table, c any, claims []claim) error {
	var says []string
	for _, cl := range claims {
		switch {
		case cl.row != nil:
			says = append(says, fmt.Sprintf("%s the %s row with key %v", cl.via, ot.u.Table(), ot.u.Key(cl.row)))
		case cl.key != nil:
			says = append(says, fmt.Sprintf("%s %v", cl.via, cl.key))
		default:
			says = append(says, cl.via+" no owner")
		}
	}
	return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Err: fmt.Errorf("%s: %s, since the last flush; the session cannot tell which came last: keep one of the edits, or flush between them: %w",
		describeRow(ct, c), strings.Join(says, ", and "), ErrConflict)}
}

// describeRow names a row in errors: by its key, or for a new row by its column values.
func describeRow(t *table, row any) string {
	if e, ok := t.entries[row]; ok && e.state == stNew || !t.u.KeyAssigned(row) {
		return fmt.Sprintf("a new %s row (%s)", t.u.Table(), t.u.Describe(row))
	}
	return fmt.Sprintf("the %s row with key %v", t.u.Table(), t.u.Key(row))
}

// ownerIndex returns a lookup of the rows of ot the session holds by the key that r's foreign
// key refers to (key returns it of a row): the identity map where that key is the primary key;
// otherwise (a unique column) a map of ot's rows, made on the first lookup, at the cost of one
// pass over them per sync. A live row wins over a deleted one with the same key: a foreign key
// set now names the row that will hold the key. With stored, only the rows the database holds
// (clean or deleted, not new) are looked at: a row just read refers to one of those, even where
// a new row has taken the unique key of a deleted one (as the identity map, which holds no new
// row, does for a primary key).
func (s *Session) ownerIndex(r relation.Relation, ot *table, key func(any) (any, bool), stored bool) func(k any) (any, bool) {
	if r.KeyIsPrimary() {
		return ot.index.Get
	}
	states := []state{stNew, stClean, stDeleted}
	if stored {
		states = states[1:]
	}
	var m map[any]any
	return func(k any) (any, bool) {
		if m == nil {
			m = make(map[any]any, len(ot.entries))
			for _, e := range rowsIn(ot, nil, states...) {
				if v, ok := key(e.row); ok {
					if prev, dup := m[v]; !dup || ot.entries[prev].state == stDeleted {
						m[v] = e.row // a live row wins over a deleted one with the same key
					}
				}
			}
		}
		p, ok := m[k]
		return p, ok
	}
}

// membership returns a test of membership in list: a scan for a short list, a set for a long one.
func membership(list []any) func(any) bool {
	if len(list) <= 8 {
		return func(x any) bool { return slices.Contains(list, x) }
	}
	set := make(map[any]struct{}, len(list))
	for _, x := range list {
		set[x] = struct{}{}
	}
	return func(x any) bool { _, ok := set[x]; return ok }
}

// nilInCollection refuses a nil row in p's collection: a mistake in the caller's code, which
// would otherwise be written as nothing, or panic.
func nilInCollection(op string, r relation.Relation, ot *table, p any) error {
	if i := r.NilAt(p); i >= 0 {
		return &repo.Error{Op: op, Relation: r.Label(), Err: invalidf("the collection of %s holds nil at position %d; take it out", describeRow(ot, p), i)}
	}
	return nil
}

// fkOf returns c's foreign key through r (a HasMany or HasOne) as fix-up compares it: nil for
// NULL and for the zero value of its type, which names no owner (a new row's unset key).
func fkOf(r relation.Relation, c any) any {
	if !r.HasFK(c) {
		return nil
	}
	k, _ := r.ItemKey(c)
	return k
}

func keyOrNil(k any, ok bool) any {
	if !ok {
		return nil
	}
	return k
}

// deleted reports whether row, a row of t, was deleted in the session: it is marked deleted, or
// was deleted while new. A collection that gained it since the last sync loses it again.
func (s *Session) deleted(t *table, row any) bool {
	if e, ok := t.entries[row]; ok {
		return e.state == stDeleted
	}
	_, gone := s.gone[row]
	return gone
}

// adopt makes sure c, just put in an owner's field, is in the session.
func (s *Session) adopt(r relation.Relation, ct *table, c any) error {
	if _, ok := ct.entries[c]; ok {
		return nil
	}
	if !r.Cascades().Has(relation.SaveUpdate) {
		return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Table: ct.u.Table(), Err: invalidf("a row was put in a collection, but the relation does not cascade SaveUpdate: add it to the session")}
	}
	return s.add(ct, c, map[any]bool{})
}

// assign makes p the owner of c on every side.
func (s *Session) assign(r, inv relation.Relation, st *relState, c, p any) {
	old := st.owner[c]
	if old != nil && old != p {
		r.Detach(old, c)
		s.forgetMember(st, old, c)
	}
	if prev, known := st.coll[p]; known || r.IsLoaded(p) {
		r.Append(p, c)
		if known && !slices.Contains(prev, c) {
			st.coll[p] = append(prev, c)
		}
	}
	if inv != nil {
		inv.Append(c, p)
		st.bSnap[c] = p
	}
	if ot, _ := s.tablesOf(r); ot.u.KeyAssigned(p) {
		r.Relate(p, c) // where p has no key yet, the flush does it after inserting p
	}
	st.owner[c] = p
	st.fkSnap[c] = fkOf(r, c)
}

func (s *Session) forgetMember(st *relState, p, c any) {
	if prev, known := st.coll[p]; known {
		if i := slices.Index(prev, c); i >= 0 {
			st.coll[p] = slices.Delete(slices.Clone(prev), i, i+1)
		}
	}
}

// orphan handles c, which left its owner p (nil: one the session does not hold): deleted with
// DeleteOrphan, else its foreign key set NULL, which must be possible.
func (s *Session) orphan(r, inv relation.Relation, st *relState, ct *table, c, p any) error {
	if r.Cascades().Has(relation.DeleteOrphan) {
		s.leave(r, inv, st, c, p)
		return s.markDeleted(ct, c)
	}
	if !r.Unrelate(p, c) {
		return &repo.Error{Op: "uow.Flush", Relation: r.Label(), Err: fmt.Errorf("%s left its owner, but its foreign key cannot be NULL: declare rel.DeleteOrphan on the relation, or give the row another owner: %w",
			describeRow(ct, c), ErrOrphan)}
	}
	s.leave(r, inv, st, c, p)
	st.owner[c], st.fkSnap[c], st.bSnap[c] = nil, nil, nil
	return nil
}

// leave takes c out of p's field and p out of c's inverse field.
func (s *Session) leave(r, inv relation.Relation, st *relState, c, p any) {
	if p == nil {
		if inv != nil {
			inv.SetField(c, nil)
		}
		return
	}
	r.Detach(p, c)
	s.forgetMember(st, p, c)
	if inv != nil {
		inv.Detach(c, p)
	}
}

// syncLinks records the links a many-to-many collection gained and lost.
func (s *Session) syncLinks(r relation.Relation, only map[any]bool) error {
	st := s.relState(r)
	ot, ct := s.tablesOf(r)
	for _, e := range rowsIn(ot, only, stNew, stClean) {
		p := e.row
		items, loaded := r.Items(p)
		prev, known := st.coll[p]
		if !loaded && !known {
			continue
		}
		if !known && e.state != stNew {
			continue // assigned before it was loaded: the flush loads its links first (loadAssigned)
		}
		if known && !loaded {
			r.Init(p) // a loaded collection set to nil is emptied, and stays loaded
		}
		if err := nilInCollection("uow.Flush", r, ot, p); err != nil {
			return err
		}
		for _, c := range items {
			if s.deleted(ct, c) {
				r.Detach(p, c) // deleted before this collection was synced
				continue
			}
			if !slices.Contains(prev, c) {
				if err := s.adopt(r, ct, c); err != nil {
					return err
				}
				s.link(st, p, c, true)
			}
		}
		for _, c := range prev {
			if !slices.Contains(items, c) {
				s.link(st, p, c, false)
			}
		}
		st.coll[p], _ = r.Items(p)
	}
	return nil
}

// link records that the link (p, c) is to be inserted (or deleted), cancelling the opposite.
func (s *Session) link(st *relState, p, c any, insert bool) {
	k := linkRow{p, c}
	if pending, ok := st.links[k]; ok && pending != insert {
		delete(st.links, k)
		return
	}
	st.links[k] = insert
}

// syncBelongs keeps a BelongsTo without an inverse in step: its field set to a row sets the
// foreign key to that row's key (now, or at flush if the row has none yet); cleared, sets it
// NULL. If the field did not change but the foreign key did, the key wins: the field is set to
// the row the session holds with that key, or nil.
func (s *Session) syncBelongs(r relation.Relation, only map[any]bool) error {
	st := s.relState(r)
	ot, pt := s.tablesOf(r)
	byKey := s.ownerIndex(r, pt, r.ItemKey, false)
	for _, e := range rowsIn(ot, only, stNew, stClean) {
		c := e.row
		var p any
		if items, _ := r.Items(c); len(items) > 0 {
			p = items[0]
		}
		k, ok := r.OwnerKey(c) // the foreign key, which is c's
		fk := keyOrNil(k, ok)
		prev, had := st.bSnap[c]
		prevK, hadK := st.fkSnap[c]
		if p == prev && had {
			if hadK && prevK != fk {
				var np any
				if ok {
					if x, found := byKey(k); found && !s.deleted(pt, x) {
						np = x
					}
				}
				if np != nil {
					r.Append(c, np)
				} else if prev != nil {
					r.Detach(c, prev)
				}
				st.owner[c], st.bSnap[c] = np, np
			}
			st.fkSnap[c] = fk
			continue
		}
		if hadK && prevK != fk && (p == nil || fk != keyOrNil(r.ItemKey(p))) {
			says := []claim{{row: p, via: "its field " + r.Label() + " set to"}, {key: fk, via: "its foreign key set to"}}
			if x, found := byKey(fk); fk != nil && found {
				says[1] = claim{row: x, via: "its foreign key set to"}
			}
			return s.conflict(r, pt, ot, c, says)
		}
		if p != nil {
			r.Relate(c, p)
			st.owner[c] = p
		} else if had && prev != nil {
			r.Unrelate(c, prev) // the typed previous row: nil would not convert
			st.owner[c] = nil
		}
		st.bSnap[c] = p
		k, ok = r.OwnerKey(c)
		st.fkSnap[c] = keyOrNil(k, ok)
	}
	return nil
}

// relState is what fix-up remembers of one relation.
type relState struct {
	coll   map[any][]any    // owner → what its loaded field held at the last sync; absent: take it as it is
	owner  map[any]any      // row → its owner, as last synced (HasMany, HasOne)
	fkSnap map[any]any      // row → its foreign key at the last sync
	bSnap  map[any]any      // row → what its inverse BelongsTo field held at the last sync
	links  map[linkRow]bool // ManyToMany: (owner, row) → true to insert the link, false to delete it
}

func (s *Session) relState(r relation.Relation) *relState {
	st, ok := s.rels[r]
	if !ok {
		st = &relState{coll: map[any][]any{}, owner: map[any]any{}, fkSnap: map[any]any{}, bSnap: map[any]any{}, links: map[linkRow]bool{}}
		s.rels[r] = st
	}
	return st
}

// claimByFK gives p, a row of t about to be deleted, the rows whose foreign key was set to p's
// key since the last fix-up: the edit came before the Delete, so the delete's cascade must reach
// them (as EF Core's fix-up does on Remove), and a row added later with p's key (a client key,
// or a unique column) must not take them at the flush. It costs one pass over the rows of each
// table whose foreign key refers to t's by a key the client assigns; a generated key, which no
// other row can take, costs nothing (the flush finds the rows that name it).
func (s *Session) claimByFK(t *table, p any) {
	if t.def == nil {
		return
	}
	for _, r := range t.def.owns {
		if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
			continue
		}
		ot, ct := s.tablesOf(r)
		if r.KeyIsPrimary() && ot.u.Generated() {
			continue // no row can take a generated key: the flush finds the rows by their key
		}
		key, ok := r.OwnerKey(p)
		if !ok {
			continue
		}
		st := s.relState(r)
		for _, e := range rowsIn(ct, nil, stNew, stClean) {
			c := e.row
			if fk := fkOf(r, c); fk == nil || fk != key || st.owner[c] == p {
				continue
			}
			base, had := st.fkSnap[c]
			if !had && e.snap != nil {
				base = fkOf(r, e.snap) // as the database has it
			}
			if base != key {
				s.assign(r, s.model.inverse[r], st, c, p)
			}
		}
	}
}
