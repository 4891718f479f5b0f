package uow_test

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

type Invoice struct {
	ID    int64
	Total pgtype.Numeric
	Tags  []string
	Doc   json.RawMessage // not []byte: under the simple protocol (PgBouncer) pgx sends a []byte as bytea
}

var (
	invoiceID    = repo.Serial("id", func(i *Invoice) *int64 { return &i.ID })
	invoiceTotal = repo.Numeric("total", func(i *Invoice) *pgtype.Numeric { return &i.Total })
	invoiceTags  = repo.Slice("tags", func(i *Invoice) *[]string { return &i.Tags })
	invoiceDoc   = repo.Slice("doc", func(i *Invoice) *json.RawMessage { return &i.Doc })
	Invoices     = repo.MustNew("invoices", invoiceID, invoiceTotal, invoiceTags, invoiceDoc)
	NoRelations  = uow.MustModel()
)

// Values of PostgreSQL types that Go holds in pointers and slices: setting an equal value sends
// nothing, an edit in place is written.
func TestChangeTrackingOfPostgresTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, `CREATE TABLE invoices (id bigserial PRIMARY KEY, total numeric(12, 2) NOT NULL, tags text[], doc jsonb)`)
	in := &Invoice{Total: pgtype.Numeric{Int: big.NewInt(15), Exp: -1, Valid: true}, Tags: []string{"a", "b"}, Doc: json.RawMessage(`{"a": 1}`)}
	require.NoError(t, Invoices.Insert(ctx, pool, in))

	err := uow.Run(ctx, pool, NoRelations, func(s *uow.Session) error {
		got, err := Invoices.Get(ctx, s, in.ID)
		if err != nil {
			return err
		}
		got.Total = pgtype.Numeric{Int: big.NewInt(150), Exp: -2, Valid: true} // 1.50 for 1.50
		got.Tags = []string{"a", "b"}
		n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Zero(t, n.Statements, "equal values: no UPDATE")

		got.Total.Int.SetInt64(151) // in place: 1.51
		got.Tags[1] = "c"
		n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Equal(t, int64(1), n.Statements)
		return nil
	})
	require.NoError(t, err)
	got, err := Invoices.Get(ctx, pool, in.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, got.Tags)
	require.True(t, repo.NumericEqual(got.Total, pgtype.Numeric{Int: big.NewInt(151), Exp: -2, Valid: true}))
}
