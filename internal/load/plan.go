// Package load is the load planner behind packages rel and loadopts: the plan of what a query
// loads (a tree of nodes, one per relation of a path, each with its strategy and options) and its
// execution — select-in, subquery, pipelined and joined loads — over the relation core of package
// internal/relation. It reports what it fills to a session through package internal/track.
package load

import (
	"context"
	"errors"
	"fmt"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// Edge is a relation as a plan sees it, its types erased: what a path is made of and what a
// plan's nodes are keyed by. Two Edges of one relation are equal.
type Edge interface {
	Label() string
	// defaultNode makes the node that loads this edge with its declared strategy (SelectIn where
	// that strategy does not load).
	defaultNode() node
	check() error
}

// Target is a relation whose rows are C, of whatever parent type: the last edge of a path, which
// per-load options (of C) apply to.
type Target[C any] interface {
	Edge
	nodeWith(s *Spec[C]) node
}

// edge is the Edge of a relation P→C.
type edge[P, C any] struct{ r *relation.Rel[P, C] }

// EdgeOf returns r as a plan's edge, a nil Target for a nil r.
func EdgeOf[P, C any](r *relation.Rel[P, C]) Target[C] {
	if r == nil {
		return nil
	}
	return edge[P, C]{r}
}

func (e edge[P, C]) Label() string            { return e.r.Label() }
func (e edge[P, C]) check() error             { return e.r.Check() }
func (e edge[P, C]) nodeWith(s *Spec[C]) node { return &nodeOf[P, C]{rel: e.r, spec: *s} }
func (e edge[P, C]) defaultNode() node {
	s := e.r.Default
	if !s.Eager() {
		s = relation.SelectIn
	}
	return &nodeOf[P, C]{rel: e.r, spec: Spec[C]{Strategy: s}}
}

// Spec is how one relation is loaded: its strategy and per-load options.
type Spec[C any] struct {
	Strategy relation.Strategy
	Where    repo.Pred[C]
	Order    []repo.Order[C]
	Limit    int // rows per parent, 0 for all
	Batch    int // parent keys per select-in statement, 0 for relation.DefaultBatch
	Err      error
}

// node is one relation to load below a level of rows, with its own nodes below it.
type node interface {
	edge() Edge
	relation() relation.Relation
	strategy() relation.Strategy
	children() *[]node
	// replace takes n's spec from other, keeping n's children.
	replace(other node)
	// err reports a mistake in the node's options.
	err() error
	// parentColumn is the column of the parents' table the relation matches.
	parentColumn() string
}

// Plan is what a query of T loads, as a tree of nodes. It implements engine.Loader[T].
type Plan[T any] struct {
	nodes []node
	err   error
}

// Add merges the path of edges into the plan: the nodes along it are created where missing with
// their relation's declared strategy, and the last is set to last.
func (p *Plan[T]) Add(edges []Edge, last node) {
	level := &p.nodes
	for i, e := range edges {
		if err := e.check(); err != nil && p.err == nil {
			p.err = err
		}
		var n node
		for _, x := range *level {
			if x.edge() == e {
				n = x
				break
			}
		}
		switch {
		case i == len(edges)-1 && n != nil:
			n.replace(last)
		case i == len(edges)-1:
			n = last
			*level = append(*level, n)
		case n == nil:
			n = e.defaultNode()
			*level = append(*level, n)
		}
		level = n.children()
	}
}

// Find runs the query and everything the plan loads.
func (p *Plan[T]) Find(ctx context.Context, db engine.DB, sel *engine.Select[T]) (_ []*T, err error) {
	if p.err != nil {
		return nil, invalid(p.err)
	}
	if err := checkTree(p.nodes); err != nil {
		return nil, invalid(err)
	}
	x, err := newRun(ctx, db, p.nodes)
	if err != nil {
		return nil, err
	}
	defer func() { x.end(err) }()
	var out []*T
	lv := &level[T]{repo: sel.Rows.Repo().(*repo.Repo[T]), sql: sel.SQL, args: sel.Args, cols: sel.Cols, rows: func() []*T { return out }}
	stmts, err := lv.statement(x, p.nodes, sel, func(t *T, fresh bool) error {
		if fresh {
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := x.send(stmts); err != nil {
		return nil, err
	}
	lv.followUps(x, p.nodes)
	if err := x.drain(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParentColumns implements engine.ParentColumns: the columns of T its top relations match,
// which a query with repo.Only must read.
func (p *Plan[T]) ParentColumns() []string {
	var out []string
	for _, n := range p.nodes {
		out = append(out, n.parentColumn())
	}
	return out
}

// Load loads what the plan loads for parents already in memory: each relation at its top
// select-in (one statement per batch of keys, one round trip), the levels below as their
// strategies say.
func (p *Plan[T]) Load(ctx context.Context, db repo.DB, parents []*T) (err error) {
	if p.err != nil {
		return invalid(p.err)
	}
	if err := checkTree(p.nodes); err != nil {
		return invalid(err)
	}
	if len(parents) == 0 {
		return nil
	}
	x, err := newRun(ctx, db, p.nodes)
	if err != nil {
		return err
	}
	defer func() { x.end(err) }()
	for _, n := range p.nodes {
		if err := n.(childOf[T]).selectIn(x, parents); err != nil {
			return err
		}
	}
	return x.drain()
}

// invalid makes a mistake in a query's load options match repo.ErrInvalid.
func invalid(err error) error {
	if errors.Is(err, repo.ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %w", err, repo.ErrInvalid)
}

// checkTree refuses a node below one that does not load.
func checkTree(nodes []node) error {
	for _, n := range nodes {
		if err := n.err(); err != nil {
			return relErr(n.edge().Label(), err)
		}
		kids := *n.children()
		if len(kids) > 0 && !n.strategy().Eager() {
			return fmt.Errorf("cannot load %s below %s: it is %s; load %s with an eager strategy", kids[0].edge().Label(), n.edge().Label(), n.strategy(), n.edge().Label())
		}
		if err := checkTree(kids); err != nil {
			return err
		}
	}
	return nil
}

// nodeOf loads the relation rel, P→C, as spec says, and the nodes below it.
type nodeOf[P, C any] struct {
	rel  *relation.Rel[P, C]
	spec Spec[C]
	kids []node
}

func (n *nodeOf[P, C]) edge() Edge                  { return edge[P, C]{n.rel} }
func (n *nodeOf[P, C]) parentColumn() string        { return n.rel.FromName }
func (n *nodeOf[P, C]) relation() relation.Relation { return n.rel }
func (n *nodeOf[P, C]) strategy() relation.Strategy { return n.spec.Strategy }
func (n *nodeOf[P, C]) children() *[]node           { return &n.kids }
func (n *nodeOf[P, C]) replace(other node)          { n.spec = other.(*nodeOf[P, C]).spec }
func (n *nodeOf[P, C]) err() error {
	if n.spec.Err != nil {
		return n.spec.Err
	}
	if _, _, err := n.spec.Where.SQL("", 0); err != nil { // a malformed Raw, found before anything is sent
		return err
	}
	// A condition or ordering built from another Repo of the same Go type would be rendered
	// against this relation's table: refused, as a query's are.
	if rc, err := n.rel.To(); err == nil {
		if err := n.spec.Where.On(rc); err != nil {
			return fmt.Errorf("loadopts.Where on %s: %w", n.rel.Label(), err)
		}
		for _, o := range n.spec.Order {
			if err := o.On(rc); err != nil {
				return fmt.Errorf("loadopts.OrderBy on %s: %w", n.rel.Label(), err)
			}
		}
	}
	return nil
}

// Merge returns current, or a new Plan if current is nil, with the path of edges added whose last
// node loads target as spec says. It is what loadopts.With does when a query starts.
func Merge[P, C any](current engine.Loader[P], edges []Edge, target Target[C], spec Spec[C]) engine.Loader[P] {
	p, ok := current.(*Plan[P])
	if !ok {
		p = &Plan[P]{}
		if current != nil {
			p.err = errors.New("a query's load options cannot mix with another Loader")
		}
	}
	p.Add(edges, target.nodeWith(&spec))
	return p
}

// Fail returns current, or a new Plan if current is nil, that fails with err (unless it failed
// already): a load option that cannot be planned.
func Fail[P any](current engine.Loader[P], err error) engine.Loader[P] {
	p, ok := current.(*Plan[P])
	if !ok {
		p = &Plan[P]{}
		if current != nil {
			p.err = errors.New("a query's load options cannot mix with another Loader")
		}
	}
	if p.err == nil {
		p.err = err
	}
	return p
}

// SelectIn returns r's Loader: it loads the relation for parents already in memory, with one
// select-in round trip (one statement per batch of keys, in one batch).
func SelectIn[P, C any](r *relation.Rel[P, C]) func(ctx context.Context, db repo.DB, parents []*P) error {
	return func(ctx context.Context, db repo.DB, parents []*P) error { return selectIn(ctx, db, r, parents) }
}

func selectIn[P, C any](ctx context.Context, db repo.DB, r *relation.Rel[P, C], parents []*P) (err error) {
	if err := r.Check(); err != nil {
		return err
	}
	n := &nodeOf[P, C]{rel: r, spec: Spec[C]{Strategy: relation.SelectIn}}
	x, err := newRun(ctx, db, []node{n})
	if err != nil {
		return err
	}
	defer func() { x.end(err) }()
	if err := n.selectIn(x, parents); err != nil {
		return err
	}
	return x.drain()
}

var pathOf func(p any) ([]Edge, any)

// RegisterPaths is called once, by package rel: f(p) returns the edges of p, a rel.Path, and
// its last edge (a Target of the path's row type); none for anything else.
func RegisterPaths(f func(p any) ([]Edge, any)) { pathOf = f }

// PathOf returns the edges of p, a rel.Path[P, C], and its last one; none for a nil or zero
// relation, or a path of none.
func PathOf[C any](p any) ([]Edge, Target[C]) {
	if pathOf == nil || p == nil {
		return nil, nil
	}
	edges, last := pathOf(p)
	t, _ := last.(Target[C])
	if t == nil {
		return nil, nil
	}
	return edges, t
}
