package load

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/sqltext"
	"github.com/kinship-go/kinship/internal/track"
	"github.com/kinship-go/kinship/repo"
)

// run is one execution of a plan: the statements still to send come as follow-ups, each sent
// once the rows it depends on are in memory.
type run struct {
	ctx   context.Context
	db    repo.DB
	later []func() error
	obs   track.Session // nil outside a session
}

// end tells the observer that the load is over, or that it failed with err.
func (x *run) end(err error) {
	switch {
	case x.obs == nil:
	case err != nil:
		x.obs.LoadFailed()
	default:
		x.obs.LoadDone()
	}
}

// newRun starts a load on db; end must follow if it returns no error.
func newRun(ctx context.Context, db repo.DB, nodes []node) (*run, error) {
	obs := track.Of(db)
	if obs != nil {
		if err := obs.LoadStart(ctx, relationsOf(nodes, nil)); err != nil {
			return nil, err
		}
	}
	return &run{ctx: ctx, db: db, obs: obs}, nil
}

// relationsOf appends to out the relations of nodes and of the nodes below them.
func relationsOf(nodes []node, out []relation.Relation) []relation.Relation {
	for _, n := range nodes {
		out = append(out, n.relation())
		out = relationsOf(*n.children(), out)
	}
	return out
}

// init sets p's field of r loaded and empty, and tells the observer.
func (x *run) init(r relation.Relation, p any) {
	r.Init(p)
	if x.obs != nil {
		x.obs.Filled(r, p)
	}
}

// stmt is one statement and what to do with its rows.
type stmt = pipe.Statement

// send sends stmts in one round trip.
func (x *run) send(stmts []stmt) error { return pipe.Send(x.ctx, x.db, stmts) }

// drain runs the follow-ups, and theirs, in order.
func (x *run) drain() error {
	for len(x.later) > 0 {
		f := x.later[0]
		x.later = x.later[1:]
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// level is the rows of one type that a statement (or part of one) reads, with the plain
// statement that selects them: what a Subquery or Pipelined load below it uses as its key source.
type level[X any] struct {
	repo *repo.Repo[X]
	sql  string
	args []any
	cols []int // the columns the root's query reads (repo.Only), nil for all
	rows func() []*X
}

// childOf is a node as the level above it sees it.
type childOf[X any] interface {
	node
	// stmts returns the statements of a Pipelined node below lv, to send with lv's statement,
	// and registers their follow-ups.
	pipelinedBelow(x *run, lv *level[X]) ([]stmt, error)
	// after registers what the node does once lv's rows are read.
	after(x *run, lv *level[X])
	// addJoin writes a Joined node's join into js.
	addJoin(x *run, js *joins, parentAlias string, parent *level[X]) (joinPart[X], error)
	// selectIn loads the node for parents already in memory.
	selectIn(x *run, parents []*X) error
}

// pipelined returns the statements of the Pipelined nodes below lv (and below theirs).
func (lv *level[X]) pipelined(x *run, nodes []node) ([]stmt, error) {
	var out []stmt
	for _, n := range nodes {
		if n.strategy() == relation.Pipelined {
			s, err := n.(childOf[X]).pipelinedBelow(x, lv)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
	}
	return out, nil
}

// followUps registers what the nodes below lv do once lv's rows are read.
func (lv *level[X]) followUps(x *run, nodes []node) {
	for _, n := range nodes {
		n.(childOf[X]).after(x, lv)
	}
}

// statement builds the statement that reads lv's rows (for the root, sel's query) with the
// Joined nodes among nodes; onRow gets each row, fresh the first time it is seen.
func (lv *level[X]) statement(x *run, nodes []node, sel *engine.Select[X], onRow func(*X, bool) error) ([]stmt, error) {
	js := &joins{args: argList{vals: append([]any(nil), sel.Args...)}}
	parts, err := joinsOf(x, js, nodes, "p0", lv)
	if err != nil {
		return nil, err
	}
	onceAtEnd(parts)
	more, err := pipelinedBelow(x, lv, nodes, parts)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return append([]stmt{{SQL: sel.SQL, Args: sel.Args, Read: lv.reader(x, nil, nil, false, onRow)}}, more...), nil
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(view(lv.repo).SelectListOf("p0", lv.cols))
	b.WriteString(js.cols.String())
	b.WriteString(" FROM (")
	b.WriteString(sel.SQL)
	b.WriteString(") AS p0")
	b.WriteString(js.from.String())
	order := js.order
	if o := sel.OrderBy("p0"); o != "" {
		order = append([]string{o}, order...)
	}
	if len(order) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(order, ", "))
	}
	return append([]stmt{{SQL: b.String(), Args: js.args.vals, Read: lv.reader(x, nil, parts, true, onRow)}}, more...), nil
}

func joinsOf[X any](x *run, js *joins, nodes []node, alias string, parent *level[X]) ([]joinPart[X], error) {
	var parts []joinPart[X]
	for _, n := range nodes {
		if n.strategy() != relation.Joined {
			continue
		}
		p, err := n.(childOf[X]).addJoin(x, js, alias, parent)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// joins accumulates the joined part of a statement.
type joins struct {
	args  argList
	cols  strings.Builder // ", j1.a, j1.b, …"
	from  strings.Builder // " LEFT JOIN …"
	order []string
	n     int // aliases given
}

// argList numbers a statement's bind arguments.
type argList struct{ vals []any }

func (a *argList) add(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

func (a *argList) pred(p interface {
	SQL(alias string, argBase int) (string, []any, error)
}, alias string) (string, error) {
	s, args, err := p.SQL(alias, len(a.vals))
	if err != nil {
		return "", err
	}
	a.vals = append(a.vals, args...)
	return s, nil
}

func orderList[C any](order []repo.Order[C], alias string) string {
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = o.SQL(alias)
	}
	return strings.Join(parts, ", ")
}

func keyList[C any](r *repo.Repo[C], alias string) string {
	pk := r.PrimaryKey()
	parts := make([]string, len(pk))
	for i, f := range pk {
		parts[i] = alias + "." + sqltext.Quote(f.Name())
	}
	return strings.Join(parts, ", ")
}

// keyPos is the position, among r's columns, of its first primary-key column: never NULL in a
// row that exists, so NULL there means a LEFT JOIN found nothing.
func keyPos[C any](r *repo.Repo[C]) int {
	pk := r.PrimaryKey()[0]
	for i, f := range r.Columns() {
		if f == pk {
			return i
		}
	}
	return 0
}

// reader reads rows of lv (with extra columns after them, and joined parts after those). dedupe
// says rows may repeat (joins, many-to-many), so that each is resolved to one instance.
func (lv *level[X]) reader(x *run, extra []any, parts []joinPart[X], dedupe bool, onRow func(*X, bool) error) func(pgx.Rows) error {
	if !dedupe && len(parts) == 0 {
		return func(rows pgx.Rows) error {
			var err error
			each := func(row *X) bool {
				err = onRow(row, true)
				return err == nil
			}
			var scanErr error
			if lv.cols != nil {
				scanErr = view(lv.repo).ScanPart(x.db, rows, lv.cols, each)
			} else {
				scanErr = view(lv.repo).ScanRows(x.db, rows, extra, each)
			}
			if err != nil {
				return err
			}
			return scanErr
		}
	}
	return func(rows pgx.Rows) error {
		r := newResolver(lv.repo, x.db)
		r.cols = lv.cols
		ncols := len(lv.repo.Columns())
		if lv.cols != nil {
			ncols = len(lv.cols)
		}
		width := ncols + len(extra)
		for _, p := range parts {
			width += p.width()
		}
		dest := make([]any, width)
		view(lv.repo).DestsOf(&r.scratch, lv.cols, dest)
		copy(dest[ncols:], extra)
		off := ncols + len(extra)
		for _, p := range parts {
			off = p.bind(dest, off)
		}
		for rows.Next() {
			if len(parts) > 0 {
				raw := rows.RawValues()
				for _, p := range parts {
					p.prepare(raw, dest)
				}
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			row, fresh := r.resolve()
			if err := onRow(row, fresh); err != nil {
				return err
			}
			for _, p := range parts {
				if err := p.handle(row, fresh); err != nil {
					return err
				}
			}
		}
		return rows.Err()
	}
}

// resolver turns a row scanned into scratch into its one instance within a statement (and
// within a session, through an Identity).
type resolver[X any] struct {
	repo    *repo.Repo[X]
	rows    engine.Rows[X] // repo's engine view, found once
	ident   engine.Identity
	index   engine.RowIndex[X]
	scratch X
	cols    []int // the columns scanned into scratch, nil for all
}

func newResolver[X any](r *repo.Repo[X], db repo.DB) *resolver[X] {
	v := view(r)
	return &resolver[X]{repo: r, rows: v, ident: engine.IdentityOf(db), index: v.RowIndex()}
}

// resolve returns the instance of the row in scratch, and whether the statement saw it first. A
// resolver whose rows cannot repeat has no index: every row is new.
func (r *resolver[X]) resolve() (*X, bool) {
	if r.index != nil {
		if x, ok := r.index.Of(&r.scratch); ok {
			return x, false
		}
	}
	x := new(X)
	*x = r.scratch
	if r.ident != nil {
		x = r.ident.Resolve(r.repo, x, r.cols).(*X)
	}
	if r.index != nil {
		r.index.Put(x)
	}
	return x, true
}

// joinPart is a Joined node's columns within its parent's statement.
type joinPart[P any] interface {
	width() int
	// bind points dest at the part's scratch row from off on, and returns the offset after it.
	bind(dest []any, off int) int
	// prepare points the part's destinations at the null sink where the row has no match.
	prepare(raw [][]byte, dest []any)
	// handle links the part's row to p, which is fresh the first time the statement sees it.
	handle(p *P, fresh bool) error
	// pipelinedBelow returns the statements of the Pipelined nodes below the part's rows.
	pipelinedBelow(x *run) ([]stmt, error)
	// once tells a part at the end of a chain of joins that its rows come once each.
	once()
}

// onceAtEnd tells the last part of a statement whose joins form one chain that its rows do not
// repeat, so that it need not index them. Any other joined row repeats, once per row joined
// below it or beside it.
func onceAtEnd[X any](parts []joinPart[X]) {
	if len(parts) == 1 {
		parts[0].once()
	}
}

func (j *joinedPart[P, C]) once() {
	switch {
	case len(j.sub) == 1:
		j.sub[0].once()
	case len(j.sub) == 0 && (j.node.rel.Kind == relation.HasMany || j.node.rel.Kind == relation.HasOne):
		j.res.index = nil // a child row has one parent: it comes once
	}
}

type joinedPart[P, C any] struct {
	node   *nodeOf[P, C]
	res    *resolver[C]
	lv     *level[C]
	rows   []*C
	off    int
	ncols  int
	key    int
	null   bool
	sink   any // receives the columns of a LEFT JOIN that found nothing: the part's own, not shared by concurrent loads
	pairs  map[[2]any]struct{}
	sub    []joinPart[C]
	subw   int
	parent *level[P]
	obs    track.Session
}

func (j *joinedPart[P, C]) width() int { return j.ncols + j.subw }

func (j *joinedPart[P, C]) bind(dest []any, off int) int {
	j.off = off
	j.res.rows.Dests(&j.res.scratch, dest[off:off+j.ncols])
	off += j.ncols
	for _, s := range j.sub {
		off = s.bind(dest, off)
	}
	return off
}

func (j *joinedPart[P, C]) prepare(raw [][]byte, dest []any) {
	null := raw[j.off+j.key] == nil
	if null != j.null {
		j.null = null
		if null {
			for i := j.off; i < j.off+j.ncols; i++ {
				dest[i] = &j.sink
			}
		} else {
			j.res.rows.Dests(&j.res.scratch, dest[j.off:j.off+j.ncols])
		}
	}
	for _, s := range j.sub {
		s.prepare(raw, dest)
	}
}

func (j *joinedPart[P, C]) handle(p *P, fresh bool) error {
	if fresh {
		if j.obs != nil {
			j.obs.Filled(j.node.rel, p)
		}
		j.node.rel.Reset(p)
	}
	if j.null {
		return nil
	}
	c, cFresh := j.res.resolve()
	if cFresh {
		j.rows = append(j.rows, c)
	}
	if j.linkNow(p, c, cFresh) {
		if err := j.node.rel.Attach(p, c); err != nil {
			return relErr(j.node.rel.Label(), err)
		}
	}
	for _, s := range j.sub {
		if err := s.handle(c, cFresh); err != nil {
			return err
		}
	}
	return nil
}

// linkNow reports whether c is not yet linked to p in this statement, where joins below and
// beside repeat a row: a child of a HasMany has one parent, so it is new exactly when the
// statement first sees it; a to-one field is set again to the same row harmlessly; only
// many-to-many pairs need remembering.
func (j *joinedPart[P, C]) linkNow(p *P, c *C, fresh bool) bool {
	switch j.node.rel.Kind {
	case relation.HasMany:
		return fresh
	case relation.BelongsTo, relation.HasOne:
		return true
	}
	k := [2]any{p, c}
	if _, dup := j.pairs[k]; dup {
		return false
	}
	j.pairs[k] = struct{}{}
	return true
}

// view is r's engine view.
func view[X any](r *repo.Repo[X]) engine.Rows[X] { return engine.RowsOf[X](r) }
