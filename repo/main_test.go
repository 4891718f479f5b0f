package repo_test

import (
	"bytes"
	"database/sql"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/repo"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Widget has a column of every kind repo supports.
type Widget struct {
	ID      int64
	Name    string
	Count   int32
	Active  bool
	Big     int64
	Note    *string         // Nullable
	Label   pgtype.Text     // a pgtype nullable type
	Score   sql.Null[int64] // database/sql's nullable type
	Blob    []byte          // ColFunc: bytes.Equal
	Tags    []string        // ColFunc: slices.Equal
	Created time.Time       // ColFunc: time.Time.Equal
}

const widgetsDDL = `CREATE TABLE widgets (
	id bigserial PRIMARY KEY,
	name text COLLATE "C" NOT NULL,
	count integer NOT NULL,
	active boolean NOT NULL,
	big bigint NOT NULL,
	note text COLLATE "C",
	label text,
	score bigint,
	blob bytea,
	tags text[],
	created timestamptz NOT NULL
)`

var (
	widgetID      = repo.Serial("id", func(w *Widget) *int64 { return &w.ID })
	widgetName    = repo.Col("name", func(w *Widget) *string { return &w.Name })
	widgetCount   = repo.Col("count", func(w *Widget) *int32 { return &w.Count })
	widgetActive  = repo.Col("active", func(w *Widget) *bool { return &w.Active })
	widgetBig     = repo.Col("big", func(w *Widget) *int64 { return &w.Big })
	widgetNote    = repo.Nullable("note", func(w *Widget) **string { return &w.Note })
	widgetLabel   = repo.Col("label", func(w *Widget) *pgtype.Text { return &w.Label })
	widgetScore   = repo.Col("score", func(w *Widget) *sql.Null[int64] { return &w.Score })
	widgetBlob    = repo.ColFunc("blob", func(w *Widget) *[]byte { return &w.Blob }, bytes.Equal, bytes.Clone)
	widgetTags    = repo.ColFunc("tags", func(w *Widget) *[]string { return &w.Tags }, slices.Equal[[]string], slices.Clone[[]string])
	widgetCreated = repo.ColFunc("created", func(w *Widget) *time.Time { return &w.Created }, time.Time.Equal, nil)
	Widgets       = repo.MustNew("widgets", widgetID, widgetName, widgetCount, widgetActive, widgetBig,
		widgetNote, widgetLabel, widgetScore, widgetBlob, widgetTags, widgetCreated)
)

// Membership has a composite primary key assigned by the client.
type Membership struct {
	OrgID  int64
	UserID int64
	Role   string
}

const membershipsDDL = `CREATE TABLE memberships (
	org_id bigint NOT NULL,
	user_id bigint NOT NULL,
	role text NOT NULL,
	PRIMARY KEY (org_id, user_id)
)`

var (
	membershipOrg  = repo.Key("org_id", func(m *Membership) *int64 { return &m.OrgID })
	membershipUser = repo.Key("user_id", func(m *Membership) *int64 { return &m.UserID })
	membershipRole = repo.Col("role", func(m *Membership) *string { return &m.Role })
	Memberships    = repo.MustNew("memberships", membershipOrg, membershipUser, membershipRole)
)

// Token has a client-assigned UUID key.
type Token struct {
	ID    string
	Owner string
}

const tokensDDL = `CREATE TABLE tokens (id uuid PRIMARY KEY, owner text NOT NULL)`

var (
	tokenID    = repo.Key("id", func(t *Token) *string { return &t.ID })
	tokenOwner = repo.Col("owner", func(t *Token) *string { return &t.Owner })
	Tokens     = repo.MustNew("tokens", tokenID, tokenOwner)
)

// User has a generated key and a unique natural key, for Upsert.
type User struct {
	ID    int64
	Email string
	Name  string
}

const usersDDL = `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL)`

var (
	userID    = repo.Serial("id", func(u *User) *int64 { return &u.ID })
	userEmail = repo.Col("email", func(u *User) *string { return &u.Email })
	userName  = repo.Col("name", func(u *User) *string { return &u.Name })
	Users     = repo.MustNew("users", userID, userEmail, userName)
)

func ptr[V any](v V) *V { return &v }

// sampleWidget is a widget with every column set, n making it distinct.
func sampleWidget(n int) *Widget {
	w := &Widget{
		Name:    "widget-" + string(rune('a'+n%26)) + "-" + time.Duration(n).String(),
		Count:   int32(n),
		Active:  n%2 == 0,
		Big:     int64(n) << 33,
		Blob:    []byte{byte(n), 0, 255},
		Tags:    []string{"t", time.Duration(n).String()},
		Created: time.Date(2026, 11, 26, 4, 0, n%60, 123456000, time.UTC),
	}
	if n%3 != 0 {
		w.Note = ptr("note " + w.Name)
		w.Label = pgtype.Text{String: "label", Valid: true}
		w.Score = sql.Null[int64]{V: int64(n * 10), Valid: true}
	}
	return w
}
