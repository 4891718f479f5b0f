package uow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/internal/relation"
	. "github.com/kinship-go/kinship/internal/testmodel"
	"github.com/kinship-go/kinship/repo"
	"github.com/stretchr/testify/require"
)

// The plan tests build a session's flush plan without a database, and send it to fakeDB, which
// records what it is sent.

// planCode is a row whose key the client assigns, so that a new row can take a deleted one's.
type planCode struct{ Code, Label string }

var (
	planCodes = repo.MustNew("codes", repo.Key("code", func(c *planCode) *string { return &c.Code }),
		repo.Col("label", func(c *planCode) *string { return &c.Label }))
	planModel = MustModel(CompanyEmployees, EmployeeCompany, EmployeeManager, EmployeeReports, EmployeeSkills) // codes: no relation joins it
)

// noTx is the transaction of a session that must reach no database: each of its methods panics
// (its pgx.Tx is nil).
type noTx struct{ pgx.Tx }

func planSession() *Session { return newSession(planModel, noTx{}, settings{}) }

// held tracks rows as read from the database, as a query through the session does.
func held[T any](s *Session, r *repo.Repo[T], rows ...*T) {
	for _, row := range rows {
		(*hooks)(s).Resolve(r, row, nil)
	}
}

// loaded records what r's field of each of parents holds as loaded, as a load through the
// session does.
func loaded(t *testing.T, s *Session, r relation.Relation, parents ...any) {
	t.Helper()
	require.NoError(t, (*hooks)(s).LoadStart(context.Background(), []relation.Relation{r}))
	for _, p := range parents {
		(*hooks)(s).Filled(r, p)
	}
	(*hooks)(s).LoadDone()
}

// planned returns the plan of s's flush, after what Flush does before it plans.
func planned(t *testing.T, s *Session) *plan {
	t.Helper()
	s.flushing = true
	defer func() { s.flushing = false }()
	require.NoError(t, s.prepare(context.Background()))
	p, err := s.planFlush()
	require.NoError(t, err)
	return &p
}

// send runs p on db as Flush does: undone on failure, recorded as written otherwise.
func send(s *Session, p *plan, db *fakeDB) error {
	f := &flush{s: s, db: db}
	if err := f.run(context.Background(), p); err != nil {
		f.undo()
		return err
	}
	f.done()
	return nil
}

func TestPlanSelfReferentialWaves(t *testing.T) {
	s := planSession()
	boss := &Employee{Name: "boss"}
	mid := &Employee{Name: "mid", Manager: boss}
	low := &Employee{Name: "low", Manager: mid}
	c := &Company{Name: "newco", Employees: []*Employee{low, mid, boss}}
	require.NoError(t, Add(s, Companies, c))

	p := planned(t, s)
	// Each employee waits for its manager's key: a wave each, boss first, whatever the order
	// they were added in.
	require.Equal(t, `batch:
insert companies: newco
insert employees: boss
insert employees: mid
insert employees: low
relate; batch:
`, p.String())

	db := &fakeDB{}
	require.NoError(t, send(s, p, db))
	require.Equal(t, []string{
		`query: INSERT INTO "companies" ("name") VALUES ($1) RETURNING "id" [newco]`,
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [boss 101 NULL 0]`,
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [mid 101 102 0]`,
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [low 101 103 0]`,
	}, db.log)
	require.Equal(t, []int64{101, 102, 103, 104}, []int64{c.ID, boss.ID, mid.ID, low.ID})
}

// New rows that refer to each other in a cycle through a nullable foreign key: the first goes
// in with it NULL, and an UPDATE after the INSERTs sets it (post_update).
func TestPlanCycleOfNewRowsIsCut(t *testing.T) {
	s := planSession()
	a, b := &Employee{Name: "a"}, &Employee{Name: "b"}
	a.Manager, b.Manager = b, a
	require.NoError(t, Add(s, Employees, a))
	s.flushing = true
	require.NoError(t, s.prepare(context.Background()))
	p, err := s.planFlush()
	require.NoError(t, err)
	db := &fakeDB{}
	require.NoError(t, send(s, &p, db))
	require.Equal(t, []string{
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [a NULL NULL 0]`,
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [b NULL 101 0]`,
		`batch: 1`,
		`  UPDATE "employees" SET "manager_id" = $1 WHERE "id" = $2 [102 101]`,
	}, db.log)
}

func TestPlanDeletesBeforeInserts(t *testing.T) {
	s := planSession()
	old, other := &planCode{Code: "a", Label: "old"}, &planCode{Code: "b", Label: "other"}
	held(s, planCodes, old, other)
	drifter := &Employee{ID: 10, Name: "Drifter", Reports: []*Employee{}}
	held(s, Employees, drifter)
	loaded(t, s, relation.Of(EmployeeReports), drifter) // no reports: the delete cascades load nothing
	require.NoError(t, Delete(s, planCodes, old))
	require.NoError(t, Delete(s, Employees, drifter))
	// A new row takes the deleted one's key; another, in a table with generated keys, its name;
	// a row updated, its label.
	require.NoError(t, Add(s, planCodes, &planCode{Code: "a", Label: "new"}))
	require.NoError(t, Add(s, Employees, &Employee{Name: "Drifter"}))
	other.Label = "old"

	p := planned(t, s)
	require.Equal(t, `batch: delete codes a; unlink employee_skills.employee_id of Drifter; delete employees Drifter; update codes b label;
insert employees: Drifter
insert codes: a
relate; batch:
`, p.String())

	db := &fakeDB{}
	require.NoError(t, send(s, p, db))
	require.Equal(t, []string{
		`batch: 4`,
		`  DELETE FROM "codes" WHERE "code" = ANY($1) [[a]]`,
		`  DELETE FROM "employee_skills" WHERE "employee_id" = $1 [10]`,
		`  DELETE FROM "employees" WHERE "id" = ANY($1) [[10]]`,
		`  UPDATE "codes" SET "label" = $1 WHERE "code" = $2 [old b]`,
		`query: INSERT INTO "employees" ("name", "company_id", "manager_id", "salary") VALUES ($1, $2, $3, $4) RETURNING "id" [Drifter NULL NULL 0]`,
		`query: INSERT INTO "codes" ("code", "label") VALUES ($1, $2) [a new]`,
	}, db.log)
	row, ok := (*hooks)(s).Lookup(planCodes, "a")
	require.True(t, ok)
	require.Equal(t, "new", row.(*planCode).Label)
}

// linkSession holds two employees, tracked in the order opposite to their keys', and their
// loaded skills, then changes which skills they have: bob loses chess and gains go, ann loses
// go and gains chess and a new skill, rust.
func linkSession(t *testing.T) (*Session, *Skill) {
	s := planSession()
	bob, ann := &Employee{ID: 7, Name: "bob"}, &Employee{ID: 2, Name: "ann"}
	golang, sql, chess := &Skill{ID: 1, Name: "go"}, &Skill{ID: 2, Name: "sql"}, &Skill{ID: 3, Name: "chess"}
	held(s, Employees, bob, ann)
	held(s, Skills, chess, sql, golang)
	bob.Skills = []*Skill{chess}
	ann.Skills = []*Skill{golang, sql}
	loaded(t, s, relation.Of(EmployeeSkills), bob, ann)
	rust := &Skill{Name: "rust"}
	bob.Skills = []*Skill{golang}
	ann.Skills = []*Skill{rust, sql, chess}
	return s, rust
}

func TestPlanLinkRows(t *testing.T) {
	s, rust := linkSession(t)
	p := planned(t, s)
	// The plan holds the link rows in the order their rows were tracked; the statements, by
	// their keys, which the new skill has only once inserted.
	require.Equal(t, `batch: unlink EmployeeSkills (bob chess) (ann go);
insert skills: rust
relate; batch: link EmployeeSkills (bob go) (ann chess) (ann rust);
`, p.String())

	db := &fakeDB{}
	require.NoError(t, send(s, p, db))
	want := []string{
		`batch: 2`,
		`  DELETE FROM "employee_skills" WHERE "employee_id" = $1 AND "skill_id" = $2 [2 1]`,
		`  DELETE FROM "employee_skills" WHERE "employee_id" = $1 AND "skill_id" = $2 [7 3]`,
		`query: INSERT INTO "skills" ("name") VALUES ($1) RETURNING "id" [rust]`,
		`batch: 1`,
		`  INSERT INTO "employee_skills" ("employee_id", "skill_id") VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING [2 3 2 101 7 1]`,
	}
	require.Equal(t, want, db.log)
	require.EqualValues(t, 101, rust.ID)
	for _, st := range s.rels {
		require.Empty(t, st.links, "the link rows are written")
	}

	// The same changes make the same statements every time, whatever the order of the maps the
	// session keeps them in.
	for range 20 {
		s, _ := linkSession(t)
		db := &fakeDB{}
		require.NoError(t, send(s, planned(t, s), db))
		require.Equal(t, want, db.log)
	}
}

func TestLinkSQLBuiltOnce(t *testing.T) {
	l := planModel.links[relation.Of(EmployeeSkills)]
	require.Equal(t, `DELETE FROM "employee_skills" WHERE "employee_id" = $1 AND "skill_id" = $2`, l.delete)
	require.Equal(t, `INSERT INTO "employee_skills" ("employee_id", "skill_id") VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING`, l.insertOf(2))
	require.Zero(t, testing.AllocsPerRun(100, func() { l.insertOf(2) }), "the INSERT of two link rows is built once")

	a, b := any(int64(1000)), any(int64(2000))
	x, y := any("b"), any("a")
	require.Zero(t, testing.AllocsPerRun(100, func() { compareKeys(a, b); compareKeys(x, y) }))
	require.Equal(t, [4]int{-1, 1, 0, 0}, [4]int{compareKeys(a, b), compareKeys(x, y), compareKeys(a, x), compareKeys(struct{}{}, struct{}{})})
	require.Equal(t, -1, compareKeys([]any{int64(1), "b"}, []any{int64(1), "c"}))
}

func TestPlanUpdateWaitsForNewKey(t *testing.T) {
	setup := func() (*Session, *Employee, *Company) {
		s := planSession()
		three := int64(3)
		milton := &Employee{ID: 8, Name: "Milton", CompanyID: &three}
		held(s, Employees, milton)
		c := &Company{Name: "newco", Employees: []*Employee{milton}}
		require.NoError(t, Add(s, Companies, c))
		return s, milton, c
	}
	s, milton, c := setup()
	p := planned(t, s)
	// Milton's UPDATE needs the new company's key: it goes after the INSERT.
	require.Equal(t, `batch:
insert companies: newco
relate; batch: update employees Milton;
`, p.String(), "its columns are found once it has the company's key")

	// The UPDATE matches no row: the flush fails, and the rows are as they were.
	db := &fakeDB{stale: "UPDATE"}
	err := send(s, p, db)
	require.ErrorIs(t, err, ErrStale)
	require.EqualError(t, err, "repo: update employees key 8: stale row: changed or deleted since it was read")
	require.Zero(t, c.ID)
	require.EqualValues(t, 3, *milton.CompanyID)
	require.Equal(t, stNew, s.table(Companies).entries[c].state)

	// A session in the same state sends the same plan, which writes.
	s, milton, c = setup()
	db = &fakeDB{}
	require.NoError(t, send(s, planned(t, s), db))
	require.Equal(t, []string{
		`query: INSERT INTO "companies" ("name") VALUES ($1) RETURNING "id" [newco]`,
		`batch: 1`,
		`  UPDATE "employees" SET "company_id" = $1 WHERE "id" = $2 [101 8]`,
	}, db.log)
	require.EqualValues(t, 101, *milton.CompanyID)
	require.EqualValues(t, 101, c.ID)
}

// String describes a plan a line per step, rows by name.
func (p *plan) String() string {
	var b strings.Builder
	for _, st := range append(append([]step{p.before}, p.inserts...), p.after) {
		if st.insert != nil {
			fmt.Fprintf(&b, "insert %s: %s\n", st.insert.u.Table(), nameList(st.rows))
			continue
		}
		if st.relate {
			b.WriteString("relate; ")
		}
		b.WriteString("batch:")
		for _, o := range st.ops {
			b.WriteString(" " + o.String() + ";")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (o op) String() string {
	switch o.kind {
	case opUnlink, opLink:
		verb := "unlink"
		if o.kind == opLink {
			verb = "link"
		}
		var pairs []string
		for _, pc := range o.pairs {
			pairs = append(pairs, "("+nameOf(pc.owner)+" "+nameOf(pc.item)+")")
		}
		return verb + " " + o.rel.Label() + " " + strings.Join(pairs, " ")
	case opDeleteByFK:
		var owners []string
		for _, p := range o.owners {
			owners = append(owners, nameOf(p))
		}
		return "delete " + o.t.u.Table() + " of " + strings.Join(owners, " ") + " by " + o.rel.Label()
	case opUnlinkAll:
		link := o.rel.Link()
		col := link.To
		if o.byOwner {
			col = link.From
		}
		return "unlink " + link.Table + "." + col + " of " + nameList(o.rows)
	case opDelete:
		return "delete " + o.t.u.Table() + " " + nameList(o.rows)
	case opUpdate:
		var rows []string // with the columns they changed so far
		for _, e := range o.rows {
			row := nameOf(e.row)
			for _, c := range o.t.u.Changed(nil, e.row, e.snap) {
				row += " " + o.t.u.ColumnName(c)
			}
			rows = append(rows, row)
		}
		return "update " + o.t.u.Table() + " " + strings.Join(rows, ", ")
	}
	return "?"
}

func nameList(rows []*entry) string {
	out := make([]string, len(rows))
	for i, e := range rows {
		out[i] = nameOf(e.row)
	}
	return strings.Join(out, " ")
}

func nameOf(row any) string {
	switch r := row.(type) {
	case *Company:
		return r.Name
	case *Employee:
		return r.Name
	case *Skill:
		return r.Name
	case *planCode:
		return r.Code
	}
	return fmt.Sprint(row)
}

// fakeDB is a database for plans. It records what it is sent as bench's exchanges tracer does
// ("query: SQL [args]" for a statement alone; "batch: n", then "  SQL [args]" for each of a
// batch's), gives each INSERT … RETURNING the next key from 101, and reports each other statement
// as affecting the rows it names (the length of an = ANY($1) array, else one) — none, if its SQL
// starts with stale.
type fakeDB struct {
	log   []string
	keys  int64
	stale string
}

func (db *fakeDB) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	db.record("query: ", sql, args)
	return db.tag(sql, args), nil
}

func (db *fakeDB) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	db.record("query: ", sql, args)
	return db.rows(sql), nil
}

func (db *fakeDB) SendBatch(_ context.Context, b *pgx.Batch) pgx.BatchResults {
	db.log = append(db.log, fmt.Sprintf("batch: %d", b.Len()))
	for _, q := range b.QueuedQueries {
		db.record("  ", q.SQL, q.Arguments)
	}
	return &fakeResults{db: db, queries: b.QueuedQueries}
}

func (db *fakeDB) record(prefix, sql string, args []any) {
	shown := make([]any, len(args))
	for i, a := range args {
		shown[i] = a
		if p, ok := a.(*int64); ok {
			shown[i] = "NULL"
			if p != nil {
				shown[i] = *p
			}
		}
	}
	db.log = append(db.log, fmt.Sprintf("%s%s %v", prefix, sql, shown))
}

func (db *fakeDB) tag(sql string, args []any) pgconn.CommandTag {
	n := 1
	switch {
	case db.stale != "" && strings.HasPrefix(sql, db.stale):
		n = 0
	case strings.Contains(sql, "= ANY($1)"):
		switch a := args[0].(type) {
		case []int64:
			n = len(a)
		case []string:
			n = len(a)
		}
	}
	verb, _, _ := strings.Cut(sql, " ")
	return pgconn.NewCommandTag(fmt.Sprintf("%s %d", verb, n))
}

func (db *fakeDB) rows(sql string) pgx.Rows {
	if strings.HasPrefix(sql, "INSERT") && strings.Contains(sql, " RETURNING ") {
		db.keys++
		return &fakeRows{keys: []int64{100 + db.keys}}
	}
	return &fakeRows{} // a DELETE … RETURNING that deleted nothing
}

// fakeResults are a batch's results; the methods the flush does not use are left to panic.
type fakeResults struct {
	pgx.BatchResults
	db      *fakeDB
	queries []*pgx.QueuedQuery
	next    int
}

func (r *fakeResults) query() *pgx.QueuedQuery {
	q := r.queries[r.next]
	r.next++
	return q
}

func (r *fakeResults) Exec() (pgconn.CommandTag, error) {
	q := r.query()
	return r.db.tag(q.SQL, q.Arguments), nil
}
func (r *fakeResults) Query() (pgx.Rows, error) { return r.db.rows(r.query().SQL), nil }
func (r *fakeResults) Close() error             { return nil }

// fakeRows returns one int64 column: keys. The methods the flush does not use are left to panic.
type fakeRows struct {
	pgx.Rows
	keys []int64
	at   int
}

func (r *fakeRows) Close()     {}
func (r *fakeRows) Err() error { return nil }

func (r *fakeRows) Next() bool {
	if r.at < len(r.keys) {
		r.at++
		return true
	}
	return false
}

func (r *fakeRows) Scan(dest ...any) error {
	*dest[0].(*int64) = r.keys[r.at-1]
	return nil
}
