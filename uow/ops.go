package uow

import (
	"context"
	"fmt"
	"slices"

	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// Add puts rows in the session, to be inserted at the next flush, and with them every row their
// relations reach that cascade SaveUpdate (the default): a company added with its employees adds
// the employees. A row whose foreign key points at a parent the session holds appears in that
// parent's loaded collection at once (fix-up). Adding a row already in the session changes
// nothing; adding one deleted earlier in the session, or a second instance of a row the session
// holds, is an error. Add sends nothing.
//
// A nil or zero Session, a nil or undeclared Repo and a nil row are errors matching
// repo.ErrInvalid that say which; a session that ended is [ErrEnded].
func Add[T any](s *Session, r *repo.Repo[T], rows ...*T) error {
	if err := usable(s, r); err != nil {
		return err
	}
	t := s.table(r)
	added := map[any]bool{}
	for i, row := range rows {
		if row == nil {
			return &repo.Error{Op: "uow.Add", Table: r.Table(), Err: invalidf("row %d is nil", i)}
		}
		if err := s.add(t, row, added); err != nil {
			return err
		}
	}
	return s.sync(added)
}

// usable refuses a nil or zero Session, one that ended (ErrEnded), and a nil Repo or one not
// declared with repo.New.
func usable[T any](s *Session, r *repo.Repo[T]) error {
	if err := s.usable(context.Background()); err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("uow: nil Repo: %w", repo.ErrInvalid)
	}
	if len(r.Columns()) == 0 {
		return fmt.Errorf("uow: the Repo was not declared with repo.New: %w", repo.ErrInvalid)
	}
	return nil
}

// add tracks row as new, then what it reaches through SaveUpdate relations.
func (s *Session) add(t *table, row any, added map[any]bool) error {
	if added[row] {
		return nil
	}
	if _, gone := s.gone[row]; gone {
		return &repo.Error{Op: "uow.Add", Table: t.u.Table(), Err: invalidf("the row was deleted earlier in this session")}
	}
	if e, ok := t.entries[row]; ok {
		if e.state == stDeleted {
			return &repo.Error{Op: "uow.Add", Table: t.u.Table(), Key: t.u.Key(row), Err: invalidf("the row was deleted earlier in this session")}
		}
	} else {
		if t.u.KeyAssigned(row) {
			// A row deleted in the session gives its key up: adding a new row with that key is a
			// row switch, flushed as a DELETE before the INSERT.
			if other, ok := t.index.Of(row); ok && other != row && !s.deleted(t, other) {
				return &repo.Error{Op: "uow.Add", Table: t.u.Table(), Key: t.u.Key(row), Err: invalidf("the session already holds another instance with this key; use that one")}
			}
			if t.u.Generated() {
				return &repo.Error{Op: "uow.Add", Table: t.u.Table(), Key: t.u.Key(row), Err: invalidf("the row already has its generated key, so it was read from the database, maybe by another session; Get it in this session and change that instance")}
			}
		}
		s.track(t, row, stNew)
	}
	added[row] = true
	if t.def == nil {
		return nil
	}
	for _, r := range t.def.owns {
		if !r.Cascades().Has(relation.SaveUpdate) {
			continue
		}
		if err := nilInCollection("uow.Add", r, t, row); err != nil {
			return err
		}
		items, _ := r.Items(row)
		if len(items) == 0 {
			continue
		}
		other, _ := r.Other()
		ot := s.tableOf(other)
		for _, c := range items {
			if e, ok := ot.entries[c]; ok && e.state != stDeleted && added[c] {
				continue
			}
			if _, gone := s.gone[c]; gone {
				continue // deleted while new, and still in a collection not synced since
			}
			if _, ok := ot.entries[c]; ok {
				added[c] = true // tracked already: sync it, but it is not new
				continue
			}
			if err := s.add(ot, c, added); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete marks rows to be deleted at the next flush, with what their relations' cascades say:
// Delete deletes their children (loading collections that are not loaded, unless
// PassiveDeletes), otherwise children's foreign keys are set NULL. A row the session does not
// hold yet is taken as it is; deleting a row added but not yet inserted forgets it, and its
// rows follow its cascades at once (nothing of it is in the database). A row deleted leaves
// the loaded collections that held it. Delete sends nothing. Its errors are Add's.
func Delete[T any](s *Session, r *repo.Repo[T], rows ...*T) error {
	if err := usable(s, r); err != nil {
		return err
	}
	t := s.table(r)
	for i, row := range rows {
		if row == nil {
			return &repo.Error{Op: "uow.Delete", Table: r.Table(), Err: invalidf("row %d is nil", i)}
		}
		if _, ok := t.entries[row]; !ok && !t.u.KeyAssigned(row) {
			// A new row put in a loaded collection joins the session at the next fix-up: do it
			// now, so that deleting it is not mistaken for deleting a row never added.
			if err := s.sync(nil); err != nil {
				return err
			}
		}
		if _, ok := t.entries[row]; !ok {
			if !t.u.KeyAssigned(row) {
				return &repo.Error{Op: "uow.Delete", Table: r.Table(), Err: invalidf("row %d has no key and is not in the session", i)}
			}
			if other, ok := t.index.Of(row); ok && other != row {
				return &repo.Error{Op: "uow.Delete", Table: r.Table(), Key: t.u.Key(row), Err: invalidf("the session holds another instance with this key; delete that one")}
			}
			s.track(t, row, stClean)
		}
		s.claimByFK(t, row)
		if err := s.markDeleted(t, row); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) markDeleted(t *table, row any) error {
	s.leaveCollections(t, row)
	e := t.entries[row]
	if e.state != stNew {
		e.state = stDeleted
		return nil
	}
	// A new row is forgotten, so the flush will not see it to cascade: its rows, all in
	// memory (the database has none for it), follow it now.
	if t.def != nil {
		for _, r := range t.def.owns {
			if r.Shape() != relation.HasMany && r.Shape() != relation.HasOne {
				continue
			}
			_, ct := s.tablesOf(r)
			items, _ := r.Items(row)
			if err := s.followDelete(r, ct, row, append(items, s.heldBy(r, ct, row, items)...)); err != nil {
				return err
			}
		}
	}
	s.forget(t, row)
	s.gone[row] = struct{}{}
	return nil
}

// leaveCollections takes row, being deleted, out of the loaded collections (and to-one fields)
// of the rows that own it, and drops the link rows it was to gain or lose, so that no loaded
// collection shows a row deleted in the session and no link row refers to it.
func (s *Session) leaveCollections(t *table, row any) {
	if t.def == nil {
		return
	}
	for _, r := range t.def.items {
		st, ok := s.rels[r]
		if !ok {
			continue
		}
		switch r.Shape() {
		case relation.HasMany, relation.HasOne:
			if p := st.owner[row]; p != nil && !s.goneOwner(r, p) {
				r.Detach(p, row)
				s.forgetMember(st, p, row)
			}
		case relation.ManyToMany:
			for p, items := range st.coll {
				if slices.Contains(items, row) {
					r.Detach(p, row)
					s.forgetMember(st, p, row)
				}
			}
			for k := range st.links {
				if k.item == row {
					delete(st.links, k)
				}
			}
		}
	}
	for _, r := range t.def.owns { // the row's own many-to-many links
		if st, ok := s.rels[r]; ok && r.Shape() == relation.ManyToMany {
			for k := range st.links {
				if k.owner == row {
					delete(st.links, k)
				}
			}
		}
	}
}

// goneOwner reports whether p, the owner of rows through r, is deleted in the session (or was
// new and is forgotten). Such an owner keeps its collection as it was when it was deleted: the
// rows in it went with it, or left it by its cascades, and taking the deleted ones out one by
// one would copy the collection once per row, quadratic in a cascade over a large collection.
func (s *Session) goneOwner(r relation.Relation, p any) bool {
	ot, _ := s.tablesOf(r)
	if ot == nil {
		return false
	}
	e, ok := ot.entries[p]
	return !ok || e.state == stDeleted
}

// Refresh reads row again from the database, discarding its unflushed changes: its columns
// take the database's values (its relation fields are left alone). A row deleted meanwhile is
// repo.ErrNotFound. A nil context and a nil row are errors matching repo.ErrInvalid, and so are
// Add's.
func Refresh[T any](ctx context.Context, s *Session, r *repo.Repo[T], row *T) error {
	if err := usable(s, r); err != nil {
		return err
	}
	if ctx == nil {
		return &repo.Error{Op: "uow.Refresh", Table: r.Table(), Err: invalidf("nil context: pass context.Background() or the caller's context")}
	}
	if row == nil {
		return &repo.Error{Op: "uow.Refresh", Table: r.Table(), Err: invalidf("nil row")}
	}
	fresh, err := r.Get(ctx, s.tx, r.Key(row))
	if err != nil {
		return err
	}
	t := s.table(r)
	t.u.CopyColumns(row, fresh)
	if e, ok := t.entries[row]; ok && e.state != stNew {
		e.snap, e.missing = t.u.Clone(row), nil
	} else if !ok {
		s.track(t, row, stClean)
	}
	return nil
}

// Contains reports whether the session holds row and has not deleted it: false for a nil or
// zero Session, a nil Repo or a nil row.
func Contains[T any](s *Session, r *repo.Repo[T], row *T) bool {
	if s == nil || r == nil || row == nil {
		return false
	}
	t, ok := s.tables[any(r)]
	if !ok {
		return false
	}
	e, ok := t.entries[row]
	return ok && e.state != stDeleted
}
