package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// Writing a graph through a unit of work (uow.Run, one transaction per op) against hand-written
// pgx doing the same job in a transaction of its own:
//
//   - Insert: a new company with 100 new employees. kinship: uow.Add of the company, whose
//     SaveUpdate cascade adds the employees; the flush inserts the company, copies its id into
//     the employees' company_id and inserts them in one multi-row INSERT. pgx: the same two
//     statements (TestFlushSameStatements).
//   - Update: read a company's 100 employees in the transaction, raise each one's salary,
//     commit. kinship: Employees.Find through the session; the flush finds the 100 changed rows
//     and sends their UPDATEs in one pgx batch. pgx: the same SELECT, then the same 100
//     UPDATEs in one pgx batch.
//   - Delete: delete a company and its 100 employees, by key. kinship: uow.Delete of the
//     company, whose relation cascades Delete; the flush loads the employees (1 statement), then
//     deletes them and the company in one batch. pgx: DELETE the employees by company_id and the
//     company by id, in one batch.
//   - DeletePassive: the same, with the relation declared PassiveDeletes: kinship deletes the
//     company alone and leaves the employees to ON DELETE CASCADE; pgx deletes the company.
//
// Both report roundtrips/op (BEGIN and COMMIT included) and tx-roundtrips/op (less those spent
// on BEGIN or COMMIT alone: a unit of work's BEGIN and COMMIT go in its batches, and cost none),
// and stmts/op (a batch of 100 counts 100, BEGIN and COMMIT 1 each).

// Children per company in the flush benchmarks.
const flushChildren = 100

// txCount counts the BEGINs and COMMITs that the flush pool sends.
type txCount struct{ n atomic.Int64 }

func (t *txCount) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.EqualFold(data.SQL, "begin") || strings.EqualFold(data.SQL, "commit") {
		t.n.Add(1)
	}
	return ctx
}

func (t *txCount) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

var flushTx txCount

// flushDB returns the pool on the flush benchmarks' schema, its tables emptied.
func flushDB(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return emptied(tb, schemaPool(tb, "flush", multitracer.New(tracer, &flushTx), nil, nil), graphTables.list)
}

// emptied empties db's tables list (TRUNCATE … RESTART IDENTITY), checkpoints where the role may,
// and returns db.
func emptied(tb testing.TB, db *pgxpool.Pool, list string) *pgxpool.Pool {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, "TRUNCATE "+list+" RESTART IDENTITY"); err != nil {
		tb.Fatal(err)
	}
	if canCheckpoint {
		if _, err := db.Exec(ctx, "CHECKPOINT"); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}

// flushCounts is a reading of the counters, to report per op.
type flushCounts struct {
	stats repo.Stats
	tx    int64
}

func countFlush() flushCounts { return flushCounts{tracer.Stats(), flushTx.n.Load()} }

// report reports roundtrips/op, tx-roundtrips/op and stmts/op since before, less setup round
// trips of one statement each that the benchmark made in between.
func (before flushCounts) report(b *testing.B, setup int64) {
	b.Helper()
	now := countFlush()
	d, tx, n := now.stats.Sub(before.stats), now.tx-before.tx, float64(b.N)
	d.RoundTrips -= setup
	d.Statements -= setup
	b.ReportMetric(float64(d.RoundTrips)/n, "roundtrips/op")
	b.ReportMetric(float64(d.RoundTrips-tx)/n, "tx-roundtrips/op")
	b.ReportMetric(float64(d.Statements)/n, "stmts/op")
}

// The statements of the pgx twins. The inserts and the update are kinship's.
const (
	insertCompanySQL    = `INSERT INTO "companies" ("name") VALUES ($1) RETURNING "id"`
	employeesOfSQL      = `SELECT "id", "company_id", "name", "title", "salary" FROM "employees" WHERE "company_id" = $1`
	updateSalarySQL     = `UPDATE "employees" SET "salary" = $1 WHERE "id" = $2`
	deleteEmployeesSQL  = `DELETE FROM "employees" WHERE "company_id" = $1`
	deleteCompanySQL    = `DELETE FROM "companies" WHERE "id" = $1`
	employeeInsertWidth = 4 // company_id, name, title, salary
)

// insertEmployeesSQL returns the INSERT of n employees.
func insertEmployeesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO "employees" ("company_id", "name", "title", "salary") VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range employeeInsertWidth {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*employeeInsertWidth + j + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(` RETURNING "id"`)
	return b.String()
}

// employeeNames are the names of a new company's employees, made once.
var employeeNames = func() []string {
	s := make([]string, flushChildren)
	for i := range s {
		s[i] = "Employee " + strconv.Itoa(i)
	}
	return s
}()

// newCompany returns a new company with flushChildren new employees, none with an id.
func newCompany() *Company {
	c := &Company{Name: "Initech", Employees: make([]*Employee, flushChildren)}
	for i := range c.Employees {
		c.Employees[i] = &Employee{Name: employeeNames[i], Title: "Engineer", Salary: int32(1000 + i)}
	}
	return c
}

// kinshipInsert inserts c and its employees through a unit of work.
func kinshipInsert(ctx context.Context, db *pgxpool.Pool, c *Company) error {
	return uow.Run(ctx, db, flushModel, func(s *uow.Session) error {
		return uow.Add(s, Companies, c)
	})
}

// pgxInsert inserts c, then its employees in one statement (sql, for len(c.Employees) rows),
// storing the ids in the order the rows come back, in a transaction.
func pgxInsert(ctx context.Context, db *pgxpool.Pool, sql string, c *Company) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, insertCompanySQL, c.Name).Scan(&c.ID); err != nil {
		return err
	}
	args := make([]any, 0, employeeInsertWidth*len(c.Employees))
	for _, e := range c.Employees {
		e.CompanyID = c.ID
		args = append(args, e.CompanyID, e.Name, e.Title, e.Salary)
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	i := 0
	for rows.Next() {
		if i == len(c.Employees) {
			rows.Close()
			return fmt.Errorf("insert returned more than %d ids", len(c.Employees))
		}
		if err := rows.Scan(&c.Employees[i].ID); err != nil {
			rows.Close()
			return err
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i != len(c.Employees) {
		return fmt.Errorf("insert returned %d ids for %d rows", i, len(c.Employees))
	}
	return tx.Commit(ctx)
}

// kinshipRaise reads company's employees in a unit of work and raises each one's salary.
func kinshipRaise(ctx context.Context, db *pgxpool.Pool, company int64) error {
	return uow.Run(ctx, db, flushModel, func(s *uow.Session) error {
		es, err := Employees.Find(ctx, s, employeeCompanyID.Eq(company))
		if err != nil {
			return err
		}
		if len(es) != flushChildren {
			return fmt.Errorf("company %d has %d employees, want %d", company, len(es), flushChildren)
		}
		for _, e := range es {
			e.Salary++
		}
		return nil
	})
}

// pgxRaise does what kinshipRaise does: the same SELECT, then the same UPDATEs in one batch.
func pgxRaise(ctx context.Context, db *pgxpool.Pool, company int64) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, employeesOfSQL, company)
	if err != nil {
		return err
	}
	var es []*Employee
	for rows.Next() {
		e := &Employee{}
		if err := rows.Scan(&e.ID, &e.CompanyID, &e.Name, &e.Title, &e.Salary); err != nil {
			rows.Close()
			return err
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return raiseAndCommit(ctx, tx, company, es)
}

// raiseAndCommit adds 1 to the salary of each of es, company's employees as read in tx, sends
// their UPDATEs in one batch, checks that each changed one row, and commits tx.
func raiseAndCommit(ctx context.Context, tx pgx.Tx, company int64, es []*Employee) error {
	if len(es) != flushChildren {
		return fmt.Errorf("company %d has %d employees, want %d", company, len(es), flushChildren)
	}
	b := &pgx.Batch{}
	for _, e := range es {
		e.Salary++
		b.Queue(updateSalarySQL, e.Salary, e.ID)
	}
	br := tx.SendBatch(ctx, b)
	for _, e := range es {
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("update of employee %d: %d rows", e.ID, tag.RowsAffected())
		}
		if err != nil {
			br.Close()
			return err
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// kinshipDelete deletes company (by key, not loaded) and its employees in a unit of work of
// model: flushModel loads the employees and deletes them, passiveModel leaves them to the
// database.
func kinshipDelete(ctx context.Context, db *pgxpool.Pool, model *uow.Model, company int64) error {
	return uow.Run(ctx, db, model, func(s *uow.Session) error {
		return uow.Delete(s, Companies, &Company{ID: company})
	})
}

// pgxDelete deletes company's employees and company in one batch, in a transaction.
func pgxDelete(ctx context.Context, db *pgxpool.Pool, company int64) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	b.Queue(deleteEmployeesSQL, company)
	b.Queue(deleteCompanySQL, company)
	br := tx.SendBatch(ctx, b)
	tag, err := br.Exec()
	if err == nil && tag.RowsAffected() != flushChildren {
		err = fmt.Errorf("deleted %d employees of company %d, want %d", tag.RowsAffected(), company, flushChildren)
	}
	if err == nil {
		if tag, err = br.Exec(); err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("company %d: deleted %d rows", company, tag.RowsAffected())
		}
	}
	if err != nil {
		br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// pgxDeletePassive deletes company, in a transaction; ON DELETE CASCADE deletes its employees.
func pgxDeletePassive(ctx context.Context, db *pgxpool.Pool, company int64) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, deleteCompanySQL, company)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("company %d: deleted %d rows", company, tag.RowsAffected())
	}
	return tx.Commit(ctx)
}

// seedCompanies inserts n companies with flushChildren employees each, in one statement, and
// returns their ids.
func seedCompanies(tb testing.TB, db *pgxpool.Pool, n int) []int64 {
	tb.Helper()
	rows, err := db.Query(context.Background(), `WITH c AS (
			INSERT INTO companies (name) SELECT 'Company ' || i FROM generate_series(1, $1::int) i RETURNING id
		), e AS (
			INSERT INTO employees (company_id, name, title, salary)
			SELECT c.id, 'Employee ' || j, 'Engineer', 1000 + j FROM c, generate_series(1, $2::int) j ORDER BY c.id, j
		)
		SELECT id FROM c ORDER BY id`, n, flushChildren)
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// A tree is what a delete benchmark deletes from its root, by the root's key.
type tree struct {
	// seed inserts n trees in one statement and returns their roots' ids, in order.
	seed func(tb testing.TB, db *pgxpool.Pool, n int) []int64
	// levels names the rows of each level, root first; rows is how many one tree has of each.
	levels []string
	rows   []int64
	// count is SQL that returns the rows of the trees of the roots $1 at each level, one column
	// per level.
	count string
}

// companyTree is a company and its flushChildren employees.
var companyTree = &tree{
	seed:   seedCompanies,
	levels: []string{"companies", "employees"},
	rows:   []int64{1, flushChildren},
	count:  `SELECT (SELECT count(*) FROM companies WHERE id = ANY($1)), (SELECT count(*) FROM employees WHERE company_id = ANY($1))`,
}

// counts returns the rows of the trees of roots at each level.
func (t *tree) counts(tb testing.TB, db *pgxpool.Pool, roots []int64) []int64 {
	tb.Helper()
	n := make([]int64, len(t.levels))
	dst := make([]any, len(n))
	for i := range n {
		dst[i] = &n[i]
	}
	if err := db.QueryRow(context.Background(), t.count, roots).Scan(dst...); err != nil {
		tb.Fatal(err)
	}
	return n
}

// describe says what counts are, level by level: "2 companies, 200 employees".
func (t *tree) describe(counts []int64) string {
	s := make([]string, len(counts))
	for i, n := range counts {
		s[i] = fmt.Sprintf("%d %s", n, t.levels[i])
	}
	return strings.Join(s, ", ")
}

// checkIntact checks that the trees of roots are all there, every level complete.
func (t *tree) checkIntact(tb testing.TB, db *pgxpool.Pool, roots []int64) {
	tb.Helper()
	got := t.counts(tb, db, roots)
	want := make([]int64, len(t.rows))
	for i, n := range t.rows {
		want[i] = n * int64(len(roots))
	}
	if !slices.Equal(got, want) {
		tb.Fatalf("%s left of %d trees not deleted, want %s", t.describe(got), len(roots), t.describe(want))
	}
}

// doomed hands out trees to delete (companies with their employees unless tree is set),
// seeding them refill at a time when it runs out.
type doomed struct {
	db      *pgxpool.Pool
	tree    *tree // nil: companyTree
	ids     []int64
	deleted []int64
	refill  int
	seeded  int64 // the seeding statements sent by next, one round trip each
}

func (d *doomed) shape() *tree {
	if d.tree == nil {
		return companyTree
	}
	return d.tree
}

// next returns the id of the root of a tree (a company with flushChildren employees, unless
// d.tree says otherwise) that nothing else uses. Seeding is not timed: b's timer stops while it
// runs.
func (d *doomed) next(b *testing.B, timed bool) int64 {
	if len(d.ids) == 0 {
		if timed {
			b.StopTimer()
		}
		d.ids = d.shape().seed(b, d.db, d.refill)
		d.seeded++
		if timed {
			b.StartTimer()
		}
	}
	id := d.ids[0]
	d.ids = d.ids[1:]
	d.deleted = append(d.deleted, id)
	return id
}

// check checks that the trees handed out are gone, every level, and the others are all there.
func (d *doomed) check(tb testing.TB) {
	tb.Helper()
	t := d.shape()
	if got := t.counts(tb, d.db, d.deleted); slices.ContainsFunc(got, func(n int64) bool { return n != 0 }) {
		tb.Fatalf("of %d deleted trees, %s are still there", len(d.deleted), t.describe(got))
	}
	t.checkIntact(tb, d.db, d.ids)
}

// checkInsertedCompany checks that the employees table holds n companies' worth of employees,
// and that c and its employees got distinct ids and are stored as they are.
func checkInsertedCompany(tb testing.TB, db *pgxpool.Pool, n int, c *Company) {
	tb.Helper()
	ctx := context.Background()
	var companies, employees int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM employees)`).Scan(&companies, &employees); err != nil {
		tb.Fatal(err)
	}
	if companies != n || employees != n*flushChildren {
		tb.Fatalf("%d companies and %d employees after %d inserts of %d", companies, employees, n, flushChildren)
	}
	checkEmployees(tb, db, c, func(e *Employee) int32 { return e.Salary })
}

// checkEmployees checks that the employees of company c.ID are those of c.Employees, each
// with its values, and the salary that salary gives.
func checkEmployees(tb testing.TB, db *pgxpool.Pool, c *Company, salary func(*Employee) int32) {
	tb.Helper()
	rows, err := db.Query(context.Background(), employeesOfSQL, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Employee, error) {
		var e Employee
		return e, row.Scan(&e.ID, &e.CompanyID, &e.Name, &e.Title, &e.Salary)
	})
	if err != nil {
		tb.Fatal(err)
	}
	byID := map[int64]Employee{}
	for _, e := range stored {
		byID[e.ID] = e
	}
	if len(byID) != len(c.Employees) {
		tb.Fatalf("company %d has %d employees stored, %d in memory", c.ID, len(byID), len(c.Employees))
	}
	for _, e := range c.Employees {
		s, ok := byID[e.ID]
		want := *e
		want.Salary = salary(e)
		if !ok || s.ID != want.ID || s.CompanyID != want.CompanyID || s.Name != want.Name || s.Title != want.Title || s.Salary != want.Salary {
			tb.Fatalf("employee %d is stored as %+v (found: %v), want %+v", e.ID, s, ok, want)
		}
		delete(byID, e.ID) // so that an id assigned twice fails
	}
}

// raised is the company whose employees a raise benchmark updates, as seeded.
func raised(tb testing.TB, db *pgxpool.Pool) *Company {
	tb.Helper()
	c := &Company{ID: seedCompanies(tb, db, 1)[0]}
	rows, err := db.Query(context.Background(), employeesOfSQL, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	if c.Employees, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Employee, error) {
		e := &Employee{}
		return e, row.Scan(&e.ID, &e.CompanyID, &e.Name, &e.Title, &e.Salary)
	}); err != nil {
		tb.Fatal(err)
	}
	return c
}

// refill is how many companies a delete benchmark seeds at a time.
const refill = 50

func BenchmarkFlush(b *testing.B) {
	ctx := context.Background()
	b.Run("Insert", func(b *testing.B) {
		b.Run("kinship", func(b *testing.B) {
			db := flushDB(b)
			var c *Company
			b.ReportAllocs()
			before := countFlush()
			for b.Loop() {
				c = newCompany()
				if err := kinshipInsert(ctx, db, c); err != nil {
					b.Fatal(err)
				}
			}
			before.report(b, 0)
			checkInsertedCompany(b, db, b.N, c)
		})
		b.Run("pgx", func(b *testing.B) {
			db := flushDB(b)
			sql := insertEmployeesSQL(flushChildren) // built once, as kinship does
			var c *Company
			b.ReportAllocs()
			before := countFlush()
			for b.Loop() {
				c = newCompany()
				if err := pgxInsert(ctx, db, sql, c); err != nil {
					b.Fatal(err)
				}
			}
			before.report(b, 0)
			checkInsertedCompany(b, db, b.N, c)
		})
	})
	b.Run("Update", func(b *testing.B) {
		for _, impl := range []struct {
			name  string
			raise func(context.Context, *pgxpool.Pool, int64) error
		}{{"kinship", kinshipRaise}, {"pgx", pgxRaise}} {
			b.Run(impl.name, func(b *testing.B) {
				db := flushDB(b)
				c := raised(b, db)
				b.ReportAllocs()
				before := countFlush()
				for b.Loop() {
					if err := impl.raise(ctx, db, c.ID); err != nil {
						b.Fatal(err)
					}
				}
				before.report(b, 0)
				checkEmployees(b, db, c, func(e *Employee) int32 { return e.Salary + int32(b.N) })
			})
		}
	})
	for _, tc := range []struct {
		name         string
		kinship, pgx func(context.Context, *pgxpool.Pool, int64) error
	}{
		{name: "Delete",
			kinship: func(ctx context.Context, db *pgxpool.Pool, id int64) error {
				return kinshipDelete(ctx, db, flushModel, id)
			},
			pgx: pgxDelete},
		{name: "DeletePassive",
			kinship: func(ctx context.Context, db *pgxpool.Pool, id int64) error {
				return kinshipDelete(ctx, db, passiveModel, id)
			},
			pgx: pgxDeletePassive},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for _, impl := range []struct {
				name string
				del  func(context.Context, *pgxpool.Pool, int64) error
			}{{"kinship", tc.kinship}, {"pgx", tc.pgx}} {
				b.Run(impl.name, func(b *testing.B) {
					d := &doomed{db: flushDB(b), refill: refill}
					d.ids = seedCompanies(b, d.db, refill)
					b.ReportAllocs()
					before := countFlush()
					for b.Loop() {
						if err := impl.del(ctx, d.db, d.next(b, true)); err != nil {
							b.Fatal(err)
						}
					}
					before.report(b, d.seeded)
					d.check(b)
				})
			}
		})
	}
}

// BenchmarkPairedFlush runs each flush by kinship and by pgx in one loop, alternating (see
// BenchmarkPaired). Delete seeds its companies before each iteration, outside kinship-ns/op and
// pgx-ns/op.
func BenchmarkPairedFlush(b *testing.B) {
	ctx := context.Background()
	b.Run("Insert", func(b *testing.B) {
		db := flushDB(b)
		sql := insertEmployeesSQL(flushChildren)
		var ck, cp *Company
		pair(b,
			func() error { ck = newCompany(); return kinshipInsert(ctx, db, ck) },
			func() error { cp = newCompany(); return pgxInsert(ctx, db, sql, cp) })
		checkInsertedCompany(b, db, 2*b.N, ck)
		checkInsertedCompany(b, db, 2*b.N, cp)
	})
	b.Run("Update", func(b *testing.B) {
		db := flushDB(b)
		ck, cp := raised(b, db), raised(b, db)
		pair(b,
			func() error { return kinshipRaise(ctx, db, ck.ID) },
			func() error { return pgxRaise(ctx, db, cp.ID) })
		checkEmployees(b, db, ck, func(e *Employee) int32 { return e.Salary + int32(b.N) })
		checkEmployees(b, db, cp, func(e *Employee) int32 { return e.Salary + int32(b.N) })
	})
	for _, tc := range []struct {
		name  string
		model *uow.Model
		pgx   func(context.Context, *pgxpool.Pool, int64) error
	}{{"Delete", flushModel, pgxDelete}, {"DeletePassive", passiveModel, pgxDeletePassive}} {
		b.Run(tc.name, func(b *testing.B) {
			d := &doomed{db: flushDB(b), refill: refill}
			var ik, ip int64
			pairEach(b,
				func() { ik, ip = d.next(b, false), d.next(b, false) },
				func() error { return kinshipDelete(ctx, d.db, tc.model, ik) },
				func() error { return tc.pgx(ctx, d.db, ip) })
			d.check(b)
		})
	}
}
