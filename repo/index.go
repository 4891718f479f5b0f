package repo

import "iter"

// An index holds at most one *T per primary key: a unit-of-work session's identity map, the
// de-duplication of rows in a joined load. For a one-column key it is a Go map keyed by the key's
// own type, so a lookup neither boxes nor allocates; a composite key is chained into one
// comparable value, which allocates. An index is not safe for concurrent use.
//
// A nil *index is empty and stays so: Put does nothing, Get and Of find nothing. A nil row is
// never held: Put and Delete of nil do nothing, Of(nil) and Get(nil) find nothing.
type index[T any] struct {
	r *Repo[T]
	m keyIndex[T]
}

type keyIndex[T any] interface {
	of(row *T) (*T, bool)
	get(key any) (*T, bool)
	put(row *T)
	del(row *T)
	size() int
	all(yield func(*T) bool)
}

// newIndex returns an empty index of r's rows (nil for a nil Repo or one not made by [New]).
func (r *Repo[T]) newIndex() *index[T] {
	if r == nil || len(r.key) == 0 {
		return nil
	}
	if len(r.key) == 1 {
		return &index[T]{r, r.key[0].newIndex()}
	}
	return &index[T]{r, &tupleIndex[T]{m: map[any]*T{}, key: r.key}}
}

// Of returns the row held for row's primary key.
func (ix *index[T]) Of(row *T) (*T, bool) {
	if ix == nil || ix.m == nil || row == nil {
		return nil, false
	}
	return ix.m.of(row)
}

// Get returns the row held for key, given as [Repo.Get] takes it. An integer key of another Go
// integer type than the column's (1 for an int64 key) is converted.
func (ix *index[T]) Get(key any) (*T, bool) {
	if ix == nil || ix.m == nil || key == nil {
		return nil, false
	}
	return ix.m.get(key)
}

// Put holds row under its primary key, replacing any row held for it.
func (ix *index[T]) Put(row *T) {
	if ix != nil && ix.m != nil && row != nil {
		ix.m.put(row)
	}
}

// Delete forgets the row held for row's primary key.
func (ix *index[T]) Delete(row *T) {
	if ix != nil && ix.m != nil && row != nil {
		ix.m.del(row)
	}
}

// Len returns the number of rows held.
func (ix *index[T]) Len() int {
	if ix == nil || ix.m == nil {
		return 0
	}
	return ix.m.size()
}

// All returns an iterator over the rows held, in no particular order.
func (ix *index[T]) All() iter.Seq[*T] {
	if ix == nil || ix.m == nil {
		return func(func(*T) bool) {}
	}
	return ix.m.all
}

// mapIndex is the index of a one-column key of type V.
type mapIndex[T any, V comparable] struct {
	m   map[V]*T
	key func(*T) *V
}

func (ix *mapIndex[T, V]) of(row *T) (*T, bool) { r, ok := ix.m[*ix.key(row)]; return r, ok }

func (ix *mapIndex[T, V]) get(key any) (*T, bool) {
	k, ok := convertKey[V](key)
	if !ok {
		return nil, false
	}
	r, ok := ix.m[k]
	return r, ok
}

func (ix *mapIndex[T, V]) put(row *T) { ix.m[*ix.key(row)] = row }
func (ix *mapIndex[T, V]) del(row *T) { delete(ix.m, *ix.key(row)) }
func (ix *mapIndex[T, V]) size() int  { return len(ix.m) }

func (ix *mapIndex[T, V]) all(yield func(*T) bool) {
	for _, r := range ix.m {
		if !yield(r) {
			return
		}
	}
}

// tupleIndex is the index of a composite key.
type tupleIndex[T any] struct {
	m   map[any]*T
	key []*column[T]
}

func (ix *tupleIndex[T]) of(row *T) (*T, bool) { r, ok := ix.m[tuple(row, ix.key)]; return r, ok }

func (ix *tupleIndex[T]) get(key any) (*T, bool) {
	parts, ok := key.([]any)
	if !ok || len(parts) != len(ix.key) {
		return nil, false
	}
	k, ok := ix.key[len(parts)-1].convert(parts[len(parts)-1])
	if !ok {
		return nil, false
	}
	for i := len(parts) - 2; i >= 0; i-- {
		v, ok := ix.key[i].convert(parts[i])
		if !ok {
			return nil, false
		}
		k = pair{v, k}
	}
	r, ok := ix.m[k]
	return r, ok
}

func (ix *tupleIndex[T]) put(row *T) { ix.m[tuple(row, ix.key)] = row }
func (ix *tupleIndex[T]) del(row *T) { delete(ix.m, tuple(row, ix.key)) }
func (ix *tupleIndex[T]) size() int  { return len(ix.m) }

func (ix *tupleIndex[T]) all(yield func(*T) bool) {
	for _, r := range ix.m {
		if !yield(r) {
			return
		}
	}
}

// convertKey returns key as a V: as it is if it is one, converted if both are integers.
func convertKey[V comparable](key any) (V, bool) {
	if k, ok := key.(V); ok {
		return k, true
	}
	var v V
	var n int64
	switch k := key.(type) {
	case int:
		n = int64(k)
	case int8:
		n = int64(k)
	case int16:
		n = int64(k)
	case int32:
		n = int64(k)
	case int64:
		n = k
	case uint8:
		n = int64(k)
	case uint16:
		n = int64(k)
	case uint32:
		n = int64(k)
	default:
		return v, false
	}
	switch p := any(&v).(type) {
	case *int:
		*p = int(n)
	case *int16:
		*p = int16(n)
	case *int32:
		*p = int32(n)
	case *int64:
		*p = n
	default:
		return v, false
	}
	return v, true
}
