package repo

import (
	"math/big"

	"github.com/jackc/pgx/v5/pgtype"
)

// Numeric declares a numeric column held in a pgtype.Numeric, compared by value. Declared with
// [Col], a pgtype.Numeric is compared with ==, which compares its *big.Int by address: a row
// read back, or set to an equal value, always looks changed, and a unit of work sends an UPDATE
// for nothing. Numeric compares with [NumericEqual] and snapshots with [NumericClone] instead
// (one big.Int copy per snapshot).
func Numeric[T any](name string, get func(*T) *pgtype.Numeric) *Column[T, pgtype.Numeric] {
	return ColFunc(name, get, NumericEqual, NumericClone)
}

// NumericEqual reports whether a and b hold the same number, as PostgreSQL compares numerics:
// 1.5 equals 1.50 (Int 15, Exp -1 and Int 150, Exp -2), NaN equals NaN, an infinity equals
// the infinity of its sign, and NULL (Valid false) equals only NULL. A nil Int is zero.
func NumericEqual(a, b pgtype.Numeric) bool {
	switch {
	case a.Valid != b.Valid:
		return false
	case !a.Valid:
		return true
	case a.NaN || b.NaN:
		return a.NaN == b.NaN
	case a.InfinityModifier != b.InfinityModifier:
		return false
	case a.InfinityModifier != pgtype.Finite:
		return true
	}
	x, y := a.Int, b.Int
	if x == nil {
		x = new(big.Int)
	}
	if y == nil {
		y = new(big.Int)
	}
	if a.Exp == b.Exp {
		return x.Cmp(y) == 0
	}
	if x.Sign() != y.Sign() {
		return false
	}
	if x.Sign() == 0 {
		return true
	}
	// Scale the one with the larger exponent down to the other's: x·10^ea = y·10^eb.
	if a.Exp < b.Exp {
		x, y = y, x
		a, b = b, a
	}
	scaled := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(a.Exp)-int64(b.Exp)), nil)
	return scaled.Mul(scaled, x).Cmp(y) == 0
}

// NumericClone returns a copy of v that shares no big.Int with it, so that a snapshot stays what
// it was if v's Int is changed in place (v.Int.Add(v.Int, one)).
func NumericClone(v pgtype.Numeric) pgtype.Numeric {
	if v.Int != nil {
		v.Int = new(big.Int).Set(v.Int)
	}
	return v
}
