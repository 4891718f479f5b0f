package repo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kinship-go/kinship/repo"
)

type thing struct {
	ID, Other int64
	Name      string
}

func thingID() *repo.Column[thing, int64] {
	return repo.Serial("id", func(t *thing) *int64 { return &t.ID })
}

func thingName() *repo.Column[thing, string] {
	return repo.Col("name", func(t *thing) *string { return &t.Name })
}

func TestNewRejectsBadDeclarations(t *testing.T) {
	t.Parallel()
	taken := thingName()
	repo.MustNew("owner", thingID(), taken)
	long := strings.Repeat("x", 64)
	tests := []struct {
		name    string
		table   string
		cols    []repo.Field[thing]
		column  string // the column the error names
		message string // part of the message
	}{
		{"empty table name", "", []repo.Field[thing]{thingID()}, "", "empty identifier"},
		{"table name too long", long, []repo.Field[thing]{thingID()}, "", "truncates identifiers longer than 63 bytes"},
		{"NUL in table name", "a\x00b", []repo.Field[thing]{thingID()}, "", "NUL"},
		{"no columns", "things", nil, "", "no columns"},
		{"nil column", "things", []repo.Field[thing]{thingID(), nil}, "", "column 1 is nil"},
		{"empty column name", "things", []repo.Field[thing]{thingID(), repo.Col("", func(t *thing) *string { return &t.Name })}, "", "empty identifier"},
		{"column name too long", "things", []repo.Field[thing]{thingID(), repo.Col(long, func(t *thing) *string { return &t.Name })}, long, "63 bytes"},
		{"nil accessor", "things", []repo.Field[thing]{thingID(), repo.Col[thing, string]("name", nil)}, "name", "without an accessor"},
		{"duplicate column", "things", []repo.Field[thing]{thingID(), thingName(), thingName()}, "name", "declared twice"},
		{"no primary key", "things", []repo.Field[thing]{thingName()}, "", "no primary key"},
		{"two serial keys", "things", []repo.Field[thing]{thingID(), repo.Serial("other", func(t *thing) *int64 { return &t.Other })}, "other", "second generated key"},
		{"two generated keys in a composite key", "things", []repo.Field[thing]{thingID(), repo.Key("other", func(t *thing) *int64 { return &t.Other }),
			repo.Serial("third", func(t *thing) *int64 { return &t.Other })}, "third", "second generated key"},
		{"two columns on one field", "things", []repo.Field[thing]{thingID(), thingName(), repo.Col("label", func(t *thing) *string { return &t.Name })},
			"label", "columns name and label have accessors that return the same field (a *string)"},
		{"a key and a column on one field", "things", []repo.Field[thing]{thingID(), repo.Col("also_id", func(t *thing) *int64 { return &t.ID })},
			"also_id", "columns id and also_id"},
		{"column of another repo", "things", []repo.Field[thing]{thingID(), taken}, "name", "already belongs to another Repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := repo.New(tt.table, tt.cols...)
			if err == nil {
				t.Fatalf("New accepted it: %v", r)
			}
			if !errors.Is(err, repo.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var e *repo.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *repo.Error: %T %v", err, err)
			}
			if e.Op != "declare" || e.Table != tt.table || e.Column != tt.column {
				t.Errorf("got Op=%q Table=%q Column=%q, want declare %q %q", e.Op, e.Table, e.Column, tt.table, tt.column)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not say %q", err, tt.message)
			}
		})
	}
}

// TestNewTellsFieldsApart checks what the same-field check compares: the address and the Go type
// of what the accessors return, on one zero row. The struct's first field shares its address
// with the struct, and a field of zero size can share its address with the next field; neither
// is the same field.
func TestNewTellsFieldsApart(t *testing.T) {
	t.Parallel()
	type inner struct{ A, B int64 }
	type nested struct {
		In   inner // first field: its address is the struct's
		Zero struct{}
		Next int64 // may share Zero's address
		Name string
	}
	_, err := repo.New("nested",
		repo.Key("a", func(n *nested) *int64 { return &n.In.A }), // the address of In, and of the row
		repo.Col("b", func(n *nested) *int64 { return &n.In.B }),
		repo.Col("inner", func(n *nested) *inner { return &n.In }),     // same address as a, another type
		repo.Col("whole", func(n *nested) *nested { return n }),        // same address as a, another type
		repo.Col("zero", func(n *nested) *struct{} { return &n.Zero }), // maybe Next's address, another type
		repo.Col("next", func(n *nested) *int64 { return &n.Next }),
		repo.Col("name", func(n *nested) *string { return &n.Name }))
	if err != nil {
		t.Fatalf("New refused distinct fields: %v", err)
	}
}

func TestMustNewPanicsOnBadDeclaration(t *testing.T) {
	t.Parallel()
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, repo.ErrInvalid) {
			t.Fatalf("recovered %v, want an ErrInvalid", err)
		}
	}()
	repo.MustNew("things", thingName())
}

func TestRepoDescribesItself(t *testing.T) {
	t.Parallel()
	if got := Memberships.Table(); got != "memberships" {
		t.Errorf("Table() = %q", got)
	}
	var names []string
	for _, f := range Memberships.PrimaryKey() {
		names = append(names, f.Name())
	}
	if strings.Join(names, ",") != "org_id,user_id" {
		t.Errorf("PrimaryKey() = %v", names)
	}
	if n := len(Widgets.Columns()); n != 11 {
		t.Errorf("len(Columns()) = %d, want 11", n)
	}
	m := &Membership{OrgID: 1, UserID: 2}
	if k, ok := Memberships.Key(m).([]any); !ok || k[0] != int64(1) || k[1] != int64(2) {
		t.Errorf("Key() = %#v", Memberships.Key(m))
	}
	if k := Users.Key(&User{ID: 7}); k != int64(7) {
		t.Errorf("Key() = %#v", k)
	}
}
