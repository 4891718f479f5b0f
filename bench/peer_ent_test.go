package bench

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/bench/ent"
	"github.com/kinship-go/kinship/bench/ent/company"
	"github.com/kinship-go/kinship/bench/ent/employee"
	"github.com/kinship-go/kinship/bench/ent/model"
)

// entPeer is ent (entgo.io/ent): code generated from the schemas in ent/schema (go generate
// ./ent), a client over database/sql (pgx's stdlib driver, sqlDB). The ops are the generated
// builders: Create().Save, CreateBulk(…).Save (one multi-row INSERT … RETURNING), Get,
// Query().Limit(n).All, and for the update Update().Where(model.ID(id)).Set….Save, one UPDATE:
// UpdateOneID(id)….Exec opens a transaction of its own and reads the row back after the UPDATE
// (BEGIN, UPDATE, SELECT, COMMIT: 4 round trips), and ent's maintainers point to this form when
// the row is not wanted back (ent/ent#3499). The loads are eager loading,
// Company.Query()….WithEmployees(…): a query per level, children WHERE company_id IN ($1, …,
// $n). For the top 3 per company, a Limit in WithEmployees would limit the whole child query;
// ent's limit per parent is a modifier, Modify(sqlgraph.LimitNeighbors(…)) (feature
// sql/modifier; the maintainers' answer in ent/ent#3427), a row_number() window in a CTE, to
// which ORDER BY salary DESC, id is added for the order within a company. The flushes run in
// client.Tx: InsertGraph creates the company, then its employees by one CreateBulk; Raise
// queries the employees, then writes each new salary back by an UPDATE of its own,
// Update().Where(employee.ID(id)).SetSalary (ent has neither a statement that writes different
// values to many rows nor a batch: 100 round trips; UpdateOne(e) would read each row back too,
// 200); DeleteGraph deletes the employees by company_id, then the company.
type entPeer struct {
	client     *ent.Client
	models     []*ent.Model // what the last insert inserted or the last read read
	companies  []*ent.Company
	graph      *ent.Company
	employees  []*ent.Employee // the graph's employees
	modelsOnce [1]*ent.Model
}

func openEnt(_ testing.TB, db *pgxpool.Pool) peer {
	return &entPeer{client: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, sqlDB(db))))}
}

func (p *entPeer) Insert(ctx context.Context) (err error) {
	m := nextModel()
	p.modelsOnce[0], err = p.client.Model.Create().
		SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
		SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter).
		Save(ctx)
	p.models = p.modelsOnce[:]
	return err
}

func (p *entPeer) InsertMulti(ctx context.Context, n int) (err error) {
	ms := nextModels(n)
	bulk := make([]*ent.ModelCreate, len(ms))
	for i, m := range ms {
		bulk[i] = p.client.Model.Create().
			SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
			SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter)
	}
	p.models, err = p.client.Model.CreateBulk(bulk...).Save(ctx)
	return err
}

func (p *entPeer) Update(ctx context.Context, m *Model) error {
	n, err := p.client.Model.Update().Where(model.ID(m.Id)).
		SetName(m.Name).SetTitle(m.Title).SetFax(m.Fax).SetWeb(m.Web).
		SetAge(m.Age).SetRight(m.Right).SetCounter(m.Counter).
		Save(ctx)
	if err == nil && n != 1 {
		err = fmt.Errorf("update: %d rows with id %d", n, m.Id)
	}
	return err
}

func (p *entPeer) Read(ctx context.Context, id int) (err error) {
	p.modelsOnce[0], err = p.client.Model.Get(ctx, id)
	p.models = p.modelsOnce[:]
	return err
}

func (p *entPeer) ReadSlice(ctx context.Context, n int) (err error) {
	p.models, err = p.client.Model.Query().Limit(n).All(ctx)
	return err
}

func (p *entPeer) Models() []*Model {
	ms := make([]*Model, len(p.models))
	for i, m := range p.models {
		ms[i] = &Model{Id: m.ID, Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter}
	}
	return ms
}

func (p *entPeer) Load(ctx context.Context, sh loadShape) (err error) {
	q := p.client.Company.Query().Where(company.IDLTE(sh.n)).Order(ent.Asc(company.FieldID))
	switch {
	case sh.addresses:
		q.WithEmployees(func(q *ent.EmployeeQuery) { q.WithAddresses() })
	case sh.top > 0:
		q.WithEmployees(func(q *ent.EmployeeQuery) {
			q.Modify(
				sqlgraph.LimitNeighbors(employee.FieldCompanyID, sh.top,
					entsql.DescExpr(entsql.Expr(employee.FieldSalary)), entsql.Expr(employee.FieldID)),
				employee.BySalary(entsql.OrderDesc()), employee.ByID())
		})
	default:
		q.WithEmployees()
	}
	p.companies, err = q.All(ctx)
	return err
}

func (p *entPeer) Companies() []*Company {
	cs := make([]*Company, len(p.companies))
	for i, c := range p.companies {
		cs[i] = &Company{ID: c.ID, Name: c.Name, Employees: entEmployees(c.Edges.Employees)}
	}
	return cs
}

// entEmployees converts es, keeping nil (not loaded) apart from empty (loaded, none).
func entEmployees(es []*ent.Employee) []*Employee {
	if es == nil {
		return nil
	}
	out := make([]*Employee, len(es))
	for i, e := range es {
		out[i] = &Employee{ID: e.ID, CompanyID: e.CompanyID, Name: e.Name, Title: e.Title, Salary: e.Salary}
		if as := e.Edges.Addresses; as != nil {
			out[i].Addresses = make([]*Address, len(as))
			for j, a := range as {
				out[i].Addresses[j] = &Address{ID: a.ID, EmployeeID: a.EmployeeID, City: a.City}
			}
		}
	}
	return out
}

func (p *entPeer) InsertGraph(ctx context.Context) error {
	c := newCompany()
	tx, err := p.client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if p.graph, err = tx.Company.Create().SetName(c.Name).Save(ctx); err != nil {
		return err
	}
	bulk := make([]*ent.EmployeeCreate, len(c.Employees))
	for i, e := range c.Employees {
		bulk[i] = tx.Employee.Create().SetCompany(p.graph).SetName(e.Name).SetTitle(e.Title).SetSalary(e.Salary)
	}
	if p.employees, err = tx.Employee.CreateBulk(bulk...).Save(ctx); err != nil {
		return err
	}
	return tx.Commit()
}

func (p *entPeer) Graph() *Company {
	return &Company{ID: p.graph.ID, Name: p.graph.Name, Employees: entEmployees(p.employees)}
}

func (p *entPeer) Raise(ctx context.Context, id int64) error {
	tx, err := p.client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	es, err := tx.Employee.Query().Where(employee.CompanyID(id)).All(ctx)
	if err != nil {
		return err
	}
	if len(es) != flushChildren {
		return fmt.Errorf("company %d has %d employees, want %d", id, len(es), flushChildren)
	}
	for _, e := range es {
		n, err := tx.Employee.Update().Where(employee.ID(e.ID)).SetSalary(e.Salary + 1).Save(ctx)
		if err == nil && n != 1 {
			err = fmt.Errorf("update of employee %d: %d rows", e.ID, n)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (p *entPeer) DeleteGraph(ctx context.Context, id int64) error {
	tx, err := p.client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.Employee.Delete().Where(employee.CompanyID(id)).Exec(ctx)
	if err == nil && n != flushChildren {
		err = fmt.Errorf("deleted %d employees of company %d, want %d", n, id, flushChildren)
	}
	if err != nil {
		return err
	}
	if err := tx.Company.DeleteOneID(id).Exec(ctx); err != nil {
		return err
	}
	return tx.Commit()
}
