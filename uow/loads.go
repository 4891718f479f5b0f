package uow

import (
	"context"
	"fmt"

	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// The session's load log: what loads filled (their clean state, for fix-up), what a query
// loaded with Raise, and how a relation not loaded is reached — as the load planner and rel
// report and ask through package internal/track.

// A field is one relation's field on one parent row.
type field struct {
	r      relation.Relation
	parent any
}

// loadLog is what the session knows of loads, per relation field.
type loadLog struct {
	raised map[field]struct{} // loaded with Raise: reaching it is refused
	// reached: loaded once, for to-one fields left nil, with the key the load matched by (a
	// BelongsTo's foreign key, a HasOne's parent key): a field whose key changed since, as a
	// foreign key set to a row the session does not hold, is not loaded.
	reached map[field]any
	filled  []field // filled by the load under way
	loading bool    // a load is under way (LoadStart, not yet LoadDone or LoadFailed)
}

// Filled implements track.Session: a load set parent's field of r, which is now its clean state.
// A nil relation or parent, or a nil or zero Session, is ignored.
func (h *hooks) Filled(r relation.Relation, parent any) {
	s := (*Session)(h)
	if s == nil || s.loads.reached == nil || r == nil || parent == nil {
		return
	}
	k := field{r, parent}
	delete(s.loads.raised, k)
	s.loads.reached[k] = keyOrNil(r.OwnerKey(parent))
	s.loads.filled = append(s.loads.filled, k)
}

// LoadDone implements track.Session: what the load put in each field it filled is that field's
// clean state, and each row it put there belongs to that owner.
func (h *hooks) LoadDone() {
	s := (*Session)(h)
	if s == nil {
		return
	}
	s.loads.loading = false
	for _, k := range s.loads.filled {
		r, p := k.r, k.parent
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
	s.loads.filled = s.loads.filled[:0]
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
			return &repo.Error{Op: "uow.Load", Relation: r.Label(), Err: invalidf("the relation is not in the session's model, so its cascades and fix-up would not apply: add it to uow.NewModel, or load it through the pool or transaction instead")}
		}
	}
	if err := s.before(ctx); err != nil {
		return err
	}
	s.loads.loading = true
	return nil
}

// LoadFailed implements track.Session: a load stopped on an error. The fields it filled are
// not taken as clean: the next flush sees them as the caller left them.
func (h *hooks) LoadFailed() {
	s := (*Session)(h)
	if s == nil {
		return
	}
	s.loads.filled = s.loads.filled[:0]
	s.loads.loading = false
}

// Raised implements track.Session: a query loaded parent with Raise for r. A nil relation or
// parent, or a nil or zero Session, is ignored.
func (h *hooks) Raised(r relation.Relation, parent any) {
	s := (*Session)(h)
	if s == nil || s.loads.raised == nil || r == nil || parent == nil {
		return
	}
	s.loads.raised[field{r, parent}] = struct{}{}
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
	k := field{r, parent}
	if key, ok := s.loads.reached[k]; ok && key == keyOrNil(r.OwnerKey(parent)) {
		return nil
	}
	if _, ok := s.loads.raised[k]; ok || r.DefaultStrategy() == relation.Raise {
		return relation.NotLoaded(r.Label())
	}
	if err := r.LoadFor(ctx, s, parent); err != nil {
		return fmt.Errorf("rel: %s: %w", r.Label(), err)
	}
	return nil
}
