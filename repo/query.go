package repo

import (
	"context"
	"errors"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Get returns the row whose primary key is key: the value for a one-column key, a []any in
// declaration order for a composite key (see [Repo.Key]). A missing row is [ErrNotFound], which
// also matches pgx.ErrNoRows. Without options Get sends a statement prepared when the Repo was
// declared; a [Pred] among opts narrows it further (a tenant check, say). Through a unit-of-work
// session, a row the session already holds is returned without a query and without allocating.
//
// A key that cannot be one is an error matching [ErrInvalid], found before anything is sent: nil,
// a value of another Go type than the key column's (an integer of another integer type is
// converted), a composite key not given as a []any of one value per key column, or with a nil
// value. So are the mistakes every operation refuses: a nil Repo or one not made by [New], a nil
// context, a nil DB, and the options' mistakes (see [Repo.Find]).
func (r *Repo[T]) Get(ctx context.Context, db DB, key any, opts ...Option[T]) (*T, error) {
	if err := r.check(ctx, db, "get"); err != nil {
		return nil, err
	}
	if err := r.checkKey(key); err != nil { // before the lookup, which would only miss
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	ident := engine.IdentityOf(db)
	tracked := ident != nil
	if tracked && len(opts) == 0 {
		if row, ok := ident.Lookup(r, key); ok {
			return row.(*T), nil
		}
	}
	args, err := r.keyArgs(key)
	if err != nil {
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	sql := r.getSQL
	var cols []int // the columns read, with Only
	if len(opts) > 0 {
		q := r.collect(opts)
		var prefix string
		if cols, prefix, err = r.partial(q); err != nil {
			return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
		}
		if cols == nil {
			prefix = r.getSQL
		} else {
			prefix += " WHERE " + r.keyWhere
		}
		b := sqltext.Builder{Args: args}
		b.WriteString(prefix)
		if sql, args, err = r.finish(&b, q, true); err != nil {
			return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
		}
		if q.loading != nil {
			rows, err := q.loading.Find(ctx, db, r.selection(sql, args, q, true, cols))
			if err == nil && len(rows) == 0 {
				err = ErrNotFound
			}
			if err != nil {
				return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
			}
			return rows[0], nil
		}
	}
	if tracked {
		return r.getThrough(ctx, db, key, sql, args, cols)
	}
	row := new(T)
	dest := r.partDests(row, cols)
	if err := db.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = ErrNotFound
		}
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	return row, nil
}

// Find returns the rows that match opts ([Pred]s joined with AND, [Order], [Limit], [Offset]),
// all of them without options, and loads the relations that load options (package loadopts)
// ask for. It reads the whole result into memory; [Repo.All] streams it.
//
// Before anything is sent, Find refuses with an error matching [ErrInvalid]: a nil Repo or one
// not made by [New], a nil context, a nil DB (see [DB]); a nil option, a negative Limit or Offset;
// a condition or ordering on a column of another Repo (two Repos of one Go type over two tables
// build conditions that compile in each other's queries), on a column given to no Repo, or on a
// nil column; the zero Order; a malformed [Raw] fragment. Count, Exists, All, DeleteWhere and Get
// refuse the same.
func (r *Repo[T]) Find(ctx context.Context, db DB, opts ...Option[T]) ([]*T, error) {
	var out []*T
	err := r.each(ctx, db, "find", opts, func(row *T) bool {
		out = append(out, row)
		return true
	})
	return out, err
}

// getThrough is Get through a session: a single row, resolved to its tracked instance.
func (r *Repo[T]) getThrough(ctx context.Context, db DB, key any, sql string, args []any, cols []int) (*T, error) {
	var found *T
	rows, err := db.Query(ctx, sql, args...)
	if err == nil {
		err = r.scanPart(db, rows, cols, func(row *T) bool { found = row; return false })
	}
	if err == nil && found == nil {
		err = ErrNotFound
	}
	if err != nil {
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	return found, nil
}

func (r *Repo[T]) selection(sql string, args []any, q *query[T], one bool, cols []int) *engine.Select[T] {
	order := q.order
	return &engine.Select[T]{Rows: view[T]{r}, SQL: sql, Args: args, One: one, Cols: cols, OrderBy: func(alias string) string { return orderBy(order, alias) }}
}

// All streams the rows that match opts, one at a time, without holding them all: breaking out of
// the loop stops reading and releases the connection. It returns a single-use iterator; the query
// is sent when the loop starts, and its error, if any, is the last thing the loop yields. All
// refuses load options: while it reads, the connection is busy and cannot load relations; use
// Find, or load each batch of rows with the relation's Load.
func (r *Repo[T]) All(ctx context.Context, db DB, opts ...Option[T]) iter.Seq2[*T, error] {
	used := false
	return func(yield func(*T, error) bool) {
		if err := r.check(ctx, db, "all"); err != nil {
			yield(nil, err)
			return
		}
		if used {
			yield(nil, &Error{Op: "all", Table: r.table, Err: invalidf("the iterator of All was already used; call All again")})
			return
		}
		used = true
		stopped := false
		err := r.each(ctx, db, "all", opts, func(row *T) bool {
			if !yield(row, nil) {
				stopped = true
			}
			return !stopped
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Count returns the number of rows that match where (all rows without it). Its mistakes are
// Find's.
func (r *Repo[T]) Count(ctx context.Context, db DB, where ...Pred[T]) (int64, error) {
	if err := r.check(ctx, db, "count"); err != nil {
		return 0, err
	}
	sql, args, err := r.filtered(r.countSQL, where, "")
	if err == nil {
		var n int64
		if err = db.QueryRow(ctx, sql, args...).Scan(&n); err == nil {
			return n, nil
		}
	}
	return 0, &Error{Op: "count", Table: r.table, Err: err}
}

// Exists reports whether any row matches where (whether the table has a row, without it). It is
// cheaper than Count: PostgreSQL stops at the first row. Its mistakes are Find's.
func (r *Repo[T]) Exists(ctx context.Context, db DB, where ...Pred[T]) (bool, error) {
	if err := r.check(ctx, db, "exists"); err != nil {
		return false, err
	}
	sql, args, err := r.filtered(r.existsSQL, where, ")")
	if err == nil {
		var ok bool
		if err = db.QueryRow(ctx, sql, args...).Scan(&ok); err == nil {
			return ok, nil
		}
	}
	return false, &Error{Op: "exists", Table: r.table, Err: err}
}

// each runs the query that opts describe and calls fn with each row until it returns false.
func (r *Repo[T]) each(ctx context.Context, db DB, op string, opts []Option[T], fn func(*T) bool) error {
	if err := r.check(ctx, db, op); err != nil {
		return err
	}
	sql, args := r.selectSQL, []any(nil)
	var cols []int // the columns read, with Only
	if len(opts) > 0 {
		var b sqltext.Builder
		q := r.collect(opts)
		var prefix string
		var err error
		if cols, prefix, err = r.partial(q); err != nil {
			return &Error{Op: op, Table: r.table, Err: err}
		}
		if cols == nil {
			prefix = r.selectSQL
		}
		b.WriteString(prefix)
		if sql, args, err = r.finish(&b, q, false); err != nil {
			return &Error{Op: op, Table: r.table, Err: err}
		}
		if q.loading != nil {
			if op == "all" {
				return &Error{Op: op, Table: r.table, Err: invalidf("All cannot load relations while it streams; use Find, or the relation's Load on each batch")}
			}
			rows, err := q.loading.Find(ctx, db, r.selection(sql, args, q, false, cols))
			if err != nil {
				return &Error{Op: op, Table: r.table, Err: err}
			}
			for _, row := range rows {
				if !fn(row) {
					break
				}
			}
			return nil
		}
	}
	rows, err := db.Query(ctx, sql, args...)
	if err == nil {
		err = r.scanPart(db, rows, cols, fn)
	}
	if err != nil {
		return &Error{Op: op, Table: r.table, Err: err}
	}
	return nil
}

func (r *Repo[T]) collect(opts []Option[T]) *query[T] {
	q := new(query[T])
	for i, o := range opts {
		if o == nil {
			if q.err == nil {
				q.err = invalidf("option %d is nil", i)
			}
			continue
		}
		o.apply(q)
	}
	return q
}

// finish appends q's WHERE (AND when hasWhere), ORDER BY, LIMIT and OFFSET to b.
func (r *Repo[T]) finish(b *sqltext.Builder, q *query[T], hasWhere bool) (string, []any, error) {
	if q.err != nil {
		return "", nil, invalid{q.err.Error()}
	}
	for _, o := range q.order {
		if err := o.check(r, r.table); err != nil {
			return "", nil, err
		}
	}
	if err := r.where(b, q.where, hasWhere); err != nil {
		return "", nil, err
	}
	for i, o := range q.order {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.SQL(""))
	}
	if q.hasLimit {
		b.WriteString(" LIMIT ")
		b.Arg(q.limit)
	}
	if q.offset > 0 {
		b.WriteString(" OFFSET ")
		b.Arg(q.offset)
	}
	return b.String(), b.Args, nil
}

// where appends the conditions joined with AND, introduced by WHERE or, when hasWhere, by AND,
// once it has checked that every column they name is one of r's.
func (r *Repo[T]) where(b *sqltext.Builder, nodes []node, hasWhere bool) error {
	for _, n := range nodes {
		if err := n.check(r, r.table); err != nil {
			return err
		}
	}
	for i, n := range nodes {
		switch {
		case i > 0 || hasWhere:
			b.WriteString(" AND ")
		default:
			b.WriteString(" WHERE ")
		}
		if err := n.build(b); err != nil {
			return invalid{err.Error()}
		}
	}
	return nil
}

// filtered is prefix with the conditions of preds, then suffix.
func (r *Repo[T]) filtered(prefix string, preds []Pred[T], suffix string) (string, []any, error) {
	var b sqltext.Builder
	b.WriteString(prefix)
	nodes := make([]node, 0, len(preds))
	for _, p := range preds {
		if p.n != nil {
			nodes = append(nodes, p.n)
		}
	}
	if err := r.where(&b, nodes, false); err != nil {
		return "", nil, err
	}
	b.WriteString(suffix)
	return b.String(), b.Args, nil
}
