package relation

import "github.com/kinship-go/kinship/internal/catalog"

// CatalogRelation describes the relation in terms of tables and columns, for the catalog check
// (package uow's Model.Verify). It returns false if the relation's Repos are not declared.
func (r *Rel[P, C]) CatalogRelation() (catalog.Relation, bool) {
	from, to := r.from(), r.to()
	if from == nil || to == nil {
		return catalog.Relation{}, false
	}
	c := catalog.Relation{Label: r.Label(), ParentKeyIsPrimary: r.keyIsPrimary()}
	switch r.Kind {
	case HasMany, HasOne:
		c.Kind = catalog.HasMany
		if r.Kind == HasOne {
			c.Kind = catalog.HasOne
		}
		c.Parent, c.ParentKey, c.Child, c.FK = from.Table(), r.FromName, to.Table(), r.ToName
		c.SetsNull = !r.Cascade.Has(DeleteOrphan)
		switch {
		case r.Cascade.Has(Restrict):
			c.OnDelete = catalog.Restrict
		case r.Cascade.Has(PassiveDeletes):
			c.OnDelete = catalog.Cascade
		}
	case BelongsTo:
		c.Kind = catalog.BelongsTo
		c.Parent, c.ParentKey, c.Child, c.FK = to.Table(), r.ToName, from.Table(), r.FromName
	case ManyToMany:
		c.Kind = catalog.ManyToMany
		c.Parent, c.ParentKey, c.Child, c.ChildKey = from.Table(), r.FromName, to.Table(), r.LinkTo
		c.Link, c.LinkFrom, c.LinkTo = r.Via.Table, r.Via.From, r.Via.To
		pk := to.PrimaryKey()
		c.ChildKeyIsPrimary = len(pk) == 1 && pk[0].Name() == r.LinkTo
	}
	return c, true
}
