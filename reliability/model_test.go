// Package reliability holds the long-running proofs that kinship loses no data: a model-based
// test with pgregory.net/rapid, and fault injection with an in-process toxiproxy, checked for
// leaked goroutines with goleak. It is a module of its own so that none of these enter the
// library's dependencies. Run longer with -rapid.checks=N.
package reliability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"pgregory.net/rapid"
)

type Company struct {
	ID        int64
	Name      string
	Employees []*Employee
}

type Employee struct {
	ID        int64
	Name      string
	CompanyID *int64
	ManagerID *int64
	Tags      []string // edited in place by the model
	Shout     *string  // upper(name), a generated column: read back after each INSERT and UPDATE
	Company   *Company
	Manager   *Employee
	Reports   []*Employee
	Skills    []*Skill
	Badges    []*Badge
}

// A Badge is the leaf level: employees own their badges (DeleteOrphan), and badges own nothing,
// so a delete cascade deletes them by their foreign key without loading them.
type Badge struct {
	ID         int64
	EmployeeID int64
	Label      string
}

type Skill struct {
	ID   int64
	Name string
}

var (
	companyID         = repo.Serial("id", func(c *Company) *int64 { return &c.ID })
	companyName       = repo.Col("name", func(c *Company) *string { return &c.Name })
	Companies         = repo.MustNew("companies", companyID, companyName)
	employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
	employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
	employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
	employeeManagerID = repo.Nullable("manager_id", func(e *Employee) **int64 { return &e.ManagerID })
	employeeTags      = repo.Slice("tags", func(e *Employee) *[]string { return &e.Tags })
	employeeShout     = repo.Nullable("shout", func(e *Employee) **string { return &e.Shout }).ReadOnly()
	Employees         = repo.MustNew("employees", employeeID, employeeName, employeeCompanyID, employeeManagerID, employeeTags, employeeShout)

	skillID   = repo.Serial("id", func(s *Skill) *int64 { return &s.ID })
	skillName = repo.Col("name", func(s *Skill) *string { return &s.Name })
	Skills    = repo.MustNew("skills", skillID, skillName)
	Knows     = rel.ManyToMany(employeeID, skillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
		func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("Knows"))

	badgeID         = repo.Serial("id", func(b *Badge) *int64 { return &b.ID })
	badgeEmployeeID = repo.Col("employee_id", func(b *Badge) *int64 { return &b.EmployeeID })
	badgeLabel      = repo.Col("label", func(b *Badge) *string { return &b.Label })
	Badges          = repo.MustNew("badges", badgeID, badgeEmployeeID, badgeLabel)
	// Wears is the same in both models: a badge taken out of the collection is deleted, and so
	// are an employee's badges when it is deleted (by foreign key where they are not loaded).
	Wears = rel.HasMany(employeeID, badgeEmployeeID, func(e *Employee) *[]*Badge { return &e.Badges }, rel.Named("Wears"), rel.Cascade(rel.All, rel.DeleteOrphan))

	coll = func(c *Company) *[]*Employee { return &c.Employees }
	// Keeping: a fired employee stays, without a company. Owning: a fired employee is deleted.
	Keeping = rel.HasMany(companyID, employeeCompanyID, coll, rel.Named("Keeping"), rel.Cascade(rel.All))
	Owning  = rel.HasMany(companyID, employeeCompanyID, coll, rel.Named("Owning"), rel.Cascade(rel.All, rel.DeleteOrphan))
	Back    = rel.BelongsTo(employeeCompanyID, companyID, func(e *Employee) **Company { return &e.Company }, rel.Named("Back"))

	// The self-referential pair: an employee's manager, and a manager's reports. Reports keeps
	// (no Delete cascade): a deleted manager's reports stay, without a manager.
	Manages = rel.BelongsTo(employeeManagerID, employeeID, func(e *Employee) **Employee { return &e.Manager }, rel.Named("Manages"))
	Reports = rel.HasMany(employeeID, employeeManagerID, func(e *Employee) *[]*Employee { return &e.Reports }, rel.Named("Reports"))

	// The Owning model has no Reports: DeleteOrphan on employees allows only one relation that
	// owns them (uow.NewModel refuses the other), so there the manager is a BelongsTo alone.
	keepingModel = uow.MustModel(Keeping, Back, Knows, Manages, Reports, Wears)
	owningModel  = uow.MustModel(Owning, Back, Knows, Manages, Wears)
)

const ddl = `
CREATE TABLE companies (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE employees (id bigserial PRIMARY KEY, name text NOT NULL, company_id bigint REFERENCES companies,
	manager_id bigint REFERENCES employees, tags text[], shout text GENERATED ALWAYS AS (upper(name)) STORED);
CREATE TABLE skills (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE employee_skills (employee_id bigint NOT NULL REFERENCES employees, skill_id bigint NOT NULL REFERENCES skills, PRIMARY KEY (employee_id, skill_id));
CREATE TABLE badges (id bigserial PRIMARY KEY, employee_id bigint NOT NULL REFERENCES employees, label text NOT NULL);`

// keysDDL makes the model's keys come from where a multi-row INSERT cannot guess them: the
// companies' from a trigger that shuffles them (a permutation of the sequence's values), the
// employees' from a descending sequence. It also makes names starting with "u" unique within
// a company, which the model's "replace" action works against.
const keysDDL = `
CREATE SEQUENCE company_keys;
CREATE FUNCTION shuffle_company_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.id := nextval('company_keys') * 7919 % 100003; RETURN NEW; END $$;
CREATE TRIGGER shuffle BEFORE INSERT ON companies FOR EACH ROW EXECUTE FUNCTION shuffle_company_id();
CREATE SEQUENCE employee_keys INCREMENT -1 START -1 MAXVALUE -1;
ALTER TABLE employees ALTER COLUMN id SET DEFAULT nextval('employee_keys');
CREATE UNIQUE INDEX ON employees (company_id, name) WHERE name LIKE 'u%';`

// world is what the database must hold, each row named by a handle the test gives it when it
// creates it (its key is not known before a flush, and is lost again if the session rolls back).
type world struct {
	companies map[int]string
	employees map[int]staff
	skills    map[int]string
	knows     map[[2]int]bool // (employee, skill)
	badges    map[int]badge
}

type badge struct {
	employee int
	label    string
}

type staff struct {
	name    string
	company int    // 0: none
	manager int    // 0: none
	tags    string // joined with ","
}

// nameTaken reports whether a unique name (one starting with "u") is held by an employee of
// company c other than except: putting another there would break the unique index.
func (w *world) nameTaken(c int, name string, except int) bool {
	if c == 0 || !strings.HasPrefix(name, "u") {
		return false
	}
	for id, x := range w.employees {
		if id != except && x.company == c && x.name == name {
			return true
		}
	}
	return false
}

func newWorld() *world {
	return &world{companies: map[int]string{}, employees: map[int]staff{}, skills: map[int]string{}, knows: map[[2]int]bool{}, badges: map[int]badge{}}
}

func (w *world) clone() *world {
	return &world{maps.Clone(w.companies), maps.Clone(w.employees), maps.Clone(w.skills), maps.Clone(w.knows), maps.Clone(w.badges)}
}

// deleteEmployee deletes an employee, its links and its badges, and makes its reports
// manager-less.
func (w *world) deleteEmployee(e int) {
	delete(w.employees, e)
	for id, b := range w.badges {
		if b.employee == e {
			delete(w.badges, id)
		}
	}
	for k := range w.knows {
		if k[0] == e {
			delete(w.knows, k)
		}
	}
	for id, x := range w.employees {
		if x.manager == e {
			x.manager = 0
			w.employees[id] = x
		}
	}
}

// deleteCompany deletes a company and, both relations cascading Delete, its employees.
func (w *world) deleteCompany(c int) {
	delete(w.companies, c)
	for id, x := range w.employees {
		if x.company == c {
			w.deleteEmployee(id)
		}
	}
}

func (w *world) staffOf(c int) []int {
	var out []int
	for id, x := range w.employees {
		if x.company == c {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (w *world) badgesOf(e int) []int {
	var out []int
	for id, b := range w.badges {
		if b.employee == e {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (w *world) reportsOf(m int) []int {
	var out []int
	for id, x := range w.employees {
		if x.manager == m {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// survivorsManagedBy reports whether an employee outside gone has its manager in gone: deleting
// gone in a session of the Owning model (which has no Reports to set their manager_id NULL) would
// break the foreign key.
func (w *world) survivorsManagedBy(gone ...int) bool {
	for id, x := range w.employees {
		if x.manager != 0 && slices.Contains(gone, x.manager) && !slices.Contains(gone, id) {
			return true
		}
	}
	return false
}

var strategies = []loadopts.Strategy{loadopts.Lazy, loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined}

// harness is one rapid check: the model as committed and as the open session has it, the keys
// of the rows committed, and the open session with the instances it gave out.
type harness struct {
	ctx       context.Context
	pool      *pgxpool.Pool
	committed *world
	pending   *world
	ids       map[int]int64 // handle → key of a committed row
	byID      map[[2]int64]int
	next      int
	log       func(format string, args ...any)

	s      *uow.Session
	owning bool
	comps  map[int]*Company
	emps   map[int]*Employee
	sks    map[int]*Skill
	bdgs   map[int]*Badge
	hc     map[*Company]int
	he     map[*Employee]int
	hs     map[*Skill]int
	hb     map[*Badge]int
}

const (
	kindCompany = iota + 1
	kindEmployee
	kindSkill
	kindBadge
)

func newHarness(ctx context.Context, pool *pgxpool.Pool, log func(string, ...any)) *harness {
	return &harness{ctx: ctx, pool: pool, committed: newWorld(), pending: newWorld(), ids: map[int]int64{}, byID: map[[2]int64]int{}, log: log}
}

func (h *harness) handle() int { h.next++; return h.next }

func (h *harness) staffRel() *rel.Many[Company, Employee] {
	if h.owning {
		return Owning
	}
	return Keeping
}

// begin opens a session if none is open, drawing its model.
func (h *harness) begin(t *rapid.T, owning bool) {
	if h.s != nil {
		return
	}
	s, err := uow.Begin(h.ctx, h.pool, map[bool]*uow.Model{false: keepingModel, true: owningModel}[owning])
	if err != nil {
		t.Fatal(err)
	}
	h.log("begin (owning: %v)", owning)
	h.s, h.owning = s, owning
	h.comps, h.emps, h.sks, h.bdgs = map[int]*Company{}, map[int]*Employee{}, map[int]*Skill{}, map[int]*Badge{}
	h.hc, h.he, h.hs, h.hb = map[*Company]int{}, map[*Employee]int{}, map[*Skill]int{}, map[*Badge]int{}
}

func (h *harness) company(t *rapid.T, hd int) *Company {
	return rowAt(t, h, hd, Companies, h.comps, h.hc)
}

func (h *harness) employee(t *rapid.T, hd int) *Employee {
	return rowAt(t, h, hd, Employees, h.emps, h.he)
}

func (h *harness) skill(t *rapid.T, hd int) *Skill { return rowAt(t, h, hd, Skills, h.sks, h.hs) }

func (h *harness) badge(t *rapid.T, hd int) *Badge { return rowAt(t, h, hd, Badges, h.bdgs, h.hb) }

// rowAt returns the row of handle hd in the open session: the instance the test holds (in
// rows), or the one Get reads by its committed key, which it then records (in rows and known).
func rowAt[T any](t *rapid.T, h *harness, hd int, r *repo.Repo[T], rows map[int]*T, known map[*T]int) *T {
	if row, ok := rows[hd]; ok {
		return row
	}
	row, err := r.Get(h.ctx, h.s, h.ids[hd])
	if err != nil {
		t.Fatalf("get %s %d (key %d): %v", r.Table(), hd, h.ids[hd], err)
	}
	rows[hd], known[row] = row, hd
	return row
}

// handleOfCompany is companyHandle of c, or 0 for nil.
func (h *harness) handleOfCompany(t *rapid.T, c *Company) int {
	if c == nil {
		return 0
	}
	return h.companyHandle(t, c)
}

// Handles of instances a query gave back: known ones, or committed rows by key.
func (h *harness) companyHandle(t *rapid.T, c *Company) int {
	return handleOf(t, h, kindCompany, "a company", c, c.ID, h.hc, h.comps)
}

func (h *harness) employeeHandle(t *rapid.T, e *Employee) int {
	return handleOf(t, h, kindEmployee, "an employee", e, e.ID, h.he, h.emps)
}

func (h *harness) skillHandle(t *rapid.T, k *Skill) int {
	return handleOf(t, h, kindSkill, "a skill", k, k.ID, h.hs, h.sks)
}

func (h *harness) badgeHandle(t *rapid.T, b *Badge) int {
	return handleOf(t, h, kindBadge, "a badge", b, b.ID, h.hb, h.bdgs)
}

// handleOf returns the handle of row, of the given kind and key id: the one it has, or that of
// the committed row with its key, which row then becomes (in known and rows). A row the test
// does not know, or a second instance of one, fails the test.
func handleOf[T any](t *rapid.T, h *harness, kind int64, what string, row *T, id int64, known map[*T]int, rows map[int]*T) int {
	if hd, ok := known[row]; ok {
		return hd
	}
	hd, ok := h.byID[[2]int64{kind, id}]
	if !ok || rows[hd] != nil {
		t.Fatalf("the session gave %s %p (key %d) the test does not know, or a second instance of one", what, row, id)
	}
	rows[hd], known[row] = row, hd
	return hd
}

func (h *harness) newCompany(name string) (*Company, int) {
	c, hd := &Company{Name: name}, h.handle()
	h.comps[hd], h.hc[c] = c, hd
	h.pending.companies[hd] = name
	return c, hd
}

func (h *harness) newEmployee(name string, company int) (*Employee, int) {
	e, hd := &Employee{Name: name}, h.handle()
	h.emps[hd], h.he[e] = e, hd
	h.pending.employees[hd] = staff{name: name, company: company}
	return e, hd
}

// collection returns c's collection, loaded through the session if it is not, and checks it
// holds what the model says. It flushes first: fix-up keeps loaded collections in step at each
// flush (and Add, and query), not at each assignment, so a collection already loaded shows the
// moves made since the last flush only after the next one.
func (h *harness) collection(t *rapid.T, hd int, how loadopts.Strategy) []*Employee {
	c := h.company(t, hd)
	r := h.staffRel()
	if err := h.s.Flush(h.ctx); err != nil {
		t.Fatal(err)
	}
	if !r.Loaded(c) && how != loadopts.Lazy {
		if _, err := Companies.Find(h.ctx, h.s, companyID.Eq(c.ID), loadopts.With(r, how)); err != nil {
			t.Fatal(err)
		}
	}
	es, err := r.Of(h.ctx, h.s, c)
	if err != nil {
		t.Fatal(err)
	}
	h.checkMembers(t, fmt.Sprintf("company %d's employees", hd), es, h.pending.staffOf(hd))
	return es
}

// newBadge makes a new badge, known to the test; the model has it once the caller says whose.
func (h *harness) newBadge(label string) (*Badge, int) {
	b, hd := &Badge{Label: label}, h.handle()
	h.bdgs[hd], h.hb[b] = b, hd
	return b, hd
}

// newBadges gives e, a new employee of handle he, 0 to 2 new badges in its collection, or
// leaves the collection nil (not loaded, which for a new row means none).
func (h *harness) newBadges(t *rapid.T, e *Employee, he int) {
	n := rapid.IntRange(0, 2).Draw(t, "badges")
	if n == 0 && rapid.Bool().Draw(t, "nil badges") {
		return
	}
	e.Badges = []*Badge{}
	for range n {
		b, hb := h.newBadge(names.Draw(t, "label"))
		e.Badges = append(e.Badges, b)
		h.pending.badges[hb] = badge{he, b.Label}
	}
}

// badgesOf returns employee hd's badges, loaded through the session if they are not (with how,
// or Lazy through Of), after a flush, as collection does, and checks them against the model.
func (h *harness) badgesOf(t *rapid.T, hd int, how loadopts.Strategy) []*Badge {
	e := h.employee(t, hd)
	h.flush(t)
	if !Wears.Loaded(e) && how != loadopts.Lazy {
		if _, err := Employees.Find(h.ctx, h.s, employeeID.Eq(e.ID), loadopts.With(Wears, how)); err != nil {
			t.Fatal(err)
		}
	}
	bs, err := Wears.Of(h.ctx, h.s, e)
	if err != nil {
		t.Fatal(err)
	}
	h.checkBadges(t, fmt.Sprintf("employee %d's badges", hd), hd, bs)
	return bs
}

func (h *harness) checkBadges(t *rapid.T, what string, he int, bs []*Badge) {
	var got []int
	for _, b := range bs {
		hb := h.badgeHandle(t, b)
		got = append(got, hb)
		if x, ok := h.pending.badges[hb]; ok && x.label != b.Label {
			t.Fatalf("in the session, %s: badge %d %q, model %q", what, hb, b.Label, x.label)
		}
	}
	slices.Sort(got)
	if want := h.pending.badgesOf(he); !slices.Equal(got, want) {
		h.log("FAIL in the session, %s: %v, model %v", what, got, want)
		t.Fatalf("in the session, %s: %v, model %v", what, got, want)
	}
}

func (h *harness) reports(t *rapid.T, hd int) []*Employee {
	m := h.employee(t, hd)
	if err := h.s.Flush(h.ctx); err != nil { // as collection does
		t.Fatal(err)
	}
	es, err := Reports.Of(h.ctx, h.s, m)
	if err != nil {
		t.Fatal(err)
	}
	h.checkMembers(t, fmt.Sprintf("employee %d's reports", hd), es, h.pending.reportsOf(hd))
	return es
}

func (h *harness) checkMembers(t *rapid.T, what string, es []*Employee, want []int) {
	var got []int
	for _, e := range es {
		got = append(got, h.employeeHandle(t, e))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		h.log("FAIL in the session, %s: %v, model %v", what, got, want)
		t.Fatalf("in the session, %s: %v, model %v", what, got, want)
	}
}

// commit ends the session with Commit; the model's pending world becomes the committed one.
func (h *harness) commit(t *rapid.T) {
	if h.s == nil {
		return
	}
	err := h.s.Commit(h.ctx)
	h.s = nil
	h.log("commit")
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	learn := func(kind int64, hd int, id int64) {
		if id == 0 {
			t.Fatalf("handle %d (kind %d): no key after commit", hd, kind)
		}
		h.ids[hd] = id
		h.byID[[2]int64{kind, id}] = hd
	}
	for hd := range h.pending.companies {
		if c, ok := h.comps[hd]; ok {
			learn(kindCompany, hd, c.ID)
		}
	}
	for hd := range h.pending.employees {
		if e, ok := h.emps[hd]; ok {
			learn(kindEmployee, hd, e.ID)
		}
	}
	for hd := range h.pending.skills {
		if k, ok := h.sks[hd]; ok {
			learn(kindSkill, hd, k.ID)
		}
	}
	for hd := range h.pending.badges {
		if b, ok := h.bdgs[hd]; ok {
			learn(kindBadge, hd, b.ID)
		}
	}
	h.committed = h.pending.clone()
	h.checkDatabase(t)
	h.checkFreshSession(t)
}

// deleteElsewhere deletes the skill with key id on another connection and commits, unless the
// session holds a lock on the row (it wrote it, or a link to it): then it deletes nothing and
// reports false.
func (h *harness) deleteElsewhere(t *rapid.T, id int64) bool {
	err := pgx.BeginFunc(h.ctx, h.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(h.ctx, "SET LOCAL lock_timeout = '200ms'"); err != nil {
			return err
		}
		if _, err := tx.Exec(h.ctx, "DELETE FROM employee_skills WHERE skill_id = $1", id); err != nil {
			return err
		}
		_, err := tx.Exec(h.ctx, "DELETE FROM skills WHERE id = $1", id)
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// rollback ends the session with Rollback: the database holds what the last commit left.
func (h *harness) rollback(t *rapid.T) {
	if h.s == nil {
		return
	}
	err := h.s.Rollback(h.ctx)
	h.s = nil
	h.log("rollback")
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	h.pending = h.committed.clone()
	h.checkDatabase(t)
}

// checkDatabase reads the tables with plain SQL and compares them with the committed model.
func (h *harness) checkDatabase(t *rapid.T) {
	w := h.committed
	type emp struct {
		name             string
		company, manager int64
		tags             string
	}
	wantC, wantE, wantS, wantK := map[int64]string{}, map[int64]emp{}, map[int64]string{}, map[[2]int64]bool{}
	for hd, name := range w.companies {
		wantC[h.ids[hd]] = name
	}
	for hd, x := range w.employees {
		wantE[h.ids[hd]] = emp{x.name, h.ids[x.company], h.ids[x.manager], x.tags} // ids[0] is 0
	}
	for hd, name := range w.skills {
		wantS[h.ids[hd]] = name
	}
	for k := range w.knows {
		wantK[[2]int64{h.ids[k[0]], h.ids[k[1]]}] = true
	}
	gotC, gotE, gotS, gotK := map[int64]string{}, map[int64]emp{}, map[int64]string{}, map[[2]int64]bool{}
	read := func(sql string, each func(pgx.Rows) error) {
		rows, err := h.pool.Query(h.ctx, sql)
		if err == nil {
			for rows.Next() && err == nil {
				err = each(rows)
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	read(`SELECT id, name FROM companies`, func(r pgx.Rows) error {
		var id int64
		var name string
		err := r.Scan(&id, &name)
		gotC[id] = name
		return err
	})
	read(`SELECT id, name, coalesce(company_id, 0), coalesce(manager_id, 0), coalesce(array_to_string(tags, ','), '') FROM employees`, func(r pgx.Rows) error {
		var id int64
		var e emp
		err := r.Scan(&id, &e.name, &e.company, &e.manager, &e.tags)
		gotE[id] = e
		return err
	})
	read(`SELECT id, name FROM skills`, func(r pgx.Rows) error {
		var id int64
		var name string
		err := r.Scan(&id, &name)
		gotS[id] = name
		return err
	})
	read(`SELECT employee_id, skill_id FROM employee_skills`, func(r pgx.Rows) error {
		var k [2]int64
		err := r.Scan(&k[0], &k[1])
		gotK[k] = true
		return err
	})
	if !maps.Equal(gotC, wantC) {
		t.Fatalf("companies: database %v, model %v", gotC, wantC)
	}
	if !maps.Equal(gotE, wantE) {
		t.Fatalf("employees: database %v, model %v", gotE, wantE)
	}
	if !maps.Equal(gotS, wantS) {
		t.Fatalf("skills: database %v, model %v", gotS, wantS)
	}
	if !maps.Equal(gotK, wantK) {
		t.Fatalf("links: database %v, model %v", gotK, wantK)
	}
	type bdg struct {
		employee int64
		label    string
	}
	wantB, gotB := map[int64]bdg{}, map[int64]bdg{}
	for hd, b := range w.badges {
		wantB[h.ids[hd]] = bdg{h.ids[b.employee], b.label}
	}
	read(`SELECT id, employee_id, label FROM badges`, func(r pgx.Rows) error {
		var id int64
		var b bdg
		err := r.Scan(&id, &b.employee, &b.label)
		gotB[id] = b
		return err
	})
	if !maps.Equal(gotB, wantB) {
		t.Fatalf("badges: database %v, model %v", gotB, wantB)
	}
}

// checkFreshSession loads the whole graph through a new session, each relation with a random
// eager strategy, and compares it with the committed model.
func (h *harness) checkFreshSession(t *rapid.T) {
	w := h.committed
	s, err := uow.Begin(h.ctx, h.pool, keepingModel)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Rollback(h.ctx)
	key := func(hd int) int64 { return h.ids[hd] }
	cs, err := Companies.Find(h.ctx, s, loadopts.With(Keeping, eagerDraw(t, "fresh companies")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(w.companies) {
		t.Fatalf("fresh session: %d companies, model %d", len(cs), len(w.companies))
	}
	for _, c := range cs {
		hd, ok := h.byID[[2]int64{kindCompany, c.ID}]
		if !ok || w.companies[hd] != c.Name {
			t.Fatalf("fresh session: company %d %q, model %q", c.ID, c.Name, w.companies[hd])
		}
		got := keys(c.Employees, func(e *Employee) int64 { return e.ID })
		want := keys(w.staffOf(hd), key)
		if !slices.Equal(got, want) {
			t.Fatalf("fresh session: company %d's employees %v, model %v", c.ID, got, want)
		}
	}
	es, err := Employees.Find(h.ctx, s, loadopts.With(Knows, eagerDraw(t, "fresh skills")),
		loadopts.With(Manages, eagerDraw(t, "fresh managers")), loadopts.With(Reports, eagerDraw(t, "fresh reports")),
		loadopts.With(Wears, eagerDraw(t, "fresh badges")))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(w.employees) {
		t.Fatalf("fresh session: %d employees, model %d", len(es), len(w.employees))
	}
	for _, e := range es {
		hd, ok := h.byID[[2]int64{kindEmployee, e.ID}]
		x := w.employees[hd]
		if !ok || x.name != e.Name || deref(e.CompanyID) != key(x.company) || deref(e.ManagerID) != key(x.manager) || strings.Join(e.Tags, ",") != x.tags {
			t.Fatalf("fresh session: employee %d %q company %d manager %d, model %+v", e.ID, e.Name, deref(e.CompanyID), deref(e.ManagerID), x)
		}
		if (e.Manager == nil) != (x.manager == 0) || e.Manager != nil && e.Manager.ID != key(x.manager) {
			t.Fatalf("fresh session: employee %d's Manager %+v, model %d", e.ID, e.Manager, key(x.manager))
		}
		got := keys(e.Reports, func(r *Employee) int64 { return r.ID })
		if want := keys(w.reportsOf(hd), key); !slices.Equal(got, want) {
			t.Fatalf("fresh session: employee %d's reports %v, model %v", e.ID, got, want)
		}
		got = keys(e.Skills, func(k *Skill) int64 { return k.ID })
		var want []int64
		for k := range w.knows {
			if k[0] == hd {
				want = append(want, key(k[1]))
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("fresh session: employee %d's skills %v, model %v", e.ID, got, want)
		}
		for _, k := range e.Skills {
			if k.Name != w.skills[h.byID[[2]int64{kindSkill, k.ID}]] {
				t.Fatalf("fresh session: skill %d %q, model %q", k.ID, k.Name, w.skills[h.byID[[2]int64{kindSkill, k.ID}]])
			}
		}
		got = keys(e.Badges, func(b *Badge) int64 { return b.ID })
		if want := keys(w.badgesOf(hd), key); !slices.Equal(got, want) {
			t.Fatalf("fresh session: employee %d's badges %v, model %v", e.ID, got, want)
		}
		for _, b := range e.Badges {
			if x := w.badges[h.byID[[2]int64{kindBadge, b.ID}]]; b.Label != x.label || b.EmployeeID != e.ID {
				t.Fatalf("fresh session: badge %d %q of %d, model %+v", b.ID, b.Label, b.EmployeeID, x)
			}
		}
	}
}

func keys[T any](xs []T, key func(T) int64) []int64 {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		out = append(out, key(x))
	}
	slices.Sort(out)
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// pick draws one of the model's handles, or 0 (none) if zero is true or there is none.
func pick[V any](t *rapid.T, m map[int]V, label string, zero bool) int {
	hs := slices.Sorted(maps.Keys(m))
	if zero || len(hs) == 0 {
		hs = append([]int{0}, hs...)
	}
	return rapid.SampledFrom(hs).Draw(t, label)
}

func draw(t *rapid.T, label string) loadopts.Strategy {
	return rapid.SampledFrom(strategies).Draw(t, label)
}

func eagerDraw(t *rapid.T, label string) loadopts.Strategy {
	return rapid.SampledFrom(strategies[1:]).Draw(t, label)
}

var names = rapid.StringMatching(`[a-t]{1,6}`) // "u…" names are the unique ones

// TestUnitOfWorkAgainstAModel runs random sessions of several operations each — add a company
// with employees, hire, move an employee by one of three mechanisms, remove one from a
// collection, replace a collection, set or clear a manager (the self-referential relation),
// learn and forget skills (the many-to-many), give, take off, move and read badges (the leaf
// level, which delete cascades reach by foreign key unless loaded or held; moved by key, a
// badge survives its old employee deleted in the same flush), rename, delete (the badges
// loaded first, or some held, or neither), load with a random strategy, flush — ended by a
// commit or a rollback, in sessions of a model whose company–employee relation keeps or
// deletes (DeleteOrphan) the employees it loses. In the session, what a
// load or a collection shows must be the model's pending state; after a commit the database
// (read with plain SQL) and a fresh session's loaded graph must equal the model; after a
// rollback the database must equal the model as of the last commit.
func TestUnitOfWorkAgainstAModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var echo []func(*pgxpool.Config)
	if os.Getenv("KINSHIP_ECHO") != "" { // the SQL sent, to read a failing sequence with
		echo = append(echo, func(c *pgxpool.Config) { c.ConnConfig.Tracer = &repo.Tracer{Logger: slog.Default()} })
	}
	pool := pgtest.NewPool(t, echo...)
	rapid.Check(t, func(rt *rapid.T) {
		_, err := pool.Exec(ctx, `DROP TABLE IF EXISTS badges, employee_skills, skills, employees, companies;
			DROP FUNCTION IF EXISTS shuffle_company_id; DROP SEQUENCE IF EXISTS company_keys, employee_keys;`+ddl+keysDDL)
		if err != nil {
			rt.Fatal(err)
		}
		logf := rt.Logf
		if os.Getenv("KINSHIP_MODEL_LOG") != "" { // every check's steps, as they run
			logf = func(format string, args ...any) {
				rt.Logf(format, args...)
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}
		}
		h := newHarness(ctx, pool, logf)
		defer func() {
			if h.s != nil {
				h.s.Rollback(ctx)
			}
			leftOpen(rt, ctx, pool)
		}()
		rt.Repeat(h.actions())
		h.commit(rt)
	})
}

// actions are the operations of a session; each opens one if none is open.
func (h *harness) actions() map[string]func(*rapid.T) {
	open := func(t *rapid.T) {
		if h.s == nil {
			h.begin(t, rapid.Bool().Draw(t, "owning"))
		}
	}
	return map[string]func(*rapid.T){
		"add company": func(t *rapid.T) {
			open(t)
			c, hc := h.newCompany(names.Draw(t, "company"))
			for range rapid.IntRange(0, 2).Draw(t, "staff") {
				e, he := h.newEmployee(names.Draw(t, "employee"), hc)
				h.newBadges(t, e, he)
				c.Employees = append(c.Employees, e)
			}
			h.log("add company %d with %d employees", hc, len(c.Employees))
			if err := uow.Add(h.s, Companies, c); err != nil {
				t.Fatal(err)
			}
		},
		"hire": func(t *rapid.T) {
			open(t)
			hc := pick(t, h.pending.companies, "company", true)
			hm := pick(t, h.pending.employees, "manager", true)
			how := "foreign key"
			if hc != 0 {
				how = rapid.SampledFrom([]string{"foreign key", "belongs-to", "collection"}).Draw(t, "how")
			}
			mhow := "belongs-to"
			if hm != 0 && !h.owning {
				mhow = rapid.SampledFrom([]string{"belongs-to", "foreign key", "collection"}).Draw(t, "manager how")
			}
			name := names.Draw(t, "employee")
			if rapid.Bool().Draw(t, "unique name") {
				name = fmt.Sprintf("u%d", h.next+1) // the handle it gets: never taken
			}
			if h.owning && hc == 0 {
				// A new row of a DeleteOrphan relation with no owner is refused before any SQL.
				e := &Employee{Name: name}
				h.log("hire into no company (owning): refused")
				if err := uow.Add(h.s, Employees, e); err != nil {
					t.Fatal(err)
				}
				if err := h.s.Flush(h.ctx); !errors.Is(err, uow.ErrOrphan) {
					t.Fatalf("flush of an employee without a company in the Owning model: %v, want ErrOrphan", err)
				}
				if err := uow.Delete(h.s, Employees, e); err != nil {
					t.Fatal(err)
				}
				return
			}
			e, he := h.newEmployee(name, hc)
			h.newBadges(t, e, he)
			delete(h.pending.employees, he) // until it is in, so that collections check as they were
			defer func() { h.pending.employees[he] = staff{e.Name, hc, hm, ""} }()
			h.log("hire %d into company %d (%s), manager %d (%s)", he, hc, how, hm, mhow)
			added := false
			if hm != 0 && mhow == "foreign key" && h.emps[hm] == nil && h.ids[hm] != 0 && rapid.Bool().Draw(t, "unheld manager") {
				// The key of a committed employee the session does not hold: a delete cascade
				// that loads it later must take this one for its report.
				id := h.ids[hm]
				e.ManagerID = &id
			} else if hm != 0 {
				m := h.employee(t, hm)
				switch {
				case mhow == "collection":
					m.Reports = append(h.reports(t, hm), e)
				case mhow == "foreign key" && m.ID != 0:
					e.ManagerID = &m.ID
				default:
					e.Manager = m
				}
			}
			if hc != 0 {
				c := h.company(t, hc)
				switch {
				case how == "collection":
					c.Employees = append(h.collection(t, hc, draw(t, "strategy")), e)
				case how == "foreign key" && c.ID != 0:
					e.CompanyID = &c.ID
				default:
					e.Company = c
				}
				if how == "foreign key" && h.staffRel().Loaded(c) {
					if err := uow.Add(h.s, Employees, e); err != nil {
						t.Fatal(err)
					}
					added = true
					if !slices.Contains(c.Employees, e) {
						t.Fatalf("fix-up: the employee added with the company's key is not in its loaded collection")
					}
				}
			}
			if !added {
				inCollection := how == "collection" && hc != 0 || mhow == "collection"
				h.join(t, inCollection, func() error { return uow.Add(h.s, Employees, e) })
			}
		},
		"move": func(t *rapid.T) {
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			hc := pick(t, h.pending.companies, "to", true) // 0: leave the company (deleted, in the Owning model)
			if he == 0 || hc == h.pending.employees[he].company || h.pending.nameTaken(hc, h.pending.employees[he].name, he) {
				t.Skip("nobody to move, or no move, or its name is taken there")
			}
			if hc == 0 && h.owning && h.pending.survivorsManagedBy(he) {
				t.Skip("the Owning model cannot delete a manager")
			}
			how := rapid.SampledFrom([]string{"collection", "belongs-to", "foreign key"}).Draw(t, "how")
			h.log("move %d to company %d (%s)", he, hc, how)
			e := h.employee(t, he)
			if how != "collection" {
				// Fix-up takes the side that changed since the last flush, the collection
				// first: a foreign key or field set to what it still holds, after the row left
				// a collection not flushed since, is no change. Flush so that it is one.
				h.flush(t)
			}
			if hc == 0 {
				switch how {
				case "collection":
					from := h.pending.employees[he].company
					es := h.collection(t, from, draw(t, "strategy"))
					h.company(t, from).Employees = slices.DeleteFunc(slices.Clone(es), func(x *Employee) bool { return x == e })
				case "belongs-to":
					if _, err := Back.Of(h.ctx, h.s, e); err != nil {
						t.Fatal(err)
					}
					e.Company = nil
				default:
					if e.CompanyID == nil {
						// Its company has no key yet, so neither has its foreign key: a NULL set
						// now would change nothing. The flush gives it one.
						h.flush(t)
					}
					e.CompanyID = nil
				}
			} else if how == "foreign key" && h.comps[hc] == nil && h.ids[hc] != 0 && rapid.Bool().Draw(t, "unheld") {
				// To a company the session does not hold: later flushes must not move it back,
				// and a field loaded first (nil, if it had no company) must not stay loaded.
				switch rapid.SampledFrom([]string{"no", "lazily", "by a query"}).Draw(t, "load its company first") {
				case "lazily":
					if _, err := Back.Of(h.ctx, h.s, e); err != nil {
						t.Fatal(err)
					}
				case "by a query":
					if _, err := Employees.Get(h.ctx, h.s, e.ID, loadopts.With(Back, eagerDraw(t, "strategy"))); err != nil {
						t.Fatal(err)
					}
				}
				id := h.ids[hc]
				e.CompanyID = &id
				if rapid.Bool().Draw(t, "reach it now") {
					h.flush(t)
					c, err := Back.Of(h.ctx, h.s, e)
					if err != nil {
						t.Fatal(err)
					}
					if c == nil || c.ID != id {
						t.Fatalf("employee %d's Company after its foreign key was set to company %d: %+v", he, hc, c)
					}
				}
			} else {
				c := h.company(t, hc)
				switch {
				case how == "collection":
					c.Employees = append(h.collection(t, hc, draw(t, "strategy")), e)
				case how == "foreign key" && c.ID != 0:
					e.CompanyID = &c.ID
				default:
					e.Company = c
				}
			}
			if hc == 0 {
				h.lose(he)
				return
			}
			x := h.pending.employees[he]
			x.company = hc
			h.pending.employees[he] = x
		},
		"contest": func(t *rapid.T) {
			// Two owners claim one employee since the last flush: its row put in two companies'
			// collections, or in one and its foreign key or field set to another. The flush
			// refuses (uow.ErrConflict); taken back, the next flush writes nothing of it, which
			// the checks after the commit see.
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			h1 := pick(t, h.pending.companies, "one company", false)
			h2 := pick(t, h.pending.companies, "another", false)
			if he == 0 || h1 == 0 || h2 == 0 || h1 == h2 || h.pending.employees[he].company == h1 || h.pending.employees[he].company == h2 {
				t.Skip("no employee that two other companies can claim")
			}
			how := rapid.SampledFrom([]string{"collection", "belongs-to", "foreign key"}).Draw(t, "the other claim")
			h.log("contest %d between companies %d and %d (collection, %s)", he, h1, h2, how)
			h.flush(t) // the claims are the only edits since
			e := h.employee(t, he)
			c1, c2 := h.company(t, h1), h.company(t, h2)
			was1 := h.collection(t, h1, draw(t, "strategy"))
			if how == "foreign key" && c2.ID == 0 {
				h.flush(t) // the company needs its key first
			}
			var was2 []*Employee
			if how == "collection" {
				was2 = h.collection(t, h2, draw(t, "strategy"))
			}
			fk, field := e.CompanyID, e.Company
			c1.Employees = append(slices.Clone(was1), e)
			switch how {
			case "collection":
				c2.Employees = append(slices.Clone(was2), e)
			case "belongs-to":
				e.Company = c2
			default:
				e.CompanyID = &c2.ID
			}
			if err := h.s.Flush(h.ctx); !errors.Is(err, uow.ErrConflict) {
				t.Fatalf("two owners claimed employee %d: %v; want uow.ErrConflict", he, err)
			}
			c1.Employees, e.CompanyID, e.Company = was1, fk, field
			if how == "collection" {
				c2.Employees = was2
			}
			h.flush(t)
		},
		"transfer": func(t *rapid.T) {
			// Out of one loaded collection and into another, with no flush between, in either
			// order: a move, never an orphan.
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			from := h.pending.employees[he].company
			to := pick(t, h.pending.companies, "to", false)
			if he == 0 || from == 0 || to == 0 || to == from || h.pending.nameTaken(to, h.pending.employees[he].name, he) {
				t.Skip("no transfer")
			}
			src := h.collection(t, from, draw(t, "from strategy"))
			dst := h.collection(t, to, draw(t, "to strategy"))
			e := h.employee(t, he)
			take := func() {
				h.company(t, from).Employees = slices.DeleteFunc(slices.Clone(src), func(x *Employee) bool { return x == e })
			}
			put := func() { h.company(t, to).Employees = append(slices.Clone(dst), e) }
			putFirst := rapid.Bool().Draw(t, "put first")
			h.log("transfer %d from company %d to %d (put first: %v)", he, from, to, putFirst)
			if putFirst {
				put()
				take()
			} else {
				take()
				put()
			}
			x := h.pending.employees[he]
			x.company = to
			h.pending.employees[he] = x
		},
		"replace": func(t *rapid.T) {
			// Take an employee with a unique name out of its company and put a new one of the
			// same name in, in one flush: the old row must be deleted (Owning) or moved out
			// (Keeping) before the new one is inserted.
			open(t)
			hc := pick(t, h.pending.companies, "company", false)
			var unique []int
			for _, id := range h.pending.staffOf(hc) {
				if strings.HasPrefix(h.pending.employees[id].name, "u") {
					unique = append(unique, id)
				}
			}
			if hc == 0 || len(unique) == 0 {
				t.Skip("no employee with a unique name")
			}
			he := rapid.SampledFrom(unique).Draw(t, "employee")
			if h.owning && h.pending.survivorsManagedBy(he) {
				t.Skip("the Owning model cannot delete a manager")
			}
			es := h.collection(t, hc, draw(t, "strategy"))
			old := h.employee(t, he)
			fresh, hf := h.newEmployee(old.Name, hc)
			h.log("replace %d in company %d with %d", he, hc, hf)
			h.company(t, hc).Employees = append(slices.DeleteFunc(slices.Clone(es), func(x *Employee) bool { return x == old }), fresh)
			h.lose(he)
			h.join(t, true, func() error { return uow.Add(h.s, Employees, fresh) })
		},
		"tag": func(t *rapid.T) {
			// Edit a text[] column in place, or append to it.
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 {
				t.Skip("nobody")
			}
			e := h.employee(t, he)
			tag := names.Draw(t, "tag")
			if len(e.Tags) > 0 && rapid.Bool().Draw(t, "in place") {
				e.Tags[rapid.IntRange(0, len(e.Tags)-1).Draw(t, "which")] = tag
			} else {
				e.Tags = append(e.Tags, tag)
			}
			h.log("tag employee %d: %v", he, e.Tags)
			x := h.pending.employees[he]
			x.tags = strings.Join(e.Tags, ",")
			h.pending.employees[he] = x
		},
		"remove from collection": func(t *rapid.T) {
			open(t)
			hc := pick(t, h.pending.companies, "company", false)
			staff := h.pending.staffOf(hc)
			if hc == 0 || len(staff) == 0 {
				t.Skip("no one to remove")
			}
			he := rapid.SampledFrom(staff).Draw(t, "employee")
			if h.owning && h.pending.survivorsManagedBy(he) {
				t.Skip("the Owning model cannot delete a manager") // its reports' manager_id would break
			}
			h.log("remove %d from company %d", he, hc)
			es := h.collection(t, hc, draw(t, "strategy"))
			e := h.employee(t, he)
			h.company(t, hc).Employees = slices.DeleteFunc(slices.Clone(es), func(x *Employee) bool { return x == e })
			h.lose(he)
		},
		"replace collection": func(t *rapid.T) {
			open(t)
			hc := pick(t, h.pending.companies, "company", false)
			if hc == 0 {
				t.Skip("no company")
			}
			es := h.collection(t, hc, draw(t, "strategy"))
			var kept []*Employee
			var lost []int
			for _, e := range es {
				if rapid.Bool().Draw(t, "keep") {
					kept = append(kept, e)
				} else {
					lost = append(lost, h.he[e])
				}
			}
			if h.owning && h.pending.survivorsManagedBy(lost...) {
				t.Skip("the Owning model cannot delete a manager")
			}
			if others := slices.DeleteFunc(slices.Sorted(maps.Keys(h.pending.employees)), func(x int) bool { return h.pending.employees[x].company == hc }); len(others) > 0 && rapid.Bool().Draw(t, "steal") {
				hs := rapid.SampledFrom(others).Draw(t, "stolen")
				if h.pending.nameTaken(hc, h.pending.employees[hs].name, hs) {
					t.Skip("its name is taken there")
				}
				kept = append(kept, h.employee(t, hs))
				x := h.pending.employees[hs]
				x.company = hc
				h.pending.employees[hs] = x
			}
			var fresh []*Employee
			for range rapid.IntRange(0, 2).Draw(t, "new") {
				e, he := h.newEmployee(names.Draw(t, "employee"), hc)
				h.newBadges(t, e, he)
				fresh = append(fresh, e)
			}
			kept = append(kept, fresh...)
			defer h.join(t, len(fresh) > 0, func() error { return uow.Add(h.s, Employees, fresh...) })
			if len(kept) == 0 && rapid.Bool().Draw(t, "nil") {
				kept = nil
			} else if kept == nil {
				kept = []*Employee{}
			}
			h.log("replace company %d's employees: lose %v, now %d", hc, lost, len(kept))
			h.company(t, hc).Employees = kept
			for _, he := range lost {
				h.lose(he)
			}
		},
		"manage": func(t *rapid.T) {
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			hm := pick(t, h.pending.employees, "manager", true)
			// A cycle of managers is fine: new rows in one are inserted with one manager_id
			// NULL and updated after (post_update).
			if he == 0 || hm == he || hm == h.pending.employees[he].manager {
				t.Skip("no one, oneself, or no change")
			}
			hows := []string{"belongs-to", "foreign key"}
			if !h.owning {
				hows = append(hows, "collection")
			}
			how := rapid.SampledFrom(hows).Draw(t, "how")
			h.log("employee %d's manager: %d (%s)", he, hm, how)
			e := h.employee(t, he)
			if how != "collection" {
				h.flush(t) // as in "move"
			}
			old := h.pending.employees[he].manager
			switch {
			case how == "collection" && hm != 0:
				h.employee(t, hm).Reports = append(h.reports(t, hm), e)
			case how == "collection":
				es := h.reports(t, old)
				h.employee(t, old).Reports = slices.DeleteFunc(slices.Clone(es), func(x *Employee) bool { return x == e })
			case how == "foreign key" && hm == 0:
				if e.ManagerID == nil {
					h.flush(t) // as in "move"
				}
				e.ManagerID = nil
			case how == "foreign key" && h.employee(t, hm).ID != 0:
				e.ManagerID = &h.employee(t, hm).ID
			case hm == 0:
				if _, err := Manages.Of(h.ctx, h.s, e); err != nil {
					t.Fatal(err)
				}
				e.Manager = nil
			default:
				e.Manager = h.employee(t, hm)
			}
			x := h.pending.employees[he]
			x.manager = hm
			h.pending.employees[he] = x
		},
		"learn a skill": func(t *rapid.T) {
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 {
				t.Skip("nobody")
			}
			hk := pick(t, h.pending.skills, "skill", true)
			e := h.employee(t, he)
			if !Knows.Loaded(e) {
				if _, err := Employees.Find(h.ctx, h.s, employeeID.Eq(e.ID), loadopts.With(Knows, draw(t, "strategy"))); err != nil {
					t.Fatal(err)
				}
			}
			ks, err := Knows.Of(h.ctx, h.s, e)
			if err != nil {
				t.Fatal(err)
			}
			var k *Skill
			if hk == 0 {
				k, hk = &Skill{Name: names.Draw(t, "skill name")}, h.handle()
				h.sks[hk], h.hs[k] = k, hk
				h.pending.skills[hk] = k.Name
			} else {
				k = h.skill(t, hk)
			}
			h.log("employee %d learns skill %d", he, hk)
			if !slices.Contains(ks, k) {
				e.Skills = append(ks, k)
			}
			if h.sks[hk] == k && k.ID == 0 {
				h.join(t, true, func() error { return uow.Add(h.s, Skills, k) })
			}
			h.pending.knows[[2]int{he, hk}] = true
		},
		"forget a skill": func(t *rapid.T) {
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 {
				t.Skip("nobody")
			}
			e := h.employee(t, he)
			ks, err := Knows.Of(h.ctx, h.s, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(ks) == 0 {
				t.Skip("no skill")
			}
			i := rapid.IntRange(0, len(ks)-1).Draw(t, "which")
			hk := h.skillHandle(t, ks[i])
			h.log("employee %d forgets skill %d", he, hk)
			e.Skills = append(ks[:i:i], ks[i+1:]...)
			delete(h.pending.knows, [2]int{he, hk})
		},
		"interfere": func(t *rapid.T) {
			// Someone else deletes a committed skill the session holds; the session renames it
			// and commits. The UPDATE matches no row: the commit is ErrStale, and nothing of the
			// session stays, though COMMIT went in the same batch as the UPDATE.
			open(t)
			var held []int
			for hd := range h.pending.skills {
				if _, ok := h.committed.skills[hd]; ok && h.ids[hd] != 0 {
					held = append(held, hd)
				}
			}
			if len(held) == 0 {
				t.Skip("no committed skill")
			}
			slices.Sort(held)
			hs := rapid.SampledFrom(held).Draw(t, "skill")
			k := h.skill(t, hs) // a read (an autoflush first)
			if !h.deleteElsewhere(t, h.ids[hs]) {
				t.Skip("the session holds a lock on the skill")
			}
			h.log("someone else deletes skill %d; the session renames it and commits", hs)
			k.Name += "!"
			err := h.s.Commit(h.ctx)
			h.s = nil
			if !errors.Is(err, uow.ErrStale) {
				t.Fatalf("commit after someone else deleted skill %d: %v, want ErrStale", hs, err)
			}
			delete(h.committed.skills, hs)
			for kn := range h.committed.knows {
				if kn[1] == hs {
					delete(h.committed.knows, kn)
				}
			}
			h.pending = h.committed.clone()
			h.checkDatabase(t)
		},
		"rename": func(t *rapid.T) {
			open(t)
			name := names.Draw(t, "name")
			if rapid.Bool().Draw(t, "company") {
				hc := pick(t, h.pending.companies, "company", false)
				if hc == 0 {
					t.Skip("no company")
				}
				h.log("rename company %d", hc)
				h.company(t, hc).Name = name
				h.pending.companies[hc] = name
				return
			}
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 {
				t.Skip("nobody")
			}
			h.log("rename employee %d", he)
			h.employee(t, he).Name = name
			x := h.pending.employees[he]
			x.name = name
			h.pending.employees[he] = x
		},
		"delete employee": func(t *rapid.T) {
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 || h.owning && h.pending.survivorsManagedBy(he) {
				t.Skip("nobody, or a manager in the Owning model")
			}
			h.prepareBadges(t, []int{he})
			h.log("delete employee %d", he)
			if err := uow.Delete(h.s, Employees, h.employee(t, he)); err != nil {
				t.Fatal(err)
			}
			h.pending.deleteEmployee(he)
		},
		"delete company": func(t *rapid.T) {
			open(t)
			hc := pick(t, h.pending.companies, "company", false)
			if hc == 0 || h.owning && h.pending.survivorsManagedBy(h.pending.staffOf(hc)...) {
				t.Skip("no company, or a manager in the Owning model")
			}
			c := h.company(t, hc)
			if rapid.Bool().Draw(t, "load staff and badges") {
				// The company's employees and their badges in one query, before the delete.
				h.flush(t) // a key for a new company
				if _, err := Companies.Find(h.ctx, h.s, companyID.Eq(c.ID), loadopts.With(rel.Then(h.staffRel(), Wears), eagerDraw(t, "strategy"))); err != nil {
					t.Fatal(err)
				}
			} else {
				h.prepareBadges(t, h.pending.staffOf(hc))
			}
			h.log("delete company %d", hc)
			if err := uow.Delete(h.s, Companies, c); err != nil {
				t.Fatal(err)
			}
			h.pending.deleteCompany(hc)
		},
		"give a badge": func(t *rapid.T) {
			// To an employee's loaded collection, or by its key set on a new badge before the
			// Add or after it (before any flush): the key of an employee the session holds, or
			// of a committed one it does not hold. Then, before any flush, maybe the employee
			// deleted, or its company (read first: the employee may stay unread until the
			// company's cascade loads it), which must take the new badge with them.
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 {
				t.Skip("nobody")
			}
			how := rapid.SampledFrom([]string{"collection", "foreign key", "key after add"}).Draw(t, "how")
			then := rapid.SampledFrom([]string{"nothing", "delete the employee", "delete its company"}).Draw(t, "then")
			hc := h.pending.employees[he].company
			if then == "delete its company" && hc == 0 {
				then = "delete the employee"
			}
			gone := []int{he}
			if then == "delete its company" {
				gone = h.pending.staffOf(hc)
			}
			if then != "nothing" && h.owning && h.pending.survivorsManagedBy(gone...) {
				then = "nothing" // the Owning model cannot delete a manager
			}
			b, hb := h.newBadge(names.Draw(t, "label"))
			h.log("give employee %d badge %d (%s), then %s", he, hb, how, then)
			var c *Company
			switch then {
			case "delete the employee":
				h.employee(t, he)
			case "delete its company":
				c = h.company(t, hc)
			}
			if then != "nothing" {
				h.prepareBadges(t, gone)
			}
			if how == "collection" {
				bs := h.badgesOf(t, he, draw(t, "strategy"))
				h.employee(t, he).Badges = append(bs, b)
				h.pending.badges[hb] = badge{he, b.Label}
				h.join(t, true, func() error { return uow.Add(h.s, Badges, b) })
			} else {
				key := h.employeeKey(t, he)
				if how == "foreign key" {
					b.EmployeeID = key
				}
				if err := uow.Add(h.s, Badges, b); err != nil {
					t.Fatal(err)
				}
				if how == "key after add" {
					b.EmployeeID = key
				} else if e := h.emps[he]; e != nil && Wears.Loaded(e) && !slices.Contains(e.Badges, b) {
					t.Fatalf("fix-up: the badge added with its employee's key is not in its loaded collection")
				}
				h.pending.badges[hb] = badge{he, b.Label}
			}
			switch then {
			case "delete the employee":
				if err := uow.Delete(h.s, Employees, h.employee(t, he)); err != nil {
					t.Fatal(err)
				}
				h.pending.deleteEmployee(he)
			case "delete its company":
				if err := uow.Delete(h.s, Companies, c); err != nil {
					t.Fatal(err)
				}
				h.pending.deleteCompany(hc)
			}
		},
		"take off badges": func(t *rapid.T) {
			// One out of the loaded collection, or all: the collection emptied, set nil, or
			// (not loaded) assigned empty, which deletes what the database holds. DeleteOrphan
			// deletes them.
			open(t)
			var wearers []int
			for he := range h.pending.employees {
				if len(h.pending.badgesOf(he)) > 0 {
					wearers = append(wearers, he)
				}
			}
			if len(wearers) == 0 {
				t.Skip("no badges")
			}
			slices.Sort(wearers)
			he := rapid.SampledFrom(wearers).Draw(t, "employee")
			how := rapid.SampledFrom([]string{"one", "empty", "nil", "unloaded"}).Draw(t, "how")
			e := h.employee(t, he)
			lost := h.pending.badgesOf(he)
			if how == "unloaded" {
				h.flush(t) // so that what the database holds is all it has
				if Wears.Loaded(e) {
					how = "empty"
				} else {
					e.Badges = []*Badge{}
				}
			}
			if how != "unloaded" {
				bs := h.badgesOf(t, he, draw(t, "strategy"))
				switch how {
				case "one":
					hb := rapid.SampledFrom(lost).Draw(t, "which") // by handle: bs is in the database's order
					lost = []int{hb}
					e.Badges = slices.DeleteFunc(slices.Clone(bs), func(x *Badge) bool { return x == h.bdgs[hb] })
				case "empty":
					e.Badges = []*Badge{}
				default:
					e.Badges = nil
				}
			}
			h.log("take badges %v off employee %d (%s)", lost, he, how)
			for _, hb := range lost {
				delete(h.pending.badges, hb)
			}
		},
		"move a badge": func(t *rapid.T) {
			// To another employee, by its foreign key (to an employee the session holds or
			// not) or by the other's loaded collection (taken out of its own too, if loaded, in
			// either order); then, in the same flush, maybe its old employee deleted, or that
			// one's company: the badge must survive the cascade it left.
			open(t)
			hb := pick(t, h.pending.badges, "badge", false)
			to := pick(t, h.pending.employees, "to", false)
			if hb == 0 || to == 0 || to == h.pending.badges[hb].employee {
				t.Skip("no badge, or no move")
			}
			from := h.pending.badges[hb].employee
			how := rapid.SampledFrom([]string{"foreign key", "collection"}).Draw(t, "how")
			then := rapid.SampledFrom([]string{"nothing", "delete its employee", "delete its company"}).Draw(t, "then")
			hc := h.pending.employees[from].company
			if then == "delete its company" && hc == 0 {
				then = "delete its employee"
			}
			gone := []int{from}
			if then == "delete its company" {
				gone = h.pending.staffOf(hc)
			}
			if then != "nothing" && h.owning && h.pending.survivorsManagedBy(gone...) {
				then = "nothing" // the Owning model cannot delete a manager
			}
			h.log("move badge %d from employee %d to %d (%s), then %s", hb, from, to, how, then)
			// What the move and the delete need is read first: a query between them would
			// flush the move.
			b := h.badge(t, hb)
			old := h.employee(t, from)
			var c *Company
			if then == "delete its company" {
				c = h.company(t, hc)
			}
			if then != "nothing" {
				h.prepareBadges(t, gone)
			}
			var edit func()
			if how == "foreign key" {
				key := h.employeeKey(t, to)
				h.flush(t) // as in "move": the key set must be a change
				edit = func() { b.EmployeeID = key }
			} else {
				var src []*Badge
				takeOut := Wears.Loaded(old) && rapid.Bool().Draw(t, "take out too")
				if takeOut {
					src = h.badgesOf(t, from, loadopts.Lazy)
				}
				dst := h.badgesOf(t, to, draw(t, "strategy"))
				put := func() { h.employee(t, to).Badges = append(slices.Clone(dst), b) }
				edit = put
				if takeOut {
					take := func() { old.Badges = slices.DeleteFunc(slices.Clone(src), func(x *Badge) bool { return x == b }) }
					if rapid.Bool().Draw(t, "put first") {
						edit = func() { put(); take() }
					} else {
						edit = func() { take(); put() }
					}
				}
			}
			edit()
			x := h.pending.badges[hb]
			x.employee = to
			h.pending.badges[hb] = x
			switch then {
			case "delete its employee":
				if err := uow.Delete(h.s, Employees, old); err != nil {
					t.Fatal(err)
				}
				h.pending.deleteEmployee(from)
			case "delete its company":
				if err := uow.Delete(h.s, Companies, c); err != nil {
					t.Fatal(err)
				}
				h.pending.deleteCompany(hc)
			}
		},
		"peek": func(t *rapid.T) {
			// Employees.Find with repo.Only: the session holds a row read with some of its
			// columns, which no flush may write zeroes over, and which a later read fills in.
			open(t)
			he := pick(t, h.pending.employees, "employee", false)
			if he == 0 || h.emps[he] != nil || h.ids[he] == 0 {
				t.Skip("no employee, or one the test holds, or one not committed")
			}
			cols := rapid.SliceOfDistinct(rapid.SampledFrom([]string{"name", "company_id", "manager_id", "tags"}), rapid.ID).Draw(t, "columns")
			fields := map[string]repo.Field[Employee]{"name": employeeName, "company_id": employeeCompanyID, "manager_id": employeeManagerID, "tags": employeeTags}
			only := make([]repo.Field[Employee], len(cols))
			for i, c := range cols {
				only[i] = fields[c]
			}
			opts := []repo.Option[Employee]{employeeID.Eq(h.ids[he]), repo.Only(only...)}
			var with []string
			if rapid.Bool().Draw(t, "peek with skills") {
				s := draw(t, "peek strategy")
				opts = append(opts, loadopts.With(Knows, s))
				with = append(with, "skills "+s.String())
			}
			if _, err := Employees.Find(h.ctx, h.s, opts...); err != nil {
				t.Fatal(err)
			}
			h.log("peek at employee %d with %v, loading %v", he, cols, with)
		},
		"read a badge": func(t *rapid.T) {
			// Badges.Get: the session holds the badge without its employee's collection loaded.
			open(t)
			hb := pick(t, h.pending.badges, "badge", false)
			if hb == 0 {
				t.Skip("no badge")
			}
			_, held := h.bdgs[hb]
			b := h.badge(t, hb)
			x := h.pending.badges[hb]
			if !held { // read by a query, after an autoflush: as the model has it
				want := h.ids[x.employee]
				if e := h.emps[x.employee]; e != nil {
					want = e.ID
				}
				if b.Label != x.label || b.EmployeeID != want {
					t.Fatalf("in the session: badge %d %q of %d, model %q of %d (handle %d)", hb, b.Label, b.EmployeeID, x.label, want, x.employee)
				}
			}
			if rapid.Bool().Draw(t, "relabel") {
				b.Label = names.Draw(t, "label")
				x.label = b.Label
				h.pending.badges[hb] = x
			}
			h.log("read badge %d (held: %v)", hb, held)
		},
		"load": func(t *rapid.T) {
			open(t)
			h.log("load")
			h.checkSession(t)
		},
		"flush": func(t *rapid.T) {
			open(t)
			h.log("flush")
			if err := h.s.Flush(h.ctx); err != nil {
				t.Fatal(err)
			}
		},
		"commit": func(t *rapid.T) {
			if h.s == nil {
				t.Skip("no session")
			}
			h.commit(t)
		},
		"rollback": func(t *rapid.T) {
			if h.s == nil {
				t.Skip("no session")
			}
			h.rollback(t)
		},
	}
}

// join makes new rows put in a collection part of the session: with add (uow.Add), or by a
// flush now, whose fix-up adopts them (SaveUpdate). Until one or the other, they are not in the
// session: taken out of the collection before, they would never be written, and the model would
// have to know. Rows not in a collection (inCollection false) are always added.
func (h *harness) join(t *rapid.T, inCollection bool, add func() error) {
	var err error
	if !inCollection || rapid.Bool().Draw(t, "add explicitly") {
		err = add()
	} else {
		err = h.s.Flush(h.ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) flush(t *rapid.T) {
	if err := h.s.Flush(h.ctx); err != nil {
		t.Fatal(err)
	}
}

// employeeKey returns the key to set on a row that is to refer to employee he: that of a
// committed employee the session does not hold, without reading it (if drawn so), or that of
// the instance the session holds, flushed first if it has no key yet.
func (h *harness) employeeKey(t *rapid.T, he int) int64 {
	if h.emps[he] == nil && h.ids[he] != 0 && rapid.Bool().Draw(t, "unheld") {
		return h.ids[he]
	}
	e := h.employee(t, he)
	if e.ID == 0 {
		h.flush(t)
	}
	return e.ID
}

// prepareBadges readies the badges of employees about to be deleted, each as drawn: left alone
// (the cascade deletes them by their foreign key, unseen, unless loaded already), loaded with a
// strategy, or some of them read one by one with Get (the session holds them without the
// collection: the cascade deletes them as loaded rows, and the rest by foreign key).
func (h *harness) prepareBadges(t *rapid.T, hes []int) {
	for _, he := range hes {
		switch rapid.SampledFrom([]string{"untouched", "loaded", "some held"}).Draw(t, "badges before") {
		case "loaded":
			h.badgesOf(t, he, draw(t, "strategy"))
		case "some held":
			for _, hb := range h.pending.badgesOf(he) {
				if rapid.Bool().Draw(t, "hold") {
					h.badge(t, hb)
				}
			}
		}
	}
}

// lose is what happens in the model to an employee that left its company's collection.
func (h *harness) lose(he int) {
	if h.owning {
		h.pending.deleteEmployee(he)
		return
	}
	x := h.pending.employees[he]
	x.company = 0
	h.pending.employees[he] = x
}

// checkSession loads, through the open session, the companies with their employees, or the
// employees with their relations, each with a random strategy, and checks what it sees against
// the model's pending state.
func (h *harness) checkSession(t *rapid.T) {
	ctx, s, w := h.ctx, h.s, h.pending
	if rapid.Bool().Draw(t, "companies") {
		r := h.staffRel()
		how := draw(t, "strategy")
		cs, err := Companies.Find(ctx, s, loadopts.With(r, how))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != len(w.companies) {
			t.Fatalf("in the session: %d companies, model %d", len(cs), len(w.companies))
		}
		for _, c := range cs {
			hc := h.companyHandle(t, c)
			if c.Name != w.companies[hc] {
				t.Fatalf("in the session: company %d %q, model %q", hc, c.Name, w.companies[hc])
			}
			es, err := r.Of(ctx, s, c)
			if err != nil {
				t.Fatal(err)
			}
			h.checkMembers(t, fmt.Sprintf("company %d's employees (%v)", hc, how), es, w.staffOf(hc))
		}
		return
	}
	opts := []repo.Option[Employee]{loadopts.With(Knows, draw(t, "skills")), loadopts.With(Manages, draw(t, "managers")),
		loadopts.With(Back, draw(t, "companies"))} // to-one fields loaded nil, then given a key: see Back.Of below
	if !h.owning {
		opts = append(opts, loadopts.With(Reports, draw(t, "reports")))
	}
	if rapid.Bool().Draw(t, "load badges") { // else only the collections loaded already are checked
		opts = append(opts, loadopts.With(Wears, draw(t, "badges")))
	}
	es, err := Employees.Find(ctx, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(w.employees) {
		t.Fatalf("in the session: %d employees, model %d", len(es), len(w.employees))
	}
	for _, e := range es {
		he := h.employeeHandle(t, e)
		x := w.employees[he]
		if e.Name != x.name || strings.Join(e.Tags, ",") != x.tags {
			t.Fatalf("in the session: employee %d %q tags %q, model %q tags %q", he, e.Name, e.Tags, x.name, x.tags)
		}
		// The query that read them autoflushed first: every INSERT and UPDATE read the
		// generated column back into the row.
		if e.Shout == nil || *e.Shout != strings.ToUpper(e.Name) {
			t.Fatalf("in the session: employee %d %q shouts %v: the generated column was not read back", he, e.Name, e.Shout)
		}
		if got, want := deref(e.CompanyID), h.keyOf(t, kindCompany, x.company); got != want {
			t.Fatalf("in the session: employee %d's company_id %d, model %d (handle %d)", he, got, want, x.company)
		}
		if got, want := deref(e.ManagerID), h.keyOf(t, kindEmployee, x.manager); got != want {
			t.Fatalf("in the session: employee %d's manager_id %d, model %d (handle %d)", he, got, want, x.manager)
		}
		c, err := Back.Of(ctx, s, e)
		if err != nil {
			t.Fatal(err)
		}
		if gotC := h.handleOfCompany(t, c); gotC != x.company {
			t.Fatalf("in the session: employee %d's Company is company %d, model %d", he, gotC, x.company)
		}
		m, err := Manages.Of(ctx, s, e)
		if err != nil {
			t.Fatal(err)
		}
		gotM := 0
		if m != nil {
			gotM = h.employeeHandle(t, m)
		}
		if gotM != x.manager {
			t.Fatalf("in the session: employee %d's Manager %p, model %d", he, m, x.manager)
		}
		if !h.owning {
			h.reports(t, he)
		}
		ks, err := Knows.Of(ctx, s, e)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []int
		for _, k := range ks {
			hk := h.skillHandle(t, k)
			got = append(got, hk)
			if k.Name != w.skills[hk] {
				t.Fatalf("in the session: skill %d %q, model %q", hk, k.Name, w.skills[hk])
			}
		}
		for k := range w.knows {
			if k[0] == he {
				want = append(want, k[1])
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("in the session: employee %d's skills %v, model %v", he, got, want)
		}
		if Wears.Loaded(e) {
			h.checkBadges(t, fmt.Sprintf("employee %d's badges", he), he, e.Badges)
			for _, b := range e.Badges {
				if b.EmployeeID != e.ID {
					t.Fatalf("in the session: badge %d's employee_id %d, its employee %d has key %d", h.hb[b], b.EmployeeID, he, e.ID)
				}
			}
		}
	}
}

// keyOf returns the key the row of a handle has in the open session (flushed by now).
func (h *harness) keyOf(t *rapid.T, kind int, hd int) int64 {
	if hd == 0 {
		return 0
	}
	switch kind {
	case kindCompany:
		return h.company(t, hd).ID
	default:
		return h.employee(t, hd).ID
	}
}

// leftOpen fails a check after which a transaction of the pool is still open (a connection left
// busy in a transaction holds its locks, and the next check's DROP TABLE would wait for ever),
// and ends it, so that the checks after it start clean. A backend whose state is idle is in no
// transaction whatever its xact_start says: right after a COMMIT sent in a pipeline (a unit of
// work's last batch), pg_stat_activity was seen to report idle with the committed
// transaction's xact_start still set.
func leftOpen(t *rapid.T, ctx context.Context, pool *pgxpool.Pool) {
	var open []string
	rows, err := pool.Query(ctx, `SELECT pid::text || ' ' || state || ': ' || left(query, 200) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle' AND backend_type = 'client backend'`)
	if err == nil {
		for rows.Next() {
			var s string
			if err = rows.Scan(&s); err != nil {
				break
			}
			open = append(open, s)
		}
		rows.Close()
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		t.Fatalf("reading pg_stat_activity: %v", err)
	}
	if len(open) > 0 {
		_, _ = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND backend_type = 'client backend'`)
		t.Fatalf("a transaction was left open after the check: %v", open)
	}
}
