package bench

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// gormPeer is GORM (gorm.io/gorm with gorm.io/driver/postgres over sqlDB's pgx stdlib handle)
// at its fastest settings here: SkipDefaultTransaction (no transaction around every single
// write; the flushes that must be atomic run in db.Transaction), no logger, and prepared
// statements from pgx's statement cache (the driver's default, QueryExecModeCacheStatement: each
// statement text is prepared once per connection, as for every other peer) rather than GORM's
// PrepareStmt. Its models are gormModel, gormCompany, gormEmployee and gormAddress, tagged as
// GORM's docs show.
//
// GORM's performance guide recommends PrepareStmt, and it was measured: outside a transaction it
// changes nothing (pgx has prepared the statement already), and inside one it costs: GORM
// prepares each statement on the transaction, database/sql closes it at COMMIT, and pgx's stdlib
// then deallocates it, so each of a flush's statements is prepared and deallocated anew in every
// transaction, 2 round trips more per statement (which the tracer counts as prepares, not in
// roundtrips/op). With it, Raise took 2.6 ms rather than 1.5–1.8 ms and InsertGraph 2.8–4.5 ms
// rather than 2.1–2.5 ms, over three runs each.
//
//   - Insert: Create(&m), one INSERT … RETURNING "id". InsertMulti: Create(&ms), one INSERT of n
//     rows … RETURNING "id".
//   - Update: Save(&m), one UPDATE of every column by primary key.
//   - Read: Take(&m, id), one SELECT * … WHERE "models"."id" = $1 LIMIT $2 (First would add ORDER
//     BY "id", to the same effect on a key). ReadSlice: Limit(n).Find(&ms).
//   - Load: Preload("Employees") (or "Employees.Addresses") … Where("id <= ?", n).Order("id"):
//     the companies, then their employees WHERE company_id IN ($1, …, $n) (then the employees'
//     addresses the same way), a round trip each, as the pgx peer does. Its Joins preloading,
//     one statement, works only for has-one and belongs-to relations, not for has-many. The top
//     few employees per company it cannot load (see gormTop).
//   - InsertGraph: Create(&company) with its Employees set, in db.Transaction: the company's
//     INSERT … RETURNING "id", then GORM copies the id into the employees and inserts them in one
//     multi-row INSERT … ON CONFLICT ("id") DO UPDATE SET "company_id" = excluded."company_id"
//     RETURNING "id" (how GORM saves a has-many association). BEGIN and COMMIT: 4 round trips.
//   - Raise: Find the employees, add 1 to each salary, Save(&employees), in db.Transaction. GORM
//     saves a slice as one INSERT … ON CONFLICT ("id") DO UPDATE SET every column = excluded's:
//     BEGIN, SELECT, upsert, COMMIT.
//   - DeleteGraph: Select("Employees").Delete(&company), in db.Transaction: GORM deletes the
//     has-many association first, DELETE … WHERE "company_id" = $1, then the company. GORM does not
//     batch, so 4 round trips with BEGIN and COMMIT.
type gormPeer struct {
	db        *gorm.DB
	models    []gormModel // what the last op inserted or read
	companies []gormCompany
	graph     *gormCompany
	readOnce  [1]gormModel
}

// gormModel is table models.
type gormModel struct {
	ID      int `gorm:"primaryKey"`
	Name    string
	Title   string
	Fax     string
	Web     string
	Age     int
	Right   bool
	Counter int64
}

func (gormModel) TableName() string { return "models" }

// gormCompany is table companies, with its employees (has many).
type gormCompany struct {
	ID        int64 `gorm:"primaryKey"`
	Name      string
	Employees []gormEmployee `gorm:"foreignKey:CompanyID"`
}

func (gormCompany) TableName() string { return "companies" }

// gormEmployee is table employees, with its addresses (has many).
type gormEmployee struct {
	ID        int64 `gorm:"primaryKey"`
	CompanyID int64
	Name      string
	Title     string
	Salary    int32
	Addresses []gormAddress `gorm:"foreignKey:EmployeeID"`
}

func (gormEmployee) TableName() string { return "employees" }

// gormAddress is table addresses.
type gormAddress struct {
	ID         int64 `gorm:"primaryKey"`
	EmployeeID int64
	City       string
}

func (gormAddress) TableName() string { return "addresses" }

// The new company of InsertGraph, newCompany's values as GORM's types, made once: the op copies it.
var (
	gormNewCompany = gormCompanyOf(newCompany())
)

func gormModelOf(m *Model) gormModel {
	return gormModel{ID: m.Id, Name: m.Name, Title: m.Title, Fax: m.Fax, Web: m.Web, Age: m.Age, Right: m.Right, Counter: m.Counter}
}

func gormModelsOf(ms []*Model) []gormModel {
	out := make([]gormModel, len(ms))
	for i, m := range ms {
		out[i] = gormModelOf(m)
	}
	return out
}

func gormCompanyOf(c *Company) gormCompany {
	g := gormCompany{ID: c.ID, Name: c.Name, Employees: make([]gormEmployee, len(c.Employees))}
	for i, e := range c.Employees {
		g.Employees[i] = gormEmployee{ID: e.ID, CompanyID: e.CompanyID, Name: e.Name, Title: e.Title, Salary: e.Salary}
	}
	return g
}

func openGorm(tb testing.TB, db *pgxpool.Pool) peer {
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB(db)}), &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &gormPeer{db: g}
}

func (p *gormPeer) Insert(ctx context.Context) error {
	p.readOnce[0] = gormModelOf(nextModel())
	p.models = p.readOnce[:]
	return p.db.WithContext(ctx).Create(&p.models[0]).Error
}

func (p *gormPeer) InsertMulti(ctx context.Context, n int) error {
	p.models = gormModelsOf(nextModels(n))
	return p.db.WithContext(ctx).Create(&p.models).Error
}

func (p *gormPeer) Update(ctx context.Context, m *Model) error {
	g := gormModelOf(m)
	return p.db.WithContext(ctx).Save(&g).Error
}

func (p *gormPeer) Read(ctx context.Context, id int) error {
	p.readOnce[0] = gormModel{}
	p.models = p.readOnce[:]
	return p.db.WithContext(ctx).Take(&p.models[0], id).Error
}

func (p *gormPeer) ReadSlice(ctx context.Context, n int) error {
	p.models = nil
	return p.db.WithContext(ctx).Limit(n).Find(&p.models).Error
}

func (p *gormPeer) Models() []*Model {
	ms := make([]*Model, len(p.models))
	for i, g := range p.models {
		ms[i] = &Model{Id: g.ID, Name: g.Name, Title: g.Title, Fax: g.Fax, Web: g.Web, Age: g.Age, Right: g.Right, Counter: g.Counter}
	}
	return ms
}

// gormTop is why GORM cannot load the top few employees of each company: Preload's conditions,
// Preload("Employees", func(db *gorm.DB) *gorm.DB { return db.Order("salary DESC").Limit(3) }),
// apply to the one query of all the companies' employees, which they limit to 3 in all, not 3
// per company; and Joins preloading does not take has-many relations.
var gormTop = unsupported("GORM has no per-parent limit: Preload's conditions apply to its one query of all the parents' children (Limit(3) is 3 in all, not 3 per parent), and Joins preloading takes no has-many")

func (p *gormPeer) Load(ctx context.Context, sh loadShape) error {
	p.companies = nil
	q := p.db.WithContext(ctx)
	switch {
	case sh.top > 0:
		return gormTop
	case sh.addresses:
		q = q.Preload("Employees.Addresses")
	default:
		q = q.Preload("Employees")
	}
	return q.Where("id <= ?", sh.n).Order("id").Find(&p.companies).Error
}

func (p *gormPeer) Companies() []*Company {
	cs := make([]*Company, len(p.companies))
	for i := range p.companies {
		cs[i] = gormCompanyTo(&p.companies[i])
	}
	return cs
}

// gormCompanyTo converts g, with its employees and their addresses: a collection GORM loaded
// (non-nil: Preload sets an empty slice on a parent without children) stays non-nil.
func gormCompanyTo(g *gormCompany) *Company {
	c := &Company{ID: g.ID, Name: g.Name}
	if g.Employees != nil {
		c.Employees = make([]*Employee, len(g.Employees))
	}
	for i, ge := range g.Employees {
		e := &Employee{ID: ge.ID, CompanyID: ge.CompanyID, Name: ge.Name, Title: ge.Title, Salary: ge.Salary}
		if ge.Addresses != nil {
			e.Addresses = make([]*Address, len(ge.Addresses))
		}
		for j, a := range ge.Addresses {
			e.Addresses[j] = &Address{ID: a.ID, EmployeeID: a.EmployeeID, City: a.City}
		}
		c.Employees[i] = e
	}
	return c
}

func (p *gormPeer) InsertGraph(ctx context.Context) error {
	c := gormNewCompany
	c.Employees = slices.Clone(c.Employees)
	p.graph = &c
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(p.graph).Error
	})
}

func (p *gormPeer) Graph() *Company { return gormCompanyTo(p.graph) }

func (p *gormPeer) Raise(ctx context.Context, company int64) error {
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var es []gormEmployee
		if err := tx.Where("company_id = ?", company).Find(&es).Error; err != nil {
			return err
		}
		if len(es) != flushChildren {
			return fmt.Errorf("company %d has %d employees, want %d", company, len(es), flushChildren)
		}
		for i := range es {
			es[i].Salary++
		}
		return tx.Save(&es).Error
	})
}

func (p *gormPeer) DeleteGraph(ctx context.Context, company int64) error {
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Select("Employees").Delete(&gormCompany{ID: company})
		if res.Error == nil && res.RowsAffected != 1 {
			return fmt.Errorf("company %d: deleted %d rows", company, res.RowsAffected)
		}
		return res.Error
	})
}
