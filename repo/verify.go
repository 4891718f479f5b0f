package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kinship-go/kinship/internal/catalog"
)

// ErrSchema is matched by the error of Verify when the declarations do not match the database:
// a [*SchemaError] listing every mismatch.
var ErrSchema = errors.New("repo: the declarations do not match the database schema")

// Severity tells a mismatch that breaks statements from a note.
type Severity uint8

const (
	// SeverityError is a mismatch that makes some statement fail, or read or write wrong
	// values: a missing column, a type that cannot hold the column's values, a NULL that
	// cannot be scanned, a key that is not the table's key.
	SeverityError Severity = iota
	// SeverityNote is a difference that works today but is a risk: a float64 for a numeric
	// (digits lost), a nullable Go field for a NOT NULL column, a NOT NULL column Go leaves out,
	// a foreign key with no index (every load and cascade scans the table: slow, not wrong).
	SeverityNote
)

func (s Severity) String() string {
	if s == SeverityNote {
		return "note"
	}
	return "error"
}

// A Mismatch is one difference between a declaration in Go and the live schema: the table and
// column (empty for the table as a whole), what Go declares, what the database has, and what
// to change, in Go or in SQL.
type Mismatch struct {
	Severity Severity
	Table    string
	Column   string
	Go       string
	Database string
	Fix      string
}

func (m Mismatch) String() string {
	var b strings.Builder
	if m.Severity == SeverityNote {
		b.WriteString("note: ")
	}
	b.WriteString(m.Table)
	if m.Column != "" {
		b.WriteString("." + m.Column)
	}
	fmt.Fprintf(&b, ": Go: %s; database: %s; fix: %s", m.Go, m.Database, m.Fix)
	return b.String()
}

// SchemaError is what Verify returns when the declarations do not match the database: every
// mismatch found, errors and notes, in the order of the declarations. It matches [ErrSchema].
type SchemaError struct {
	Mismatches []Mismatch
}

// Error lists the mismatches, one per line.
func (e *SchemaError) Error() string {
	if e == nil {
		return "repo: <nil *SchemaError>"
	}
	errs := 0
	for _, m := range e.Mismatches {
		if m.Severity == SeverityError {
			errs++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "repo: schema: %d mismatch", errs)
	if errs != 1 {
		b.WriteString("es")
	}
	if notes := len(e.Mismatches) - errs; notes > 0 {
		fmt.Fprintf(&b, " and %d note", notes)
		if notes != 1 {
			b.WriteString("s")
		}
	}
	b.WriteString(" between the declarations and the database:")
	for _, m := range e.Mismatches {
		b.WriteString("\n\t" + m.String())
	}
	return b.String()
}

// Is makes a SchemaError match [ErrSchema].
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// Verify compares the table's declaration with the live catalog of the database db is
// connected to: the table (found through search_path, as the Repo's statements find it), each
// column's presence, type and nullability, the primary key, a generated key's default and a
// Version column's type. It costs one round trip (one query of pg_catalog) and changes nothing.
//
// It returns nil, or a [*SchemaError] (matching [ErrSchema]) listing every mismatch with what
// to change; notes (differences that work, but are a risk) are listed there beside the errors,
// and alone do not make Verify fail. A failure to read the catalog is a [*Error].
//
// Run it once at service start-up, and in CI against a database migrated as production is. To
// check every table of a model and its relations (foreign-key indexes, link tables) in the same
// one round trip, use uow's Model.Verify.
func (r *Repo[T]) Verify(ctx context.Context, db DB) error {
	ms, err := r.Mismatches(ctx, db)
	if err != nil {
		return err
	}
	return failing(ms)
}

// Mismatches is Verify's check returning every mismatch it finds, notes included (alone, Verify
// returns them only beside an error): for a start-up log to print the notes as warnings, or a
// test to assert on. It is nil when the table matches; the cost is Verify's.
func (r *Repo[T]) Mismatches(ctx context.Context, db DB) ([]Mismatch, error) {
	if err := r.check(ctx, db, "verify"); err != nil {
		return nil, err
	}
	found, err := catalog.Check(ctx, db, []catalog.Table{r.catalogTable()}, nil)
	if err != nil {
		return nil, &Error{Op: "verify", Table: r.table, Err: err}
	}
	return mismatchesOf(found), nil
}

// failing returns ms as a [*SchemaError] if one of them is an error (not a note), else nil.
func failing(ms []Mismatch) error {
	for _, m := range ms {
		if m.Severity == SeverityError {
			return &SchemaError{Mismatches: ms}
		}
	}
	return nil
}

// mismatchesOf makes the catalog check's findings Mismatches.
func mismatchesOf(found []catalog.Finding) []Mismatch {
	var ms []Mismatch
	for _, f := range found {
		m := Mismatch{Table: f.Table, Column: f.Column, Go: f.Go, Database: f.Database, Fix: f.Fix}
		if f.Note {
			m.Severity = SeverityNote
		}
		ms = append(ms, m)
	}
	return ms
}

// catalogTable describes the table for the catalog check. Each column's Go type is classified
// by a type switch on the pointer its accessor returns for a zero row.
func (r *Repo[T]) catalogTable() catalog.Table {
	t := catalog.Table{Name: r.table, Columns: make([]catalog.Column, len(r.cols))}
	zero := new(T)
	for i, c := range r.cols {
		t.Columns[i] = catalog.Column{
			Name:      c.name,
			Go:        catalog.Classify(c.addr(zero), c.typ),
			Key:       c.kind == kindKey || c.kind == kindSerial,
			Generated: c.kind == kindSerial,
			Version:   c.kind == kindVersion,
			Default:   c.owned&ownDefault != 0,
			ReadOnly:  c.owned&ownReadOnly != 0,
		}
	}
	return t
}

// CatalogTable makes the engine view a catalog.Describer, for package uow's Model.Verify.
func (u view[T]) CatalogTable() catalog.Table { return u.r.catalogTable() }

var _ catalog.Describer = view[struct{}]{}
