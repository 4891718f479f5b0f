package repo_test

import (
	"context"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

type Payroll struct {
	Company   string
	Headcount int64
	Total     *int64
}

var payrolls = repo.MustResult(
	repo.Col("company", func(p *Payroll) *string { return &p.Company }),
	repo.Col("headcount", func(p *Payroll) *int64 { return &p.Headcount }),
	repo.Nullable("total", func(p *Payroll) **int64 { return &p.Total }))

func TestResult(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t,
		`CREATE TABLE firms (id bigserial PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE staff (id bigserial PRIMARY KEY, firm_id bigint REFERENCES firms, salary bigint NOT NULL)`,
		`INSERT INTO firms (name) VALUES ('Acme'), ('Globex'), ('Empty')`,
		`INSERT INTO staff (firm_id, salary) VALUES (1, 100), (1, 200), (2, 50)`)
	report := `SELECT f.name AS company, count(s.id) AS headcount, sum(s.salary) AS total
		FROM firms f LEFT JOIN staff s ON s.firm_id = f.id GROUP BY f.name ORDER BY f.name`

	var rows []*Payroll
	var err error
	n := tr.Count(func() { rows, err = payrolls.Query(ctx, pool, report) })
	require.NoError(t, err)
	require.Equal(t, int64(1), n.RoundTrips)
	require.Len(t, rows, 3)
	require.Equal(t, Payroll{"Acme", 2, ptr(int64(300))}, *rows[0])
	require.Equal(t, Payroll{"Empty", 0, nil}, *rows[1])
	require.Equal(t, Payroll{"Globex", 1, ptr(int64(50))}, *rows[2])

	// The columns in another order, with kinship's names and a predicate built into the text.
	where, args, err := userEmail.Like("%@x").SQL("u", 0)
	require.NoError(t, err)
	require.Equal(t, `u."email" LIKE $1`, where)
	_, err = pool.Exec(ctx, usersDDL)
	require.NoError(t, err)
	require.NoError(t, Users.Insert(ctx, pool, &User{Email: "a@x", Name: "a"}, &User{Email: "b@y", Name: "b"}))
	type count struct{ N int64 }
	counts := repo.MustResult(repo.Col("n", func(c *count) *int64 { return &c.N }))
	got, err := counts.One(ctx, pool, "SELECT count(*) AS n FROM "+Users.TableSQL()+" AS u WHERE "+where, args...)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.N)

	t.Run("One", func(t *testing.T) {
		_, err := payrolls.One(ctx, pool, report+" LIMIT 0")
		require.ErrorIs(t, err, repo.ErrNotFound)
		_, err = payrolls.One(ctx, pool, report)
		require.ErrorContains(t, err, "more than one row")
	})

	t.Run("All stops early", func(t *testing.T) {
		for row, err := range payrolls.All(ctx, pool, report) {
			require.NoError(t, err)
			require.Equal(t, "Acme", row.Company)
			break
		}
		// The connection is usable again: the rows were closed.
		_, err := payrolls.Query(ctx, pool, report)
		require.NoError(t, err)
	})

	t.Run("mismatches name the column", func(t *testing.T) {
		_, err := payrolls.Query(ctx, pool, `SELECT 'x' AS company, 1::int8 AS headcount, NULL::int8 AS total, 2 AS extra`)
		require.ErrorIs(t, err, repo.ErrInvalid)
		require.ErrorContains(t, err, `result column "extra" (number 4) has no field`)
		_, err = payrolls.Query(ctx, pool, `SELECT 'x' AS company`)
		require.ErrorIs(t, err, repo.ErrInvalid)
		require.ErrorContains(t, err, "no column named headcount, total")
		_, err = payrolls.Query(ctx, pool, `SELECT 'x' AS company, 'y' AS company, 1::int8 AS headcount, NULL::int8 AS total`)
		require.ErrorContains(t, err, "appears twice")
	})

	t.Run("declarations", func(t *testing.T) {
		_, err := repo.NewResult[Payroll]()
		require.ErrorIs(t, err, repo.ErrInvalid)
		c := repo.Col("company", func(p *Payroll) *string { return &p.Company })
		_, err = repo.NewResult(c, c)
		require.ErrorContains(t, err, "declared twice")
		_, err = repo.NewResult[Payroll](payrolls.Columns()[0])
		require.ErrorContains(t, err, "already belongs to a Repo or a Result")
		var nilResult *repo.Result[Payroll]
		_, err = nilResult.Query(ctx, pool, report)
		require.ErrorIs(t, err, repo.ErrInvalid)
	})
}
