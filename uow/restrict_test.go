package uow_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

var (
	// RestrictedBooks refuses to delete a shelf that still has books (ON DELETE RESTRICT).
	RestrictedBooks = rel.HasMany(shelfID, bookShelf, func(s *Shelf) *[]*Book { return &s.Books },
		rel.Named("RestrictedBooks"), rel.Cascade(rel.SaveUpdate, rel.Restrict))
	RestrictModel = uow.MustModel(RestrictedBooks)
)

func TestRestrict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := shelvesDB(t)
	_, err := pool.Exec(ctx, `ALTER TABLE books DROP CONSTRAINT books_shelf_id_fkey, ADD FOREIGN KEY (shelf_id) REFERENCES shelves ON DELETE RESTRICT`)
	require.NoError(t, err)
	require.NoError(t, RestrictModel.Verify(ctx, pool))

	// shelf makes a shelf with n books, committed.
	shelf := func(t *testing.T, n int) *Shelf {
		sh := &Shelf{Name: t.Name()}
		for i := range n {
			sh.Books = append(sh.Books, &Book{Title: string(rune('a' + i))})
		}
		require.NoError(t, uow.Run(ctx, pool, RestrictModel, func(s *uow.Session) error { return uow.Add(s, Shelves, sh) }))
		return sh
	}
	refused := func(t *testing.T, err error, id int64) {
		t.Helper()
		require.ErrorIs(t, err, uow.ErrRestricted)
		var e *repo.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "RestrictedBooks", e.Relation)
		require.Equal(t, "shelves", e.Table)
		if id != 0 {
			require.Equal(t, id, e.Key)
		}
	}

	t.Run("a loaded collection with rows: refused before any SQL", func(t *testing.T) {
		sh := shelf(t, 2)
		s, err := uow.Begin(ctx, pool, RestrictModel)
		require.NoError(t, err)
		defer s.Rollback(ctx)
		got, err := RestrictedBooks.Of(ctx, s, mustGet(t, s, sh.ID))
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.NoError(t, uow.Delete(s, Shelves, mustGet(t, s, sh.ID)))
		n := tr.Count(func() { err = s.Flush(ctx) })
		refused(t, err, sh.ID)
		require.Zero(t, n.Statements)
		require.ErrorContains(t, err, "books rows")
	})

	t.Run("rows the session holds by foreign key: refused before any SQL", func(t *testing.T) {
		sh := shelf(t, 1)
		s, err := uow.Begin(ctx, pool, RestrictModel)
		require.NoError(t, err)
		defer s.Rollback(ctx)
		_, err = Books.Find(ctx, s, bookShelf.Eq(sh.ID))
		require.NoError(t, err)
		require.NoError(t, uow.Delete(s, Shelves, mustGet(t, s, sh.ID)))
		n := tr.Count(func() { err = s.Flush(ctx) })
		refused(t, err, sh.ID)
		require.Zero(t, n.Statements)
	})

	t.Run("rows the session does not know: the database refuses, with the same sentinel", func(t *testing.T) {
		sh := shelf(t, 1)
		err := uow.Run(ctx, pool, RestrictModel, func(s *uow.Session) error {
			return uow.Delete(s, Shelves, &Shelf{ID: sh.ID})
		})
		refused(t, err, 0)
		var pe *pgconn.PgError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "23503", pe.Code) // foreign_key_violation, for RESTRICT and NO ACTION alike
		require.Len(t, mustFindBooks(t, pool, sh.ID), 1, "nothing was deleted")
	})

	t.Run("rows deleted or moved in the same flush: the owner goes", func(t *testing.T) {
		sh, other := shelf(t, 3), shelf(t, 0)
		err := uow.Run(ctx, pool, RestrictModel, func(s *uow.Session) error {
			p := mustGet(t, s, sh.ID)
			books, err := RestrictedBooks.Of(ctx, s, p)
			if err != nil {
				return err
			}
			if err := uow.Delete(s, Books, books[0], books[1]); err != nil {
				return err
			}
			books[2].ShelfID = other.ID
			return uow.Delete(s, Shelves, p)
		})
		require.NoError(t, err)
		_, err = Shelves.Get(ctx, pool, sh.ID)
		require.ErrorIs(t, err, repo.ErrNotFound)
		require.Len(t, mustFindBooks(t, pool, other.ID), 1)
	})

	t.Run("an owner without rows goes", func(t *testing.T) {
		sh := shelf(t, 0)
		require.NoError(t, uow.Run(ctx, pool, RestrictModel, func(s *uow.Session) error {
			return uow.Delete(s, Shelves, mustGet(t, s, sh.ID))
		}))
	})
}

func TestRestrictDeclarations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		r    rel.Relation
		msg  string
	}{
		{"Restrict with Delete", rel.HasMany(shelfID, bookShelf, func(s *Shelf) *[]*Book { return &s.Books }, rel.Cascade(rel.All, rel.Restrict)), "rel.Restrict with rel.Delete"},
		{"Restrict on a BelongsTo", rel.BelongsTo(bookShelf, shelfID, func(b *Book) **Shelf { return &b.Shelf }, rel.Cascade(rel.Restrict)), "Restrict is for HasMany and HasOne"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := uow.NewModel(tt.r)
			require.ErrorIs(t, err, repo.ErrInvalid)
			require.ErrorContains(t, err, tt.msg)
		})
	}
	require.Equal(t, "SaveUpdate, Restrict", RestrictedBooks.Cascade().String())
}

func mustGet(t *testing.T, s *uow.Session, id int64) *Shelf {
	t.Helper()
	sh, err := Shelves.Get(context.Background(), s, id)
	require.NoError(t, err)
	return sh
}

func mustFindBooks(t *testing.T, pool repo.DB, shelf int64) []*Book {
	t.Helper()
	books, err := Books.Find(context.Background(), pool, bookShelf.Eq(shelf))
	require.NoError(t, err)
	return books
}

// Verify compares the cascades a relation declares with its constraint's ON DELETE.
func TestVerifyOnDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := shelvesDB(t) // books.shelf_id: ON DELETE NO ACTION
	require.NoError(t, RestrictModel.Verify(ctx, pool), "NO ACTION refuses, as Restrict does")
	passive := uow.MustModel(rel.HasMany(shelfID, bookShelf, func(s *Shelf) *[]*Book { return &s.Books },
		rel.Named("PassiveBooks"), rel.Cascade(rel.All, rel.PassiveDeletes)))
	err := passive.Verify(ctx, pool)
	require.ErrorIs(t, err, repo.ErrSchema)
	require.ErrorContains(t, err, "ON DELETE NO ACTION")
	require.ErrorContains(t, err, "rel.PassiveDeletes leaves the rows to ON DELETE CASCADE")

	_, err = pool.Exec(ctx, `ALTER TABLE books DROP CONSTRAINT books_shelf_id_fkey, ADD FOREIGN KEY (shelf_id) REFERENCES shelves ON DELETE CASCADE`)
	require.NoError(t, err)
	require.NoError(t, passive.Verify(ctx, pool))
	err = RestrictModel.Verify(ctx, pool)
	require.ErrorIs(t, err, repo.ErrSchema)
	require.ErrorContains(t, err, "rel.Restrict refuses to delete an owner that has rows, but the database would delete")
}
