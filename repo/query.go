package repo

import (
	"context"
	"errors"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Get returns the row whose primary key is key: the value for a one-column key, a []any in
// declaration order for a composite key (see [Repo.Key]). A missing row is [ErrNotFound], which
// also matches pgx.ErrNoRows. Without options Get sends a statement prepared when the Repo was
// declared; a [Pred] among opts narrows it further (a tenant check, say).
func (r *Repo[T]) Get(ctx context.Context, db DB, key any, opts ...Option[T]) (*T, error) {
	args, err := r.keyArgs(key)
	if err != nil {
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	sql := r.getSQL
	if len(opts) > 0 {
		q := r.collect(opts)
		b := sqltext.Builder{Args: args}
		b.WriteString(r.getSQL)
		if sql, args, err = r.finish(&b, q, true); err != nil {
			return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
		}
	}
	row := new(T)
	dest := make([]any, len(r.cols))
	r.dests(row, dest)
	if err := db.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = ErrNotFound
		}
		return nil, &Error{Op: "get", Table: r.table, Key: key, Err: err}
	}
	return row, nil
}

// Find returns the rows that match opts ([Pred]s joined with AND, [Order], [Limit], [Offset]),
// all of them without options. It reads the whole result into memory; [Repo.All] streams it.
func (r *Repo[T]) Find(ctx context.Context, db DB, opts ...Option[T]) ([]*T, error) {
	var out []*T
	err := r.each(ctx, db, "find", opts, func(row *T) bool {
		out = append(out, row)
		return true
	})
	return out, err
}

// All streams the rows that match opts, one at a time, without holding them all: breaking out of
// the loop stops reading and releases the connection. It returns a single-use iterator; the query
// is sent when the loop starts, and its error, if any, is the last thing the loop yields.
func (r *Repo[T]) All(ctx context.Context, db DB, opts ...Option[T]) iter.Seq2[*T, error] {
	used := false
	return func(yield func(*T, error) bool) {
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

// Count returns the number of rows that match where (all rows without it).
func (r *Repo[T]) Count(ctx context.Context, db DB, where ...Pred[T]) (int64, error) {
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
// cheaper than Count: PostgreSQL stops at the first row.
func (r *Repo[T]) Exists(ctx context.Context, db DB, where ...Pred[T]) (bool, error) {
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
	sql, args := r.selectSQL, []any(nil)
	if len(opts) > 0 {
		var b sqltext.Builder
		b.WriteString(r.selectSQL)
		var err error
		if sql, args, err = r.finish(&b, r.collect(opts), false); err != nil {
			return &Error{Op: op, Table: r.table, Err: err}
		}
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return &Error{Op: op, Table: r.table, Err: err}
	}
	defer rows.Close()
	dest := make([]any, len(r.cols))
	for rows.Next() {
		row := new(T)
		r.dests(row, dest)
		if err := rows.Scan(dest...); err != nil {
			return &Error{Op: op, Table: r.table, Err: err}
		}
		if !fn(row) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return &Error{Op: op, Table: r.table, Err: err}
	}
	return nil
}

// dests points dest at the fields of row, in column order, for Scan.
func (r *Repo[T]) dests(row *T, dest []any) {
	for i, c := range r.cols {
		dest[i] = c.addr(row)
	}
}

func (r *Repo[T]) collect(opts []Option[T]) *query[T] {
	q := new(query[T])
	for _, o := range opts {
		if o == nil {
			if q.err == nil {
				q.err = invalidf("nil option")
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
	if err := where(b, q.where, hasWhere); err != nil {
		return "", nil, err
	}
	for i, o := range q.order {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.col)
		if o.desc {
			b.WriteString(" DESC")
		}
		b.WriteString(o.nulls)
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

// where appends the conditions joined with AND, introduced by WHERE or, when hasWhere, by AND.
func where(b *sqltext.Builder, nodes []node, hasWhere bool) error {
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
	if err := where(&b, nodes, false); err != nil {
		return "", nil, err
	}
	b.WriteString(suffix)
	return b.String(), b.Args, nil
}
