// Command kinship-gen writes kinship declarations from a live PostgreSQL schema: per table a
// struct, its typed columns and its Repo; every one-column foreign key as a pair of relations;
// and the model that joins them. The files are plain Go that a person then owns and edits:
//
//	go run github.com/kinship-go/kinship/cmd/kinship-gen@latest -db "$DATABASE_URL" -schema public -out ./db
//
// It reads the catalog in two queries and changes nothing in the database. What it writes:
//
//   - A struct per table (partitions left out: the partitioned table's Repo covers them), its
//     fields named as Go spells them (customer_id → CustomerID), a nullable column a pointer
//     (unless its type holds NULL itself, as pgtype.Numeric and slices do).
//   - Per column a declaration: repo.Serial for an integer key the database assigns (identity,
//     serial), repo.Generated for another key with a default, repo.Key for the rest of a key;
//     .ReadOnly() for a GENERATED or identity column, .Default() for a column with a default;
//     repo.Slice for arrays, bytea and json; repo.Numeric for numeric; an enum becomes a Go
//     string type with a constant per value.
//   - Per foreign key over one column: a BelongsTo on the table holding it, and on the table
//     it refers to a HasMany (a HasOne where the foreign key is unique), their cascades taken from
//     the constraint: ON DELETE CASCADE is rel.Cascade(rel.All, rel.PassiveDeletes); a NOT NULL
//     foreign key under RESTRICT or NO ACTION is rel.Restrict; a nullable one is set NULL.
//     A table of two foreign keys that are its key together and nothing else is a link table: a
//     ManyToMany on each side, and no struct. A foreign key over several columns, or to a table
//     not generated, is named in the struct's comment with the reason it declares nothing.
//   - model.go: the uow.Model of every relation; enums.go; with -test, model_test.go, which checks
//     the model against DATABASE_URL and loads every relation with every strategy.
//
// Output is gofmt-ed and the same on every run over an unchanged schema. Each file carries a
// checksum of what was written: run again, kinship-gen rewrites a file only while it is
// unchanged, and refuses, before writing anything, when a file was edited (or not written by
// it), unless -force. A file it wrote once for a table since dropped is removed if unchanged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/kinship-go/kinship/internal/gen"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kinship-gen:", err)
		}
		os.Exit(2)
	}
}

// list is a flag of comma-separated values, which may be given more than once.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// mapping is the -type flag: key=GoType, more than once.
type mapping map[string]string

func (m mapping) String() string { return "" }
func (m mapping) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("%q: write sqltype=GoType or table.column=GoType", s)
	}
	m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kinship-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opt     gen.Options
		schemas list
		types   = mapping{}
	)
	url := fs.String("db", os.Getenv("DATABASE_URL"), "the database to read (default $DATABASE_URL)")
	fs.Var(&schemas, "schema", "the schemas to read, comma-separated (default public)")
	out := fs.String("out", "./db", "the package directory to write")
	fs.StringVar(&opt.Package, "package", "", "the package name (default the -out directory's name)")
	fs.Var((*list)(&opt.Include), "include", "only the tables matching these patterns (path.Match, on table or schema.table), comma-separated")
	fs.Var((*list)(&opt.Exclude), "exclude", "leave out the tables matching these patterns, comma-separated")
	fs.Var(types, "type", "a Go type for a column or an SQL type, e.g. numeric=github.com/shopspring/decimal.Decimal or orders.note=string (repeatable)")
	fs.Var((*list)(&opt.Version), "version", "columns that are optimistic-concurrency versions (repo.Version), comma-separated")
	fs.BoolVar(&opt.Test, "test", false, "write model_test.go: checks the model against DATABASE_URL and loads every relation with every strategy")
	dry := fs.Bool("dry-run", false, "print the files to standard output instead of writing them")
	force := fs.Bool("force", false, "overwrite files changed since kinship-gen wrote them")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kinship-gen -db URL [-schema public] [-out ./db] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: every option is a flag", fs.Args())
	}
	if *url == "" {
		return errors.New("no database: pass -db or set DATABASE_URL")
	}
	opt.Schemas, opt.Types = schemas, types
	if opt.Package == "" {
		opt.Package = packageName(*out)
	}
	conn, err := pgx.Connect(ctx, *url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	files, warnings, err := gen.Generate(ctx, conn, opt)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "kinship-gen:", w)
	}
	if *dry {
		return gen.Archive(stdout, files)
	}
	rep, err := gen.Write(*out, files, *force)
	if err != nil {
		return err
	}
	for _, n := range rep.Written {
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*out, n))
	}
	for _, n := range rep.Removed {
		fmt.Fprintf(stdout, "removed %s (its table is gone)\n", filepath.Join(*out, n))
	}
	for _, n := range rep.Kept {
		fmt.Fprintf(stderr, "kinship-gen: kept %s: its table is gone, but the file was edited\n", filepath.Join(*out, n))
	}
	fmt.Fprintf(stdout, "%d files written, %d unchanged\n", len(rep.Written), len(rep.Unchanged))
	return nil
}

// packageName is the -out directory's name made a package name: lower case letters and digits.
func packageName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "db"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(abs)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "db"
	}
	return b.String()
}
