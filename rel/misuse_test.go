package rel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/load"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"

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

// Relations declared wrong: each mistake is reported by every use, never by a panic.
var (
	nilColl       = rel.HasMany(CompanyID, EmployeeCompanyID, nil, rel.Named("nilColl"))
	nilField      = rel.BelongsTo(EmployeeCompanyID, CompanyID, nil, rel.Named("nilField"))
	nilHasOne     = rel.HasOne(CompanyID, ProfileCompanyID, nil, rel.Named("nilHasOne"))
	nilM2M        = rel.ManyToMany(EmployeeID, SkillID, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"}, nil, rel.Named("nilM2M"))
	emptyThrough  = rel.ManyToMany(EmployeeID, SkillID, rel.Through{}, func(e *Employee) *[]*Skill { return &e.Skills }, rel.Named("emptyThrough"))
	nilKey        = rel.HasMany(nil, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilKey"))
	nilFK         = rel.HasMany[Company, Employee, int64](CompanyID, nil, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilFK"))
	nilFKOne      = rel.BelongsTo[Employee, Company, int64](nil, CompanyID, func(e *Employee) **Company { return &e.Company }, rel.Named("nilFKOne"))
	nilKeyOne     = rel.HasOne[Company, Profile, int64](CompanyID, nil, func(c *Company) **Profile { return &c.Profile }, rel.Named("nilKeyOne"))
	nilKeyM2M     = rel.ManyToMany[Employee, Skill, int64, int64](EmployeeID, nil, rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"}, func(e *Employee) *[]*Skill { return &e.Skills })
	nilColumnKey  = rel.HasMany((*repo.Column[Company, int64])(nil), EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named("nilColumnKey"))
	nilOption     = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, nil)
	passiveAlone  = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Cascade(rel.PassiveDeletes))
	badDefault    = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.DefaultLoad(rel.Strategy(99)))
	raiseByDefalt = rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.DefaultLoad(rel.Raise))
)

// TestMisuse calls every exported function and method of package rel with the nil, zero and
// empty inputs a caller can give it: a nil or zero relation, one declared with nil accessors or
// keys, a nil context, DB or row. Each one that can report an error returns one that matches
// repo.ErrInvalid (or rel.ErrNotLoaded, where Raise refuses) and says what is wrong, sends
// nothing and never panics. Those that have no error to return must not panic and return what
// their documentation says.
func TestMisuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := Seeded(t)
	var (
		nilCtx  context.Context
		nilMany *rel.Many[Company, Employee]
		nilOne  *rel.One[Employee, Company]
		zeroM   = new(rel.Many[Company, Employee])
		zeroO   = new(rel.One[Employee, Company])
		c1      = func() *Company { return &Company{ID: 1} }
		e1      = func() *Employee { return &Employee{ID: 1, CompanyID: new(int64)} }
	)
	type misuse struct {
		name string
		call func() error
		want error
		msg  string
	}
	cases := []misuse{
		// Many.Load and One.Load.
		{"Many.Load: nil DB", func() error { return CompanyEmployees.Load(ctx, nil, c1()) }, repo.ErrInvalid, "rel: CompanyEmployees: nil DB"},
		{"Many.Load: nil *pgxpool.Pool", func() error { return CompanyEmployees.Load(ctx, (*pgxpool.Pool)(nil), c1()) }, repo.ErrInvalid, "nil DB"},
		{"Many.Load: nil context", func() error { return CompanyEmployees.Load(nilCtx, pool, c1()) }, repo.ErrInvalid, "rel: CompanyEmployees: nil context"},
		{"Many.Load: nil parent", func() error { return CompanyEmployees.Load(ctx, pool, c1(), nil) }, repo.ErrInvalid, "parent 1 is nil"},
		{"Many.Load: nil relation", func() error { return nilMany.Load(ctx, pool, c1()) }, repo.ErrInvalid, "rel: nil relation"},
		{"Many.Load: zero relation", func() error { return zeroM.Load(ctx, pool, c1()) }, repo.ErrInvalid, "not declared with rel.HasMany or rel.ManyToMany"},
		{"One.Load: nil DB", func() error { return EmployeeCompany.Load(ctx, nil, e1()) }, repo.ErrInvalid, "rel: EmployeeCompany: nil DB"},
		{"One.Load: nil context", func() error { return EmployeeCompany.Load(nilCtx, pool, e1()) }, repo.ErrInvalid, "nil context"},
		{"One.Load: nil parent", func() error { return EmployeeCompany.Load(ctx, pool, nil) }, repo.ErrInvalid, "parent 0 is nil"},
		{"One.Load: nil relation", func() error { return nilOne.Load(ctx, pool, e1()) }, repo.ErrInvalid, "rel: nil relation"},
		{"One.Load: zero relation", func() error { return zeroO.Load(ctx, pool, e1()) }, repo.ErrInvalid, "not declared with rel.BelongsTo or rel.HasOne"},

		// Many.Of and One.Of.
		{"Many.Of: nil DB", func() error { _, err := CompanyEmployees.Of(ctx, nil, c1()); return err }, repo.ErrInvalid, "rel: CompanyEmployees: nil DB"},
		{"Many.Of: nil *pgxpool.Pool", func() error { _, err := CompanyEmployees.Of(ctx, (*pgxpool.Pool)(nil), c1()); return err }, repo.ErrInvalid, "nil DB"},
		{"Many.Of: nil context", func() error { _, err := CompanyEmployees.Of(nilCtx, pool, c1()); return err }, repo.ErrInvalid, "nil context"},
		{"Many.Of: nil row", func() error { _, err := CompanyEmployees.Of(ctx, pool, nil); return err }, repo.ErrInvalid, "rel: CompanyEmployees: nil row"},
		{"Many.Of: nil relation", func() error { _, err := nilMany.Of(ctx, pool, c1()); return err }, repo.ErrInvalid, "rel: nil relation"},
		{"Many.Of: zero relation", func() error { _, err := zeroM.Of(ctx, pool, c1()); return err }, repo.ErrInvalid, "not declared"},
		{"Many.Of: Raise by default", func() error { _, err := raiseByDefalt.Of(ctx, pool, c1()); return err }, rel.ErrNotLoaded, "Raise forbids loading it here"},
		{"One.Of: nil DB", func() error { _, err := EmployeeCompany.Of(ctx, nil, e1()); return err }, repo.ErrInvalid, "nil DB"},
		{"One.Of: nil context", func() error { _, err := EmployeeCompany.Of(nilCtx, pool, e1()); return err }, repo.ErrInvalid, "nil context"},
		{"One.Of: nil row", func() error { _, err := EmployeeCompany.Of(ctx, pool, nil); return err }, repo.ErrInvalid, "nil row"},
		{"One.Of: nil relation", func() error { _, err := nilOne.Of(ctx, pool, e1()); return err }, repo.ErrInvalid, "rel: nil relation"},
		{"One.Of: zero relation", func() error { _, err := zeroO.Of(ctx, pool, e1()); return err }, repo.ErrInvalid, "not declared"},
	}

	// Declarations with nil accessors, nil keys, bad options: Load and Of report them.
	for _, d := range []struct {
		name string
		load func() error
		of   func() error
		msg  string
	}{
		{"HasMany with a nil collection accessor", func() error { return nilColl.Load(ctx, pool, c1()) }, func() error { _, err := nilColl.Of(ctx, pool, c1()); return err }, "nil collection accessor"},
		{"BelongsTo with a nil field accessor", func() error { return nilField.Load(ctx, pool, e1()) }, func() error { _, err := nilField.Of(ctx, pool, e1()); return err }, "nil field accessor"},
		{"HasOne with a nil field accessor", func() error { return nilHasOne.Load(ctx, pool, c1()) }, func() error { _, err := nilHasOne.Of(ctx, pool, c1()); return err }, "nil field accessor"},
		{"ManyToMany with a nil collection accessor", func() error { return nilM2M.Load(ctx, pool, &Employee{ID: 1}) }, func() error { _, err := nilM2M.Of(ctx, pool, &Employee{ID: 1}); return err }, "nil collection accessor"},
		{"ManyToMany with an empty Through", func() error { return emptyThrough.Load(ctx, pool, &Employee{ID: 1}) }, func() error { _, err := emptyThrough.Of(ctx, pool, &Employee{ID: 1}); return err }, "link table: empty identifier"},
		{"HasMany with a nil key", func() error { return nilKey.Load(ctx, pool, c1()) }, func() error { _, err := nilKey.Of(ctx, pool, c1()); return err }, "nil key column"},
		{"HasMany with a nil foreign key", func() error { return nilFK.Load(ctx, pool, c1()) }, func() error { _, err := nilFK.Of(ctx, pool, c1()); return err }, "nil foreign key column"},
		{"BelongsTo with a nil foreign key", func() error { return nilFKOne.Load(ctx, pool, e1()) }, func() error { _, err := nilFKOne.Of(ctx, pool, e1()); return err }, "nil foreign key column"},
		{"HasOne with a nil foreign key", func() error { return nilKeyOne.Load(ctx, pool, c1()) }, func() error { _, err := nilKeyOne.Of(ctx, pool, c1()); return err }, "nil foreign key column"},
		{"ManyToMany with a nil key", func() error { return nilKeyM2M.Load(ctx, pool, &Employee{ID: 1}) }, func() error { _, err := nilKeyM2M.Of(ctx, pool, &Employee{ID: 1}); return err }, "nil key column"},
		{"HasMany with a nil *Column key", func() error { return nilColumnKey.Load(ctx, pool, c1()) }, func() error { _, err := nilColumnKey.Of(ctx, pool, c1()); return err }, "is not part of a Repo"},
		{"a nil Option", func() error { return nilOption.Load(ctx, pool, c1()) }, func() error { _, err := nilOption.Of(ctx, pool, c1()); return err }, "nil option"},
		{"PassiveDeletes without Delete", func() error { return passiveAlone.Load(ctx, pool, c1()) }, func() error { _, err := passiveAlone.Of(ctx, pool, c1()); return err }, "PassiveDeletes needs Delete"},
		{"DefaultLoad of an unknown strategy", func() error { return badDefault.Load(ctx, pool, c1()) }, func() error { _, err := badDefault.Of(ctx, pool, c1()); return err }, "unknown strategy Strategy(99)"},
	} {
		cases = append(cases,
			misuse{d.name + ": Load", d.load, repo.ErrInvalid, d.msg},
			misuse{d.name + ": Of", d.of, repo.ErrInvalid, d.msg})
	}

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := tr.Count(func() { err = protect(tt.call) })
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error matching %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "rel: ") {
				t.Errorf("%q does not start with rel: ", err)
			}
			if n.Statements > 0 {
				t.Errorf("%d statements sent", n.Statements)
			}
		})
	}

	// No error to return: each must not panic, and returns what its doc says.
	var nilPath rel.Path[Company, Employee]
	quiet := []struct {
		name string
		ok   func() bool
	}{
		{"Many.Loaded of a nil row", func() bool { return !CompanyEmployees.Loaded(nil) }},
		{"One.Loaded of a nil row", func() bool { return !EmployeeCompany.Loaded(nil) }},
		{"Loaded of a nil relation", func() bool { return !nilMany.Loaded(c1()) && !nilOne.Loaded(e1()) }},
		{"Loaded of a zero relation", func() bool { return !zeroM.Loaded(c1()) && !zeroO.Loaded(e1()) }},
		{"Loaded of a relation declared with nil accessors", func() bool { return !nilColl.Loaded(c1()) && !nilField.Loaded(e1()) && !nilKey.Loaded(c1()) }},
		{"Name of a nil or zero relation", func() bool {
			return nilMany.Name() == "" && nilOne.Name() == "" && zeroM.Name() == "" && zeroO.Name() == ""
		}},
		{"Name of a relation declared with a nil key", func() bool { return nilKey.Name() == "nilKey" && nilKeyM2M.Name() != "" }},
		{"Cascade of a nil or zero relation", func() bool {
			return nilMany.Cascade() == 0 && nilOne.Cascade() == 0 && zeroM.Cascade() == 0 && zeroO.Cascade() == 0
		}},
		{"the core of a nil or zero relation", func() bool {
			return relation.Of(nilMany) == nil && relation.Of(nilOne) == nil && relation.Of(zeroM) == nil
		}},
		{"the edges of a nil or zero relation", func() bool {
			return none(nilMany) && none(zeroO)
		}},
		{"Then of a nil first path", func() bool { p := rel.Then(nilPath, EmployeeSkills); return none(p) }},
		{"Then of a nil next path", func() bool {
			p := rel.Then(CompanyEmployees, rel.Path[Employee, Skill](nil))
			return none(p)
		}},
		{"Then of a nil relation", func() bool { p := rel.Then(nilMany, EmployeeSkills); return none(p) }},
		{"Then of a broken path", func() bool {
			p := rel.Then(rel.Then(nilMany, EmployeeSkills), SkillEmployees)
			return none(p)
		}},
		{"Cascades: none", func() bool { return rel.Cascades(0).String() == "none" && rel.Cascades(0).Has(0) }},
		{"Cascade() of no flags", func() bool {
			r := rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Cascade())
			return r.Cascade() == 0
		}},
		{"Named of an empty name", func() bool {
			r := rel.HasMany(CompanyID, EmployeeCompanyID, func(c *Company) *[]*Employee { return &c.Employees }, rel.Named(""))
			return r.Name() == "companies.id→employees.company_id"
		}},
		{"Strategy names", func() bool { return rel.Strategy(99).String() == "Strategy(99)" && rel.Lazy.String() == "Lazy" }},
	}
	for _, tt := range quiet {
		t.Run(tt.name, func(t *testing.T) {
			var ok bool
			if err := protect(func() error { ok = tt.ok(); return nil }); err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Error("did not return what its doc says")
			}
		})
	}
}

// none reports whether p is a path of no relations, as package loadopts sees it.
func none[P, C any](p rel.Path[P, C]) bool {
	edges, last := load.PathOf[C](p)
	return edges == nil && last == nil
}
