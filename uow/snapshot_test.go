package uow_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// Doc has a column of each slice kind: text[], bytea and jsonb.
type Doc struct {
	ID   int64
	Tags []string
	Blob []byte
	Body json.RawMessage
}

const docsDDL = `CREATE TABLE docs (id bigserial PRIMARY KEY, tags text[], blob bytea, body jsonb)`

var (
	docID    = repo.Serial("id", func(d *Doc) *int64 { return &d.ID })
	docTags  = repo.Slice("tags", func(d *Doc) *[]string { return &d.Tags })
	docBlob  = repo.Slice("blob", func(d *Doc) *[]byte { return &d.Blob })
	docBody  = repo.Slice("body", func(d *Doc) *json.RawMessage { return &d.Body })
	Docs     = repo.MustNew("docs", docID, docTags, docBlob, docBody)
	DocModel = uow.MustModel() // no relation joins docs
)

// storedDoc reads the row with plain SQL, telling NULL from empty.
func storedDoc(t *testing.T, pool *pgxpool.Pool, id int64) Doc {
	t.Helper()
	var d Doc
	var tagsNull, blobNull, bodyNull bool
	var body *string
	err := pool.QueryRow(context.Background(),
		`SELECT id, tags, tags IS NULL, blob, blob IS NULL, body::text, body IS NULL FROM docs WHERE id = $1`, id).
		Scan(&d.ID, &d.Tags, &tagsNull, &d.Blob, &blobNull, &body, &bodyNull)
	require.NoError(t, err)
	require.Equal(t, tagsNull, d.Tags == nil, "tags: NULL scans as nil, '{}' as empty")
	require.Equal(t, blobNull, d.Blob == nil, "blob: NULL scans as nil, '' as empty")
	if body != nil {
		d.Body = json.RawMessage(*body)
	}
	return d
}

// An edit in place of a slice column (an element, a byte) is seen by change tracking and
// written; the snapshot the flush takes afterwards is deep too, so a second flush sends nothing
// and a second edit in place is written again.
func TestSnapshotSliceColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	_, err := pool.Exec(ctx, docsDDL)
	require.NoError(t, err)

	full := func() *Doc {
		// jsonb's text is normalized: "[1, 2, 3]" reads back as written.
		return &Doc{Tags: []string{"a", "b", "c"}, Blob: []byte{1, 2, 3}, Body: json.RawMessage(`[1, 2, 3]`)}
	}
	empty := func() *Doc { return &Doc{Tags: []string{}, Blob: []byte{}, Body: json.RawMessage(`[]`)} }
	null := func() *Doc { return &Doc{} }

	tests := []struct {
		name  string
		start func() *Doc
		edit  func(d *Doc)
		then  func(d *Doc) // a second edit after the first flush, nil for none
		want  Doc          // in the database at the end, ID aside
	}{
		{
			name:  "text[] element",
			start: full,
			edit:  func(d *Doc) { d.Tags[1] = "x" },
			then:  func(d *Doc) { d.Tags[2] = "y" },
			want:  Doc{Tags: []string{"a", "x", "y"}, Blob: []byte{1, 2, 3}, Body: json.RawMessage(`[1, 2, 3]`)},
		},
		{
			name:  "bytea byte",
			start: full,
			edit:  func(d *Doc) { d.Blob[0] ^= 1 },
			then:  func(d *Doc) { d.Blob[2] = 0 },
			want:  Doc{Tags: []string{"a", "b", "c"}, Blob: []byte{0, 2, 0}, Body: json.RawMessage(`[1, 2, 3]`)},
		},
		{
			name:  "jsonb byte",
			start: full,
			edit:  func(d *Doc) { d.Body[1] = '7' },
			then:  func(d *Doc) { d.Body[4] = '8' },
			want:  Doc{Tags: []string{"a", "b", "c"}, Blob: []byte{1, 2, 3}, Body: json.RawMessage(`[7, 8, 3]`)},
		},
		{
			name:  "every column in place",
			start: full,
			edit:  func(d *Doc) { d.Tags[0], d.Blob[1], d.Body[7] = "z", 9, '0' },
			want:  Doc{Tags: []string{"z", "b", "c"}, Blob: []byte{1, 9, 3}, Body: json.RawMessage(`[1, 2, 0]`)},
		},
		{
			name:  "append",
			start: full,
			edit: func(d *Doc) {
				d.Tags = append(d.Tags, "d")
				d.Blob = append(d.Blob, 4)
			},
			then: func(d *Doc) { d.Tags[3] = "e" },
			want: Doc{Tags: []string{"a", "b", "c", "e"}, Blob: []byte{1, 2, 3, 4}, Body: json.RawMessage(`[1, 2, 3]`)},
		},
		{
			name:  "append over the old elements",
			start: full,
			edit: func(d *Doc) {
				d.Tags = append(d.Tags[:2], "q")
				d.Blob = append(d.Blob[:1], 7, 8)
			},
			then: func(d *Doc) { d.Tags = append(d.Tags[:1], "r", "s") },
			want: Doc{Tags: []string{"a", "r", "s"}, Blob: []byte{1, 7, 8}, Body: json.RawMessage(`[1, 2, 3]`)},
		},
		{
			name:  "set to nil writes NULL",
			start: full,
			edit:  func(d *Doc) { d.Tags, d.Blob, d.Body = nil, nil, nil },
			want:  Doc{},
		},
		{
			name:  "set to empty writes empty, not NULL",
			start: full,
			edit:  func(d *Doc) { d.Tags, d.Blob = []string{}, []byte{} },
			want:  Doc{Tags: []string{}, Blob: []byte{}, Body: json.RawMessage(`[1, 2, 3]`)},
		},
		{
			name:  "NULL to empty",
			start: null,
			edit:  func(d *Doc) { d.Tags, d.Blob = []string{}, []byte{} },
			then:  func(d *Doc) { d.Body = json.RawMessage(`{}`) },
			want:  Doc{Tags: []string{}, Blob: []byte{}, Body: json.RawMessage(`{}`)},
		},
		{
			name:  "empty to NULL",
			start: empty,
			edit:  func(d *Doc) { d.Tags, d.Blob = nil, nil },
			want:  Doc{Body: json.RawMessage(`[]`)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row := tc.start()
			require.NoError(t, Docs.Insert(ctx, pool, row))
			// A pool of the test's own on the same database, to count only its statements.
			tr := &repo.Tracer{}
			cfg := pool.Config()
			cfg.ConnConfig.Tracer = tr
			cfg.MaxConns = 1
			own, err := pgxpool.NewWithConfig(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(own.Close)

			require.NoError(t, uow.Run(ctx, own, DocModel, func(s *uow.Session) error {
				d, err := Docs.Get(ctx, s, row.ID)
				require.NoError(t, err)
				tc.edit(d)
				n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
				require.EqualValues(t, 1, n.Statements, "the edit is written: one UPDATE")
				n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
				require.Zero(t, n.Statements, "nothing changed since the flush")
				if tc.then != nil {
					tc.then(d)
					n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
					require.EqualValues(t, 1, n.Statements, "the second edit is written: the snapshot after the flush is deep")
					n = tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
					require.Zero(t, n.Statements, "nothing changed since the second flush")
				}
				return nil
			}))
			want := tc.want
			want.ID = row.ID
			require.Equal(t, want, storedDoc(t, pool, row.ID))
		})
	}
}
