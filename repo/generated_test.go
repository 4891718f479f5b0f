package repo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// A parent has a key the database generates, of type K; a kid refers to it.
type parent[K comparable] struct {
	ID   K
	N    int32
	Name string
}

type kid[K comparable] struct {
	ID       int64
	ParentID K
	Tag      string
}

// family declares parents and kids for a key of type K.
type family[K comparable] struct {
	parents *repo.Repo[parent[K]]
	kids    *repo.Repo[kid[K]]
}

func newFamily[K comparable]() family[K] {
	return family[K]{
		parents: repo.MustNew("parents",
			repo.Generated("id", func(p *parent[K]) *K { return &p.ID }),
			repo.Col("n", func(p *parent[K]) *int32 { return &p.N }),
			repo.Col("name", func(p *parent[K]) *string { return &p.Name })),
		kids: repo.MustNew("kids",
			repo.Serial("id", func(k *kid[K]) *int64 { return &k.ID }),
			repo.Col("parent_id", func(k *kid[K]) *K { return &k.ParentID }),
			repo.Col("tag", func(k *kid[K]) *string { return &k.Tag })),
	}
}

// familyDDL is parents with id declared as idDecl (its type, default or identity, primary key),
// kids referring to them with a parent_id of type idType, and extra statements run first
// (sequences) or after (triggers).
func familyDDL(idDecl, idType string, before, after []string) []string {
	ddl := append([]string{}, before...)
	ddl = append(ddl,
		`CREATE TABLE parents (id `+idDecl+`, n integer NOT NULL CHECK (n <> 666666), name text NOT NULL)`,
		`CREATE TABLE kids (id bigserial PRIMARY KEY, parent_id `+idType+` NOT NULL REFERENCES parents, tag text NOT NULL)`)
	return append(ddl, after...)
}

// someParents are n parents, each with its own values except every 50th from the third on,
// which are identical in every column Insert writes, and so are every 50th from the fourth on.
func someParents[K comparable](n int) []*parent[K] {
	ps := make([]*parent[K], n)
	for i := range ps {
		switch i % 50 {
		case 3:
			ps[i] = &parent[K]{N: -1, Name: "twin"}
		case 4:
			ps[i] = &parent[K]{N: -2, Name: "other twin"}
		default:
			ps[i] = &parent[K]{N: int32(i), Name: fmt.Sprintf("parent %d", i)}
		}
	}
	return ps
}

// checkParents checks with plain SQL that the table holds exactly ps, each struct's key naming
// the row that holds its values, no two structs with the same key.
func checkParents[K comparable](t *testing.T, db repo.DB, ps []*parent[K]) {
	t.Helper()
	type values struct {
		n    int32
		name string
	}
	rows, err := db.Query(context.Background(), `SELECT id, n, name FROM parents`)
	require.NoError(t, err)
	inDB := map[K]values{}
	for rows.Next() {
		var id K
		var v values
		require.NoError(t, rows.Scan(&id, &v.n, &v.name))
		inDB[id] = v
	}
	require.NoError(t, rows.Err())
	require.Len(t, inDB, len(ps))
	seen := make(map[K]int, len(ps))
	wrong := 0
	for i, p := range ps {
		if j, dup := seen[p.ID]; dup {
			t.Fatalf("parents %d and %d both got key %v", j, i, p.ID)
		}
		seen[p.ID] = i
		if got, ok := inDB[p.ID]; !ok || got != (values{p.N, p.Name}) {
			if wrong++; wrong <= 5 {
				t.Errorf("parent %d (%d, %q) got key %v, whose row holds %v (found: %v)", i, p.N, p.Name, p.ID, got, ok)
			}
		}
	}
	require.Zero(t, wrong, "parents whose key names another row")
}

// checkKids gives each parent two kids tagged with the parent's index, inserts them, and checks
// with SQL that each parent row has exactly its own kids, and each kid's key its own row.
func checkKids[K comparable](t *testing.T, db repo.DB, f family[K], ps []*parent[K]) {
	t.Helper()
	ctx := context.Background()
	var ks []*kid[K]
	want := map[K][]string{}
	for i, p := range ps {
		for j := range 2 {
			k := &kid[K]{ParentID: p.ID, Tag: fmt.Sprintf("kid %d.%d", i, j)}
			ks = append(ks, k)
			want[p.ID] = append(want[p.ID], k.Tag)
		}
	}
	require.NoError(t, f.kids.Insert(ctx, db, ks...))
	rows, err := db.Query(ctx, `SELECT p.id, array_agg(k.tag ORDER BY k.tag) FROM parents p JOIN kids k ON k.parent_id = p.id GROUP BY p.id`)
	require.NoError(t, err)
	got := map[K][]string{}
	for rows.Next() {
		var id K
		var tags []string
		require.NoError(t, rows.Scan(&id, &tags))
		got[id] = tags
	}
	require.NoError(t, rows.Err())
	require.Equal(t, want, got, "every parent has exactly its own kids")
	tags := namesOf(t, db, `SELECT id, tag FROM kids`)
	require.Len(t, tags, len(ks))
	for _, k := range ks {
		require.Equal(t, k.Tag, tags[k.ID], "a kid's key is its own row's")
	}
}

func namesOf(t *testing.T, db repo.DB, sql string) map[int64]string {
	t.Helper()
	rows, err := db.Query(context.Background(), sql)
	require.NoError(t, err)
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		require.NoError(t, rows.Scan(&id, &name))
		m[id] = name
	}
	require.NoError(t, rows.Err())
	return m
}

// generatedCase inserts 1,000 parents in one call into a table made by ddl, checks every key
// against the database, gives the parents kids, and checks those.
func generatedCase[K comparable](ddl []string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		f := newFamily[K]()
		pool, tr := pgtest.NewTracedPool(t, ddl...)
		ps := someParents[K](1000)
		n := tr.Count(func() { require.NoError(t, f.parents.Insert(ctx, pool, ps...)) })
		require.Equal(t, [2]int64{1000, 1}, [2]int64{n.Statements, n.RoundTrips}, "one INSERT a row, all in one batch")
		checkParents(t, pool, ps)
		checkKids(t, pool, f, ps)
	}
}

// TestInsertGeneratedKeysLandOnTheirRows inserts rows whose keys the database makes in an order
// that is not the rows' order: a trigger that shuffles them, sequences that count down or
// wrap around, an identity column with a negative step, random UUIDs. Each struct must get the
// key of its own row, the identical ones distinct keys.
func TestInsertGeneratedKeysLandOnTheirRows(t *testing.T) {
	t.Parallel()
	shuffle := []string{
		`CREATE SEQUENCE shuffle_seq`,
		// x ↦ 7919·x mod 1,000,003 is one-to-one on 1 … 1,000,002 (1,000,003 is prime): no two
		// rows collide, and neighbours land far apart.
		`CREATE FUNCTION shuffle_id() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN NEW.id := nextval('shuffle_seq') * 7919 % 1000003; RETURN NEW; END $$`,
	}
	for _, tt := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a BEFORE INSERT trigger shuffles the keys", generatedCase[int64](familyDDL("bigint PRIMARY KEY", "bigint", shuffle,
			[]string{`CREATE TRIGGER parents_shuffle BEFORE INSERT ON parents FOR EACH ROW EXECUTE FUNCTION shuffle_id()`}))},
		{"a descending sequence", generatedCase[int64](familyDDL("bigint PRIMARY KEY DEFAULT nextval('down')", "bigint",
			[]string{`CREATE SEQUENCE down INCREMENT -1 START -1 MAXVALUE -1`}, nil))},
		{"a sequence that wraps around", generatedCase[int64](familyDDL("bigint PRIMARY KEY DEFAULT nextval('wrap')", "bigint",
			[]string{`CREATE SEQUENCE wrap MINVALUE 1 MAXVALUE 1500 START 1400 CYCLE`}, nil))},
		{"an identity column counting down by 3", generatedCase[int64](familyDDL(
			"bigint GENERATED ALWAYS AS IDENTITY (INCREMENT BY -3 START WITH 100000 MAXVALUE 100000) PRIMARY KEY", "bigint", nil, nil))},
		{"a bigserial", generatedCase[int64](familyDDL("bigserial PRIMARY KEY", "bigint", nil, nil))},
		{"an int4 serial", generatedCase[int32](familyDDL("serial PRIMARY KEY", "integer", nil, nil))},
		{"gen_random_uuid() into a [16]byte", generatedCase[[16]byte](familyDDL("uuid PRIMARY KEY DEFAULT gen_random_uuid()", "uuid", nil, nil))},
		{"gen_random_uuid() into a string", generatedCase[string](familyDDL("uuid PRIMARY KEY DEFAULT gen_random_uuid()", "uuid", nil, nil))},
		{"gen_random_uuid() into a pgtype.UUID", generatedCase[pgtype.UUID](familyDDL("uuid PRIMARY KEY DEFAULT gen_random_uuid()", "uuid", nil, nil))},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestInsertGeneratedFailureWritesNothing makes one row in the middle violate a CHECK
// constraint: no row is written, no struct keeps a key, within one batch and across batches.
func TestInsertGeneratedFailureWritesNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		rows    int
		inTx    bool
		batches int64
	}{
		{"one batch", 1000, false, 1},
		// 25,000 rows are three batches in a transaction the insert begins; it stops at the
		// second, which fails.
		{"several batches", 25_000, false, 2},
		{"several batches in the caller's transaction", 25_000, true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFamily[[16]byte]()
			pool, tr := pgtest.NewTracedPool(t, familyDDL("uuid PRIMARY KEY DEFAULT gen_random_uuid()", "uuid", nil, nil)...)
			ps := someParents[[16]byte](tt.rows)
			ps[tt.rows*11/20].N = 666666 // the CHECK refuses it
			var db repo.DB = pool
			var tx pgx.Tx
			if tt.inTx {
				var err error
				tx, err = pool.Begin(ctx)
				require.NoError(t, err)
				defer tx.Rollback(ctx)
				db = tx
			}
			var err error
			n := tr.Count(func() { err = f.parents.Insert(ctx, db, ps...) })
			var pgErr interface{ SQLState() string }
			require.ErrorAs(t, err, &pgErr)
			require.Equal(t, "23514", pgErr.SQLState())
			trips := tt.batches
			if tt.batches > 1 && !tt.inTx {
				trips += 2 // BEGIN and ROLLBACK
			}
			require.Equal(t, trips, n.RoundTrips)
			if tx != nil {
				require.NoError(t, tx.Rollback(ctx))
			}
			count, err := f.parents.Count(ctx, pool)
			require.NoError(t, err)
			require.Zero(t, count, "nothing is half-written")
			for i, p := range ps {
				if p.ID != ([16]byte{}) {
					t.Fatalf("row %d keeps key %x of a row that does not exist", i, p.ID)
				}
			}
		})
	}
}

// TestInsertGeneratedRowNotInserted has a trigger drop one row: no key to read for it is an
// error, never a key taken from another row.
func TestInsertGeneratedRowNotInserted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFamily[int64]()
	pool, _ := pgtest.NewTracedPool(t, familyDDL("bigserial PRIMARY KEY", "bigint", nil, []string{
		`CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.name = 'dropped' THEN RETURN NULL; END IF; RETURN NEW; END $$`,
		`CREATE TRIGGER parents_drop BEFORE INSERT ON parents FOR EACH ROW EXECUTE FUNCTION drop_row()`,
	})...)
	ps := someParents[int64](100)
	ps[40].Name = "dropped"
	err := f.parents.Insert(ctx, pool, ps...)
	require.ErrorContains(t, err, "row 40: INSERT … RETURNING returned no row")
	for i, p := range ps {
		require.Zero(t, p.ID, "row %d", i)
	}
}

// TestInsertGeneratedManyRows inserts 20,000 rows with a generated key in one call: one
// statement a row, 10,000 a batch, so two batches, inside a transaction of their own (BEGIN,
// COMMIT): four round trips. In the caller's transaction, two. The sequence counts down, so a
// key matched to its row by anything but its own statement would land on another row.
func TestInsertGeneratedManyRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, widgetsDDL, `ALTER SEQUENCE widgets_id_seq INCREMENT -1 MINVALUE -1000000 MAXVALUE -1 START -1 RESTART -1`)
	ws := make([]*Widget, 20_000)
	for i := range ws {
		ws[i] = sampleWidget(i)
	}
	n := tr.Count(func() { require.NoError(t, Widgets.Insert(ctx, pool, ws...)) })
	require.Equal(t, repo.Stats{Statements: 20_002, RoundTrips: 4}, repo.Stats{Statements: n.Statements, RoundTrips: n.RoundTrips},
		"20,000 INSERTs in 2 batches, and BEGIN and COMMIT")
	db := namesByID(t, pool, "widgets")
	require.Len(t, db, len(ws))
	for _, w := range ws {
		require.Equal(t, w.Name, db[w.ID])
	}

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	more := make([]*Widget, 20_000)
	for i := range more {
		more[i] = sampleWidget(i + 20_000)
	}
	n = tr.Count(func() { require.NoError(t, Widgets.Insert(ctx, tx, more...)) })
	require.Equal(t, repo.Stats{Statements: 20_000, RoundTrips: 2}, repo.Stats{Statements: n.Statements, RoundTrips: n.RoundTrips},
		"in the caller's transaction, no BEGIN or COMMIT of its own")
	require.NoError(t, tx.Commit(ctx))
	db = namesByID(t, pool, "widgets")
	require.Len(t, db, len(ws)+len(more))
	for _, w := range more {
		require.Equal(t, w.Name, db[w.ID])
	}
}

// TestInsertGeneratedOnAConnection inserts more rows than one batch takes on a *pgx.Conn, once
// outside a transaction and once inside one begun with plain SQL, which Insert must not commit.
func TestInsertGeneratedOnAConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFamily[int64]()
	pool, tr := pgtest.NewTracedPool(t, familyDDL("bigint PRIMARY KEY DEFAULT nextval('down')", "bigint",
		[]string{`CREATE SEQUENCE down INCREMENT -1 START -1 MAXVALUE -1`}, nil)...)
	c, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer c.Release()
	conn := c.Conn()

	ps := someParents[int64](15_000)
	n := tr.Count(func() { require.NoError(t, f.parents.Insert(ctx, conn, ps...)) })
	require.EqualValues(t, 4, n.RoundTrips, "two batches, BEGIN and COMMIT")
	checkParents(t, pool, ps)

	_, err = conn.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	more := someParents[int64](15_000)
	n = tr.Count(func() { require.NoError(t, f.parents.Insert(ctx, conn, more...)) })
	require.EqualValues(t, 2, n.RoundTrips, "two batches in the transaction the connection is in")
	_, err = conn.Exec(ctx, "ROLLBACK")
	require.NoError(t, err)
	checkParents(t, pool, ps)
}

// TestUpsertGeneratedUUID upserts on a unique column of a table whose uuid key the database
// generates: each row gets the key of its row, inserted or updated.
func TestUpsertGeneratedUUID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type account struct {
		ID    pgtype.UUID
		Email string
		Name  string
	}
	accountEmail := repo.Col("email", func(a *account) *string { return &a.Email })
	accounts := repo.MustNew("accounts",
		repo.Generated("id", func(a *account) *pgtype.UUID { return &a.ID }),
		accountEmail,
		repo.Col("name", func(a *account) *string { return &a.Name }))
	pool, _ := pgtest.NewTracedPool(t, `CREATE TABLE accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE, name text NOT NULL)`)
	first := make([]*account, 500)
	for i := range first {
		first[i] = &account{Email: fmt.Sprintf("a%d@example.com", i), Name: "first"}
	}
	require.NoError(t, accounts.Insert(ctx, pool, first...))
	// Every other row exists; the rest are new.
	second := make([]*account, 1000)
	for i := range second {
		second[i] = &account{Email: fmt.Sprintf("a%d@example.com", 999-i), Name: fmt.Sprintf("second %d", i)}
	}
	require.NoError(t, accounts.Upsert(ctx, pool, second, accountEmail))
	byEmail := map[string]pgtype.UUID{}
	for _, a := range first {
		byEmail[a.Email] = a.ID
	}
	rows, err := pool.Query(ctx, `SELECT id, email, name FROM accounts`)
	require.NoError(t, err)
	inDB := map[pgtype.UUID][2]string{}
	for rows.Next() {
		var id pgtype.UUID
		var email, name string
		require.NoError(t, rows.Scan(&id, &email, &name))
		inDB[id] = [2]string{email, name}
	}
	require.NoError(t, rows.Err())
	require.Len(t, inDB, 1000)
	for _, a := range second {
		require.True(t, a.ID.Valid)
		require.Equal(t, [2]string{a.Email, a.Name}, inDB[a.ID])
		if old, ok := byEmail[a.Email]; ok {
			require.Equal(t, old, a.ID, "an updated row keeps its key")
		}
	}
	got, err := accounts.Get(ctx, pool, second[0].ID)
	require.NoError(t, err)
	require.Equal(t, second[0], got)
	require.True(t, engine.TableOf(accounts).Generated())
	require.False(t, engine.TableOf(accounts).KeyAssigned(&account{}))
	require.True(t, engine.TableOf(accounts).KeyAssigned(second[0]))
}

// BenchmarkInsertGenerated inserts rows with a generated key in one call, each by its own
// INSERT … RETURNING, against the multi-row INSERT of the same rows with a client-assigned key.
func BenchmarkInsertGenerated(b *testing.B) {
	ctx := context.Background()
	type row struct {
		ID   int64
		N    int32
		Name string
	}
	generated := repo.MustNew("gen",
		repo.Serial("id", func(r *row) *int64 { return &r.ID }),
		repo.Col("n", func(r *row) *int32 { return &r.N }),
		repo.Col("name", func(r *row) *string { return &r.Name }))
	assigned := repo.MustNew("assigned",
		repo.Key("id", func(r *row) *int64 { return &r.ID }),
		repo.Col("n", func(r *row) *int32 { return &r.N }),
		repo.Col("name", func(r *row) *string { return &r.Name }))
	pool, tr := pgtest.NewTracedPool(b,
		`CREATE UNLOGGED TABLE gen (id bigserial PRIMARY KEY, n integer NOT NULL, name text NOT NULL)`,
		`CREATE UNLOGGED TABLE assigned (id bigint PRIMARY KEY, n integer NOT NULL, name text NOT NULL)`)
	next := int64(0) // the client-assigned keys, across sub-benchmarks: one table for all
	for _, size := range []int{1000, 20_000} {
		for _, tt := range []struct {
			name string
			r    *repo.Repo[row]
		}{{"generated", generated}, {"client-assigned", assigned}} {
			b.Run(fmt.Sprintf("%s/%d", tt.name, size), func(b *testing.B) {
				rows := make([]*row, size)
				var trips int64
				for b.Loop() {
					for i := range rows {
						next++
						rows[i] = &row{N: int32(i), Name: "row"}
						if tt.r == assigned {
							rows[i].ID = next
						}
					}
					trips += tr.Count(func() {
						if err := tt.r.Insert(ctx, pool, rows...); err != nil {
							b.Fatal(err)
						}
					}).RoundTrips
				}
				b.ReportAllocs()
				b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/op")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/row")
			})
		}
	}
}
