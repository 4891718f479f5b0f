package repo

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// view is the engine view of a Repo (see package internal/engine): what the relation core, the
// load planner and a unit-of-work session use, none of it shown to users.
// It is one pointer, so that holding it in an interface does not allocate.
type view[T any] struct{ r *Repo[T] }

// engine returns r's engine view; for a nil Repo, what needs no table: its options.
func (r *Repo[T]) engine() any {
	if r == nil {
		return options[T]{}
	}
	return view[T]{r}
}

// options makes the query options loadopts needs (engine.Options).
type options[T any] struct{}

func (options[T]) LoadOption(merge func(current engine.Loader[T]) engine.Loader[T]) any {
	return loadOption[T](merge)
}

func init() {
	engine.RegisterRepo(func(r any) any {
		if e, ok := r.(interface{ engine() any }); ok {
			return e.engine()
		}
		return nil
	})
}

var _ engine.Rows[struct{}] = view[struct{}]{}

func (u view[T]) Table() string { return u.r.table }
func (u view[T]) Repo() any     { return u.r }

func (u view[T]) NewIndex() engine.Index { return untypedIndex[T]{u.r.newIndex()} }

func (u view[T]) RowIndex() engine.RowIndex[T] {
	if ix := u.r.newIndex(); ix != nil {
		return ix
	}
	return nil
}

func (u view[T]) QuotedTable() string            { return u.r.quoted }
func (u view[T]) SelectList(alias string) string { return u.r.selectList(alias) }
func (u view[T]) SelectListOf(alias string, cols []int) string {
	if cols == nil {
		return u.r.selectList(alias)
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = alias + "." + u.r.cols[c].quoted
	}
	return strings.Join(parts, ", ")
}
func (u view[T]) DestsOf(row *T, cols []int, dest []any) {
	if cols == nil {
		dests(u.r.cols, row, dest)
		return
	}
	for i, c := range cols {
		dest[i] = u.r.cols[c].addr(row)
	}
}
func (u view[T]) ScanPart(db engine.DB, rows pgx.Rows, cols []int, fn func(*T) bool) error {
	return u.r.scanPart(db, rows, cols, fn)
}
func (u view[T]) KeyList() string             { return quotedList(u.r.key) }
func (u view[T]) Dests(row *T, dest []any)    { dests(u.r.cols, row, dest) }
func (u view[T]) KeyDests(row *T, dest []any) { dests(u.r.key, row, dest) }

func (u view[T]) KeyNames() []string {
	names := make([]string, len(u.r.key))
	for i, c := range u.r.key {
		names[i] = c.name
	}
	return names
}

func (u view[T]) ScanRows(db engine.DB, rows pgx.Rows, extra []any, fn func(*T) bool) error {
	return u.r.scanRows(db, rows, extra, fn)
}

func (u view[T]) LoadOption(merge func(current engine.Loader[T]) engine.Loader[T]) any {
	return options[T]{}.LoadOption(merge)
}

func (options[T]) Pred(c engine.Cond) any { return Pred[T]{cond{c}} }

func (options[T]) BuildPred(p any, prefix string, b *sqltext.Builder) error {
	n := p.(Pred[T]).n
	if n == nil {
		return nil
	}
	b.WriteString(prefix)
	return n.build(b)
}

func (options[T]) CheckPred(p any, owner any, table string) error {
	if n := p.(Pred[T]).n; n != nil {
		return n.check(owner, table)
	}
	return nil
}

var _ engine.Options[struct{}] = options[struct{}]{}

func (u view[T]) Pred(c engine.Cond) any { return options[T]{}.Pred(c) }
func (u view[T]) BuildPred(p any, prefix string, b *sqltext.Builder) error {
	return options[T]{}.BuildPred(p, prefix, b)
}
func (u view[T]) CheckPred(p any, owner any, table string) error {
	return options[T]{}.CheckPred(p, owner, table)
}

func (u view[T]) New() any { return new(T) }

func (u view[T]) CopyColumns(dst, src any) {
	d, s := dst.(*T), src.(*T)
	for _, c := range u.r.cols {
		if c.deepCopy != nil {
			c.deepCopy(d, s) // dst must not share src's elements: src may be a snapshot
		} else {
			c.copy(d, s)
		}
	}
}

// Clone is a plain copy of the row, one allocation, and then a clone of each column declared
// with one (Slice, ColFunc with a clone): one allocation and a copy of the elements each.
func (u view[T]) Clone(row any) any {
	src := row.(*T)
	c := new(T)
	*c = *src
	for _, d := range u.r.deep {
		d.deepCopy(c, src)
	}
	return c
}

// Restore puts snap back into row; the columns that need it are cloned again, so that row and
// snap share no elements and snap stays what it was whatever is done to row.
func (u view[T]) Restore(row, snap any) {
	r, s := row.(*T), snap.(*T)
	*r = *s
	for _, d := range u.r.deep {
		d.deepCopy(r, s)
	}
}

func (u view[T]) Changed(dst []int, row, snap any) []int {
	a, b := row.(*T), snap.(*T)
	for i, c := range u.r.cols {
		if c.kind != kindPlain || c.owned&ownReadOnly != 0 {
			continue
		}
		if !c.equal(a, b) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (u view[T]) ColumnName(i int) string { return u.r.cols[i].name }
func (u view[T]) Width() int              { return len(u.r.cols) }

func (u view[T]) CopyColumn(dst, src any, i int) {
	c := u.r.cols[i]
	if c.deepCopy != nil {
		c.deepCopy(dst.(*T), src.(*T))
		return
	}
	c.copy(dst.(*T), src.(*T))
}

func (u view[T]) EqualColumn(a, b any, i int) bool { return u.r.cols[i].equal(a.(*T), b.(*T)) }

func (u view[T]) Describe(row any) string {
	var b strings.Builder
	for i, c := range u.r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", c.name, describeValue(c.value(row.(*T))))
	}
	return b.String()
}

func (u view[T]) Key(row any) any { return u.r.Key(row.(*T)) }

func (u view[T]) KeyAssigned(row any) bool {
	return u.r.serial == nil || !u.r.serial.equal(row.(*T), u.r.zero)
}

func (u view[T]) Generated() bool { return u.r.serial != nil }

func (u view[T]) InsertStatements(rows []any) [][]pipe.Statement {
	typed := make([]*T, len(rows))
	for i, row := range rows {
		typed[i] = row.(*T)
	}
	return u.r.insertStatements(typed)
}

func (u view[T]) UpdateStatement(row any, cols []int) pipe.Statement {
	t := row.(*T)
	sets := make([]*column[T], len(cols))
	for i, c := range cols {
		sets[i] = u.r.cols[c]
	}
	var set uint64
	for _, c := range cols {
		set |= 1 << (c & 63)
	}
	st := pipe.Statement{SQL: u.r.updateSQLOf(set, sets), Args: u.r.updateArgs(t, sets)}
	if u.r.updReturn != "" {
		st.Read = u.r.readUpdated(t)
	}
	return st
}

func (u view[T]) Nulls(row any, cols []int) bool {
	r := u.r
	if len(r.key) != 1 || r.version != nil || r.updReturn != "" {
		return false
	}
	for _, i := range cols {
		if c := r.cols[i]; c.null == nil || !c.null(row.(*T)) {
			return false
		}
	}
	return true
}

func (u view[T]) NullUpdate(rows []any, cols []int, seen func(key any)) pipe.Statement {
	r := u.r
	k := r.key[0]
	read := func(res pgx.Rows) error {
		var scratch T
		dest := k.addr(&scratch)
		for res.Next() {
			if err := res.Scan(dest); err != nil {
				return err
			}
			seen(k.value(&scratch))
		}
		return res.Err()
	}
	return pipe.Statement{SQL: r.nullUpdateSQL(cols), Args: []any{k.keySlice(rows)}, Read: read, Rows: int64(len(rows))}
}

func (u view[T]) DeleteStatements(rows []any) []engine.Statement {
	r := u.r
	if len(r.key) == 1 && r.version == nil {
		return []engine.Statement{{
			SQL:  "DELETE FROM " + r.quoted + " WHERE " + r.key[0].quoted + " = ANY($1)",
			Args: []any{r.key[0].keySlice(rows)},
			Rows: int64(len(rows)),
		}}
	}
	sql := r.deleteSQL
	if r.version != nil {
		sql += fmt.Sprintf(" AND %s = $%d", r.version.quoted, len(r.key)+1)
	}
	out := make([]engine.Statement, len(rows))
	for i, row := range rows {
		t := row.(*T)
		args := r.args(nil, []*T{t}, r.key)
		if r.version != nil {
			args = append(args, r.version.value(t))
		}
		out[i] = engine.Statement{SQL: sql, Args: args, Rows: 1}
	}
	return out
}

func (u view[T]) Versioned() bool { return u.r.version != nil }

func (u view[T]) Bump(row any) {
	if u.r.version != nil {
		u.r.version.bump(row.(*T))
	}
}

type untypedIndex[T any] struct{ ix *index[T] }

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

// describeValue shows v for an error message: strings quoted, NULL for a nil pointer, the value
// a pointer of a common type points to.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	case *string:
		if x == nil {
			return "NULL"
		}
		return fmt.Sprintf("%q", *x)
	case *int64:
		if x == nil {
			return "NULL"
		}
		return fmt.Sprint(*x)
	case *int32:
		if x == nil {
			return "NULL"
		}
		return fmt.Sprint(*x)
	case *int:
		if x == nil {
			return "NULL"
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprint(v)
}
