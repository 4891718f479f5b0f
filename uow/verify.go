package uow

import (
	"context"
	"fmt"

	"github.com/kinship-go/kinship/internal/catalog"
	"github.com/kinship-go/kinship/repo"
)

// Verify compares the model with the live catalog of the database db is connected to, and
// returns nil, or one [*repo.SchemaError] (matching [repo.ErrSchema]) that lists every mismatch:
// for each table what [repo.Repo.Verify] checks (the table found through search_path, each
// column's presence, type and nullability, the primary key, a generated key's default, a
// Version column's type), and for each relation
//
//   - an index whose first column is the foreign key of a HasMany or HasOne (without one,
//     every load of the relation and every cascade scans the child table): a note, whose fix is
//     the CREATE INDEX to run;
//   - a foreign key that may be set NULL (a HasMany or HasOne without rel.DeleteOrphan sets it
//     NULL when a row leaves its owner) on a NOT NULL column;
//   - a unique constraint or index over a parent key that is not the primary key;
//   - a FOREIGN KEY constraint on the column, if the database has one, that refers to the
//     declared parent table and column (none at all is fine);
//   - a many-to-many relation's link table, its two columns and their types.
//
// Each mismatch names the table and column, what Go declares, what the database has, and
// what to change. Notes (differences that work but are a risk, such as a float64 for a
// numeric) are listed beside the errors and alone do not make Verify fail.
//
// It costs one round trip: one query of pg_catalog covering every table and link table. It
// changes nothing. Run it once at service start-up, before serving, and in CI against a
// database migrated as production is; a failure to read the catalog is a [*repo.Error].
func (m *Model) Verify(ctx context.Context, db repo.DB) error {
	ms, err := m.Mismatches(ctx, db)
	if err != nil {
		return err
	}
	for _, x := range ms {
		if x.Severity == repo.SeverityError {
			return &repo.SchemaError{Mismatches: ms}
		}
	}
	return nil
}

// Mismatches is Verify's check returning every mismatch it finds, notes included (alone, Verify
// returns them only beside an error): for a start-up log to print the notes as warnings, or a
// test to assert on. It is nil when the model matches; the cost is Verify's, one round trip.
func (m *Model) Mismatches(ctx context.Context, db repo.DB) ([]repo.Mismatch, error) {
	switch {
	case m == nil || m.byRepo == nil:
		return nil, fmt.Errorf("uow: Verify of a nil Model: make it with uow.NewModel: %w", repo.ErrInvalid)
	case ctx == nil:
		return nil, fmt.Errorf("uow: Verify: nil context: pass context.Background() or the caller's context: %w", repo.ErrInvalid)
	case db == nil:
		return nil, fmt.Errorf("uow: Verify: nil DB: pass a pool, a connection or a transaction: %w", repo.ErrInvalid)
	}
	tables := make([]catalog.Table, 0, len(m.tables))
	for _, t := range m.tables {
		if d, ok := t.u.(catalog.Describer); ok {
			tables = append(tables, d.CatalogTable())
		}
	}
	var rels []catalog.Relation
	for _, r := range m.rels {
		d, ok := r.(interface {
			CatalogRelation() (catalog.Relation, bool)
		})
		if !ok {
			continue
		}
		if c, ok := d.CatalogRelation(); ok {
			rels = append(rels, c)
		}
	}
	found, err := catalog.Check(ctx, db, tables, rels)
	if err != nil {
		return nil, &repo.Error{Op: "uow.Verify", Err: err}
	}
	var ms []repo.Mismatch
	for _, f := range found {
		x := repo.Mismatch{Table: f.Table, Column: f.Column, Go: f.Go, Database: f.Database, Fix: f.Fix}
		if f.Note {
			x.Severity = repo.SeverityNote
		}
		ms = append(ms, x)
	}
	return ms, nil
}
