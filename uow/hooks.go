package uow

import (
	"context"
	"fmt"

	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/track"
	"github.com/kinship-go/kinship/repo"
)

// hooks is the session as the packages below it see it (package internal/track): the same
// struct, with the methods that repo, the load planner and rel call while they work, none of
// them a user's to call.
type hooks Session

// The session's identity map, as repo uses it.

// Resolve implements engine.Identity (through track.Session): the tracked instance of row's key, or row, now tracked. For a
// nil or zero Session, a nil row or an r that is not a Repo, it returns row and tracks nothing.
func (h *hooks) Resolve(r any, row any) any {
	s := (*Session)(h)
	t, ok := s.seamTable(r, row)
	if !ok {
		return row
	}
	if found, ok := t.index.Of(row); ok {
		return found
	}
	s.track(t, row, stClean)
	return row
}

// Lookup implements engine.Identity (through track.Session). It does not allocate. A nil Session holds nothing.
func (h *hooks) Lookup(r any, key any) (any, bool) {
	s := (*Session)(h)
	if s == nil {
		return nil, false
	}
	t, ok := s.tables[r]
	if !ok {
		return nil, false
	}
	row, ok := t.index.Get(key)
	if !ok || t.entries[row].state == stDeleted {
		return nil, false
	}
	return row, true
}

// Writing implements engine.Identity (through track.Session): a Repo's Insert, Update or Upsert through the session may
// write the instance the session tracks, or a row whose key it does not hold; a second instance
// of a row it holds is refused before anything is sent, for the session would then track two
// and write both.
//
// A nil or zero Session is an error matching repo.ErrInvalid, an ended one [ErrEnded].
func (h *hooks) Writing(r any, row any) error {
	s := (*Session)(h)
	if err := s.usable(context.Background()); err != nil {
		return err
	}
	t, ok := s.seamTable(r, row)
	if !ok {
		return fmt.Errorf("uow: write of %T, a nil row or not a row of a Repo: %w", row, repo.ErrInvalid)
	}
	if _, ok := t.entries[row]; ok || !t.u.KeyAssigned(row) {
		return nil
	}
	if other, ok := t.index.Of(row); ok && other != row && !s.deleted(t, other) {
		return fmt.Errorf("uow: the session holds another instance of the %s row with key %v: change that one and let the flush write it (or use uow.Add and uow.Delete), rather than writing a second instance through the Repo: %w",
			t.u.Table(), t.u.Key(row), repo.ErrInvalid)
	}
	return nil
}

// Stored implements engine.Identity (through track.Session): row was written as it is. Where the session holds another
// instance with row's key (an Upsert whose row turned out to be one the session held), that
// instance stays the one tracked. For a nil or zero Session, a nil row or an r that is not a
// Repo, it does nothing.
func (h *hooks) Stored(r any, row any) {
	s := (*Session)(h)
	t, ok := s.seamTable(r, row)
	if !ok {
		return
	}
	if e, ok := t.entries[row]; ok {
		e.state, e.snap = stClean, t.u.Clone(row)
		t.index.Put(row)
		return
	}
	if other, ok := t.index.Of(row); ok && other != row && !s.deleted(t, other) {
		return
	}
	s.track(t, row, stClean)
}

// Deleted implements engine.Identity (through track.Session): the row with key is gone. A table the session never held
// (or a nil or zero Session) has nothing to forget.
func (h *hooks) Deleted(r any, key any) {
	s := (*Session)(h)
	if s == nil {
		return
	}
	t, ok := s.tables[r]
	if !ok {
		return
	}
	if row, ok := t.index.Get(key); ok {
		s.forget(t, row)
	}
}

func (s *Session) track(t *table, row any, st state) *entry {
	s.seq++
	e := &entry{row: row, state: st, seq: s.seq}
	if st == stClean {
		e.snap = t.u.Clone(row)
		t.index.Put(row)
	}
	t.entries[row] = e
	return e
}

// forget stops tracking row.
func (s *Session) forget(t *table, row any) {
	// The identity map may hold another instance with row's key by now: a new row that took the
	// key of this one, deleted, in the same flush.
	if e, ok := t.entries[row]; ok && e.state != stNew {
		if found, ok := t.index.Of(row); ok && found == row {
			t.index.Delete(row)
		}
	}
	delete(t.entries, row)
	for _, st := range s.rels {
		delete(st.owner, row)
		delete(st.fkSnap, row)
		delete(st.bSnap, row)
		delete(st.coll, row)
	}
}

// The session as the load planner and rel use it.

// Filled implements track.Session: a load set parent's field of r, which is now its clean state.
// A nil relation or parent, or a nil or zero Session, is ignored.
func (h *hooks) Filled(r relation.Relation, parent any) {
	s := (*Session)(h)
	if s == nil || s.reached == nil || r == nil || parent == nil {
		return
	}
	k := [2]any{r, parent}
	delete(s.raised, k)
	s.reached[k] = struct{}{}
	s.filled = append(s.filled, k)
}

// LoadDone implements track.Session: what the load put in each field it filled is that field's
// clean state, and each row it put there belongs to that owner.
func (h *hooks) LoadDone() {
	s := (*Session)(h)
	if s == nil {
		return
	}
	s.loading = false
	for _, k := range s.filled {
		r, p := k[0].(relation.Relation), k[1]
		st := s.relState(r)
		items, _ := r.Items(p)
		st.coll[p] = items
		if r.Shape() == relation.BelongsTo {
			s.loadedBelongsTo(r, p, items)
			continue
		}
		if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
			continue
		}
		inv := s.model.inverse[r]
		for _, c := range items {
			st.owner[c] = p
			st.fkSnap[c] = fkOf(r, c)
			if inv != nil {
				inv.Append(c, p)
				st.bSnap[c] = p
			}
		}
	}
	s.filled = s.filled[:0]
}

// loadedBelongsTo records what a load put in c's BelongsTo field as its clean state, so that
// setting the field later (to nil too) is seen as a change: in the relation's own state, or
// in its inverse's, which keeps the field in step when there is one.
func (s *Session) loadedBelongsTo(r relation.Relation, c any, items []any) {
	var p any
	if len(items) > 0 {
		p = items[0]
	}
	inv := s.model.inverse[r]
	if inv == nil {
		st := s.relState(r)
		st.bSnap[c], st.owner[c] = p, p
		k, ok := r.OwnerKey(c)
		st.fkSnap[c] = keyOrNil(k, ok)
		return
	}
	st := s.relState(inv)
	st.bSnap[c], st.owner[c] = p, p
	st.fkSnap[c] = fkOf(inv, c)
}

// LoadStart implements track.Session: a load begins, after an autoflush, before it sets any
// field, so that the flush's fix-up sees only the caller's changes. A relation the model does
// not have is refused: the session would load it but neither cascade through it nor keep it in
// step, so that a row put in its collection would silently never be written.
func (h *hooks) LoadStart(ctx context.Context, rels []relation.Relation) error {
	s := (*Session)(h)
	if err := s.usable(ctx); err != nil {
		return err
	}
	for _, r := range rels {
		if !s.model.has[r] {
			return fmt.Errorf("uow: relation %s is not in the session's model, so its cascades and fix-up would not apply: add it to uow.NewModel, or load it through the pool or transaction instead: %w", r.Label(), repo.ErrInvalid)
		}
	}
	if err := s.before(ctx); err != nil {
		return err
	}
	s.loading = true
	return nil
}

// LoadFailed implements track.Session: a load stopped on an error. The fields it filled are
// not taken as clean: the next flush sees them as the caller left them.
func (h *hooks) LoadFailed() {
	s := (*Session)(h)
	if s == nil {
		return
	}
	s.filled = s.filled[:0]
	s.loading = false
}

// Raised implements track.Session: a query loaded parent with Raise for r. A nil relation or
// parent, or a nil or zero Session, is ignored.
func (h *hooks) Raised(r relation.Relation, parent any) {
	s := (*Session)(h)
	if s == nil || s.raised == nil || r == nil || parent == nil {
		return
	}
	s.raised[[2]any{r, parent}] = struct{}{}
}

// Access implements track.Session: a relation reached through the session and not loaded is
// loaded once (Lazy), unless a query or the relation said Raise. A relation that is not one
// (nil too), a nil parent, a nil or zero Session and a nil context are errors matching
// repo.ErrInvalid; an ended session is [ErrEnded].
func (h *hooks) Access(ctx context.Context, r relation.Relation, parent any) error {
	s := (*Session)(h)
	if err := s.usable(ctx); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("uow: <nil> is not a relation: %w", repo.ErrInvalid)
	}
	if parent == nil {
		return fmt.Errorf("uow: %s: nil parent: %w", r.Label(), repo.ErrInvalid)
	}
	k := [2]any{r, parent}
	if _, ok := s.reached[k]; ok {
		return nil
	}
	if _, ok := s.raised[k]; ok || r.DefaultStrategy() == relation.Raise {
		return relation.NotLoaded(r.Label())
	}
	if err := r.LoadFor(ctx, s, parent); err != nil {
		return fmt.Errorf("rel: %s: %w", r.Label(), err)
	}
	return nil
}

var (
	_ repo.DB       = (*Session)(nil)
	_ track.Session = (*hooks)(nil)
)

func init() {
	track.Register(func(db repo.DB) track.Session {
		if s, ok := db.(*Session); ok && s != nil {
			return (*hooks)(s)
		}
		return nil
	})
}
