package repo

import (
	"context"
	"fmt"
)

// Untyped is a Repo with its row type erased, every row a *T held in an any: what a unit-of-work
// session uses to keep rows of many tables in one map and to write them in one plan. Applications
// have no need of it. Each method costs what its typed counterpart does, plus an interface
// conversion per row.
type Untyped interface {
	Table() string
	// Repo returns the *Repo[T].
	Repo() any
	// NewIndex returns an empty Index of the table's rows.
	NewIndex() UntypedIndex
	// New returns a new zero row.
	New() any
	// Clone returns a copy of *row: the snapshot that change tracking compares with.
	Clone(row any) any
	// CopyColumns copies src's column values into dst, leaving dst's other fields alone.
	CopyColumns(dst, src any)
	// Restore copies snap's column values back into row.
	Restore(row, snap any)
	// Changed appends to dst the positions (in Columns) of the writable columns whose values
	// differ between row and snap.
	Changed(dst []int, row, snap any) []int
	// ColumnName returns the name of the column at position i.
	ColumnName(i int) string
	// Key returns row's primary key as Get takes it.
	Key(row any) any
	// KeyAssigned reports whether row has its key: false for a new row whose Serial key is zero.
	KeyAssigned(row any) bool
	// Insert inserts rows as Insert does.
	Insert(ctx context.Context, db DB, rows []any) error
	// UpdateStatement is the UPDATE of row's columns at positions cols (and its version, if the
	// table has one), guarded by the key and the version.
	UpdateStatement(row any, cols []int) (sql string, args []any)
	// DeleteStatement is the DELETE of rows by key (and version), one statement for all rows
	// when the key is one column and there is no version, one per row otherwise.
	DeleteStatements(rows []any) []Statement
	// Versioned reports whether the table has a Version column; Bump adds one to row's.
	Versioned() bool
	Bump(row any)
}

// Statement is SQL with its arguments and how many rows it must affect.
type Statement struct {
	SQL  string
	Args []any
	Rows int64
}

// UntypedIndex is an [Index] with its row type erased.
type UntypedIndex interface {
	Get(key any) (any, bool)
	Of(row any) (any, bool)
	Put(row any)
	Delete(row any)
	Len() int
}

// Untyped returns r with its row type erased, for package uow.
func (r *Repo[T]) Untyped() Untyped { return untyped[T]{r} }

type untyped[T any] struct{ r *Repo[T] }

func (u untyped[T]) Table() string { return u.r.table }
func (u untyped[T]) Repo() any     { return u.r }

func (u untyped[T]) NewIndex() UntypedIndex { return untypedIndex[T]{u.r.NewIndex()} }

func (u untyped[T]) New() any { return new(T) }

func (u untyped[T]) CopyColumns(dst, src any) {
	d, s := dst.(*T), src.(*T)
	for _, c := range u.r.cols {
		c.copy(d, s)
	}
}

func (u untyped[T]) Clone(row any) any {
	c := *row.(*T)
	return &c
}

func (u untyped[T]) Restore(row, snap any) { *row.(*T) = *snap.(*T) }

func (u untyped[T]) Changed(dst []int, row, snap any) []int {
	a, b := row.(*T), snap.(*T)
	for i, c := range u.r.cols {
		if c.kind != kindPlain {
			continue
		}
		if !c.equal(a, b) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (u untyped[T]) ColumnName(i int) string { return u.r.cols[i].name }

func (u untyped[T]) Key(row any) any { return u.r.Key(row.(*T)) }

func (u untyped[T]) KeyAssigned(row any) bool {
	if u.r.serial == nil {
		return true
	}
	var zero T
	return !u.r.serial.equal(row.(*T), &zero)
}

func (u untyped[T]) Insert(ctx context.Context, db DB, rows []any) error {
	typed := make([]*T, len(rows))
	for i, row := range rows {
		typed[i] = row.(*T)
	}
	return u.r.Insert(ctx, db, typed...)
}

func (u untyped[T]) UpdateStatement(row any, cols []int) (string, []any) {
	t := row.(*T)
	sets := make([]*column[T], len(cols))
	for i, c := range cols {
		sets[i] = u.r.cols[c]
	}
	args := u.r.args(make([]any, 0, len(sets)+len(u.r.key)+1), []*T{t}, sets)
	args = u.r.args(args, []*T{t}, u.r.key)
	if u.r.version != nil {
		args = append(args, u.r.version.value(t))
	}
	if len(cols) == len(u.r.sets) {
		return u.r.updateSQL, args
	}
	return u.r.updateStatement(sets), args
}

func (u untyped[T]) DeleteStatements(rows []any) []Statement {
	r := u.r
	if len(r.key) == 1 && r.version == nil {
		return []Statement{{
			SQL:  "DELETE FROM " + r.quoted + " WHERE " + r.key[0].quoted + " = ANY($1)",
			Args: []any{r.key[0].keySlice(rows)},
			Rows: int64(len(rows)),
		}}
	}
	sql := r.deleteSQL
	if r.version != nil {
		sql += fmt.Sprintf(" AND %s = $%d", r.version.quoted, len(r.key)+1)
	}
	out := make([]Statement, len(rows))
	for i, row := range rows {
		t := row.(*T)
		args := r.args(nil, []*T{t}, r.key)
		if r.version != nil {
			args = append(args, r.version.value(t))
		}
		out[i] = Statement{SQL: sql, Args: args, Rows: 1}
	}
	return out
}

func (u untyped[T]) Versioned() bool { return u.r.version != nil }

func (u untyped[T]) Bump(row any) {
	if u.r.version != nil {
		u.r.version.bump(row.(*T))
	}
}

type untypedIndex[T any] struct{ ix *Index[T] }

func (x untypedIndex[T]) Get(key any) (any, bool) {
	row, ok := x.ix.Get(key)
	if !ok {
		return nil, false
	}
	return row, true
}

func (x untypedIndex[T]) Of(row any) (any, bool) {
	found, ok := x.ix.Of(row.(*T))
	if !ok {
		return nil, false
	}
	return found, true
}

func (x untypedIndex[T]) Put(row any)    { x.ix.Put(row.(*T)) }
func (x untypedIndex[T]) Delete(row any) { x.ix.Delete(row.(*T)) }
func (x untypedIndex[T]) Len() int       { return x.ix.Len() }

// keySliceOf builds the []V of a key column's values in rows, to bind as one array.
func keySliceOf[T any, V any](get func(*T) *V) func(rows []any) any {
	return func(rows []any) any {
		out := make([]V, len(rows))
		for i, row := range rows {
			out[i] = *get(row.(*T))
		}
		return out
	}
}
