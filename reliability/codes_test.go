package reliability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"pgregory.net/rapid"
)

// Firms are referred to by their code, a unique column that is not the primary key: the
// members' foreign key holds it, and the session must find owners by it.
type Firm struct {
	ID      int64
	Code    string
	Name    string
	Members []*Member
}

type Member struct {
	ID       int64
	Name     string
	FirmCode *string
	Firm     *Firm
}

var (
	firmID         = repo.Serial("id", func(f *Firm) *int64 { return &f.ID })
	firmCode       = repo.Col("code", func(f *Firm) *string { return &f.Code })
	firmName       = repo.Col("name", func(f *Firm) *string { return &f.Name })
	Firms          = repo.MustNew("firms", firmID, firmCode, firmName)
	memberID       = repo.Serial("id", func(m *Member) *int64 { return &m.ID })
	memberName     = repo.Col("name", func(m *Member) *string { return &m.Name })
	memberFirmCode = repo.Nullable("firm_code", func(m *Member) **string { return &m.FirmCode })
	Members        = repo.MustNew("members", memberID, memberName, memberFirmCode)

	firmStaff = func(f *Firm) *[]*Member { return &f.Members }
	// Keeps: a member taken out stays, without a firm. Owns: it is deleted.
	FirmKeeps  = rel.HasMany(firmCode, memberFirmCode, firmStaff, rel.Named("FirmKeeps"), rel.Cascade(rel.All))
	FirmOwns   = rel.HasMany(firmCode, memberFirmCode, firmStaff, rel.Named("FirmOwns"), rel.Cascade(rel.All, rel.DeleteOrphan))
	MemberFirm = rel.BelongsTo(memberFirmCode, firmCode, func(m *Member) **Firm { return &m.Firm }, rel.Named("MemberFirm"))

	firmsKeeping = uow.MustModel(FirmKeeps, MemberFirm)
	firmsOwning  = uow.MustModel(FirmOwns, MemberFirm)
)

const codesDDL = `
DROP TABLE IF EXISTS members, firms;
CREATE TABLE firms (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, name text);
CREATE TABLE members (id bigserial PRIMARY KEY, name text, firm_code text REFERENCES firms (code));`

// firmWorld is what the database must hold, rows named by handles as in world.
type firmWorld struct {
	firms   map[int]firmRow
	members map[int]memberRow
}

type firmRow struct{ code, name string }

type memberRow struct {
	name string
	firm int // 0: none
}

func newFirmWorld() *firmWorld {
	return &firmWorld{firms: map[int]firmRow{}, members: map[int]memberRow{}}
}

func (w *firmWorld) clone() *firmWorld {
	return &firmWorld{maps.Clone(w.firms), maps.Clone(w.members)}
}

func (w *firmWorld) membersOf(f int) []int {
	var out []int
	for id, m := range w.members {
		if m.firm == f {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// deleteFirm deletes a firm and, both relations cascading Delete, its members.
func (w *firmWorld) deleteFirm(f int) {
	delete(w.firms, f)
	for id, m := range w.members {
		if m.firm == f {
			delete(w.members, id)
		}
	}
}

// codeTaken reports whether a firm of the model holds code.
func (w *firmWorld) codeTaken(code string) bool {
	for _, f := range w.firms {
		if f.code == code {
			return true
		}
	}
	return false
}

const (
	kindFirm = iota + 1
	kindMember
)

// firmHarness is one rapid check of TestNonPrimaryKeysAgainstAModel, as harness is of
// TestUnitOfWorkAgainstAModel.
type firmHarness struct {
	ctx       context.Context
	pool      *pgxpool.Pool
	committed *firmWorld
	pending   *firmWorld
	ids       map[int]int64 // handle → key of a committed row
	byID      map[[2]int64]int
	codes     []string // every code given out, to give one again once no firm holds it
	next      int
	log       func(format string, args ...any)

	s      *uow.Session
	owning bool
	fs     map[int]*Firm
	ms     map[int]*Member
	hf     map[*Firm]int
	hm     map[*Member]int
}

func (h *firmHarness) handle() int { h.next++; return h.next }

func (h *firmHarness) staffRel() *rel.Many[Firm, Member] {
	if h.owning {
		return FirmOwns
	}
	return FirmKeeps
}

func (h *firmHarness) begin(t *rapid.T, owning bool) {
	if h.s != nil {
		return
	}
	s, err := uow.Begin(h.ctx, h.pool, map[bool]*uow.Model{false: firmsKeeping, true: firmsOwning}[owning])
	if err != nil {
		t.Fatal(err)
	}
	h.log("begin (owning: %v)", owning)
	h.s, h.owning = s, owning
	h.fs, h.ms = map[int]*Firm{}, map[int]*Member{}
	h.hf, h.hm = map[*Firm]int{}, map[*Member]int{}
}

func (h *firmHarness) firm(t *rapid.T, hd int) *Firm {
	return heldRow(t, h.ctx, h.s, hd, h.ids[hd], Firms, h.fs, h.hf)
}

func (h *firmHarness) member(t *rapid.T, hd int) *Member {
	return heldRow(t, h.ctx, h.s, hd, h.ids[hd], Members, h.ms, h.hm)
}

// heldRow is rowAt for a harness of its own: the instance of handle hd the session holds, or
// the one Get reads by its committed key id.
func heldRow[T any](t *rapid.T, ctx context.Context, s *uow.Session, hd int, id int64, r *repo.Repo[T], rows map[int]*T, known map[*T]int) *T {
	if row, ok := rows[hd]; ok {
		return row
	}
	row, err := r.Get(ctx, s, id)
	if err != nil {
		t.Fatalf("get %s %d (key %d): %v", r.Table(), hd, id, err)
	}
	rows[hd], known[row] = row, hd
	return row
}

// handleOf for a firmHarness.
func firmHandleOf[T any](t *rapid.T, h *firmHarness, kind int64, row *T, id int64, known map[*T]int, rows map[int]*T) int {
	if hd, ok := known[row]; ok {
		return hd
	}
	hd, ok := h.byID[[2]int64{kind, id}]
	if !ok || rows[hd] != nil {
		t.Fatalf("the session gave a %s %p (key %d) the test does not know, or a second instance of one", map[int64]string{kindFirm: "firm", kindMember: "member"}[kind], row, id)
	}
	rows[hd], known[row] = row, hd
	return hd
}

func (h *firmHarness) firmHandle(t *rapid.T, f *Firm) int {
	return firmHandleOf(t, h, kindFirm, f, f.ID, h.hf, h.fs)
}

func (h *firmHarness) memberHandle(t *rapid.T, m *Member) int {
	return firmHandleOf(t, h, kindMember, m, m.ID, h.hm, h.ms)
}

// newCode returns a code no firm of the model holds: a fresh one, or one given out before
// (its firm deleted, maybe in this session and not yet flushed: the new firm takes the unique
// value of a row deleted in the same flush).
func (h *firmHarness) newCode(t *rapid.T) string {
	var free []string
	for _, c := range h.codes {
		if !h.pending.codeTaken(c) {
			free = append(free, c)
		}
	}
	if len(free) > 0 && rapid.Bool().Draw(t, "code again") {
		return rapid.SampledFrom(free).Draw(t, "code")
	}
	code := fmt.Sprintf("F%d", h.next+1)
	h.codes = append(h.codes, code)
	return code
}

func (h *firmHarness) newFirm(t *rapid.T) (*Firm, int) {
	f := &Firm{Code: h.newCode(t), Name: names.Draw(t, "firm")}
	hd := h.handle()
	h.fs[hd], h.hf[f] = f, hd
	h.pending.firms[hd] = firmRow{f.Code, f.Name}
	return f, hd
}

func (h *firmHarness) newMember(name string, firm int) (*Member, int) {
	m, hd := &Member{Name: name}, h.handle()
	h.ms[hd], h.hm[m] = m, hd
	h.pending.members[hd] = memberRow{name, firm}
	return m, hd
}

// codeOf returns the code of firm hd as the model has it, "" for none.
func (h *firmHarness) codeOf(hd int) string {
	if hd == 0 {
		return ""
	}
	return h.pending.firms[hd].code
}

// staff returns firm hd's collection, loaded through the session with how if it is not (by its
// code), after a flush, and checks it against the model.
func (h *firmHarness) staff(t *rapid.T, hd int, how loadopts.Strategy) []*Member {
	f := h.firm(t, hd)
	r := h.staffRel()
	h.flush(t)
	if !r.Loaded(f) && how != loadopts.Lazy {
		if _, err := Firms.Find(h.ctx, h.s, firmCode.Eq(f.Code), loadopts.With(r, how)); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := r.Of(h.ctx, h.s, f)
	if err != nil {
		t.Fatal(err)
	}
	h.checkStaff(t, hd, ms)
	return ms
}

func (h *firmHarness) checkStaff(t *rapid.T, hd int, ms []*Member) {
	var got []int
	for _, m := range ms {
		got = append(got, h.memberHandle(t, m))
	}
	slices.Sort(got)
	if want := h.pending.membersOf(hd); !slices.Equal(got, want) {
		h.log("FAIL in the session, firm %d's members: %v, model %v", hd, got, want)
		t.Fatalf("in the session, firm %d's members: %v, model %v", hd, got, want)
	}
}

func (h *firmHarness) flush(t *rapid.T) {
	if err := h.s.Flush(h.ctx); err != nil {
		t.Fatal(err)
	}
}

// join is harness.join: a new row put in a collection joins the session by Add, or by a flush.
func (h *firmHarness) join(t *rapid.T, inCollection bool, add func() error) {
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

// lose is what happens in the model to a member that left its firm.
func (h *firmHarness) lose(hm int) {
	if h.owning {
		delete(h.pending.members, hm)
		return
	}
	x := h.pending.members[hm]
	x.firm = 0
	h.pending.members[hm] = x
}

// setOwner gives member m the firm hf (0: none) by one side: the collection (loaded first),
// the BelongsTo field, or the foreign key; with the foreign key, to a committed firm the
// session does not hold, if drawn so, without reading it. The caller updates the model.
func (h *firmHarness) setOwner(t *rapid.T, m *Member, hf int, how string) {
	if how == "foreign key" && hf != 0 && h.fs[hf] == nil && h.ids[hf] != 0 && rapid.Bool().Draw(t, "unheld") {
		code := h.codeOf(hf)
		m.FirmCode = &code
		return
	}
	if hf == 0 {
		switch how {
		case "belongs-to":
			if _, err := MemberFirm.Of(h.ctx, h.s, m); err != nil {
				t.Fatal(err)
			}
			m.Firm = nil
		default:
			m.FirmCode = nil
		}
		return
	}
	f := h.firm(t, hf)
	switch how {
	case "collection":
		f.Members = append(h.staff(t, hf, draw(t, "strategy")), m)
	case "foreign key":
		code := f.Code // known before the firm is inserted: the code is the client's
		m.FirmCode = &code
	default:
		m.Firm = f
	}
}

func (h *firmHarness) commit(t *rapid.T) {
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
	for hd := range h.pending.firms {
		if f, ok := h.fs[hd]; ok {
			learn(kindFirm, hd, f.ID)
		}
	}
	for hd := range h.pending.members {
		if m, ok := h.ms[hd]; ok {
			learn(kindMember, hd, m.ID)
		}
	}
	h.committed = h.pending.clone()
	h.checkDatabase(t)
	h.checkFreshSession(t)
}

func (h *firmHarness) rollback(t *rapid.T) {
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

// queryEach runs sql on pool and calls each for every row.
func queryEach(t *rapid.T, ctx context.Context, pool *pgxpool.Pool, sql string, each func(pgx.Rows) error) {
	rows, err := pool.Query(ctx, sql)
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

// checkDatabase reads the tables with plain SQL and compares them with the committed model.
func (h *firmHarness) checkDatabase(t *rapid.T) {
	w := h.committed
	wantF, wantM := map[int64]firmRow{}, map[int64][2]string{}
	for hd, f := range w.firms {
		wantF[h.ids[hd]] = f
	}
	for hd, m := range w.members {
		wantM[h.ids[hd]] = [2]string{m.name, w.firms[m.firm].code} // "" for none
	}
	gotF, gotM := map[int64]firmRow{}, map[int64][2]string{}
	queryEach(t, h.ctx, h.pool, `SELECT id, code, coalesce(name, '') FROM firms`, func(r pgx.Rows) error {
		var id int64
		var f firmRow
		err := r.Scan(&id, &f.code, &f.name)
		gotF[id] = f
		return err
	})
	queryEach(t, h.ctx, h.pool, `SELECT id, coalesce(name, ''), coalesce(firm_code, '') FROM members`, func(r pgx.Rows) error {
		var id int64
		var m [2]string
		err := r.Scan(&id, &m[0], &m[1])
		gotM[id] = m
		return err
	})
	if !maps.Equal(gotF, wantF) {
		t.Fatalf("firms: database %v, model %v", gotF, wantF)
	}
	if !maps.Equal(gotM, wantM) {
		t.Fatalf("members: database %v, model %v", gotM, wantM)
	}
}

// checkFreshSession loads the firms with their members, and the members with their firms,
// through a new session with random eager strategies, and compares them with the model.
func (h *firmHarness) checkFreshSession(t *rapid.T) {
	w := h.committed
	s, err := uow.Begin(h.ctx, h.pool, firmsKeeping)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Rollback(h.ctx)
	key := func(hd int) int64 { return h.ids[hd] }
	fs, err := Firms.Find(h.ctx, s, loadopts.With(FirmKeeps, eagerDraw(t, "fresh firms")))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(w.firms) {
		t.Fatalf("fresh session: %d firms, model %d", len(fs), len(w.firms))
	}
	for _, f := range fs {
		hd, ok := h.byID[[2]int64{kindFirm, f.ID}]
		if x := w.firms[hd]; !ok || x.code != f.Code || x.name != f.Name {
			t.Fatalf("fresh session: firm %d %q %q, model %+v", f.ID, f.Code, f.Name, x)
		}
		got := keys(f.Members, func(m *Member) int64 { return m.ID })
		if want := keys(w.membersOf(hd), key); !slices.Equal(got, want) {
			t.Fatalf("fresh session: firm %d's members %v, model %v", f.ID, got, want)
		}
	}
	ms, err := Members.Find(h.ctx, s, loadopts.With(MemberFirm, eagerDraw(t, "fresh member firms")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(w.members) {
		t.Fatalf("fresh session: %d members, model %d", len(ms), len(w.members))
	}
	for _, m := range ms {
		hd, ok := h.byID[[2]int64{kindMember, m.ID}]
		x := w.members[hd]
		code := w.firms[x.firm].code
		if !ok || m.Name != x.name || (m.FirmCode == nil) != (x.firm == 0) || m.FirmCode != nil && *m.FirmCode != code {
			t.Fatalf("fresh session: member %d %q firm %v, model %+v (code %q)", m.ID, m.Name, m.FirmCode, x, code)
		}
		if (m.Firm == nil) != (x.firm == 0) || m.Firm != nil && m.Firm.ID != key(x.firm) {
			t.Fatalf("fresh session: member %d's Firm %+v, model %d", m.ID, m.Firm, key(x.firm))
		}
	}
}

// checkSession loads, through the open session, the firms with their members or the members
// with their firms, with a random strategy, and checks them against the pending model.
func (h *firmHarness) checkSession(t *rapid.T) {
	ctx, s, w := h.ctx, h.s, h.pending
	if rapid.Bool().Draw(t, "firms") {
		r := h.staffRel()
		fs, err := Firms.Find(ctx, s, loadopts.With(r, draw(t, "strategy")))
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != len(w.firms) {
			t.Fatalf("in the session: %d firms, model %d", len(fs), len(w.firms))
		}
		for _, f := range fs {
			hd := h.firmHandle(t, f)
			if x := w.firms[hd]; f.Code != x.code || f.Name != x.name {
				t.Fatalf("in the session: firm %d %q %q, model %+v", hd, f.Code, f.Name, x)
			}
			ms, err := r.Of(ctx, s, f)
			if err != nil {
				t.Fatal(err)
			}
			h.checkStaff(t, hd, ms)
		}
		return
	}
	ms, err := Members.Find(ctx, s, loadopts.With(MemberFirm, draw(t, "strategy")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(w.members) {
		t.Fatalf("in the session: %d members, model %d", len(ms), len(w.members))
	}
	for _, m := range ms {
		hd := h.memberHandle(t, m)
		x := w.members[hd]
		code := h.codeOf(x.firm)
		if m.Name != x.name || (m.FirmCode == nil) != (x.firm == 0) || m.FirmCode != nil && *m.FirmCode != code {
			t.Fatalf("in the session: member %d %q firm %v, model %+v (code %q)", hd, m.Name, m.FirmCode, x, code)
		}
		f, err := MemberFirm.Of(ctx, s, m)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		if f != nil {
			got = h.firmHandle(t, f)
		}
		if got != x.firm {
			t.Fatalf("in the session: member %d's Firm is firm %d, model %d", hd, got, x.firm)
		}
	}
}

// TestNonPrimaryKeysAgainstAModel runs random sessions over firms and members related by the
// firm's code, a unique column that is not its primary key — add a firm with members (its code
// fresh, or one a deleted firm gave up), hire a member by the collection, the BelongsTo field
// or the foreign key (to firms the session holds, new ones included, and to committed ones it
// does not), move one by each side, transfer one between two loaded collections with no flush
// between, remove from a collection, replace a collection, rename, delete a member or a firm,
// load with a random strategy, flush — ended by a commit or a rollback, in sessions of a model
// whose relation keeps or deletes (DeleteOrphan) the members it loses. It checks what
// TestUnitOfWorkAgainstAModel checks: the session's collections and loads against the pending
// model, and after a commit the tables (plain SQL) and a fresh session's graph.
func TestNonPrimaryKeysAgainstAModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var echo []func(*pgxpool.Config)
	if os.Getenv("KINSHIP_ECHO") != "" {
		echo = append(echo, func(c *pgxpool.Config) { c.ConnConfig.Tracer = &repo.Tracer{Logger: slog.Default()} })
	}
	pool := pgtest.NewPool(t, echo...)
	rapid.Check(t, func(rt *rapid.T) {
		if _, err := pool.Exec(ctx, codesDDL); err != nil {
			rt.Fatal(err)
		}
		logf := rt.Logf
		if os.Getenv("KINSHIP_MODEL_LOG") != "" {
			logf = func(format string, args ...any) {
				rt.Logf(format, args...)
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}
		}
		h := &firmHarness{ctx: ctx, pool: pool, committed: newFirmWorld(), pending: newFirmWorld(), ids: map[int]int64{}, byID: map[[2]int64]int{}, log: logf}
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

func (h *firmHarness) actions() map[string]func(*rapid.T) {
	open := func(t *rapid.T) {
		if h.s == nil {
			h.begin(t, rapid.Bool().Draw(t, "owning"))
		}
	}
	sides := []string{"collection", "belongs-to", "foreign key"}
	return map[string]func(*rapid.T){
		"add firm": func(t *rapid.T) {
			open(t)
			f, hf := h.newFirm(t)
			for range rapid.IntRange(0, 2).Draw(t, "members") {
				m, _ := h.newMember(names.Draw(t, "member"), hf)
				f.Members = append(f.Members, m)
			}
			h.log("add firm %d (%s) with %d members", hf, f.Code, len(f.Members))
			if err := uow.Add(h.s, Firms, f); err != nil {
				t.Fatal(err)
			}
		},
		"hire": func(t *rapid.T) {
			open(t)
			hf := pick(t, h.pending.firms, "firm", true)
			name := names.Draw(t, "member")
			if hf == 0 && h.owning {
				// A new row of a DeleteOrphan relation with no owner is refused before any SQL.
				m := &Member{Name: name}
				h.log("hire into no firm (owning): refused")
				if err := uow.Add(h.s, Members, m); err != nil {
					t.Fatal(err)
				}
				if err := h.s.Flush(h.ctx); !errors.Is(err, uow.ErrOrphan) {
					t.Fatalf("flush of a member without a firm in the Owning model: %v, want ErrOrphan", err)
				}
				if err := uow.Delete(h.s, Members, m); err != nil {
					t.Fatal(err)
				}
				return
			}
			how := "foreign key"
			if hf != 0 {
				how = rapid.SampledFrom(sides).Draw(t, "how")
			}
			m, hm := h.newMember(name, hf)
			delete(h.pending.members, hm) // until it is in, so that collections check as they were
			defer func() { h.pending.members[hm] = memberRow{name, hf} }()
			h.log("hire %d into firm %d (%s)", hm, hf, how)
			h.setOwner(t, m, hf, how)
			h.join(t, how == "collection", func() error { return uow.Add(h.s, Members, m) })
			if f := h.fs[hf]; how != "collection" && f != nil && h.staffRel().Loaded(f) && !slices.Contains(f.Members, m) {
				t.Fatalf("fix-up: the member added with firm %d (%s) is not in its loaded collection", hf, how)
			}
		},
		"move": func(t *rapid.T) {
			open(t)
			hm := pick(t, h.pending.members, "member", false)
			hf := pick(t, h.pending.firms, "to", true) // 0: leave the firm (deleted, in the Owning model)
			if hm == 0 || hf == h.pending.members[hm].firm {
				t.Skip("nobody to move, or no move")
			}
			how := rapid.SampledFrom(sides).Draw(t, "how")
			h.log("move %d to firm %d (%s)", hm, hf, how)
			m := h.member(t, hm)
			if how != "collection" {
				h.flush(t) // as in TestUnitOfWorkAgainstAModel's "move": the edit must be a change
			}
			if hf == 0 && how == "collection" {
				from := h.pending.members[hm].firm
				ms := h.staff(t, from, draw(t, "strategy"))
				h.firm(t, from).Members = slices.DeleteFunc(slices.Clone(ms), func(x *Member) bool { return x == m })
			} else {
				h.setOwner(t, m, hf, how)
			}
			if hf == 0 {
				h.lose(hm)
				return
			}
			x := h.pending.members[hm]
			x.firm = hf
			h.pending.members[hm] = x
		},
		"transfer": func(t *rapid.T) {
			// Out of one loaded collection and into another, with no flush between, in either
			// order: a move, never an orphan.
			open(t)
			hm := pick(t, h.pending.members, "member", false)
			from := h.pending.members[hm].firm
			to := pick(t, h.pending.firms, "to", false)
			if hm == 0 || from == 0 || to == 0 || to == from {
				t.Skip("no transfer")
			}
			src := h.staff(t, from, draw(t, "from strategy"))
			dst := h.staff(t, to, draw(t, "to strategy"))
			m := h.member(t, hm)
			take := func() {
				h.firm(t, from).Members = slices.DeleteFunc(slices.Clone(src), func(x *Member) bool { return x == m })
			}
			put := func() { h.firm(t, to).Members = append(slices.Clone(dst), m) }
			putFirst := rapid.Bool().Draw(t, "put first")
			h.log("transfer %d from firm %d to %d (put first: %v)", hm, from, to, putFirst)
			if putFirst {
				put()
				take()
			} else {
				take()
				put()
			}
			x := h.pending.members[hm]
			x.firm = to
			h.pending.members[hm] = x
		},
		"remove from collection": func(t *rapid.T) {
			open(t)
			hf := pick(t, h.pending.firms, "firm", false)
			staff := h.pending.membersOf(hf)
			if hf == 0 || len(staff) == 0 {
				t.Skip("no one to remove")
			}
			hm := rapid.SampledFrom(staff).Draw(t, "member")
			h.log("remove %d from firm %d", hm, hf)
			ms := h.staff(t, hf, draw(t, "strategy"))
			m := h.member(t, hm)
			h.firm(t, hf).Members = slices.DeleteFunc(slices.Clone(ms), func(x *Member) bool { return x == m })
			h.lose(hm)
		},
		"replace collection": func(t *rapid.T) {
			open(t)
			hf := pick(t, h.pending.firms, "firm", false)
			if hf == 0 {
				t.Skip("no firm")
			}
			ms := h.staff(t, hf, draw(t, "strategy"))
			var kept []*Member
			var lost []int
			// By handle: the collection is in the order the database returned it, which a
			// replay of the same draws need not see again.
			ms = slices.Clone(ms)
			slices.SortFunc(ms, func(a, b *Member) int { return h.hm[a] - h.hm[b] })
			for _, m := range ms {
				if rapid.Bool().Draw(t, "keep") {
					kept = append(kept, m)
				} else {
					lost = append(lost, h.hm[m])
				}
			}
			if others := slices.DeleteFunc(slices.Sorted(maps.Keys(h.pending.members)), func(x int) bool { return h.pending.members[x].firm == hf }); len(others) > 0 && rapid.Bool().Draw(t, "steal") {
				hs := rapid.SampledFrom(others).Draw(t, "stolen")
				kept = append(kept, h.member(t, hs))
				x := h.pending.members[hs]
				x.firm = hf
				h.pending.members[hs] = x
			}
			var fresh []*Member
			for range rapid.IntRange(0, 2).Draw(t, "new") {
				m, _ := h.newMember(names.Draw(t, "member"), hf)
				fresh = append(fresh, m)
			}
			kept = append(kept, fresh...)
			defer h.join(t, len(fresh) > 0, func() error { return uow.Add(h.s, Members, fresh...) })
			if len(kept) == 0 && rapid.Bool().Draw(t, "nil") {
				kept = nil
			} else if kept == nil {
				kept = []*Member{}
			}
			h.log("replace firm %d's members: lose %v, now %d", hf, lost, len(kept))
			h.firm(t, hf).Members = kept
			for _, hm := range lost {
				h.lose(hm)
			}
		},
		"rename": func(t *rapid.T) {
			open(t)
			name := names.Draw(t, "name")
			if rapid.Bool().Draw(t, "firm") {
				hf := pick(t, h.pending.firms, "firm", false)
				if hf == 0 {
					t.Skip("no firm")
				}
				h.log("rename firm %d", hf)
				h.firm(t, hf).Name = name
				x := h.pending.firms[hf]
				x.name = name
				h.pending.firms[hf] = x
				return
			}
			hm := pick(t, h.pending.members, "member", false)
			if hm == 0 {
				t.Skip("nobody")
			}
			h.log("rename member %d", hm)
			h.member(t, hm).Name = name
			x := h.pending.members[hm]
			x.name = name
			h.pending.members[hm] = x
		},
		"delete member": func(t *rapid.T) {
			open(t)
			hm := pick(t, h.pending.members, "member", false)
			if hm == 0 {
				t.Skip("nobody")
			}
			h.log("delete member %d", hm)
			if err := uow.Delete(h.s, Members, h.member(t, hm)); err != nil {
				t.Fatal(err)
			}
			delete(h.pending.members, hm)
		},
		"delete firm": func(t *rapid.T) {
			// Its members loaded first, or some of them read one by one, or neither (the
			// cascade deletes them by their foreign key, the firm's code, unseen).
			open(t)
			hf := pick(t, h.pending.firms, "firm", false)
			if hf == 0 {
				t.Skip("no firm")
			}
			f := h.firm(t, hf)
			switch rapid.SampledFrom([]string{"untouched", "loaded", "some held"}).Draw(t, "members before") {
			case "loaded":
				h.staff(t, hf, draw(t, "strategy"))
			case "some held":
				for _, hm := range h.pending.membersOf(hf) {
					if rapid.Bool().Draw(t, "hold") {
						h.member(t, hm)
					}
				}
			}
			h.log("delete firm %d (%s)", hf, f.Code)
			if err := uow.Delete(h.s, Firms, f); err != nil {
				t.Fatal(err)
			}
			h.pending.deleteFirm(hf)
		},
		"succeed firm": func(t *rapid.T) {
			// A firm deleted and a new firm given its code, some of its members moved from the
			// one to the other by collection, all before one flush: the members' foreign key
			// keeps its value, but the old firm must be deleted before the new one takes the
			// code (the flush unhooks the members meanwhile).
			open(t)
			hf := pick(t, h.pending.firms, "firm", false)
			if hf == 0 {
				t.Skip("no firm")
			}
			f := h.firm(t, hf)
			ms := slices.Clone(h.staff(t, hf, eagerDraw(t, "strategy")))
			slices.SortFunc(ms, func(a, b *Member) int { return h.hm[a] - h.hm[b] })
			var moving, rest []*Member
			for _, m := range ms {
				if rapid.Bool().Draw(t, "moves") {
					moving = append(moving, m)
				} else {
					rest = append(rest, m)
				}
			}
			n := &Firm{Code: f.Code, Name: names.Draw(t, "firm"), Members: moving}
			hn := h.handle()
			h.fs[hn], h.hf[n] = n, hn
			h.log("succeed firm %d (%s) by firm %d, moving %d of its %d members", hf, f.Code, hn, len(moving), len(ms))
			f.Members = rest
			for _, m := range moving {
				x := h.pending.members[h.hm[m]]
				x.firm = hn
				h.pending.members[h.hm[m]] = x
			}
			if err := uow.Delete(h.s, Firms, f); err != nil {
				t.Fatal(err)
			}
			h.pending.deleteFirm(hf)
			h.pending.firms[hn] = firmRow{n.Code, n.Name}
			if err := uow.Add(h.s, Firms, n); err != nil {
				t.Fatal(err)
			}
		},
		"load": func(t *rapid.T) {
			open(t)
			h.log("load")
			h.checkSession(t)
		},
		"flush": func(t *rapid.T) {
			open(t)
			h.log("flush")
			h.flush(t)
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
