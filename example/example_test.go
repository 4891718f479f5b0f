package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// runOnce runs the program against a database of the test's own, as it would run against
// DATABASE_URL, checks that it left nothing behind, and returns its output.
func runOnce(t *testing.T, echoAll bool) string {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, url, echoAll), out.String())

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var left int
	require.NoError(t, conn.QueryRow(ctx,
		`SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'kinship\_example\_%'`).Scan(&left))
	require.Zero(t, left, "the program dropped its schema")
	return out.String()
}

// TestRun runs the program twice, without and with -echo, checks the lines each step is there
// to show, and that the two runs print the same apart from the echoed SQL: the output does not
// change from run to run.
func TestRun(t *testing.T) {
	quiet := runOnce(t, false)
	for _, want := range []string{
		// Inserting a graph: the generated key reached the children.
		"Acme has id 1; Magnus has id 1 and company_id 1, John has id 2 and company_id 1\n",
		// Firing without DeleteOrphan keeps the rows; deleting a company deletes its employees.
		"             3   Peter     NULL\n             4   Milton    NULL\n",
		// Lazy loading: once per session.
		"first access: Magnus, John (1 statement(s))\nsecond access: Magnus, John (0 statement(s))\n",
		// The stale collection, fixed, with both strategies.
		"Lazy (the default); SQLAlchemy counts 3, then 3:\n" +
			"  > batch of 2 statement(s), one round trip:\n  >   begin\n", // (echoed: this step always echoes)
		"after adding Lisa: Acme has 3 employees\nafter adding Lisa's friend: Acme has 4 employees\n  > rollback\n" +
			"Add sent nothing",
		"Joined eager load; SQLAlchemy counts 2, then 2:\n",
		"after adding Lisa: Acme has 3 employees\nafter adding Lisa's friend: Acme has 4 employees\n  > rollback\n" +
			"The collection came with the company",
		// Back propagation.
		"Company 1 has the following employees:\n- Magnus\n- John\n- Lisa\n",
		// N+1, caught and fixed.
		"Lazy      11 statement(s), 11 round trip(s): the N+1 problem\n",
		"Raise: rel: relation CompanyEmployees not loaded",
		"(0 statement(s) sent)\n",
		"SelectIn   2 statement(s),  2 round trip(s): 10 companies, 30 employees\n",
		"Joined     1 statement(s),  1 round trip(s): 10 companies, 30 employees\n",
		"Pipelined  2 statement(s),  1 round trip(s): 10 companies, 30 employees\n",
		// Verify at start-up.
		"Model.Verify: no mismatch (1 round trip)\n",
		"  companies.name: Go says int32; fix: declare the field as string",
		"  companies.founded: Go says string; fix: ALTER TABLE \"companies\" ADD COLUMN \"founded\" text",
		// Optimistic concurrency and retries.
		"errors.Is(err, uow.ErrStale): true",
		"Run called Carol's function 2 times",
		`Company 1 is now "Acme Holdings & Co.", version 3.`,
	} {
		require.Contains(t, quiet, want)
	}
	require.Equal(t, 2, strings.Count(quiet, "after adding Lisa's friend: Acme has 4 employees\n"))

	echoed := runOnce(t, true)
	for _, want := range []string{
		// The parent's INSERT, then the children's carrying its generated id.
		`  >   begin` + "\n" +
			`  >   INSERT INTO "companies" ("name", "version") VALUES ($1, $2) RETURNING "id"  ["Acme", 0]` + "\n" +
			`  > batch of 3 statement(s), one round trip:` + "\n" +
			`  >   INSERT INTO "employees" ("name", "company_id") VALUES ($1, $2) RETURNING "id"  ["Magnus", 1]  -- checked: 1 row(s)` + "\n" +
			`  >   INSERT INTO "employees" ("name", "company_id") VALUES ($1, $2) RETURNING "id"  ["John", 1]  -- checked: 1 row(s)` + "\n" +
			`  >   commit` + "\n",
		// Firing without and with DeleteOrphan.
		`  >   UPDATE "employees" SET "company_id" = NULL WHERE "id" = ANY($1) RETURNING "id"  [{3,4}]  -- checked: 2 row(s)`,
		`  >   DELETE FROM "employees" WHERE "id" = ANY($1)  [{5,6}]  -- checked: 2 row(s)`,
		// Deleting a company: its employees first.
		`  >   DELETE FROM "employees" WHERE "company_id" = ANY($1) RETURNING "id"  [{4}]` + "\n" +
			`  >   DELETE FROM "companies" WHERE "id" = $1 AND "version" = $2  [4, 0]  -- checked: 1 row(s)` + "\n" +
			`  >   commit` + "\n",
		// The lazy load, once.
		"Got Acme; employees loaded: false\n" +
			`  > SELECT c0."id", c0."name", c0."company_id" FROM "employees" AS c0 WHERE c0."company_id" = ANY($1)  [{1}]` + "\n" +
			"first access: Magnus, John (1 statement(s))\nsecond access: Magnus, John (0 statement(s))\n",
		// The retried serialization failure.
		"(SQLSTATE 40001)\n  > rollback\n  > batch of 2 statement(s), one round trip:\n  >   begin isolation level serializable\n",
	} {
		require.Contains(t, echoed, want)
	}

	var stripped []string
	for line := range strings.Lines(echoed) {
		if !strings.HasPrefix(line, "  > ") {
			stripped = append(stripped, line)
		}
	}
	var quietText []string
	for line := range strings.Lines(quiet) {
		if !strings.HasPrefix(line, "  > ") {
			quietText = append(quietText, line)
		}
	}
	require.Equal(t, strings.Join(quietText, ""), strings.Join(stripped, ""), "the same output, apart from the SQL")
}
