package repo_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

func num(i int64, exp int32) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(i), Exp: exp, Valid: true}
}

func TestNumericEqual(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		a, b pgtype.Numeric
		want bool
	}{
		{"same", num(15, -1), num(15, -1), true},
		{"1.5 and 1.50", num(15, -1), num(150, -2), true},
		{"1.50 and 1.5", num(150, -2), num(15, -1), true},
		{"1.5 and 1.6", num(15, -1), num(16, -1), false},
		{"150 and 1.5e2", num(150, 0), num(15, 1), true},
		{"-1.5 and 1.5", num(-15, -1), num(150, -2), false},
		{"zero of two scales", num(0, -3), pgtype.Numeric{Valid: true}, true},
		{"NULL and NULL", pgtype.Numeric{}, pgtype.Numeric{}, true},
		{"NULL and 0", pgtype.Numeric{}, num(0, 0), false},
		{"NaN and NaN", pgtype.Numeric{NaN: true, Valid: true}, pgtype.Numeric{NaN: true, Valid: true}, true},
		{"NaN and 1", pgtype.Numeric{NaN: true, Valid: true}, num(1, 0), false},
		{"+inf and +inf", pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, true},
		{"+inf and -inf", pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, repo.NumericEqual(tt.a, tt.b))
			require.Equal(t, tt.want, repo.NumericEqual(tt.b, tt.a))
		})
	}
	v := num(5, 0)
	c := repo.NumericClone(v)
	v.Int.SetInt64(6)
	require.Equal(t, int64(5), c.Int.Int64(), "the clone shares no big.Int")
}

type Price struct {
	ID     int64
	Amount pgtype.Numeric
}

var (
	priceID     = repo.Serial("id", func(p *Price) *int64 { return &p.ID })
	priceAmount = repo.Numeric("amount", func(p *Price) *pgtype.Numeric { return &p.Amount })
	Prices      = repo.MustNew("prices", priceID, priceAmount)
)

// A numeric read back compares equal to the value written, whatever scale the database gives
// it back with.
func TestNumericRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, `CREATE TABLE prices (id bigserial PRIMARY KEY, amount numeric(10, 2) NOT NULL)`)
	p := &Price{Amount: num(15, -1)} // 1.5; stored as 1.50
	require.NoError(t, Prices.Insert(ctx, pool, p))
	got, err := Prices.Get(ctx, pool, p.ID)
	require.NoError(t, err)
	require.True(t, priceAmount.Equal(p, got), "1.5 written, %v·10^%d read", got.Amount.Int, got.Amount.Exp)
	require.NoError(t, Prices.Verify(ctx, pool))
}
