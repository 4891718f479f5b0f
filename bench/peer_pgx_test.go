package bench

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
)

// The two peers of the kinship-against-pgx benchmarks, as peers of BenchmarkPeers: the same
// functions (ops_test.go, load_test.go, flush_test.go), so that both comparisons measure the
// same code.

// pgxPeer is hand-written pgx: SQL text, Scan by hand, children stitched to parents through a
// map. It loads as pgxLoad does with strategy load: SelectIn (parents, then children WHERE
// company_id = ANY($1): two round trips) or Pipelined (the statements of kinship's Pipelined
// strategy in one pgx.Batch).
type pgxPeer struct {
	db         *pgxpool.Pool
	load       loadopts.Strategy
	insertSQL  map[int]string // InsertMulti's statement by row count, built once as kinship does
	graphSQL   string         // InsertGraph's INSERT of the employees, built once
	models     []*Model       // what the last insert inserted, or nil after a read
	read       []Model        // what the last read read
	companies  []*Company
	graph      *Company
	modelsOnce [1]*Model
	readOnce   [1]Model
}

func openPgx(load loadopts.Strategy) func(testing.TB, *pgxpool.Pool) peer {
	return func(_ testing.TB, db *pgxpool.Pool) peer {
		return &pgxPeer{db: db, load: load, insertSQL: map[int]string{}, graphSQL: insertEmployeesSQL(flushChildren)}
	}
}

func (p *pgxPeer) Insert(ctx context.Context) error {
	m := nextModel()
	p.modelsOnce[0] = m
	p.models = p.modelsOnce[:]
	return insertModel(ctx, p.db, m)
}

func (p *pgxPeer) InsertMulti(ctx context.Context, n int) error {
	sql, ok := p.insertSQL[n]
	if !ok {
		sql = insertModelsSQL(n)
		p.insertSQL[n] = sql
	}
	p.models = nextModels(n)
	return insertModels(ctx, p.db, sql, p.models)
}

func (p *pgxPeer) Update(ctx context.Context, m *Model) error { return updateModel(ctx, p.db, m) }

func (p *pgxPeer) Read(ctx context.Context, id int) (err error) {
	p.models, p.read = nil, p.readOnce[:]
	p.read[0], err = getModel(ctx, p.db, id)
	return err
}

func (p *pgxPeer) ReadSlice(ctx context.Context, n int) (err error) {
	p.models = nil
	p.read, err = listModels(ctx, p.db, int64(n))
	return err
}

func (p *pgxPeer) Models() []*Model {
	if p.models != nil {
		return p.models
	}
	ms := make([]*Model, len(p.read))
	for i := range p.read {
		ms[i] = &p.read[i]
	}
	return ms
}

func (p *pgxPeer) Load(ctx context.Context, sh loadShape) (err error) {
	p.companies, err = pgxLoad(ctx, p.db, p.load, sh)
	return err
}

func (p *pgxPeer) Companies() []*Company { return p.companies }

func (p *pgxPeer) InsertGraph(ctx context.Context) error {
	p.graph = newCompany()
	return pgxInsert(ctx, p.db, p.graphSQL, p.graph)
}

func (p *pgxPeer) Graph() *Company { return p.graph }

func (p *pgxPeer) Raise(ctx context.Context, company int64) error {
	return pgxRaise(ctx, p.db, company)
}

func (p *pgxPeer) DeleteGraph(ctx context.Context, company int64) error {
	return pgxDelete(ctx, p.db, company)
}

// kinshipPeer is kinship: repo.Repo for the ops, Find with loadopts.With(…, load) for the loads,
// uow.Run with model for the flushes.
type kinshipPeer struct {
	db         *pgxpool.Pool
	load       loadopts.Strategy
	model      *uow.Model
	models     []*Model
	companies  []*Company
	graph      *Company
	modelsOnce [1]*Model
}

func openKinship(load loadopts.Strategy, model *uow.Model) func(testing.TB, *pgxpool.Pool) peer {
	return func(_ testing.TB, db *pgxpool.Pool) peer {
		return &kinshipPeer{db: db, load: load, model: model}
	}
}

func (p *kinshipPeer) Insert(ctx context.Context) error {
	m := nextModel()
	p.modelsOnce[0] = m
	p.models = p.modelsOnce[:]
	return Models.Insert(ctx, p.db, m)
}

func (p *kinshipPeer) InsertMulti(ctx context.Context, n int) error {
	p.models = nextModels(n)
	return Models.Insert(ctx, p.db, p.models...)
}

func (p *kinshipPeer) Update(ctx context.Context, m *Model) error { return Models.Update(ctx, p.db, m) }

func (p *kinshipPeer) Read(ctx context.Context, id int) error {
	m, err := Models.Get(ctx, p.db, id)
	p.modelsOnce[0] = m
	p.models = p.modelsOnce[:]
	return err
}

func (p *kinshipPeer) ReadSlice(ctx context.Context, n int) (err error) {
	p.models, err = Models.Find(ctx, p.db, repo.Limit[Model](int64(n)))
	return err
}

func (p *kinshipPeer) Models() []*Model { return p.models }

func (p *kinshipPeer) Load(ctx context.Context, sh loadShape) (err error) {
	p.companies, err = kinshipLoad(ctx, p.db, p.load, sh)
	return err
}

func (p *kinshipPeer) Companies() []*Company { return p.companies }

func (p *kinshipPeer) InsertGraph(ctx context.Context) error {
	p.graph = newCompany()
	return kinshipInsert(ctx, p.db, p.graph)
}

func (p *kinshipPeer) Graph() *Company { return p.graph }

func (p *kinshipPeer) Raise(ctx context.Context, company int64) error {
	return kinshipRaise(ctx, p.db, company)
}

func (p *kinshipPeer) DeleteGraph(ctx context.Context, company int64) error {
	return kinshipDelete(ctx, p.db, p.model, company)
}
