package load

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/sqltext"
)

func relErr(name string, err error) error { return fmt.Errorf("relation %s: %w", name, err) }

// render writes the statement that reads this node's rows of C matched to their parents by
// filter (which may add arguments after args), with its Joined nodes if withJoins.
func (n *nodeOf[P, C]) render(x *run, filter func(a *argList) string, args []any, withJoins bool, lv *level[C]) (string, []any, []joinPart[C], error) {
	rc, err := n.rel.To()
	if err != nil {
		return "", nil, nil, err
	}
	if n.spec.Err != nil {
		return "", nil, nil, relErr(n.rel.Label(), n.spec.Err)
	}
	a := &argList{vals: append([]any(nil), args...)}
	link := n.rel.Via
	match := "c0." + sqltext.Quote(n.rel.ToName)
	from := view(rc).QuotedTable() + " AS c0"
	cols := view(rc).SelectList("c0")
	if link != nil {
		match = "l0." + sqltext.Quote(link.From)
		from += " JOIN " + sqltext.QuoteTable(link.Table) + " AS l0 ON l0." + sqltext.Quote(link.To) + " = c0." + sqltext.Quote(n.rel.LinkTo)
		cols += ", l0." + sqltext.Quote(link.From) + " AS kinship_link"
	}
	cond := match + " " + filter(a)
	if w, err := a.pred(n.spec.Where, "c0"); err != nil {
		return "", nil, nil, relErr(n.rel.Label(), err)
	} else if w != "TRUE" {
		cond += " AND " + w
	}
	order := orderList(n.spec.Order, "c0")
	if n.spec.Limit > 0 {
		by := keyList(rc, "c0")
		if order != "" {
			by = order + ", " + by
		}
		from = "(SELECT " + cols + ", row_number() OVER (PARTITION BY " + match + " ORDER BY " + by + ") AS kinship_rn FROM " + from + " WHERE " + cond + ") AS c0"
		cond = "c0.kinship_rn <= " + a.add(n.spec.Limit)
		cols = view(rc).SelectList("c0")
		if link != nil {
			cols += ", c0.kinship_link"
		}
		order = "c0.kinship_rn"
	}
	var parts []joinPart[C]
	var orders []string
	if order != "" {
		orders = append(orders, order)
	}
	if withJoins {
		js := &joins{args: *a}
		if parts, err = joinsOf(x, js, n.kids, "c0", lv); err != nil {
			return "", nil, nil, err
		}
		onceAtEnd(parts)
		*a = js.args
		cols += js.cols.String()
		from += js.from.String()
		orders = append(orders, js.order...)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(cols)
	b.WriteString(" FROM ")
	b.WriteString(from)
	b.WriteString(" WHERE ")
	b.WriteString(cond)
	if len(orders) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(orders, ", "))
	}
	return b.String(), a.vals, parts, nil
}

// below is the filter that matches this node's rows to the rows of the plain statement of lv.
func (n *nodeOf[P, C]) below(lv *level[P]) func(a *argList) string {
	return func(*argList) string {
		return "= ANY(ARRAY(SELECT p." + sqltext.Quote(n.rel.FromName) + " FROM (" + lv.sql + ") AS p))"
	}
}

// levelStatement is the statement reading this node's rows matched by filter, read by linking
// each row to the parents m gives it; lv receives the rows and the plain statement.
func (n *nodeOf[P, C]) levelStatement(x *run, filter func(a *argList) string, args []any, m func() relation.Matcher[P, C], lv *level[C]) ([]stmt, error) {
	plain, plainArgs, _, err := n.render(x, filter, args, false, nil)
	if err != nil {
		return nil, err
	}
	var rows []*C
	lv.sql, lv.args = plain, plainArgs
	lv.rows = func() []*C { return rows }
	sql, full, parts, err := n.render(x, filter, args, true, lv)
	if err != nil {
		return nil, err
	}
	var mm relation.Matcher[P, C]
	// Joins below repeat each row once per joined row: a row is linked when first seen, but a
	// many-to-many row comes once per parent as well, so its pairs are remembered.
	var pairs map[[2]any]struct{}
	dedupe := n.rel.Kind == relation.ManyToMany || len(parts) > 0
	if n.rel.Kind == relation.ManyToMany && len(parts) > 0 {
		pairs = map[[2]any]struct{}{}
	}
	read := func(r pgx.Rows) error {
		if mm == nil {
			mm = m()
		}
		return lv.reader(x, mm.Extra(), parts, dedupe, func(c *C, fresh bool) error {
			if fresh {
				rows = append(rows, c)
			} else if pairs == nil && n.rel.Kind != relation.ManyToMany {
				return nil // linked when first seen
			}
			for _, p := range mm.ParentsOf(c) {
				if pairs != nil {
					k := [2]any{p, c}
					if _, dup := pairs[k]; dup {
						continue
					}
					pairs[k] = struct{}{}
				}
				if err := n.rel.Attach(p, c); err != nil {
					return relErr(n.rel.Label(), err)
				}
			}
			return nil
		})(r)
	}
	more, err := pipelinedBelow(x, lv, n.kids, parts)
	if err != nil {
		return nil, err
	}
	return append([]stmt{{SQL: sql, Args: full, Read: read}}, more...), nil
}

// grouped returns a matcher over parents, every parent's field set loaded and empty.
func (n *nodeOf[P, C]) grouped(x *run, parents []*P) relation.Matcher[P, C] {
	m := n.rel.NewMatcher()
	m.Group(parents)
	for _, p := range parents {
		x.init(n.rel, p)
	}
	return m
}

// selectIn loads the node for parents: one statement per batch of keys, all in one round trip,
// each with its Pipelined nodes; then the follow-ups of the rows loaded.
func (n *nodeOf[P, C]) selectIn(x *run, parents []*P) error {
	m := n.grouped(x, parents)
	chunks := m.Chunks(n.batch())
	if len(chunks) == 0 {
		return nil
	}
	rc, err := n.rel.To()
	if err != nil {
		return err
	}
	var stmts []stmt
	var levels []*level[C]
	for _, keys := range chunks {
		lv := &level[C]{repo: rc}
		s, err := n.levelStatement(x, func(a *argList) string { return "= ANY(" + a.add(keys) + ")" }, nil, func() relation.Matcher[P, C] { return m }, lv)
		if err != nil {
			return err
		}
		stmts = append(stmts, s...)
		levels = append(levels, lv)
	}
	if err := x.send(stmts); err != nil {
		return err
	}
	all := levels[0]
	if len(levels) > 1 {
		// The follow-ups see every chunk's rows, keyed by every key at once.
		all = &level[C]{repo: rc}
		var rows []*C
		for _, lv := range levels {
			rows = append(rows, lv.rows()...)
		}
		all.rows = func() []*C { return rows }
		keys := m.Chunks(0)[0]
		all.sql, all.args, _, err = n.render(x, func(a *argList) string { return "= ANY(" + a.add(keys) + ")" }, nil, false, nil)
		if err != nil {
			return err
		}
	}
	all.followUps(x, n.kids)
	return nil
}

func (n *nodeOf[P, C]) batch() int {
	if n.spec.Batch > 0 {
		return n.spec.Batch
	}
	return relation.DefaultBatch
}

// belowStatements returns the statements that read this node's rows for the rows of lv by
// repeating lv's statement as a subquery (Subquery, Pipelined), and the level they fill. The
// parents are grouped when the rows are read, so lv's rows may still be on their way.
func (n *nodeOf[P, C]) belowStatements(x *run, lv *level[P]) ([]stmt, *level[C], error) {
	rc, err := n.rel.To()
	if err != nil {
		return nil, nil, err
	}
	mine := &level[C]{repo: rc}
	var m relation.Matcher[P, C]
	stmts, err := n.levelStatement(x, n.below(lv), lv.args, func() relation.Matcher[P, C] {
		if m == nil {
			m = n.grouped(x, lv.rows())
		}
		return m
	}, mine)
	return stmts, mine, err
}

func (n *nodeOf[P, C]) pipelinedBelow(x *run, lv *level[P]) ([]stmt, error) {
	stmts, mine, err := n.belowStatements(x, lv)
	if err != nil {
		return nil, err
	}
	x.later = append(x.later, func() error { mine.followUps(x, n.kids); return nil })
	return stmts, nil
}

func (n *nodeOf[P, C]) after(x *run, lv *level[P]) {
	switch n.spec.Strategy {
	case relation.SelectIn:
		x.later = append(x.later, func() error { return n.selectIn(x, lv.rows()) })
	case relation.Subquery:
		x.later = append(x.later, func() error {
			if len(lv.rows()) == 0 {
				return nil // no parents, no query
			}
			stmts, mine, err := n.belowStatements(x, lv)
			if err == nil {
				err = x.send(stmts)
			}
			if err != nil {
				return err
			}
			mine.followUps(x, n.kids)
			return nil
		})
	case relation.NoLoad:
		for _, p := range lv.rows() {
			x.init(n.rel, p)
		}
	case relation.Raise:
		if x.obs != nil {
			for _, p := range lv.rows() {
				x.obs.Raised(n.rel, p)
			}
		}
	}
}

func (n *nodeOf[P, C]) addJoin(x *run, js *joins, pa string, parent *level[P]) (joinPart[P], error) {
	rc, err := n.rel.To()
	if err != nil {
		return nil, err
	}
	if n.spec.Err != nil {
		return nil, relErr(n.rel.Label(), n.spec.Err)
	}
	js.n++
	y := "j" + fmt.Sprint(js.n)
	link := n.rel.Via
	match := y + "." + sqltext.Quote(n.rel.ToName)
	if link != nil {
		match = y + "l." + sqltext.Quote(link.From)
	}
	on := match + " = " + pa + "." + sqltext.Quote(n.rel.FromName)
	w, err := js.args.pred(n.spec.Where, y)
	if err != nil {
		return nil, relErr(n.rel.Label(), err)
	}
	table := view(rc).QuotedTable() + " AS " + y
	switch {
	case w == "TRUE":
	case n.spec.Limit > 0:
		on += " AND " + w // inside the LATERAL subquery, where its own table comes first
	default:
		// Filter in a subquery of its own, where an unqualified column of a Raw condition can
		// only be the row's, never the parent's.
		table = "(SELECT " + view(rc).SelectList(y) + " FROM " + table + " WHERE " + w + ") AS " + y
	}
	if link != nil {
		table += " JOIN " + sqltext.QuoteTable(link.Table) + " AS " + y + "l ON " + y + "l." + sqltext.Quote(link.To) + " = " + y + "." + sqltext.Quote(n.rel.LinkTo)
	}
	order := orderList(n.spec.Order, y)
	switch {
	case n.spec.Limit > 0:
		by := keyList(rc, y)
		if order != "" {
			by = order + ", " + by
		}
		fmt.Fprintf(&js.from, " LEFT JOIN LATERAL (SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT %s) AS %s ON TRUE",
			view(rc).SelectList(y), table, on, by, js.args.add(n.spec.Limit), y)
	case link != nil:
		fmt.Fprintf(&js.from, " LEFT JOIN (%s) ON %s", table, on)
	default:
		fmt.Fprintf(&js.from, " LEFT JOIN %s ON %s", table, on)
	}
	js.cols.WriteString(", ")
	js.cols.WriteString(view(rc).SelectList(y))
	if order != "" {
		js.order = append(js.order, order)
	}
	j := &joinedPart[P, C]{node: n, res: newResolver(rc, x.db), ncols: len(rc.Columns()), key: keyPos(rc), parent: parent, obs: x.obs}
	if n.rel.Kind == relation.ManyToMany {
		j.pairs = map[[2]any]struct{}{}
	}
	// The joined rows' plain statement, for Subquery and Pipelined nodes below them.
	j.lv = &level[C]{repo: rc, rows: func() []*C { return j.rows }}
	if parent != nil && parent.sql != "" {
		j.lv.sql, j.lv.args, _, err = n.render(x, n.below(parent), parent.args, false, nil)
		if err != nil {
			return nil, err
		}
	}
	if j.sub, err = joinsOf(x, js, n.kids, y, j.lv); err != nil {
		return nil, err
	}
	for _, s := range j.sub {
		j.subw += s.width()
	}
	x.later = append(x.later, func() error { j.lv.followUps(x, n.kids); return nil })
	return j, nil
}

// pipelinedBelow returns the statements of the Pipelined nodes below lv, whose Joined nodes
// are parts, and below those.
func pipelinedBelow[X any](x *run, lv *level[X], kids []node, parts []joinPart[X]) ([]stmt, error) {
	stmts, err := lv.pipelined(x, kids)
	for _, p := range parts {
		if err != nil {
			return nil, err
		}
		var more []stmt
		more, err = p.pipelinedBelow(x)
		stmts = append(stmts, more...)
	}
	return stmts, err
}

func (j *joinedPart[P, C]) pipelinedBelow(x *run) ([]stmt, error) {
	return pipelinedBelow(x, j.lv, j.node.kids, j.sub)
}

var _ childOf[struct{}] = (*nodeOf[struct{}, struct{}])(nil)
