package gen

import "strings"

// testFile renders model_test.go: a test that checks the declarations against the database
// DATABASE_URL names and loads every relation with every strategy, comparing what each finds
// with what the lazy load finds.
func (g *generator) testFile() []byte {
	var w writer
	w.WriteString(header)
	w.p("package %s", g.opt.Package)
	w.p("")
	w.imports([]string{"context", "fmt", "os", "slices", "testing", "github.com/jackc/pgx/v5/pgxpool",
		kinshipPath + "loadopts", kinshipPath + "rel", kinshipPath + "repo"})
	w.comment("", "TestModel checks the declarations against the database DATABASE_URL names (Model.Verify, and each Repo's Verify), logs its notes, then loads every relation for the first 100 rows of its table with every strategy, and checks that each strategy finds what the lazy load finds. It changes nothing in the database; it is skipped without DATABASE_URL.")
	w.raw(`func TestModel(t *testing.T) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		t.Skip("DATABASE_URL is unset: no database to check the model against")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Model.Verify(ctx, pool); err != nil {
		t.Fatal(err)
	}
	notes, err := Model.Mismatches(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Logf("Verify: %s", n)
	}
	for _, r := range []interface{ Verify(context.Context, repo.DB) error }{`)
	for _, t := range g.tables {
		if t.generated() {
			w.p("%s,", t.repoVar)
		}
	}
	w.p("} {")
	w.raw(`if err := r.Verify(ctx, pool); err != nil {
			t.Error(err)
		}
	}`)
	byTable := map[*table]string{}
	for _, t := range g.tables {
		if t.generated() {
			var order []string
			for _, c := range t.cols {
				if c.kind != "" && c.kind != "Version" {
					order = append(order, c.varName+".Asc()")
				}
			}
			byTable[t] = strings.Join(order, ", ")
		}
	}
	for _, r := range g.rels {
		fn := "loadOne"
		if r.kind == "HasMany" || r.kind == "ManyToMany" {
			fn = "loadMany"
		}
		w.p("t.Run(%q, func(t *testing.T) { %s(t, pool, %s, %s, %s, %s) })", r.varName, fn, r.owner.repoVar, r.other.repoVar, r.varName, byTable[r.owner])
	}
	w.p("}")
	w.p("")
	w.raw(`var eager = []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined}

// loadMany loads r for the first 100 parents in key order, lazily and with each eager
// strategy, and checks that each finds the same rows.
func loadMany[P, C any](t *testing.T, db repo.DB, parents *repo.Repo[P], children *repo.Repo[C], r *rel.Many[P, C], order ...repo.Order[P]) {
	found := func(ps []*P, of func(*P) ([]*C, error)) map[string][]string {
		out := map[string][]string{}
		for _, p := range ps {
			cs, err := of(p)
			if err != nil {
				t.Fatal(err)
			}
			keys := []string{}
			for _, c := range cs {
				keys = append(keys, fmt.Sprint(children.Key(c)))
			}
			slices.Sort(keys)
			out[fmt.Sprint(parents.Key(p))] = keys
		}
		return out
	}
	ctx := context.Background()
	lazy := found(query(t, db, parents, order), func(p *P) ([]*C, error) { return r.Of(ctx, db, p) })
	for _, s := range eager {
		got := found(query(t, db, parents, order, loadopts.With(r, s)), func(p *P) ([]*C, error) {
			if !r.Loaded(p) {
				return nil, fmt.Errorf("%s did not load %s", s, r.Name())
			}
			return r.Of(ctx, db, p)
		})
		if fmt.Sprint(got) != fmt.Sprint(lazy) {
			t.Errorf("%s loads %v, the lazy load %v", s, got, lazy)
		}
	}
	n := 0
	for _, keys := range lazy {
		n += len(keys)
	}
	t.Logf("%d %s rows, %d %s rows", len(lazy), parents.Table(), n, children.Table())
}

// loadOne is loadMany for a to-one relation.
func loadOne[P, C any](t *testing.T, db repo.DB, parents *repo.Repo[P], children *repo.Repo[C], r *rel.One[P, C], order ...repo.Order[P]) {
	found := func(ps []*P, of func(*P) (*C, error)) map[string]string {
		out := map[string]string{}
		for _, p := range ps {
			c, err := of(p)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprint(parents.Key(p))] = ""
			if c != nil {
				out[fmt.Sprint(parents.Key(p))] = fmt.Sprint(children.Key(c))
			}
		}
		return out
	}
	ctx := context.Background()
	lazy := found(query(t, db, parents, order), func(p *P) (*C, error) { return r.Of(ctx, db, p) })
	for _, s := range eager {
		got := found(query(t, db, parents, order, loadopts.With(r, s)), func(p *P) (*C, error) {
			if !r.Loaded(p) {
				return nil, nil // no row (outside a session a HasOne without one looks unloaded), or not loaded: Of would load it
			}
			return r.Of(ctx, db, p)
		})
		if fmt.Sprint(got) != fmt.Sprint(lazy) {
			t.Errorf("%s loads %v, the lazy load %v", s, got, lazy)
		}
	}
	n := 0
	for _, key := range lazy {
		if key != "" {
			n++
		}
	}
	t.Logf("%d %s rows, %d with their %s row", len(lazy), parents.Table(), n, children.Table())
}

// query reads the first 100 rows of a table in key order.
func query[P any](t *testing.T, db repo.DB, parents *repo.Repo[P], order []repo.Order[P], load ...repo.Option[P]) []*P {
	opts := []repo.Option[P]{repo.Limit[P](100)}
	for _, o := range order {
		opts = append(opts, o)
	}
	ps, err := parents.Find(context.Background(), db, append(opts, load...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}`)
	return w.Bytes()
}
