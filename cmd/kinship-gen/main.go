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
	if err := opt.Check(); err != nil {
		return err
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
