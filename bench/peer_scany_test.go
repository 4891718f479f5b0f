package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/georgysavva/scany/v2/pgxscan"
	"github.com/jackc/pgx/v5/pgxpool"
)

// scanyPeer is the common Go stack: SQL written by hand, run by pgx, rows scanned into structs by
// scany (github.com/georgysavva/scany/v2/pgxscan), which maps columns to fields by reflection
// (Company's and Employee's fields by their snake_case names), children stitched to parents
// through a map by hand. It loads as the pgx peer does: parents, then children WHERE parent_id =
// ANY($1). scany only reads, so the workloads that only write (the inserts, the update, the
// delete) are the pgx peer's code; they are not run twice.
type scanyPeer struct {
	db        *pgxpool.Pool
	models    []*Model
	companies []*Company
}

func openScany(_ testing.TB, db *pgxpool.Pool) peer { return &scanyPeer{db: db} }

var errScanyWrites = unsupported("scany only scans rows: its writes are hand-written pgx, the pgx row")

func (p *scanyPeer) Insert(context.Context) error             { return errScanyWrites }
func (p *scanyPeer) InsertMulti(context.Context, int) error   { return errScanyWrites }
func (p *scanyPeer) Update(context.Context, *Model) error     { return errScanyWrites }
func (p *scanyPeer) InsertGraph(context.Context) error        { return errScanyWrites }
func (p *scanyPeer) Graph() *Company                          { return nil }
func (p *scanyPeer) DeleteGraph(context.Context, int64) error { return errScanyWrites }
func (p *scanyPeer) Models() []*Model                         { return p.models }
func (p *scanyPeer) Companies() []*Company                    { return p.companies }

func (p *scanyPeer) Read(ctx context.Context, id int) error {
	m := &Model{}
	p.models = []*Model{m}
	return pgxscan.Get(ctx, p.db, m, getSQL, id)
}

func (p *scanyPeer) ReadSlice(ctx context.Context, n int) error {
	p.models = nil
	return pgxscan.Select(ctx, p.db, &p.models, listSQL, n)
}

func (p *scanyPeer) Load(ctx context.Context, sh loadShape) error {
	p.companies = nil
	if err := pgxscan.Select(ctx, p.db, &p.companies, parentsSQL, sh.n); err != nil {
		return err
	}
	byID := make(map[int64]*Company, len(p.companies))
	keys := make([]int64, len(p.companies))
	for i, c := range p.companies {
		c.Employees = []*Employee{}
		byID[c.ID] = c
		keys[i] = c.ID
	}
	var es []*Employee
	var err error
	if sh.top > 0 {
		err = pgxscan.Select(ctx, p.db, &es, topInSQL, keys, sh.top)
	} else {
		err = pgxscan.Select(ctx, p.db, &es, employeesInSQL, keys)
	}
	if err != nil {
		return err
	}
	byEmployee := make(map[int64]*Employee, len(es))
	for _, e := range es {
		c := byID[e.CompanyID]
		if c == nil {
			return fmt.Errorf("employee %d of company %d, which was not asked for", e.ID, e.CompanyID)
		}
		c.Employees = append(c.Employees, e)
		if sh.addresses {
			e.Addresses = []*Address{}
			byEmployee[e.ID] = e
		}
	}
	if !sh.addresses || len(es) == 0 {
		return nil
	}
	ekeys := make([]int64, len(es))
	for i, e := range es {
		ekeys[i] = e.ID
	}
	var as []*Address
	if err := pgxscan.Select(ctx, p.db, &as, addressesInSQL, ekeys); err != nil {
		return err
	}
	for _, a := range as {
		e := byEmployee[a.EmployeeID]
		if e == nil {
			return fmt.Errorf("address %d of employee %d, which was not asked for", a.ID, a.EmployeeID)
		}
		e.Addresses = append(e.Addresses, a)
	}
	return nil
}

// Raise reads the employees with scany, then writes them back as the pgx peer does.
func (p *scanyPeer) Raise(ctx context.Context, company int64) error {
	tx, err := p.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var es []*Employee
	if err := pgxscan.Select(ctx, tx, &es, employeesOfSQL, company); err != nil {
		return err
	}
	return raiseAndCommit(ctx, tx, company, es)
}
