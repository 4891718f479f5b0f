package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
)

// Loading companies with their employees (and the employees' addresses) by each strategy of
// package loadopts, against hand-written pgx that sends the very statements kinship sends, in
// the same round trips (TestLoadSameStatements checks both), scans them by hand and stitches
// children to parents through a map[int64]*Company.

// The statements, as kinship renders them for the query
//
//	Companies.Find(ctx, db, companyID.Le(n), companyID.Asc(), loadopts.With(CompanyEmployees, s))
//
// written out.
const (
	parentsSQL   = `SELECT "id", "name" FROM "companies" WHERE "id" <= $1 ORDER BY "id"`
	employeeCols = `c0."id", c0."company_id", c0."name", c0."title", c0."salary"`
	addressCols  = `c0."id", c0."employee_id", c0."city"`

	// SelectIn: the parents, then the children of their keys.
	employeesInSQL = `SELECT ` + employeeCols + ` FROM "employees" AS c0 WHERE c0."company_id" = ANY($1)`
	addressesInSQL = `SELECT ` + addressCols + ` FROM "addresses" AS c0 WHERE c0."employee_id" = ANY($1)`

	// Subquery and Pipelined: the parents, then the children of the parents' query run again
	// (and the grandchildren of the children's query run again).
	employeesSubSQL = `SELECT ` + employeeCols + ` FROM "employees" AS c0 WHERE c0."company_id" = ANY(ARRAY(SELECT p."id" FROM (` + parentsSQL + `) AS p))`
	addressesSubSQL = `SELECT ` + addressCols + ` FROM "addresses" AS c0 WHERE c0."employee_id" = ANY(ARRAY(SELECT p."id" FROM (` + employeesSubSQL + `) AS p))`

	// Joined: one statement.
	joinedSQL = `SELECT p0."id", p0."name", j1."id", j1."company_id", j1."name", j1."title", j1."salary" ` +
		`FROM (` + parentsSQL + `) AS p0 LEFT JOIN "employees" AS j1 ON j1."company_id" = p0."id" ORDER BY p0."id"`
	joined2SQL = `SELECT p0."id", p0."name", j1."id", j1."company_id", j1."name", j1."title", j1."salary", j2."id", j2."employee_id", j2."city" ` +
		`FROM (` + parentsSQL + `) AS p0 LEFT JOIN "employees" AS j1 ON j1."company_id" = p0."id" ` +
		`LEFT JOIN "addresses" AS j2 ON j2."employee_id" = j1."id" ORDER BY p0."id"`

	// The top $2 employees of each company by salary, then id: row_number() for SelectIn,
	// Subquery and Pipelined, a LATERAL subquery for Joined.
	topInSQL = `SELECT ` + employeeCols + ` FROM (SELECT ` + employeeCols + `, row_number() OVER (PARTITION BY c0."company_id" ORDER BY c0."salary" DESC, c0."id") AS kinship_rn ` +
		`FROM "employees" AS c0 WHERE c0."company_id" = ANY($1)) AS c0 WHERE c0.kinship_rn <= $2 ORDER BY c0.kinship_rn`
	topSubSQL = `SELECT ` + employeeCols + ` FROM (SELECT ` + employeeCols + `, row_number() OVER (PARTITION BY c0."company_id" ORDER BY c0."salary" DESC, c0."id") AS kinship_rn ` +
		`FROM "employees" AS c0 WHERE c0."company_id" = ANY(ARRAY(SELECT p."id" FROM (` + parentsSQL + `) AS p))) AS c0 WHERE c0.kinship_rn <= $2 ORDER BY c0.kinship_rn`
	topJoinedSQL = `SELECT p0."id", p0."name", j1."id", j1."company_id", j1."name", j1."title", j1."salary" ` +
		`FROM (` + parentsSQL + `) AS p0 LEFT JOIN LATERAL (SELECT j1."id", j1."company_id", j1."name", j1."title", j1."salary" FROM "employees" AS j1 ` +
		`WHERE j1."company_id" = p0."id" ORDER BY j1."salary" DESC, j1."id" LIMIT $2) AS j1 ON TRUE ORDER BY p0."id", j1."salary" DESC`
)

// loadShape is what one load reads: n parents; children, addresses: whether it loads those
// levels; top: at most that many children per parent (0: all).
type loadShape struct {
	n         int64
	addresses bool
	top       int
}

// kinshipLoad loads as kinship's Find does with strategy s for every level.
func kinshipLoad(ctx context.Context, db *pgxpool.Pool, s loadopts.Strategy, sh loadShape) ([]*Company, error) {
	switch {
	case sh.addresses:
		return Companies.Find(ctx, db, companyID.Le(sh.n), companyID.Asc(),
			loadopts.With(CompanyEmployees, s),
			loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), s))
	case sh.top > 0:
		return Companies.Find(ctx, db, companyID.Le(sh.n), companyID.Asc(),
			loadopts.With(CompanyEmployees, s, loadopts.LimitPerParent(sh.top, employeeSalary.Desc())))
	}
	return Companies.Find(ctx, db, companyID.Le(sh.n), companyID.Asc(), loadopts.With(CompanyEmployees, s))
}

// pgxLoad is the hand-written twin of kinshipLoad.
func pgxLoad(ctx context.Context, db *pgxpool.Pool, s loadopts.Strategy, sh loadShape) ([]*Company, error) {
	switch s {
	case loadopts.Joined:
		switch {
		case sh.addresses:
			return pgxJoined2(ctx, db, sh.n)
		case sh.top > 0:
			return pgxJoined(ctx, db, topJoinedSQL, sh.n, sh.top)
		}
		return pgxJoined(ctx, db, joinedSQL, sh.n)
	case loadopts.SelectIn:
		switch {
		case sh.addresses:
			return pgxSelectIn(ctx, db, sh.n, employeesInSQL, addressesInSQL)
		case sh.top > 0:
			return pgxSelectIn(ctx, db, sh.n, topInSQL, "", sh.top)
		}
		return pgxSelectIn(ctx, db, sh.n, employeesInSQL, "")
	case loadopts.Subquery, loadopts.Pipelined:
		load := pgxSubquery
		if s == loadopts.Pipelined {
			load = pgxPipelined
		}
		switch {
		case sh.addresses:
			return load(ctx, db, sh.n, employeesSubSQL, addressesSubSQL)
		case sh.top > 0:
			return load(ctx, db, sh.n, topSubSQL, "", sh.top)
		}
		return load(ctx, db, sh.n, employeesSubSQL, "")
	}
	return nil, fmt.Errorf("no pgx twin for %v", s)
}

// scanCompanies reads the parents' query, at most n rows, each with its (empty, loaded)
// collection, indexed by id.
func scanCompanies(rows pgx.Rows, n int64) ([]*Company, map[int64]*Company, error) {
	defer rows.Close()
	cs := make([]*Company, 0, n)
	byID := make(map[int64]*Company, n)
	for rows.Next() {
		c := &Company{Employees: []*Employee{}}
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, nil, err
		}
		cs = append(cs, c)
		byID[c.ID] = c
	}
	return cs, byID, rows.Err()
}

// scanEmployees reads employees and appends each to its company's collection; with index, it
// also returns them indexed by id, each with its (empty, loaded) addresses.
func scanEmployees(rows pgx.Rows, byCompany map[int64]*Company, index bool) (map[int64]*Employee, error) {
	defer rows.Close()
	var byID map[int64]*Employee
	if index {
		byID = make(map[int64]*Employee)
	}
	for rows.Next() {
		e := &Employee{}
		if err := rows.Scan(&e.ID, &e.CompanyID, &e.Name, &e.Title, &e.Salary); err != nil {
			return nil, err
		}
		c := byCompany[e.CompanyID]
		if c == nil {
			return nil, fmt.Errorf("employee %d of company %d, which was not asked for", e.ID, e.CompanyID)
		}
		c.Employees = append(c.Employees, e)
		if index {
			e.Addresses = []*Address{}
			byID[e.ID] = e
		}
	}
	return byID, rows.Err()
}

// scanAddresses reads addresses and appends each to its employee's.
func scanAddresses(rows pgx.Rows, byEmployee map[int64]*Employee) error {
	defer rows.Close()
	for rows.Next() {
		a := &Address{}
		if err := rows.Scan(&a.ID, &a.EmployeeID, &a.City); err != nil {
			return err
		}
		e := byEmployee[a.EmployeeID]
		if e == nil {
			return fmt.Errorf("address %d of employee %d, which was not asked for", a.ID, a.EmployeeID)
		}
		e.Addresses = append(e.Addresses, a)
	}
	return rows.Err()
}

// pgxSelectIn: the parents, then employeesSQL with their keys (and extra arguments), then, if
// addressesSQL is not empty, the addresses of the employees' keys. A round trip each.
func pgxSelectIn(ctx context.Context, db *pgxpool.Pool, n int64, employeesSQL, addressesSQL string, extra ...any) ([]*Company, error) {
	rows, err := db.Query(ctx, parentsSQL, n)
	if err != nil {
		return nil, err
	}
	cs, byID, err := scanCompanies(rows, n)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	keys := make([]int64, len(cs))
	for i, c := range cs {
		keys[i] = c.ID
	}
	if rows, err = db.Query(ctx, employeesSQL, append([]any{keys}, extra...)...); err != nil {
		return nil, err
	}
	byEmployee, err := scanEmployees(rows, byID, addressesSQL != "")
	if err != nil || addressesSQL == "" || len(byEmployee) == 0 {
		return cs, err
	}
	ekeys := make([]int64, 0, len(byEmployee))
	for _, c := range cs {
		for _, e := range c.Employees {
			ekeys = append(ekeys, e.ID)
		}
	}
	if rows, err = db.Query(ctx, addressesSQL, ekeys); err != nil {
		return nil, err
	}
	return cs, scanAddresses(rows, byEmployee)
}

// pgxSubquery: the parents, then employeesSQL (which runs the parents' query again, with the
// same argument, and extra), then addressesSQL if not empty. A round trip each.
func pgxSubquery(ctx context.Context, db *pgxpool.Pool, n int64, employeesSQL, addressesSQL string, extra ...any) ([]*Company, error) {
	rows, err := db.Query(ctx, parentsSQL, n)
	if err != nil {
		return nil, err
	}
	cs, byID, err := scanCompanies(rows, n)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	if rows, err = db.Query(ctx, employeesSQL, append([]any{n}, extra...)...); err != nil {
		return nil, err
	}
	byEmployee, err := scanEmployees(rows, byID, addressesSQL != "")
	if err != nil || addressesSQL == "" || len(byEmployee) == 0 {
		return cs, err
	}
	if rows, err = db.Query(ctx, addressesSQL, n); err != nil {
		return nil, err
	}
	return cs, scanAddresses(rows, byEmployee)
}

// pgxPipelined sends pgxSubquery's statements in one pgx batch: one round trip.
func pgxPipelined(ctx context.Context, db *pgxpool.Pool, n int64, employeesSQL, addressesSQL string, extra ...any) ([]*Company, error) {
	b := &pgx.Batch{}
	b.Queue(parentsSQL, n)
	b.Queue(employeesSQL, append([]any{n}, extra...)...)
	if addressesSQL != "" {
		b.Queue(addressesSQL, n)
	}
	br := db.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	cs, byID, err := scanCompanies(rows, n)
	if err != nil {
		return nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, err
	}
	byEmployee, err := scanEmployees(rows, byID, addressesSQL != "")
	if err != nil {
		return nil, err
	}
	if addressesSQL != "" {
		if rows, err = br.Query(); err != nil {
			return nil, err
		}
		if err := scanAddresses(rows, byEmployee); err != nil {
			return nil, err
		}
	}
	return cs, br.Close()
}

// pgxJoined reads sql, companies LEFT JOIN employees (all of them, or a LATERAL top few: extra
// is its limit), a company once per employee, NULLs where it has none.
func pgxJoined(ctx context.Context, db *pgxpool.Pool, sql string, n int64, extra ...any) ([]*Company, error) {
	rows, err := db.Query(ctx, sql, append([]any{n}, extra...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := make([]*Company, 0, n)
	byID := make(map[int64]*Company, n)
	var (
		id            int64
		name          string
		eid, ecompany pgtype.Int8
		ename, etitle pgtype.Text
		esalary       pgtype.Int4
	)
	for rows.Next() {
		if err := rows.Scan(&id, &name, &eid, &ecompany, &ename, &etitle, &esalary); err != nil {
			return nil, err
		}
		c := byID[id]
		if c == nil {
			c = &Company{ID: id, Name: name, Employees: []*Employee{}}
			cs = append(cs, c)
			byID[id] = c
		}
		if eid.Valid {
			c.Employees = append(c.Employees, &Employee{ID: eid.Int64, CompanyID: ecompany.Int64, Name: ename.String, Title: etitle.String, Salary: esalary.Int32})
		}
	}
	return cs, rows.Err()
}

// pgxJoined2 reads companies LEFT JOIN employees LEFT JOIN addresses: a company once per
// address of each of its employees, an employee once per address.
func pgxJoined2(ctx context.Context, db *pgxpool.Pool, n int64) ([]*Company, error) {
	rows, err := db.Query(ctx, joined2SQL, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := make([]*Company, 0, n)
	byID := make(map[int64]*Company, n)
	byEmployee := make(map[int64]*Employee)
	var (
		id                      int64
		name                    string
		eid, ecompany, aid, aem pgtype.Int8
		ename, etitle, acity    pgtype.Text
		esalary                 pgtype.Int4
	)
	for rows.Next() {
		if err := rows.Scan(&id, &name, &eid, &ecompany, &ename, &etitle, &esalary, &aid, &aem, &acity); err != nil {
			return nil, err
		}
		c := byID[id]
		if c == nil {
			c = &Company{ID: id, Name: name, Employees: []*Employee{}}
			cs = append(cs, c)
			byID[id] = c
		}
		if !eid.Valid {
			continue
		}
		e := byEmployee[eid.Int64]
		if e == nil {
			e = &Employee{ID: eid.Int64, CompanyID: ecompany.Int64, Name: ename.String, Title: etitle.String, Salary: esalary.Int32, Addresses: []*Address{}}
			c.Employees = append(c.Employees, e)
			byEmployee[e.ID] = e
		}
		if aid.Valid {
			e.Addresses = append(e.Addresses, &Address{ID: aid.Int64, EmployeeID: aem.Int64, City: acity.String})
		}
	}
	return cs, rows.Err()
}

// graphSum is what checkLoaded compares: counts and sums of ids and salaries.
type graphSum struct {
	parents, children, addresses int64
	childIDs, salaries, addrIDs  int64
}

// wantSum asks the database, by SQL of its own, what a load of sh should return.
func wantSum(tb testing.TB, db *pgxpool.Pool, sh loadShape) graphSum {
	tb.Helper()
	ctx := context.Background()
	var w graphSum
	w.parents = min(sh.n, maxParents)
	employees := `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(salary), 0) FROM employees WHERE company_id <= $1`
	args := []any{sh.n}
	if sh.top > 0 {
		employees = `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(salary), 0) FROM (
			SELECT id, salary, row_number() OVER (PARTITION BY company_id ORDER BY salary DESC, id) AS rn
			FROM employees WHERE company_id <= $1) AS e WHERE rn <= $2`
		args = append(args, sh.top)
	}
	if err := db.QueryRow(ctx, employees, args...).Scan(&w.children, &w.childIDs, &w.salaries); err != nil {
		tb.Fatal(err)
	}
	if sh.addresses {
		if err := db.QueryRow(ctx, `SELECT count(*), coalesce(sum(a.id), 0) FROM addresses AS a
			JOIN employees AS e ON e.id = a.employee_id WHERE e.company_id <= $1`, sh.n).Scan(&w.addresses, &w.addrIDs); err != nil {
			tb.Fatal(err)
		}
	}
	return w
}

// checkLoaded checks a load of sh: the parents with ids 1 … n in order, every collection loaded,
// every child under its own parent (in salary order, for a top load), no child twice, and the
// counts and sums the database gives.
func checkLoaded(tb testing.TB, want graphSum, sh loadShape, cs []*Company) {
	tb.Helper()
	var got graphSum
	seen := map[int64]bool{}
	for i, c := range cs {
		if c.ID != int64(i+1) {
			tb.Fatalf("parent %d has id %d, want %d", i, c.ID, i+1)
		}
		if c.Employees == nil {
			tb.Fatalf("company %d: employees not loaded", c.ID)
		}
		if sh.top > 0 {
			if len(c.Employees) > sh.top {
				tb.Fatalf("company %d: %d employees, want at most %d", c.ID, len(c.Employees), sh.top)
			}
			if !slices.IsSortedFunc(c.Employees, func(a, b *Employee) int {
				if a.Salary != b.Salary {
					return int(b.Salary - a.Salary)
				}
				return int(a.ID - b.ID)
			}) {
				tb.Fatalf("company %d: top employees not in salary order", c.ID)
			}
		}
		got.parents++
		for _, e := range c.Employees {
			if e.CompanyID != c.ID || seen[e.ID] {
				tb.Fatalf("employee %d (company_id %d) under company %d, seen before: %v", e.ID, e.CompanyID, c.ID, seen[e.ID])
			}
			seen[e.ID] = true
			got.children++
			got.childIDs += e.ID
			got.salaries += int64(e.Salary)
			if !sh.addresses {
				continue
			}
			if e.Addresses == nil {
				tb.Fatalf("employee %d: addresses not loaded", e.ID)
			}
			for _, a := range e.Addresses {
				if a.EmployeeID != e.ID {
					tb.Fatalf("address %d of employee %d under employee %d", a.ID, a.EmployeeID, e.ID)
				}
				got.addresses++
				got.addrIDs += a.ID
			}
		}
	}
	if got != want {
		tb.Fatalf("loaded %+v, want %+v", got, want)
	}
}

// The strategies that load, in the order the benchmarks run them.
var loadStrategies = []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn, loadopts.Subquery, loadopts.Pipelined}

// Sizes of BenchmarkLoad: parents per load, children per parent.
var (
	loadParents  = []int64{10, 100, 1000}
	loadChildren = []int{0, 10, 100}
)

// BenchmarkLoad loads parents=N companies with their children=M employees each, by each
// strategy, kinship against its pgx twin. ns/child is the time per employee row loaded.
func BenchmarkLoad(b *testing.B) {
	for _, s := range loadStrategies {
		b.Run(s.String(), func(b *testing.B) {
			for _, n := range loadParents {
				for _, m := range loadChildren {
					b.Run(fmt.Sprintf("parents=%d/children=%d", n, m), func(b *testing.B) {
						benchLoad(b, loadData(b, m), s, loadShape{n: n}, int64(m)*n)
					})
				}
			}
		})
	}
}

// BenchmarkLoadTwoLevel loads 100 companies, their 10 employees each and the employees' 5
// addresses each, every level by the same strategy.
func BenchmarkLoadTwoLevel(b *testing.B) {
	for _, s := range loadStrategies {
		name := fmt.Sprintf("%v/parents=100/children=%d/addresses=%d", s, twoLevelChildren, twoLevelAddresses)
		b.Run(name, func(b *testing.B) {
			benchLoad(b, loadData(b, twoLevelChildren), s, loadShape{n: 100, addresses: true}, 0)
		})
	}
}

// BenchmarkLoadTop loads 100 companies with the 3 best-paid of their 100 employees each
// (loadopts.LimitPerParent).
func BenchmarkLoadTop(b *testing.B) {
	for _, s := range loadStrategies {
		b.Run(fmt.Sprintf("%v/parents=100/children=100/top=3", s), func(b *testing.B) {
			benchLoad(b, loadData(b, 100), s, loadShape{n: 100, top: 3}, 0)
		})
	}
}

// benchLoad runs the kinship and pgx sub-benchmarks of one load; rows, if not 0, is the number of
// child rows a load reads, for ns/child.
func benchLoad(b *testing.B, db *pgxpool.Pool, s loadopts.Strategy, sh loadShape, rows int64) {
	ctx := context.Background()
	want := wantSum(b, db, sh)
	for _, impl := range []struct {
		name string
		load func(context.Context, *pgxpool.Pool, loadopts.Strategy, loadShape) ([]*Company, error)
	}{{"kinship", kinshipLoad}, {"pgx", pgxLoad}} {
		b.Run(impl.name, func(b *testing.B) {
			var got []*Company
			b.ReportAllocs()
			before := tracer.Stats()
			for b.Loop() {
				var err error
				if got, err = impl.load(ctx, db, s, sh); err != nil {
					b.Fatal(err)
				}
			}
			roundTrips(b, before)
			if rows > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*rows), "ns/child")
			}
			checkLoaded(b, want, sh, got)
		})
	}
}

// BenchmarkPairedLoad runs the kinship and pgx loads by each strategy in one loop, alternating
// (see BenchmarkPaired): parents=100/children=10, the two-level load and the top 3.
func BenchmarkPairedLoad(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		m    int
		sh   loadShape
	}{
		{"parents=100/children=10", 10, loadShape{n: 100}},
		{fmt.Sprintf("parents=100/children=%d/addresses=%d", twoLevelChildren, twoLevelAddresses), twoLevelChildren, loadShape{n: 100, addresses: true}},
		{"parents=100/children=100/top=3", 100, loadShape{n: 100, top: 3}},
	} {
		for _, s := range loadStrategies {
			b.Run(s.String()+"/"+c.name, func(b *testing.B) {
				db := loadData(b, c.m)
				want := wantSum(b, db, c.sh)
				var gk, gp []*Company
				pair(b,
					func() (err error) { gk, err = kinshipLoad(ctx, db, s, c.sh); return err },
					func() (err error) { gp, err = pgxLoad(ctx, db, s, c.sh); return err })
				checkLoaded(b, want, c.sh, gk)
				checkLoaded(b, want, c.sh, gp)
			})
		}
	}
}

// BenchmarkPairedStrategies compares kinship's Pipelined load of parents=100/children=10 with
// its Joined and SelectIn loads, alternating in one loop: <strategy>-ns/op each, and their ratio.
func BenchmarkPairedStrategies(b *testing.B) {
	ctx := context.Background()
	for _, other := range []loadopts.Strategy{loadopts.Joined, loadopts.SelectIn} {
		b.Run(fmt.Sprintf("Pipelined-%v/parents=100/children=10", other), func(b *testing.B) {
			db := loadData(b, 10)
			sh := loadShape{n: 100}
			want := wantSum(b, db, sh)
			var gp, gother []*Company
			alternate(b, nil,
				"Pipelined", func() (err error) { gp, err = kinshipLoad(ctx, db, loadopts.Pipelined, sh); return err },
				other.String(), func() (err error) { gother, err = kinshipLoad(ctx, db, other, sh); return err })
			checkLoaded(b, want, sh, gp)
			checkLoaded(b, want, sh, gother)
		})
	}
}

// BenchmarkPairedScale loads 100 and 1,000 companies with their 100 employees each by kinship,
// alternating in one loop, and reports the time per employee row of each (parents=100-ns/child,
// parents=1000-ns/child) and their ratio: 1 if the cost per row does not grow with the load.
func BenchmarkPairedScale(b *testing.B) {
	ctx := context.Background()
	for _, s := range loadStrategies {
		b.Run(fmt.Sprintf("%v/children=100", s), func(b *testing.B) {
			db := loadData(b, 100)
			small, large := loadShape{n: 100}, loadShape{n: 1000}
			wantSmall, wantLarge := wantSum(b, db, small), wantSum(b, db, large)
			var gs, gl []*Company
			alternatePer(b, nil, "child",
				"parents=1000", float64(large.n*100), func() (err error) { gl, err = kinshipLoad(ctx, db, s, large); return err },
				"parents=100", float64(small.n*100), func() (err error) { gs, err = kinshipLoad(ctx, db, s, small); return err })
			checkLoaded(b, wantSmall, small, gs)
			checkLoaded(b, wantLarge, large, gl)
		})
	}
}
