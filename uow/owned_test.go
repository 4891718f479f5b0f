package uow_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// A shelf's database owns three of its columns: a default, a generated column, and a
// timestamp a trigger sets; its books have a default too.
type Shelf struct {
	ID      int64
	Name    string
	Open    *bool     // DEFAULT true
	Slug    *string   // GENERATED ALWAYS AS (lower(name)) STORED
	Touched time.Time // set by a trigger on every write
	Books   []*Book
}

type Book struct {
	ID      int64
	ShelfID int64
	Title   string
	Copies  int32 // DEFAULT 1
	Shelf   *Shelf
}

var (
	shelfID      = repo.Serial("id", func(s *Shelf) *int64 { return &s.ID })
	shelfName    = repo.Col("name", func(s *Shelf) *string { return &s.Name })
	shelfOpen    = repo.Nullable("open", func(s *Shelf) **bool { return &s.Open }).Default()
	shelfSlug    = repo.Nullable("slug", func(s *Shelf) **string { return &s.Slug }).ReadOnly()
	shelfTouched = repo.Col("touched", func(s *Shelf) *time.Time { return &s.Touched }).ReadOnly()
	Shelves      = repo.MustNew("shelves", shelfID, shelfName, shelfOpen, shelfSlug, shelfTouched)

	bookID     = repo.Serial("id", func(b *Book) *int64 { return &b.ID })
	bookShelf  = repo.Col("shelf_id", func(b *Book) *int64 { return &b.ShelfID })
	bookTitle  = repo.Col("title", func(b *Book) *string { return &b.Title })
	bookCopies = repo.Col("copies", func(b *Book) *int32 { return &b.Copies }).Default()
	Books      = repo.MustNew("books", bookID, bookShelf, bookTitle, bookCopies)

	ShelfBooks = rel.HasMany(shelfID, bookShelf, func(s *Shelf) *[]*Book { return &s.Books }, rel.Cascade(rel.All, rel.DeleteOrphan))
	ShelfModel = uow.MustModel(ShelfBooks)
)

func shelvesDB(t *testing.T) (*pgxpool.Pool, *repo.Tracer) {
	return pgtest.NewTracedPool(t,
		`CREATE TABLE shelves (id bigserial PRIMARY KEY, name text NOT NULL, open boolean NOT NULL DEFAULT true,
			slug text GENERATED ALWAYS AS (lower(name)) STORED, touched timestamptz NOT NULL DEFAULT '2000-01-01')`,
		`CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := clock_timestamp(); RETURN NEW; END $$`,
		`CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON shelves FOR EACH ROW EXECUTE FUNCTION touch()`,
		`CREATE TABLE books (id bigserial PRIMARY KEY, shelf_id bigint NOT NULL REFERENCES shelves, title text NOT NULL, copies integer NOT NULL DEFAULT 1)`,
		`CREATE INDEX ON books (shelf_id)`,
	)
}

// The session learns what the database stored in the columns it owns: no UPDATE follows an
// INSERT or an UPDATE that read them back, and a change to a ReadOnly column is never written.
func TestSessionLearnsColumnsTheDatabaseOwns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := shelvesDB(t)
	require.NoError(t, ShelfModel.Verify(ctx, pool))

	s, err := uow.Begin(ctx, pool, ShelfModel)
	require.NoError(t, err)
	defer s.Rollback(ctx)
	sh := &Shelf{Name: "Poetry", Books: []*Book{{Title: "Odes"}, {Title: "Elegies", Copies: 3}}}
	require.NoError(t, uow.Add(s, Shelves, sh))
	require.NoError(t, s.Flush(ctx))
	require.True(t, *sh.Open)
	require.Equal(t, "poetry", *sh.Slug)
	require.False(t, sh.Touched.IsZero())
	require.Equal(t, int32(1), sh.Books[0].Copies)
	require.Equal(t, int32(3), sh.Books[1].Copies)

	n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Zero(t, n.Statements, "a flush after the INSERT sends nothing: the snapshot holds what was read back")

	touched := sh.Touched
	sh.Name = "Verse"
	n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Equal(t, int64(1), n.Statements)
	require.Equal(t, "verse", *sh.Slug)
	require.True(t, sh.Touched.After(touched))
	n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Zero(t, n.Statements, "nor after the UPDATE")

	sh.Slug = ptrTo("set in Go")
	n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
	require.Zero(t, n.Statements, "a ReadOnly column is never written")
	require.NoError(t, s.Commit(ctx))

	got, err := Shelves.Get(ctx, pool, sh.ID)
	require.NoError(t, err)
	require.Equal(t, "verse", *got.Slug)
	require.True(t, *got.Open)
}

// A flush that fails puts back what it read into the rows: the values the database owns are
// those of the rows as they were.
func TestFailedFlushUndoesColumnsReadBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := shelvesDB(t)
	_, err := pool.Exec(ctx, `ALTER TABLE books ADD CHECK (title <> 'boom')`)
	require.NoError(t, err)
	s, err := uow.Begin(ctx, pool, ShelfModel)
	require.NoError(t, err)
	defer s.Rollback(ctx)
	sh := &Shelf{Name: "Prose", Books: []*Book{{Title: "boom"}}}
	require.NoError(t, uow.Add(s, Shelves, sh))
	require.Error(t, s.Flush(ctx))
	require.Zero(t, sh.ID)
	require.Nil(t, sh.Open)
	require.Nil(t, sh.Slug)
	require.True(t, sh.Touched.IsZero())
}

func ptrTo[V any](v V) *V { return &v }
