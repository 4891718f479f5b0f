package uow

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/rel"
)

// ErrOrphan is matched by the error of a flush or Add that would leave a row without its owner
// where the foreign key cannot be NULL and the relation does not cascade DeleteOrphan. It is
// raised before any SQL is sent.
var ErrOrphan = errors.New("uow: orphan with a foreign key that cannot be NULL")

// sync keeps every relation's three sides in step: the owner's loaded collection (or field),
// the row's foreign key, and the row's inverse BelongsTo field. Whichever changed since the
// last sync wins, the collection first, then the BelongsTo field, then the foreign key; the
// others are made to agree (relationship fix-up, as EF Core's DetectChanges does). Rows removed
// from a collection become orphans: deleted with DeleteOrphan, else their foreign key is set
// NULL. only, if not nil, limits the rows looked at to those just added.
func (s *Session) sync(only map[any]bool) error {
	for _, r := range s.model.rels {
		var err error
		switch r.Shape() {
		case load.HasMany, load.HasOne:
			err = s.syncOwned(r, only)
		case load.ManyToMany:
			err = s.syncLinks(r, only)
		case load.BelongsTo:
			if s.model.inverse[r] == nil {
				s.syncBelongs(r, only)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) tablesOf(r load.Relation) (owner, other *table) {
	o, _ := r.Owner()
	c, _ := r.Other()
	return s.tableOf(o), s.tableOf(c)
}

// rowsOf returns t's rows to look at: those of only, or every row not deleted.
func rowsOf(t *table, only map[any]bool) []*entry { return rowsOfState(t, only, false) }

// rowsOfState is rowsOf, with the rows marked deleted too if deleted is true.
func rowsOfState(t *table, only map[any]bool, deleted bool) []*entry {
	var out []*entry
	if only != nil { // an Add: look at what it added, not at every row held
		for row := range only {
			if e, ok := t.entries[row]; ok && (deleted || e.state != stDeleted) {
				out = append(out, e)
			}
		}
	} else {
		for _, e := range t.entries {
			if deleted || e.state != stDeleted {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return a.seq - b.seq })
	return out
}

func (s *Session) syncOwned(r load.Relation, only map[any]bool) error {
	st := s.relState(r)
	ot, ct := s.tablesOf(r)
	inv := s.model.inverse[r]
	decided := map[any]bool{}
	// The owners' side: what their loaded fields gained and lost. An owner marked deleted
	// counts too: what its collection gained and lost before the Delete decides which rows its
	// delete cascades reach and which left it (orphans).
	for _, e := range rowsOfState(ot, only, true) {
		p := e.row
		items, loaded := r.Items(p)
		prev, known := st.coll[p]
		if !loaded && !known {
			continue // never loaded; a loaded field set to nil is emptied
		}
		if known && slices.Equal(prev, items) {
			continue // the common case: nothing changed
		}
		inPrev, inItems := membership(prev), membership(items)
		for _, c := range items {
			if known && inPrev(c) {
				continue
			}
			if s.deleted(ct, c) {
				r.Detach(p, c) // deleted before this collection was synced
				continue
			}
			if err := s.adopt(r, ct, c); err != nil {
				return err
			}
			s.assign(r, inv, st, c, p)
			decided[c] = true
		}
		for _, c := range prev {
			if !inItems(c) && st.owner[c] == p && !decided[c] {
				if err := s.orphan(r, inv, st, ct, c, p); err != nil {
					return err
				}
				decided[c] = true
			}
		}
		st.coll[p], _ = r.Items(p)
	}
	// The rows' side: their inverse field, then their foreign key.
	for _, e := range rowsOf(ct, only) {
		c := e.row
		if decided[c] {
			continue
		}
		old := st.owner[c]
		if inv != nil {
			var bp any
			if items, _ := inv.Items(c); len(items) > 0 {
				bp = items[0]
			}
			prev, had := st.bSnap[c]
			switch {
			case bp != nil && bp != old:
				s.assign(r, inv, st, c, bp)
				continue
			case bp == nil && had && prev != nil && old != nil:
				if err := s.orphan(r, inv, st, ct, c, old); err != nil {
					return err
				}
				continue
			}
		}
		k, ok := r.ItemKey(c)
		prevK, had := st.fkSnap[c]
		if had && prevK == keyOrNil(k, ok) {
			continue
		}
		if !ok {
			if old != nil {
				r.Detach(old, c)
				s.forgetMember(st, old, c)
				if inv != nil {
					inv.Detach(c, old)
				}
			}
			st.owner[c], st.fkSnap[c] = nil, nil
			continue
		}
		// An owner marked deleted is an owner still: its delete cascades must reach the rows
		// that have (or are given) its key, or its DELETE would break their foreign keys.
		if p, found := ot.index.Get(k); found {
			if p != old || !had {
				s.assign(r, inv, st, c, p)
			}
			continue
		}
		// The key points at a row the session does not hold.
		if old != nil {
			r.Detach(old, c)
			s.forgetMember(st, old, c)
		}
		st.owner[c], st.fkSnap[c] = nil, k
	}
	return nil
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
func (s *Session) adopt(r load.Relation, ct *table, c any) error {
	if _, ok := ct.entries[c]; ok {
		return nil
	}
	if !rel.Cascades(r.Cascades()).Has(rel.SaveUpdate) {
		return fmt.Errorf("uow: relation %s: a %s row was put in a collection, but the relation does not cascade SaveUpdate: add it to the session", r.Label(), ct.u.Table())
	}
	return s.add(ct, c, map[any]bool{})
}

// assign makes p the owner of c on every side.
func (s *Session) assign(r, inv load.Relation, st *relState, c, p any) {
	old := st.owner[c]
	if old != nil && old != p {
		r.Detach(old, c)
		s.forgetMember(st, old, c)
	}
	if r.IsLoaded(p) {
		r.Append(p, c)
		if prev, known := st.coll[p]; known && !slices.Contains(prev, c) {
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
	k, ok := r.ItemKey(c)
	st.fkSnap[c] = keyOrNil(k, ok)
}

func (s *Session) forgetMember(st *relState, p, c any) {
	if prev, known := st.coll[p]; known {
		if i := slices.Index(prev, c); i >= 0 {
			st.coll[p] = slices.Delete(slices.Clone(prev), i, i+1)
		}
	}
}

// orphan handles c, which left its owner p: deleted with DeleteOrphan, else its foreign key
// set NULL, which must be possible.
func (s *Session) orphan(r, inv load.Relation, st *relState, ct *table, c, p any) error {
	if rel.Cascades(r.Cascades()).Has(rel.DeleteOrphan) {
		r.Detach(p, c)
		s.forgetMember(st, p, c)
		if inv != nil {
			inv.Detach(c, p)
		}
		return s.markDeleted(ct, c)
	}
	if !r.Unrelate(p, c) {
		return fmt.Errorf("uow: relation %s: a %s row (key %v) left its owner, but its foreign key cannot be NULL: declare rel.DeleteOrphan on the relation, or give the row another owner: %w",
			r.Label(), ct.u.Table(), ct.u.Key(c), ErrOrphan)
	}
	r.Detach(p, c)
	s.forgetMember(st, p, c)
	if inv != nil {
		inv.Detach(c, p)
	}
	st.owner[c], st.fkSnap[c], st.bSnap[c] = nil, nil, nil
	return nil
}

// syncLinks records the links a many-to-many collection gained and lost.
func (s *Session) syncLinks(r load.Relation, only map[any]bool) error {
	st := s.relState(r)
	ot, ct := s.tablesOf(r)
	for _, e := range rowsOf(ot, only) {
		p := e.row
		items, loaded := r.Items(p)
		prev, known := st.coll[p]
		if !loaded && !known {
			continue
		}
		if !known {
			st.coll[p] = items
			if e.state != stNew {
				continue // a fresh load: the links are the database's
			}
			prev = nil
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
	k := [2]any{p, c}
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
func (s *Session) syncBelongs(r load.Relation, only map[any]bool) {
	st := s.relState(r)
	ot, pt := s.tablesOf(r)
	for _, e := range rowsOf(ot, only) {
		c := e.row
		var p any
		if items, _ := r.Items(c); len(items) > 0 {
			p = items[0]
		}
		k, ok := r.OwnerKey(c) // the foreign key, which is c's
		fk := keyOrNil(k, ok)
		prev, had := st.bSnap[c]
		if p == prev && had {
			if prevK, hadK := st.fkSnap[c]; hadK && prevK != fk {
				var np any
				if ok {
					if x, found := pt.index.Get(k); found && !s.deleted(pt, x) {
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
}
