package uow

import (
	"context"
	"fmt"
	"slices"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/repo"
)

// The session's identity map: the rows it tracks, one instance per key and table, as repo
// reads and writes them through it.

// state is where a tracked row stands.
type state uint8

const (
	stNew     state = iota // added, not yet inserted
	stClean                // in the database as its snapshot says (changes are found by comparing)
	stDeleted              // to be deleted at the next flush
)

// entry is one tracked row.
type entry struct {
	row   any
	snap  any // the row as the database has it; nil for a new row
	state state
	seq   int // the order rows were added in, which is the order they are inserted in
	// missing are the positions of the columns the row was read without (repo.Only), zero in
	// the row and its snapshot until a read with them fills them in; nil for a whole row.
	missing []int
}

// table is the session's rows of one table.
type table struct {
	u       engine.Table
	def     *tableDef // nil for a table outside the model
	index   engine.Index
	entries map[any]*entry
}

// Resolve implements track.Session: the tracked instance of row's key, or row, now tracked.
// row holds the columns at positions cols (all for nil). The tracked instance takes those of
// its missing columns that row holds, in the instance where Go has not set them since, and in
// its snapshot. For a nil or zero Session, a nil row or an r that is not a Repo, it returns row
// and tracks nothing.
func (h *hooks) Resolve(r any, row any, cols []int) any {
	s := (*Session)(h)
	t, ok := s.seamTable(r, row)
	if !ok {
		return row
	}
	if found, ok := t.index.Of(row); ok {
		if e := t.entries[found]; e != nil && e.missing != nil && e.snap != nil {
			fill(t, e, row, cols)
		}
		return found
	}
	e := s.track(t, row, stClean)
	if cols != nil {
		e.missing = missingOf(t, cols)
	}
	return row
}

// missingOf is the positions of t's columns not among cols (sorted), nil if none.
func missingOf(t *table, cols []int) []int {
	var out []int
	for i := range t.u.Width() {
		if !slices.Contains(cols, i) {
			out = append(out, i)
		}
	}
	return out
}

// fill gives e's row and snapshot the columns it was read without that fresh, a row just read
// with the columns at positions cols (all for nil), holds: the database's values. A column set
// in Go since (the row differs from its snapshot there) keeps its value in the row, so that the
// change is still written.
func fill(t *table, e *entry, fresh any, cols []int) {
	kept := e.missing[:0]
	for _, i := range e.missing {
		if cols != nil && !slices.Contains(cols, i) {
			kept = append(kept, i)
			continue
		}
		if t.u.EqualColumn(e.row, e.snap, i) {
			t.u.CopyColumn(e.row, fresh, i)
		}
		t.u.CopyColumn(e.snap, fresh, i)
	}
	if len(kept) == 0 {
		kept = nil
	}
	e.missing = kept
}

// Lookup implements track.Session. It does not allocate. A nil Session holds nothing.
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
	if !ok || t.entries[row].state == stDeleted || t.entries[row].missing != nil {
		return nil, false // a row read with some columns only: read it again, whole
	}
	return row, true
}

// Writing implements track.Session: a Repo's Insert, Update or Upsert through the session may
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

// Stored implements track.Session: row was written as it is. Where the session holds another
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

// Deleted implements track.Session: the row with key is gone. A table the session never held
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

// table returns the session's rows of the table of r (a *repo.Repo[T]).
func (s *Session) table(r any) *table {
	if t, ok := s.tables[r]; ok {
		return t
	}
	u := engine.TableOf(r)
	t := &table{u: u, def: s.model.byRepo[r], index: u.NewIndex(), entries: map[any]*entry{}}
	s.tables[r] = t
	return t
}

func (s *Session) tableOf(u engine.Table) *table { return s.table(u.Repo()) }

// seamTable is table for the hooks, which have no error to return: false for a nil or zero
// Session, a nil row, or an r that is not a declared Repo.
func (s *Session) seamTable(r any, row any) (*table, bool) {
	if s == nil || s.tables == nil || row == nil {
		return nil, false
	}
	if t, ok := s.tables[r]; ok {
		return t, true
	}
	if engine.TableOf(r) == nil {
		return nil, false
	}
	return s.table(r), true
}

// rowsIn returns t's rows in any of states, in the order they were first tracked: those of only
// (an Add looks at what it added, not at every row held), or every row t holds if only is nil.
func rowsIn(t *table, only map[any]bool, states ...state) []*entry {
	var out []*entry
	keep := func(e *entry) {
		if slices.Contains(states, e.state) {
			out = append(out, e)
		}
	}
	if only != nil {
		for row := range only {
			if e, ok := t.entries[row]; ok {
				keep(e)
			}
		}
	} else {
		for _, e := range t.entries {
			keep(e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return a.seq - b.seq })
	return out
}
