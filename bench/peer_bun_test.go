package bench

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// bunPeer is bun (github.com/uptrace/bun with pgdialect over sqlDB's pgx stdlib handle), its
// query builder on its models bunModel, bunCompany, bunEmployee and bunAddress, tagged as bun's
// docs show. bun writes every value into the SQL text itself and sends no parameters, so a
// statement whose values change (Update's counter, InsertGraph's company_id, Raise's salaries)
// is new SQL text each time: sent with no arguments, pgx runs an Exec in the simple protocol and
// prepares a Query (a SELECT, a RETURNING) into its statement cache, a Prepare more. Of the
// workloads only InsertGraph's INSERT of the employees, whose company_id changes, is such a
// Query: one Prepare per op, a round trip that the tracer counts apart, not in roundtrips/op.
// Insert's and InsertMulti's rows are the same at every op, and so is their text: pgx prepares
// it once, and the server then runs it with no parameters to bind, which makes bun's InsertMulti
// faster than the pgx peer's 700 parameters here (0.6 ms against 1.5 ms), a gain that rows of
// other values, new text each time, would not see.
//
//   - Insert: NewInsert().Model(&m), one INSERT … VALUES (DEFAULT, …) RETURNING "id".
//     InsertMulti: NewInsert().Model(&ms), one INSERT of n rows … RETURNING "id".
//   - Update: NewUpdate().Model(&m).WherePK(), one UPDATE of every column by primary key.
//   - Read: NewSelect().Model(&m).Where("id = ?", id). ReadSlice: NewSelect().Model(&ms).Limit(n).
//   - Load: NewSelect().Model(&companies).Relation("Employees") (or "Employees.Addresses") with
//     Where("id <= ?", n).Order("id"): the companies, then their employees WHERE company_id IN
//     (1, …, n) (then the employees' addresses the same way), a round trip each, as the pgx peer
//     does. Relation joins has-one and belongs-to relations into the parents' query, and loads
//     has-many ones by a query each. The top few employees per company it cannot load (see
//     bunTop).
//   - InsertGraph: in RunInTx, the company's INSERT … RETURNING "id", its id set on the
//     employees, their multi-row INSERT … RETURNING "id" (bun saves no relations): 4 round trips
//     with BEGIN and COMMIT.
//   - Raise: in RunInTx, select the employees, add 1 to each salary, and write them in one
//     NewUpdate().Model(&employees).Column("salary").Bulk(): WITH _data (id, company_id, name,
//     title, salary) AS (VALUES …) UPDATE employees SET salary = _data.salary FROM _data WHERE
//     id = _data.id (the VALUES carry every column; the SET only salary). BEGIN, SELECT, UPDATE,
//     COMMIT.
//   - DeleteGraph: in RunInTx, DELETE the employees WHERE company_id, then the company (bun
//     has no cascade of its own): 4 round trips with BEGIN and COMMIT.
type bunPeer struct {
	db        *bun.DB
	models    []bunModel // what the last op inserted or read
	companies []bunCompany
	graph     *bunCompany
	readOnce  [1]bunModel
}

// bunModel is table models.
type bunModel struct {
	bun.BaseModel `bun:"table:models,alias:m"`

	ID      int `bun:"id,pk,autoincrement"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

// bunCompany is table companies, with its employees (has many).
type bunCompany struct {
	bun.BaseModel `bun:"table:companies,alias:company"`

	ID        int64 `bun:"id,pk,autoincrement"`
	Name      string
	Employees []bunEmployee `bun:"rel:has-many,join:id=company_id"`
}

// bunEmployee is table employees, with its addresses (has many).
type bunEmployee struct {
	bun.BaseModel `bun:"table:employees,alias:employee"`

	ID        int64 `bun:"id,pk,autoincrement"`
	CompanyID int64
	Name      string
	Title     string
	Salary    int32
	Addresses []bunAddress `bun:"rel:has-many,join:id=employee_id"`
}

// bunAddress is table addresses.
type bunAddress struct {
	bun.BaseModel `bun:"table:addresses,alias:address"`

	ID         int64 `bun:"id,pk,autoincrement"`
	EmployeeID int64
	City       string
}

// The new company of InsertGraph, newCompany's values as bun's types, made once: the op copies it.
var (
	bunNewCompany = bunCompanyOf(newCompany())
)

func bunModelOf(m *Model) bunModel {
	return bunModel{ID: m.Id, Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter}
}

func bunModelsOf(ms []*Model) []bunModel {
	out := make([]bunModel, len(ms))
	for i, m := range ms {
		out[i] = bunModelOf(m)
	}
	return out
}

func bunCompanyOf(c *Company) bunCompany {
	b := bunCompany{ID: c.ID, Name: c.Name, Employees: make([]bunEmployee, len(c.Employees))}
	for i, e := range c.Employees {
		b.Employees[i] = bunEmployee{ID: e.ID, CompanyID: e.CompanyID, Name: e.Name, Title: e.Title, Salary: e.Salary}
	}
	return b
}

func openBun(_ testing.TB, db *pgxpool.Pool) peer {
	return &bunPeer{db: bun.NewDB(sqlDB(db), pgdialect.New())}
}

func (p *bunPeer) Insert(ctx context.Context) error {
	p.readOnce[0] = bunModelOf(nextModel())
	p.models = p.readOnce[:]
	_, err := p.db.NewInsert().Model(&p.models[0]).Exec(ctx)
	return err
}

func (p *bunPeer) InsertMulti(ctx context.Context, n int) error {
	p.models = bunModelsOf(nextModels(n))
	_, err := p.db.NewInsert().Model(&p.models).Exec(ctx)
	return err
}

func (p *bunPeer) Update(ctx context.Context, m *Model) error {
	b := bunModelOf(m)
	res, err := p.db.NewUpdate().Model(&b).WherePK().Exec(ctx)
	return affected(res, err, 1, "update of model")
}

func (p *bunPeer) Read(ctx context.Context, id int) error {
	p.readOnce[0] = bunModel{}
	p.models = p.readOnce[:]
	return p.db.NewSelect().Model(&p.models[0]).Where("id = ?", id).Scan(ctx)
}

func (p *bunPeer) ReadSlice(ctx context.Context, n int) error {
	p.models = nil
	return p.db.NewSelect().Model(&p.models).Limit(int64(n)).Scan(ctx)
}

func (p *bunPeer) Models() []*Model {
	ms := make([]*Model, len(p.models))
	for i, b := range p.models {
		ms[i] = &Model{Id: b.ID, Name: b.Name, Title: b.Title, Fax: b.Fax, Web: b.Web, Age: b.Age, Right: b.Right, Counter: b.Counter}
	}
	return ms
}

// bunTop is why bun cannot load the top few employees of each company: the function Relation
// takes to change the children's query, Relation("Employees", func(q *bun.SelectQuery)
// *bun.SelectQuery { return q.Order("salary DESC").Limit(3) }), changes the one query of all
// the companies' employees, which it limits to 3 in all, not 3 per company.
var bunTop = unsupported("bun has no per-parent limit: Relation loads a has-many by one query of all the parents' children, whose Limit(3) is 3 in all, not 3 per parent")

func (p *bunPeer) Load(ctx context.Context, sh loadShape) error {
	p.companies = nil
	q := p.db.NewSelect().Model(&p.companies)
	switch {
	case sh.top > 0:
		return bunTop
	case sh.addresses:
		q = q.Relation("Employees.Addresses")
	default:
		q = q.Relation("Employees")
	}
	return q.Where("id <= ?", sh.n).Order("id").Scan(ctx)
}

// Companies converts what Load read. bun leaves a parent without children with a nil
// collection; the load asked for every collection, so each is loaded, and non-nil here.
func (p *bunPeer) Companies() []*Company {
	cs := make([]*Company, len(p.companies))
	for i := range p.companies {
		cs[i] = bunCompanyTo(&p.companies[i])
	}
	return cs
}

func bunCompanyTo(b *bunCompany) *Company {
	c := &Company{ID: b.ID, Name: b.Name, Employees: make([]*Employee, len(b.Employees))}
	for i, be := range b.Employees {
		e := &Employee{ID: be.ID, CompanyID: be.CompanyID, Name: be.Name, Title: be.Title, Salary: be.Salary,
			Addresses: make([]*Address, len(be.Addresses))}
		for j, a := range be.Addresses {
			e.Addresses[j] = &Address{ID: a.ID, EmployeeID: a.EmployeeID, City: a.City}
		}
		c.Employees[i] = e
	}
	return c
}

func (p *bunPeer) InsertGraph(ctx context.Context) error {
	c := bunNewCompany
	c.Employees = slices.Clone(c.Employees)
	p.graph = &c
	return p.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(p.graph).Exec(ctx); err != nil {
			return err
		}
		for i := range c.Employees {
			c.Employees[i].CompanyID = c.ID
		}
		_, err := tx.NewInsert().Model(&c.Employees).Exec(ctx)
		return err
	})
}

func (p *bunPeer) Graph() *Company { return bunCompanyTo(p.graph) }

func (p *bunPeer) Raise(ctx context.Context, company int64) error {
	return p.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var es []bunEmployee
		if err := tx.NewSelect().Model(&es).Where("company_id = ?", company).Scan(ctx); err != nil {
			return err
		}
		if len(es) != flushChildren {
			return fmt.Errorf("company %d has %d employees, want %d", company, len(es), flushChildren)
		}
		for i := range es {
			es[i].Salary++
		}
		res, err := tx.NewUpdate().Model(&es).Column("salary").Bulk().Exec(ctx)
		return affected(res, err, flushChildren, "raise")
	})
}

func (p *bunPeer) DeleteGraph(ctx context.Context, company int64) error {
	return p.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*bunEmployee)(nil)).Where("company_id = ?", company).Exec(ctx)
		if err := affected(res, err, flushChildren, "delete of employees"); err != nil {
			return err
		}
		res, err = tx.NewDelete().Model((*bunCompany)(nil)).Where("id = ?", company).Exec(ctx)
		return affected(res, err, 1, "delete of company")
	})
}

// affected returns err, or an error if res says that other than want rows were written.
func affected(res sql.Result, err error, want int64, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n != want {
		err = fmt.Errorf("%s: %d rows, want %d", what, n, want)
	}
	return err
}
