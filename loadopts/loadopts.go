package loadopts

import (
	"context"
	"errors"
	"fmt"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
)

// Strategy is how a relation is loaded: one of the constants below.
type Strategy = rel.Strategy

// The strategies. The package documentation has a table of their SQL and round trips.
const (
	// Lazy: not loaded by the query; the relation's Of loads it on first access.
	Lazy = rel.Lazy
	// Joined: one query, the parents LEFT OUTER JOIN their rows, parents de-duplicated.
	Joined = rel.Joined
	// SelectIn: after the parents, one query per batch of keys: WHERE fk = ANY($1).
	SelectIn = rel.SelectIn
	// Subquery: after the parents, one query that repeats theirs: WHERE fk = ANY(ARRAY(SELECT … )).
	Subquery = rel.Subquery
	// Pipelined: Subquery's SQL, sent with the parents' query in one pgx batch: one round trip
	// for the parents and every pipelined level below them.
	Pipelined = rel.Pipelined
	// Raise: not loaded; through a unit-of-work session, reaching it with the relation's Of is
	// then rel.ErrNotLoaded, no query. (Outside a session, Of goes by the relation's own
	// strategy: it refuses only for a relation declared with rel.DefaultLoad(rel.Raise).)
	Raise = rel.Raise
	// NoLoad: not loaded; a collection is set empty, which counts as loaded. A to-one field is
	// set nil, which counts as loaded through a session, and outside one only where its foreign
	// key is NULL.
	NoLoad = rel.NoLoad
)

// An Option shapes the load of rows of C: which, in what order, how many per parent.
type Option[C any] interface {
	apply(s *load.Spec[C])
}

type optionFunc[C any] func(*load.Spec[C])

func (f optionFunc[C]) apply(s *load.Spec[C]) { f(s) }

// With loads the relation or path target (see rel.Then) with strategy s, shaped by opts, for a
// query of P: pass it to Find or Get of P's Repo. The levels of a path above the last load as
// their own With options say, or else with their relation's default strategy (SelectIn where
// that default does not load). The option is reusable and safe to share between queries.
//
// Its mistakes (see the package documentation: a nil target or one made of a nil relation, a
// nil option, an unknown strategy, …) are the query's error, matching repo.ErrInvalid; nothing
// is sent.
func With[P, C any](target rel.Path[P, C], s Strategy, opts ...Option[C]) repo.Option[P] {
	edges, last := load.PathOf[C](target)
	if len(edges) == 0 || last == nil {
		return loadOption(func(current engine.Loader[P]) engine.Loader[P] { return load.Fail(current, errNoTarget("With")) })
	}
	spec := specOf(s, opts)
	return loadOption(func(current engine.Loader[P]) engine.Loader[P] {
		return load.Merge(current, edges, last, spec)
	})
}

// Load loads target, a relation or a path, for parents already in memory, shaped by opts as
// [With] shapes it in a query: "the last 5 rentals" of customers read earlier, without reading
// the others. Its relation (the last of a path) loads select-in: one statement per batch of
// 1,000 distinct parent keys, all in one round trip; the levels of a path above it load as
// their relations' default strategies say (SelectIn where that default does not load), a round
// trip each. It replaces what the parents' fields held, as the relation's own Load does.
//
// Through a unit-of-work session, the rows loaded are the session's as any load's are; a
// collection loaded with Where or LimitPerParent holds only the rows that matched, and the rows
// it left out are not touched by the flush (they were never the session's), as with With.
//
// The mistakes With refuses, a nil context, a nil DB and a nil parent are errors matching
// repo.ErrInvalid; nothing is sent. No parents sends nothing.
func Load[P, C any](ctx context.Context, db repo.DB, target rel.Path[P, C], parents []*P, opts ...Option[C]) error {
	edges, last := load.PathOf[C](target)
	switch {
	case len(edges) == 0 || last == nil:
		return invalid(errNoTarget("Load"))
	case ctx == nil:
		return invalid(errors.New("loadopts: Load: nil context: pass context.Background() or the caller's context"))
	case pipe.IsNil(db):
		return invalid(errors.New("loadopts: Load: nil DB"))
	}
	for i, p := range parents {
		if p == nil {
			return invalid(fmt.Errorf("loadopts: Load: parent %d is nil", i))
		}
	}
	spec := specOf(SelectIn, opts)
	plan := load.Merge[P](nil, edges, last, spec).(*load.Plan[P])
	return plan.Load(ctx, db, parents)
}

func errNoTarget(op string) error {
	return fmt.Errorf("loadopts: %s of no relation: a nil relation or path, or rel.Then of one", op)
}

// invalid makes err match repo.ErrInvalid.
func invalid(err error) error { return fmt.Errorf("%w: %w", err, repo.ErrInvalid) }

// specOf is the load of strategy s shaped by opts, with the mistakes of either in its Err.
func specOf[C any](s Strategy, opts []Option[C]) load.Spec[C] {
	spec := load.Spec[C]{Strategy: relation.Strategy(s)}
	if s > NoLoad {
		spec.Err = fmt.Errorf("unknown strategy %v", s)
	}
	for _, o := range opts {
		if o == nil {
			spec.Err = errors.New("nil load option")
			continue
		}
		o.apply(&spec)
	}
	if spec.Err == nil && !s.Eager() && (spec.Where.String() != "TRUE" || len(spec.Order) > 0 || spec.Limit > 0 || spec.Batch > 0) {
		spec.Err = fmt.Errorf("load options given with %v, which loads nothing", s)
	}
	if spec.Err == nil && spec.Batch > 0 && s != SelectIn {
		spec.Err = fmt.Errorf("BatchSize applies to SelectIn, not %v", s)
	}
	return spec
}

// loadOption is the query option of P that merges the query's load plan with merge. Package
// repo makes it, reached through the engine view of a nil *Repo[P], so that repo exports no
// hook for it.
func loadOption[P any](merge func(current engine.Loader[P]) engine.Loader[P]) repo.Option[P] {
	return engine.LoadOption[P]((*repo.Repo[P])(nil), merge).(repo.Option[P])
}

// Where loads only the rows that match every one of preds.
func Where[C any](preds ...repo.Pred[C]) Option[C] {
	return optionFunc[C](func(s *load.Spec[C]) { s.Where = repo.And(append([]repo.Pred[C]{s.Where}, preds...)...) })
}

// OrderBy orders each parent's rows. The zero Order, or one of a nil column, is the query's
// error (it orders by nothing).
func OrderBy[C any](orders ...repo.Order[C]) Option[C] {
	return optionFunc[C](func(s *load.Spec[C]) {
		checkOrders(s, "OrderBy", orders)
		s.Order = append(s.Order, orders...)
	})
}

// checkOrders refuses an ordering that renders as nothing: the zero Order, or one of a nil column.
func checkOrders[C any](s *load.Spec[C], op string, orders []repo.Order[C]) {
	for i, o := range orders {
		if o.SQL("c") == "" {
			s.Err = fmt.Errorf("%s: ordering %d orders by nothing (the zero Order, or one of a nil column): build it with a column's Asc or Desc", op, i)
		}
	}
}

// LimitPerParent loads at most n rows for each parent, the first n by orders (then by primary
// key, so that ties are cut the same way every time): the top n of each. It is computed in the
// database, with row_number() OVER (PARTITION BY …) or, for Joined, a LATERAL subquery. An n
// that is not positive, or an ordering of nothing (as for [OrderBy]), is the query's error.
func LimitPerParent[C any](n int, orders ...repo.Order[C]) Option[C] {
	return optionFunc[C](func(s *load.Spec[C]) {
		if n <= 0 {
			s.Err = fmt.Errorf("LimitPerParent(%d): the limit must be positive", n)
		}
		checkOrders(s, "LimitPerParent", orders)
		s.Limit = n
		s.Order = append(s.Order, orders...)
	})
}

// BatchSize sets how many parent keys one SelectIn statement carries (default 1,000). Each batch
// is one more statement, but all go in one round trip. An n that is not positive is the query's
// error.
func BatchSize[C any](n int) Option[C] {
	return optionFunc[C](func(s *load.Spec[C]) {
		if n <= 0 {
			s.Err = fmt.Errorf("BatchSize(%d): the size must be positive", n)
		}
		s.Batch = n
	})
}
