package repo_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// Blobby has a Slice column of each kind pgx maps a slice to.
type Blobby struct {
	ID    int64
	Bytes []byte
	JSONB json.RawMessage
	JSON  json.RawMessage
	Tags  []string
	Nums  []int64
}

const blobbiesDDL = `CREATE TABLE blobbies (
	id bigserial PRIMARY KEY,
	bytes bytea,
	jsonb jsonb,
	json json,
	tags text[],
	nums bigint[]
)`

var (
	blobbyID    = repo.Serial("id", func(b *Blobby) *int64 { return &b.ID })
	blobbyBytes = repo.Slice("bytes", func(b *Blobby) *[]byte { return &b.Bytes })
	blobbyJSONB = repo.Slice("jsonb", func(b *Blobby) *json.RawMessage { return &b.JSONB })
	blobbyJSON  = repo.Slice("json", func(b *Blobby) *json.RawMessage { return &b.JSON })
	blobbyTags  = repo.Slice("tags", func(b *Blobby) *[]string { return &b.Tags })
	blobbyNums  = repo.Slice("nums", func(b *Blobby) *[]int64 { return &b.Nums })
	Blobbies    = repo.MustNew("blobbies", blobbyID, blobbyBytes, blobbyJSONB, blobbyJSON, blobbyTags, blobbyNums)
)

func TestSliceEqualTellsNilFromEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b []string
		want bool
	}{
		{"nil and nil", nil, nil, true},
		{"empty and empty", []string{}, []string{}, true},
		{"nil and empty", nil, []string{}, false},
		{"empty and nil", []string{}, nil, false},
		{"same elements", []string{"a", "b"}, []string{"a", "b"}, true},
		{"same elements, other capacity", []string{"a", "b"}, append(make([]string, 0, 8), "a", "b"), true},
		{"one element differs", []string{"a", "b"}, []string{"a", "x"}, false},
		{"prefix", []string{"a"}, []string{"a", "b"}, false},
		{"nil and one element", nil, []string{""}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := &Blobby{Tags: tc.a}, &Blobby{Tags: tc.b}
			require.Equal(t, tc.want, blobbyTags.Equal(a, b))
			require.Equal(t, tc.want, blobbyTags.Equal(b, a))
		})
	}
	// []byte and json.RawMessage the same way: bytes.Equal would call nil and empty equal.
	require.False(t, blobbyBytes.Equal(&Blobby{}, &Blobby{Bytes: []byte{}}))
	require.True(t, blobbyBytes.Equal(&Blobby{Bytes: []byte{}}, &Blobby{Bytes: []byte{}}))
	require.False(t, blobbyJSONB.Equal(&Blobby{}, &Blobby{JSONB: json.RawMessage{}}))
	require.True(t, blobbyJSONB.Equal(&Blobby{JSONB: json.RawMessage(`[1]`)}, &Blobby{JSONB: json.RawMessage(`[1]`)}))
}

// Each slice type goes through Insert and Get as it was: values, NULL as nil, and the empty
// value (an empty bytea, the empty array '{}') as an empty non-nil slice.
func TestSliceRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewTracedPool(t, blobbiesDDL)
	tests := []struct {
		name string
		row  Blobby
	}{
		{"values", Blobby{
			Bytes: []byte{0, 1, 255},
			JSONB: json.RawMessage(`{"a": [1, 2], "b": null}`), // jsonb's normal form reads back as written
			JSON:  json.RawMessage(`{"b":1,  "a" : 2}`),        // json keeps the text
			Tags:  []string{"x", "", "a,b", `"q"`, "NULL"},
			Nums:  []int64{-1, 0, 1 << 40},
		}},
		{"NULL", Blobby{}},
		{"empty", Blobby{Bytes: []byte{}, JSONB: json.RawMessage(`[]`), JSON: json.RawMessage(`""`), Tags: []string{}, Nums: []int64{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row := tc.row
			require.NoError(t, Blobbies.Insert(ctx, pool, &row))
			got, err := Blobbies.Get(ctx, pool, row.ID)
			require.NoError(t, err)
			require.Equal(t, row, *got) // reflect.DeepEqual: nil and empty differ
			// What the database holds, by plain SQL.
			var nulls [5]bool
			var jsonbText, jsonText *string
			require.NoError(t, pool.QueryRow(ctx, `SELECT bytes IS NULL, jsonb IS NULL, json IS NULL, tags IS NULL, nums IS NULL,
				jsonb::text, json::text FROM blobbies WHERE id = $1`, row.ID).
				Scan(&nulls[0], &nulls[1], &nulls[2], &nulls[3], &nulls[4], &jsonbText, &jsonText))
			require.Equal(t, [5]bool{row.Bytes == nil, row.JSONB == nil, row.JSON == nil, row.Tags == nil, row.Nums == nil}, nulls)
			if row.JSONB != nil {
				require.Equal(t, string(row.JSONB), *jsonbText)
				require.Equal(t, string(row.JSON), *jsonText)
			}
			if row.Tags != nil {
				var n int
				require.NoError(t, pool.QueryRow(ctx, `SELECT cardinality(tags) FROM blobbies WHERE id = $1`, row.ID).Scan(&n))
				require.Equal(t, len(row.Tags), n, "text[], not one string")
			}
		})
	}
}

// A snapshot (Clone), a snapshot put back (Restore) and copied columns (CopyColumns) share no
// elements with the row, so an edit in place of one is not an edit of the other.
func TestUntypedSnapshotIsDeep(t *testing.T) {
	t.Parallel()
	u := engine.TableOf(Widgets)
	changed := func(row, snap any) []string {
		var names []string
		for _, i := range u.Changed(nil, row, snap) {
			names = append(names, u.ColumnName(i))
		}
		return names
	}
	w := sampleWidget(1)
	snap := u.Clone(w).(*Widget)
	require.Empty(t, changed(w, snap))
	w.Blob[0] ^= 1
	w.Tags[1] = "edited"
	require.Equal(t, []string{"blob", "tags"}, changed(w, snap), "the clone did not follow the edit in place")
	require.Equal(t, sampleWidget(1).Blob, snap.Blob)
	require.Equal(t, sampleWidget(1).Tags, snap.Tags)

	u.Restore(w, snap)
	require.Empty(t, changed(w, snap))
	w.Blob[0] ^= 1
	w.Tags[0] = "edited"
	require.Equal(t, []string{"blob", "tags"}, changed(w, snap), "the restored row shares nothing with the snapshot")

	fresh := &Widget{}
	u.CopyColumns(fresh, snap)
	require.Empty(t, changed(fresh, snap))
	fresh.Blob[2] = 7
	fresh.Tags[1] = "edited"
	require.Equal(t, []string{"blob", "tags"}, changed(fresh, snap), "copied columns share nothing with the source")

	// nil stays nil and empty stays empty.
	w = &Widget{Tags: []string{}}
	snap = u.Clone(w).(*Widget)
	require.Nil(t, snap.Blob)
	require.NotNil(t, snap.Tags)
	require.Empty(t, snap.Tags)
	require.Empty(t, changed(w, snap))
}

// A snapshot of a row without slice columns is one allocation, the copy of the row, as it was
// before clones; each non-empty slice column adds one. Not parallel: AllocsPerRun forbids it.
func TestCloneAllocations(t *testing.T) {
	allocs := func(u engine.Table, row any) float64 {
		// Another goroutine may allocate meanwhile: the fewest of three runs is the one to trust.
		n := testing.AllocsPerRun(100, func() { _ = u.Clone(row) })
		for range 2 {
			n = min(n, testing.AllocsPerRun(100, func() { _ = u.Clone(row) }))
		}
		return n
	}
	require.EqualValues(t, 1, allocs(engine.TableOf(Users), &User{ID: 1, Email: "a@b", Name: "a"}))
	require.EqualValues(t, 1, allocs(engine.TableOf(Memberships), &Membership{1, 2, "admin"}))
	require.EqualValues(t, 3, allocs(engine.TableOf(Widgets), sampleWidget(3)), "the row, blob and tags")
	require.EqualValues(t, 1, allocs(engine.TableOf(Blobbies), &Blobby{}), "nil slices are not copied")
	require.EqualValues(t, 6, allocs(engine.TableOf(Blobbies), &Blobby{
		Bytes: []byte{1}, JSONB: json.RawMessage(`1`), JSON: json.RawMessage(`2`), Tags: []string{"a"}, Nums: []int64{1},
	}))
}
