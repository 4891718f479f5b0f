package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/gen"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files from what kinship-gen writes now")

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// schemas are the databases of testdata: each NAME.sql creates one, and its first line holds the
// flags kinship-gen is run with on it.
var schemas = []string{"shop", "quirks", "dvdrental"}

// schema creates a database holding testdata/name.sql and returns its URL and the file's flags.
func schema(t *testing.T, name string) (url string, flags []string) {
	t.Helper()
	sql, err := os.ReadFile(filepath.Join("testdata", name+".sql"))
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(sql), "\n")
	flags = strings.Fields(strings.TrimPrefix(first, "-- kinship-gen:"))
	url = pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, string(sql))
	require.NoError(t, err)
	return url, flags
}

// TestGolden runs kinship-gen -dry-run on each schema and compares what it prints, files and
// warnings, with testdata/NAME.golden (go test -run Golden -update rewrites them); a second run
// prints the same, byte for byte.
func TestGolden(t *testing.T) {
	for _, name := range schemas {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, flags := schema(t, name)
			generate := func() string {
				var out, errs bytes.Buffer
				require.NoError(t, run(context.Background(), append([]string{"-db", url, "-dry-run", "-package", name}, flags...), &out, &errs), errs.String())
				return out.String() + "-- (standard error) --\n" + errs.String()
			}
			got := generate()
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got, "kinship-gen's output changed: if on purpose, go test -run Golden -update")
			require.Equal(t, got, generate(), "a second run on the same schema")
		})
	}
}

// TestBuildAndLoad writes each schema's package with -test into a module of its own, and runs
// its tests there against the database it came from: the package compiles, passes Verify, and
// loads every relation with every strategy, each strategy finding what the lazy load finds.
func TestBuildAndLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module: not with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, name := range schemas {
		t.Run(name, func(t *testing.T) {
			url, flags := schema(t, name)
			dir := module(t)
			var out, errs bytes.Buffer
			require.NoError(t, run(context.Background(), append([]string{"-db", url, "-out", filepath.Join(dir, "db"), "-test"}, flags...), &out, &errs), errs.String())
			require.Contains(t, out.String(), "files written, 0 unchanged")
			// A hand-written test beside the generated one writes through the declarations.
			if extra, err := os.ReadFile(filepath.Join("testdata", name+"_write_test.go")); err == nil {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "db", "write_test.go"), extra, 0o644))
			}

			cmd := exec.Command(goTool, "test", "-count=1", "-v", "./db")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "GOFLAGS="+os.Getenv("GOFLAGS")+" -mod=mod", "GOWORK=off")
			res, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", res)
			for _, want := range expectLoads[name] {
				require.Contains(t, string(res), want)
			}
			require.Contains(t, string(res), "--- PASS: TestModel")
			if name == "shop" {
				require.Contains(t, string(res), "--- PASS: TestWrite")
			}

			// Run again over the unchanged schema: nothing to write.
			out.Reset()
			require.NoError(t, run(context.Background(), append([]string{"-db", url, "-out", filepath.Join(dir, "db"), "-test"}, flags...), &out, &errs))
			require.Contains(t, out.String(), "0 files written")
		})
	}
}

// expectLoads are lines the generated test logs: rows it loaded, from the rows of testdata.
var expectLoads = map[string][]string{
	"shop": {
		"3 customers rows, 3 orders rows",   // CustomerOrders
		"3 orders rows, 4 order_lines rows", // OrderLines
		"3 orders rows, 2 with their billing.invoices row",
		"3 products rows, 4 tags rows", // ProductTags
		"3 staff rows, 2 staff rows",   // StaffReportsToStaff
		"3 stores rows, 2 with their staff row",
		"3 payments rows, 3 with their orders row",
	},
	"dvdrental": {
		"3 film rows, 3 actor rows",      // FilmActors, through film_actor
		"3 customer rows, 3 rental rows", // CustomerRentals
		"3 payment rows, 3 with their rental row",
	},
	"quirks": {
		"2 user rows, 1 with their profiles row",
		"3 groups rows, 2 groups rows",
		"2 Sales.Leads rows, 1 with their user row",
		// Verify's notes, logged: the foreign key without an index.
		`Verify: note: OrderLines.UserID: Go: the foreign key of UserOrderLines; database: no index whose first column is UserID; fix: every load of the relation and every cascade from user scans OrderLines: CREATE INDEX ON "OrderLines" ("UserID")`,
	},
}

// TestEditedFilesAreKept: kinship-gen refuses to overwrite a file changed since it wrote it,
// before writing anything, and does with -force.
func TestEditedFilesAreKept(t *testing.T) {
	t.Parallel()
	url, flags := schema(t, "shop")
	dir := filepath.Join(t.TempDir(), "db")
	args := append([]string{"-db", url, "-out", dir}, flags...)
	var out, errs bytes.Buffer
	require.NoError(t, run(context.Background(), args, &out, &errs))
	orders := filepath.Join(dir, "orders.go")
	src, err := os.ReadFile(orders)
	require.NoError(t, err)
	edited := bytes.Replace(src, []byte("type Order struct {"), []byte("type Order struct {\n\tMemo string // added by hand"), 1)
	require.NoError(t, os.WriteFile(orders, edited, 0o644))
	customers := filepath.Join(dir, "customers.go")
	require.NoError(t, os.Remove(customers))

	err = run(context.Background(), args, &out, &errs)
	require.ErrorIs(t, err, gen.ErrEdited)
	require.ErrorContains(t, err, "orders.go")
	_, statErr := os.Stat(customers)
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing written when a file was refused")
	now, _ := os.ReadFile(orders)
	require.Equal(t, edited, now)

	require.NoError(t, run(context.Background(), append(args, "-force"), &out, &errs))
	now, _ = os.ReadFile(orders)
	require.Equal(t, src, now, "-force rewrites it")
	_, statErr = os.Stat(customers)
	require.NoError(t, statErr)
}

// TestBadFlags: every mistake is an error naming it, before the database is read.
func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", "postgres://x", "-type", "numeric"}, `"numeric": write sqltype=GoType`},
		{[]string{"-db", "postgres://x", "-type", "numeric=*big.Int"}, `write a type name`},
		{[]string{"-db", "postgres://x", "-package", "My-Db"}, `package name "My-Db"`},
		{[]string{"-db", "postgres://x", "-include", "[x"}, `table pattern "[x"`},
		{[]string{"-db", "postgres://x", "stray"}, `unexpected arguments`},
		{[]string{"-db", ""}, `no database`},
	} {
		var out, errs bytes.Buffer
		err := run(context.Background(), c.args, &out, &errs)
		require.Error(t, err, c.args)
		require.Contains(t, err.Error()+errs.String(), c.want, c.args)
	}
}

// TestOptions: -include leaves the other tables out (a foreign key to one of them declares no
// relation, and says so), -type replaces a type by SQL type or by column, an override that
// matches nothing is a warning.
func TestOptions(t *testing.T) {
	t.Parallel()
	url, _ := schema(t, "shop")
	var out, errs bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-db", url, "-dry-run", "-include", "order*,customer*", "-exclude", "billing.*",
		"-type", "numeric=string", "-type", "orders.note=github.com/example/notes.Note", "-type", "nosuch=int64",
		"-include", "nosuch", "-version", "note,version", "-schema", "public,Public"}, &out, &errs))
	got := out.String()
	var names []string
	for line := range strings.Lines(got) {
		if name, ok := strings.CutPrefix(line, "-- "); ok {
			names = append(names, strings.TrimSuffix(name, " --\n"))
		}
	}
	require.Equal(t, []string{"customers.go", "enums.go", "model.go", "order_lines.go", "orders.go"}, names)
	require.Contains(t, strings.ReplaceAll(got, "\n// ", " "), "// Foreign key orders_store_id_fkey (store_id) declares no relation: the table it refers to is not generated.")
	require.Contains(t, got, "\tAmount     string\n")
	require.Contains(t, got, "\tNote       *notes.Note\n")
	require.Contains(t, got, "\t\"github.com/example/notes\"\n")
	require.Contains(t, got, `= repo.Nullable("note", func(o *Order) **notes.Note { return &o.Note })`)
	require.Equal(t, "kinship-gen: -include nosuch matched no table\n"+
		"kinship-gen: -schema Public: no table in it (names are case-sensitive)\n"+
		"kinship-gen: -type nosuch matched no column\n"+
		"kinship-gen: -version note: orders.note is text, not a NOT NULL integer: declared as a plain column\n", errs.String())
	require.Contains(t, got, `CustomerVersion   = repo.Version("version"`)
	require.NotContains(t, got, "billing")
}
