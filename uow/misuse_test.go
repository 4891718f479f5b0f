package uow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/internal/track"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"

	. "github.com/kinship-go/kinship/internal/testmodel"
)

// protect runs call, turning a panic into an error that matches nothing.
func protect(call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return call()
}

// TestMisuse calls every exported function and method of package uow with the nil, zero and
// empty inputs a caller can give it: a nil or zero Session, one that ended, a nil context, DB,
// Model, Repo, row, relation, function or option, a Retry out of range, a relation declared
// wrong. Each one that can report an error returns one that matches repo.ErrInvalid (or
// uow.ErrEnded, for a session that ended) and says what is wrong; it never panics, the call
// sends nothing, and the database is as the seed left it. The functions with no error to return
// (Contains, Tx, the seams for repo and load) are listed last: they must not panic, and they
// do what their documentation says.
func TestMisuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seeded(t)
	var (
		nilCtx   context.Context
		nilS     *uow.Session
		zeroS    = new(uow.Session)
		nilRepo  *repo.Repo[Company]
		zeroRepo = new(repo.Repo[Company])
		nilModel *uow.Model
		zeroM    = new(uow.Model)
		nilOpt   uow.Option
		nilMany  *rel.Many[Company, Employee]
		nilFn    func(*uow.Session) error
		ok       = func(*uow.Session) error { return nil }
	)
	counts := func() string {
		var out string
		for _, table := range []string{"companies", "employees", "addresses", "skills", "employee_skills", "profiles"} {
			var n int64
			if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s=%d ", table, n)
		}
		return out
	}
	before := counts()
	// live returns a session of its own for a case, rolled back at the end of the test; ended
	// one that is rolled back already.
	live := func(t *testing.T) *uow.Session {
		s, err := uow.Begin(ctx, db.pool, Model)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Rollback(ctx) })
		return s
	}
	ended := func(t *testing.T) *uow.Session {
		s := live(t)
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	model := func(parts ...rel.Relation) func(*testing.T) error {
		return func(*testing.T) error { _, err := uow.NewModel(parts...); return err }
	}
	type misuse struct {
		name string
		call func(t *testing.T) error
		want error
		msg  string
	}
	inv, end := repo.ErrInvalid, uow.ErrEnded
	cases := []misuse{
		// Add, Delete, Refresh.
		{"Add: nil Session", func(*testing.T) error { return uow.Add(nilS, Companies, &Company{}) }, inv, "uow: nil Session"},
		{"Add: zero Session", func(*testing.T) error { return uow.Add(zeroS, Companies, &Company{}) }, inv, "uow: a zero Session"},
		{"Add: ended Session", func(t *testing.T) error { return uow.Add(ended(t), Companies, &Company{}) }, end, "the session has ended"},
		{"Add: nil Repo", func(t *testing.T) error { return uow.Add(live(t), nilRepo, &Company{}) }, inv, "uow: nil Repo"},
		{"Add: zero Repo", func(t *testing.T) error { return uow.Add(live(t), zeroRepo, &Company{}) }, inv, "not declared with repo.New"},
		{"Add: nil row", func(t *testing.T) error { return uow.Add(live(t), Companies, &Company{Name: "x"}, nil) }, inv, "row 1 is nil"},
		{"Delete: nil Session", func(*testing.T) error { return uow.Delete(nilS, Companies, &Company{ID: 1}) }, inv, "uow: nil Session"},
		{"Delete: zero Session", func(*testing.T) error { return uow.Delete(zeroS, Companies, &Company{ID: 1}) }, inv, "uow: a zero Session"},
		{"Delete: ended Session", func(t *testing.T) error { return uow.Delete(ended(t), Companies, &Company{ID: 1}) }, end, "the session has ended"},
		{"Delete: nil Repo", func(t *testing.T) error { return uow.Delete(live(t), nilRepo, &Company{ID: 1}) }, inv, "uow: nil Repo"},
		{"Delete: zero Repo", func(t *testing.T) error { return uow.Delete(live(t), zeroRepo, &Company{ID: 1}) }, inv, "not declared with repo.New"},
		{"Delete: nil row", func(t *testing.T) error { return uow.Delete(live(t), Companies, nil) }, inv, "row 0 is nil"},
		{"Refresh: nil Session", func(*testing.T) error { return uow.Refresh(ctx, nilS, Companies, &Company{ID: 1}) }, inv, "uow: nil Session"},
		{"Refresh: zero Session", func(*testing.T) error { return uow.Refresh(ctx, zeroS, Companies, &Company{ID: 1}) }, inv, "uow: a zero Session"},
		{"Refresh: ended Session", func(t *testing.T) error { return uow.Refresh(ctx, ended(t), Companies, &Company{ID: 1}) }, end, "the session has ended"},
		{"Refresh: nil context", func(t *testing.T) error { return uow.Refresh(nilCtx, live(t), Companies, &Company{ID: 1}) }, inv, "nil context"},
		{"Refresh: nil Repo", func(t *testing.T) error { return uow.Refresh(ctx, live(t), nilRepo, &Company{ID: 1}) }, inv, "uow: nil Repo"},
		{"Refresh: nil row", func(t *testing.T) error { return uow.Refresh(ctx, live(t), Companies, nil) }, inv, "nil row"},

		// The session's own methods.
		{"Flush: nil Session", func(*testing.T) error { return nilS.Flush(ctx) }, inv, "uow: nil Session"},
		{"Flush: zero Session", func(*testing.T) error { return zeroS.Flush(ctx) }, inv, "uow: a zero Session"},
		{"Flush: ended Session", func(t *testing.T) error { return ended(t).Flush(ctx) }, end, "the session has ended"},
		{"Flush: nil context", func(t *testing.T) error { return live(t).Flush(nilCtx) }, inv, "nil context"},
		{"Commit: nil Session", func(*testing.T) error { return nilS.Commit(ctx) }, inv, "uow: nil Session"},
		{"Commit: zero Session", func(*testing.T) error { return zeroS.Commit(ctx) }, inv, "uow: a zero Session"},
		{"Commit: ended Session", func(t *testing.T) error { return ended(t).Commit(ctx) }, end, "the session has ended"},
		{"Commit: nil context", func(t *testing.T) error { return live(t).Commit(nilCtx) }, inv, "nil context"},
		{"Rollback: nil Session", func(*testing.T) error { return nilS.Rollback(ctx) }, inv, "uow: nil Session"},
		{"Rollback: zero Session", func(*testing.T) error { return zeroS.Rollback(ctx) }, inv, "uow: a zero Session"},
		{"Rollback: nil context", func(t *testing.T) error { return live(t).Rollback(nilCtx) }, inv, "nil context"},
		{"Exec: zero Session", func(*testing.T) error { _, err := zeroS.Exec(ctx, "SELECT 1"); return err }, inv, "uow: a zero Session"},
		{"Exec: nil Session", func(*testing.T) error { _, err := nilS.Exec(ctx, "SELECT 1"); return err }, inv, "uow: nil Session"},
		{"Exec: ended Session", func(t *testing.T) error { _, err := ended(t).Exec(ctx, "SELECT 1"); return err }, end, "the session has ended"},
		{"Exec: nil context", func(t *testing.T) error { _, err := live(t).Exec(nilCtx, "SELECT 1"); return err }, inv, "nil context"},
		{"Query: zero Session", func(*testing.T) error { _, err := zeroS.Query(ctx, "SELECT 1"); return err }, inv, "uow: a zero Session"},
		{"Query: nil context", func(t *testing.T) error { _, err := live(t).Query(nilCtx, "SELECT 1"); return err }, inv, "nil context"},
		{"QueryRow: zero Session", func(*testing.T) error { var n int; return zeroS.QueryRow(ctx, "SELECT 1").Scan(&n) }, inv, "uow: a zero Session"},
		{"QueryRow: ended Session", func(t *testing.T) error { var n int; return ended(t).QueryRow(ctx, "SELECT 1").Scan(&n) }, end, "the session has ended"},
		{"SendBatch: zero Session", func(*testing.T) error { return zeroS.SendBatch(ctx, &pgx.Batch{}).Close() }, inv, "uow: a zero Session"},
		{"SendBatch: nil context", func(t *testing.T) error { return live(t).SendBatch(nilCtx, &pgx.Batch{}).Close() }, inv, "nil context"},
		{"Writing: zero Session", func(*testing.T) error { return track.Of(zeroS).Writing(Companies, &Company{ID: 1}) }, inv, "uow: a zero Session"},
		{"Writing: not a Repo", func(t *testing.T) error { return track.Of(live(t)).Writing(42, &Company{ID: 1}) }, inv, "not a row of a Repo"},
		{"Writing: nil row", func(t *testing.T) error { return track.Of(live(t)).Writing(Companies, nil) }, inv, "nil row"},
		{"LoadStart: zero Session", func(*testing.T) error { return track.Of(zeroS).LoadStart(ctx, nil) }, inv, "uow: a zero Session"},
		{"LoadStart: nil context", func(t *testing.T) error { return track.Of(live(t)).LoadStart(nilCtx, nil) }, inv, "nil context"},
		{"Access: zero Session", func(*testing.T) error {
			return track.Of(zeroS).Access(ctx, relation.Of(CompanyEmployees), &Company{ID: 1})
		}, inv, "uow: a zero Session"},
		{"Access: nil context", func(t *testing.T) error {
			return track.Of(live(t)).Access(nilCtx, relation.Of(CompanyEmployees), &Company{ID: 1})
		}, inv, "nil context"},
		{"Access: nil relation", func(t *testing.T) error { return track.Of(live(t)).Access(ctx, nil, &Company{ID: 1}) }, inv, "<nil> is not a relation"},
		{"Access: nil parent", func(t *testing.T) error { return track.Of(live(t)).Access(ctx, relation.Of(CompanyEmployees), nil) }, inv, "CompanyEmployees: nil parent"},
		{"Access: a parent of another type", func(t *testing.T) error {
			return track.Of(live(t)).Access(ctx, relation.Of(CompanyEmployees), &Employee{ID: 1})
		}, inv, "not a row of the relation's owner"},

		// The session as a repo.DB, and relations through it.
		{"Get through a zero Session", func(*testing.T) error { _, err := Companies.Get(ctx, zeroS, int64(1)); return err }, inv, "uow: a zero Session"},
		{"Find through a nil Session", func(*testing.T) error { _, err := Companies.Find(ctx, nilS); return err }, inv, "uow: nil Session"},
		{"Find through an ended Session", func(t *testing.T) error { _, err := Companies.Find(ctx, ended(t)); return err }, end, "the session has ended"},
		{"Insert through a zero Session", func(*testing.T) error { return Companies.Insert(ctx, zeroS, &Company{Name: "x"}) }, inv, "uow: a zero Session"},
		{"Update through an ended Session", func(t *testing.T) error { return Companies.Update(ctx, ended(t), &Company{ID: 1, Name: "x"}) }, end, "the session has ended"},
		{"Of through a zero Session", func(*testing.T) error { _, err := CompanyEmployees.Of(ctx, zeroS, &Company{ID: 1}); return err }, inv, "uow: a zero Session"},
		{"Of through an ended Session", func(t *testing.T) error { _, err := CompanyEmployees.Of(ctx, ended(t), &Company{ID: 1}); return err }, end, "the session has ended"},
		{"Load through a zero Session", func(*testing.T) error { return CompanyEmployees.Load(ctx, zeroS, &Company{ID: 1}) }, inv, "uow: a zero Session"},
		{"Load through an ended Session", func(t *testing.T) error { return EmployeeCompany.Load(ctx, ended(t), &Employee{ID: 1}) }, end, "the session has ended"},

		// Models.
		{"NewModel: nil relation", model(CompanyEmployees, nil), inv, "relation 1 (<nil>) is a nil or zero relation"},
		{"NewModel: nil *Many", model(nilMany), inv, "relation 0 (*rel.Many[github.com/kinship-go/kinship/internal/testmodel.Company,github.com/kinship-go/kinship/internal/testmodel.Employee]) is a nil or zero relation"},
		{"NewModel: zero relation", model(new(rel.One[Employee, Company])), inv, "is a nil or zero relation"},
		{"NewModel: a nil collection accessor", model(rel.HasMany(CompanyID, EmployeeCompanyID, nil, rel.Named("noColl"))), inv, "relation noColl: nil collection accessor"},
		{"NewModel: a nil field accessor", model(rel.BelongsTo(EmployeeCompanyID, CompanyID, nil, rel.Named("noField"))), inv, "relation noField: nil field accessor"},
		{"NewModel: a nil key", model(rel.HasMany(nil, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("noKey"))), inv, "relation noKey: nil key column"},
		{"NewModel: a nil foreign key", model(rel.HasOne[Company, Profile, int64](CompanyID, nil, func(c *Company) **Profile { return &c.Profile }, rel.Named("noFK"))), inv, "relation noFK: nil foreign key column"},
		{"NewModel: a nil *Column key", model(rel.HasMany((*repo.Column[Company, int64])(nil), EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilCol"))), inv, "column (nil) is not part of a Repo"},
		{"NewModel: a nil rel.Option", model(rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilOpt"), nil)), inv, "relation nilOpt: nil option"},
		{"NewModel: an empty Through", model(rel.ManyToMany(EmployeeID, SkillID, rel.Through{}, func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("noLink"))), inv, "relation noLink: link table: empty identifier"},
		{"Verify: nil Model", func(*testing.T) error { return nilModel.Verify(ctx, db.pool) }, inv, "Verify of a nil Model"},
		{"Verify: zero Model", func(*testing.T) error { return zeroM.Verify(ctx, db.pool) }, inv, "Verify of a nil Model"},
		{"Verify: nil context", func(*testing.T) error { return Model.Verify(nilCtx, db.pool) }, inv, "nil context"},
		{"Verify: nil DB", func(*testing.T) error { return Model.Verify(ctx, nil) }, inv, "nil DB"},

		// Begin, Attach.
		{"Begin: nil context", func(*testing.T) error { _, err := uow.Begin(nilCtx, db.pool, Model); return err }, inv, "uow: nil context"},
		{"Begin: nil db", func(*testing.T) error { _, err := uow.Begin(ctx, nil, Model); return err }, inv, "uow: nil db"},
		{"Begin: nil *pgxpool.Pool", func(*testing.T) error { _, err := uow.Begin(ctx, (*pgxpool.Pool)(nil), Model); return err }, inv, "uow: nil db"},
		{"Begin: nil *pgx.Conn", func(*testing.T) error { _, err := uow.Begin(ctx, (*pgx.Conn)(nil), Model); return err }, inv, "uow: nil db"},
		{"Begin: nil Model", func(*testing.T) error { _, err := uow.Begin(ctx, db.pool, nilModel); return err }, inv, "uow: nil model"},
		{"Begin: zero Model", func(*testing.T) error { _, err := uow.Begin(ctx, db.pool, zeroM); return err }, inv, "uow: a zero Model"},
		{"Begin: nil option", func(*testing.T) error {
			_, err := uow.Begin(ctx, db.pool, Model, uow.Autoflush(true), nilOpt)
			return err
		}, inv, "uow: nil option (option 1)"},
		{"Begin: Retry(0, …)", func(*testing.T) error { _, err := uow.Begin(ctx, db.pool, Model, uow.Retry(0, 0, 0)); return err }, inv, "Retry(0, 0s, 0s): need at least 1 attempt"},
		{"Attach: nil tx", func(*testing.T) error { _, err := uow.Attach(nil, Model); return err }, inv, "uow: nil transaction"},
		{"Attach: nil Model", func(t *testing.T) error { _, err := uow.Attach(live(t).Tx(), nilModel); return err }, inv, "uow: nil model"},
		{"Attach: zero Model", func(t *testing.T) error { _, err := uow.Attach(live(t).Tx(), zeroM); return err }, inv, "uow: a zero Model"},
		{"Attach: nil option", func(t *testing.T) error { _, err := uow.Attach(live(t).Tx(), Model, nilOpt); return err }, inv, "uow: nil option"},
		{"Attach: the Tx of a zero Session", func(*testing.T) error { _, err := uow.Attach(zeroS.Tx(), Model); return err }, inv, "uow: nil transaction"},
	}

	// Run: each mistake is refused before fn is called and before BEGIN.
	for _, r := range []struct {
		name  string
		ctx   context.Context
		db    uow.Beginner
		model *uow.Model
		fn    func(*uow.Session) error
		opts  []uow.Option
		msg   string
	}{
		{"nil context", nilCtx, db.pool, Model, ok, nil, "uow: nil context"},
		{"nil db", ctx, nil, Model, ok, nil, "uow: nil db"},
		{"nil *pgxpool.Pool", ctx, (*pgxpool.Pool)(nil), Model, ok, nil, "uow: nil db"},
		{"nil Model", ctx, db.pool, nilModel, ok, nil, "uow: nil model"},
		{"zero Model", ctx, db.pool, zeroM, ok, nil, "uow: a zero Model"},
		{"nil function", ctx, db.pool, Model, nilFn, nil, "uow: Run of a nil function"},
		{"nil option", ctx, db.pool, Model, ok, []uow.Option{nilOpt}, "uow: nil option (option 0)"},
		{"nil option in a list", ctx, db.pool, Model, ok, []uow.Option{uow.Autoflush(false), uow.TxOptions(pgx.TxOptions{}), nilOpt}, "uow: nil option (option 2)"},
		{"Retry(0, …)", ctx, db.pool, Model, ok, []uow.Option{uow.Retry(0, time.Millisecond, time.Second)}, "need at least 1 attempt"},
		{"Retry(-1, …)", ctx, db.pool, Model, ok, []uow.Option{uow.Retry(-1, time.Millisecond, time.Second)}, "Retry(-1, 1ms, 1s)"},
		{"Retry with a negative min", ctx, db.pool, Model, ok, []uow.Option{uow.Retry(3, -time.Millisecond, time.Second)}, "0 <= min <= max"},
		{"Retry with max below min", ctx, db.pool, Model, ok, []uow.Option{uow.Retry(3, time.Second, time.Millisecond)}, "0 <= min <= max"},
		{"Retry with a negative max", ctx, db.pool, Model, ok, []uow.Option{uow.Retry(3, 0, -time.Second)}, "0 <= min <= max"},
	} {
		cases = append(cases, misuse{"Run: " + r.name, func(*testing.T) error {
			called := false
			fn := r.fn
			if fn != nil {
				fn = func(s *uow.Session) error { called = true; return r.fn(s) }
			}
			err := uow.Run(r.ctx, r.db, r.model, fn, r.opts...)
			if called {
				return errors.New("fn was called")
			}
			return err
		}, inv, r.msg})
	}

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := db.tr.Count(func() { err = protect(func() error { return tt.call(t) }) })
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error matching %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "uow: ") && !strings.HasPrefix(msg, "uow.") && !strings.HasPrefix(msg, "rel: ") && !strings.HasPrefix(msg, "repo: ") {
				t.Errorf("%q does not say which package refused it", err)
			}
			if strings.HasPrefix(tt.name, "NewModel") {
				var me *repo.Error
				if !errors.As(err, &me) || me.Op != "uow.NewModel" {
					t.Errorf("%q is not a *repo.Error of uow.NewModel", err)
				}
			}
			// BEGIN and ROLLBACK of the case's own sessions are all that may be sent.
			if n.Statements > 2 {
				t.Errorf("%d statements sent", n.Statements)
			}
		})
	}

	// No error to return: each must not panic, and does what its doc says.
	quiet := []struct {
		name string
		ok   func(t *testing.T) bool
	}{
		{"Contains of a nil or zero Session, a nil Repo or row", func(t *testing.T) bool {
			s := live(t)
			return !uow.Contains(nilS, Companies, &Company{}) && !uow.Contains(zeroS, Companies, &Company{}) &&
				!uow.Contains(s, nilRepo, &Company{}) && !uow.Contains(s, Companies, nil) && !uow.Contains(ended(t), Companies, &Company{})
		}},
		{"Tx of a nil or zero Session", func(*testing.T) bool { return nilS.Tx() == nil && zeroS.Tx() == nil }},
		{"Rollback of an ended Session", func(t *testing.T) bool { return ended(t).Rollback(ctx) == nil }},
		{"Retryable(nil)", func(*testing.T) bool { return !uow.Retryable(nil) && !uow.Retryable(repo.ErrInvalid) }},
		{"MustModel of a nil relation panics with a *repo.Error matching ErrInvalid", func(*testing.T) (ok bool) {
			defer func() { e, _ := recover().(*repo.Error); ok = errors.Is(e, repo.ErrInvalid) }()
			uow.MustModel(nil)
			return false
		}},
		{"NewModel of no relations: an empty model", func(t *testing.T) bool {
			m, err := uow.NewModel()
			if err != nil {
				return false
			}
			return uow.Run(ctx, db.pool, m, ok) == nil
		}},
		{"Begin with valid zero-ish options", func(t *testing.T) bool {
			s, err := uow.Begin(ctx, db.pool, Model, uow.Retry(1, 0, 0), uow.TxOptions(pgx.TxOptions{}), uow.Autoflush(false))
			return err == nil && s.Rollback(ctx) == nil
		}},
		{"Lookup, Resolve, Stored, Deleted of a zero Session; a nil one has none", func(*testing.T) bool {
			c := &Company{ID: 1}
			if track.Of(nilS) != nil {
				return false
			}
			for _, s := range []track.Session{track.Of(zeroS)} {
				if _, found := s.Lookup(Companies, int64(1)); found {
					return false
				}
				if s.Resolve(Companies, c, nil) != c {
					return false
				}
				s.Stored(Companies, c)
				s.Deleted(Companies, int64(1))
			}
			return true
		}},
		{"Resolve, Stored, Deleted of nil rows and non-Repos", func(t *testing.T) bool {
			s := track.Of(live(t))
			c := &Company{ID: 1}
			s.Stored(nil, c)
			s.Stored(Companies, nil)
			s.Deleted(nil, nil)
			_, found := s.Lookup(nil, nil)
			return s.Resolve(42, c, nil) == c && s.Resolve(Companies, nil, nil) == nil && !found
		}},
		{"Filled, Raised, LoadDone, LoadFailed of a nil or zero Session, or nil arguments", func(t *testing.T) bool {
			r := relation.Of(CompanyEmployees)
			for _, s := range []track.Session{track.Of(zeroS), track.Of(live(t))} {
				s.Filled(nil, nil)
				s.Filled(r, nil)
				s.Raised(nil, nil)
				s.Raised(r, nil)
				s.LoadDone()
				s.LoadFailed()
			}
			return true
		}},
	}
	for _, tt := range quiet {
		t.Run(tt.name, func(t *testing.T) {
			var ok bool
			if err := protect(func() error { ok = tt.ok(t); return nil }); err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Error("did not do what its doc says")
			}
		})
	}

	// Nothing was written: the database is as the seed left it.
	if got := counts(); got != before {
		t.Errorf("rows per table: %s, before: %s", got, before)
	}
}
