package relation

import (
	"fmt"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/repo"
)

// Exists is the condition on rows of P that they have a row of C through r matching inner
// (NOT EXISTS with not): a correlated subquery, EXISTS (SELECT 1 FROM C AS x WHERE x.to =
// outer.from AND inner), through the link table for a many-to-many relation. A nil r makes a
// condition whose query fails with err.
func Exists[P, C any](r *Rel[P, C], err error, inner repo.Pred[C], not bool) repo.Pred[P] {
	return engine.OptionsOf[P]((*repo.Repo[P])(nil)).Pred(exists[P, C]{r, err, inner, not}).(repo.Pred[P])
}

type exists[P, C any] struct {
	r     *Rel[P, C]
	err   error // for a nil or zero relation
	inner repo.Pred[C]
	not   bool
}

func (e exists[P, C]) Build(b *sqltext.Builder) error {
	rp, rc, err := e.repos()
	if err != nil {
		return err
	}
	outer := b.Qual
	if outer == "" {
		outer = engine.RowsOf[P](rp).QuotedTable()
	}
	// The subquery's alias: kinship_x, and below one, kinship_x_x, so that no nested subquery
	// hides the one around it, and no table of the user's is hidden by it.
	alias := "kinship_x"
	if b.Qual != "" {
		alias = b.Qual + "_x"
	}
	child := engine.RowsOf[C](rc).QuotedTable()
	if e.not {
		b.WriteString("NOT ")
	}
	b.WriteString("EXISTS (SELECT 1 FROM ")
	if t := e.r.Via; t != nil {
		link := alias + "l"
		b.WriteString(sqltext.QuoteTable(t.Table) + " AS " + link + " JOIN " + child + " AS " + alias +
			" ON " + alias + "." + sqltext.Quote(e.r.LinkTo) + " = " + link + "." + sqltext.Quote(t.To) +
			" WHERE " + link + "." + sqltext.Quote(t.From) + " = " + outer + "." + sqltext.Quote(e.r.FromName))
	} else {
		b.WriteString(child + " AS " + alias + " WHERE " + alias + "." + sqltext.Quote(e.r.ToName) + " = " + outer + "." + sqltext.Quote(e.r.FromName))
	}
	saved := b.Qual
	b.Qual = alias
	err = engine.OptionsOf[C](rc).BuildPred(e.inner, " AND ", b)
	b.Qual = saved
	b.WriteString(")")
	return err
}

func (e exists[P, C]) Check(owner any, table string) error {
	rp, rc, err := e.repos()
	if err != nil {
		return err
	}
	if any(rp) != owner {
		return fmt.Errorf("relation %s is a relation of %s, not of %s", e.r.Label(), rp.Table(), table)
	}
	if err := engine.OptionsOf[C](rc).CheckPred(e.inner, rc, rc.Table()); err != nil {
		return fmt.Errorf("relation %s: %w", e.r.Label(), err)
	}
	return nil
}

func (e exists[P, C]) repos() (*repo.Repo[P], *repo.Repo[C], error) {
	if e.err != nil {
		return nil, nil, e.err
	}
	if err := e.r.Check(); err != nil {
		return nil, nil, err
	}
	rp, err := e.r.From()
	if err != nil {
		return nil, nil, err
	}
	rc, err := e.r.To()
	return rp, rc, err
}
