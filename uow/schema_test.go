package uow_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// Tables in a schema off the search_path: billing.accounts, its billing.charges, and labels
// linked to accounts through billing.account_labels.
type Ledger struct {
	ID      int64
	Name    string
	Charges []*Charge
	Labels  []*Label
}

type Charge struct {
	ID        int64
	AccountID int64
	Cents     int64
}

type Label struct {
	ID   int64
	Text string
}

var (
	ledgerID   = repo.Serial("id", func(a *Ledger) *int64 { return &a.ID })
	ledgerName = repo.Col("name", func(a *Ledger) *string { return &a.Name })
	Ledgers    = repo.MustNew("billing.accounts", ledgerID, ledgerName)

	chargeID      = repo.Serial("id", func(c *Charge) *int64 { return &c.ID })
	chargeAccount = repo.Col("account_id", func(c *Charge) *int64 { return &c.AccountID })
	chargeCents   = repo.Col("cents", func(c *Charge) *int64 { return &c.Cents })
	Charges       = repo.MustNew("billing.charges", chargeID, chargeAccount, chargeCents)

	labelID   = repo.Serial("id", func(l *Label) *int64 { return &l.ID })
	labelText = repo.Col("text", func(l *Label) *string { return &l.Text })
	Labels    = repo.MustNew("billing.labels", labelID, labelText)

	LedgerCharges = rel.HasMany(ledgerID, chargeAccount, func(a *Ledger) *[]*Charge { return &a.Charges }, rel.Cascade(rel.All, rel.DeleteOrphan))
	LedgerLabels  = rel.ManyToMany(ledgerID, labelID, rel.Through{Table: "billing.account_labels", From: "account_id", To: "label_id"},
		func(a *Ledger) *[]*Label { return &a.Labels })
	BillingModel = uow.MustModel(LedgerCharges, LedgerLabels)
)

func TestTablesInASchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t,
		`CREATE SCHEMA billing`,
		`CREATE TABLE billing.accounts (id bigserial PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE billing.charges (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES billing.accounts, cents bigint NOT NULL)`,
		`CREATE INDEX ON billing.charges (account_id)`,
		`CREATE TABLE billing.labels (id bigserial PRIMARY KEY, text text NOT NULL)`,
		`CREATE TABLE billing.account_labels (account_id bigint REFERENCES billing.accounts, label_id bigint REFERENCES billing.labels, PRIMARY KEY (account_id, label_id))`,
		`CREATE INDEX ON billing.account_labels (label_id)`,
		// A table of the same name on the search_path, that nothing may touch.
		`CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL)`)
	require.NoError(t, BillingModel.Verify(ctx, pool))

	a := &Ledger{Name: "acme", Charges: []*Charge{{Cents: 100}, {Cents: 250}}, Labels: []*Label{{Text: "vip"}}}
	require.NoError(t, uow.Run(ctx, pool, BillingModel, func(s *uow.Session) error { return uow.Add(s, Ledgers, a) }))

	for _, strategy := range []loadopts.Strategy{loadopts.SelectIn, loadopts.Joined, loadopts.Subquery} {
		got, err := Ledgers.Get(ctx, pool, a.ID, loadopts.With(LedgerCharges, strategy), loadopts.With(LedgerLabels, strategy))
		require.NoError(t, err, strategy)
		require.Len(t, got.Charges, 2, strategy)
		require.Len(t, got.Labels, 1, strategy)
	}
	var n int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM public.accounts`).Scan(&n))
	require.Zero(t, n, "the table of the same name on the search_path is untouched")

	require.NoError(t, uow.Run(ctx, pool, BillingModel, func(s *uow.Session) error {
		got, err := Ledgers.Get(ctx, s, a.ID)
		if err != nil {
			return err
		}
		return uow.Delete(s, Ledgers, got)
	}))
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM billing.charges) + (SELECT count(*) FROM billing.account_labels)`).Scan(&n))
	require.Zero(t, n, "the cascade deleted the charges and the links")

	_, err := Ledgers.Get(ctx, pool, a.ID)
	require.ErrorIs(t, err, repo.ErrNotFound)
	require.ErrorContains(t, err, "billing.accounts")

	_, err = repo.New("billing.", ledgerID)
	require.ErrorIs(t, err, repo.ErrInvalid)
}
