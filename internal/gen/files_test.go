package gen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func file(name, body string) File {
	return File{Name: name, Content: stamp([]byte(header + "package db\n" + body))}
}

func TestStateOf(t *testing.T) {
	f := file("a.go", "var A = 1\n")
	if s := stateOf(f.Content); s != pristine {
		t.Errorf("as written: %v", s)
	}
	if s := stateOf(bytes.Replace(f.Content, []byte("1"), []byte("2"), 1)); s != edited {
		t.Errorf("edited: %v", s)
	}
	if s := stateOf([]byte("package db\n")); s != foreign {
		t.Errorf("a person's file: %v", s)
	}
	if s := stateOf([]byte(sumLine + "12")); s != foreign {
		t.Errorf("a cut checksum: %v", s)
	}
}

// TestWrite: a first write, an unchanged rewrite, a refused one that writes nothing, -force,
// and files of tables since dropped: removed when unchanged, kept when edited.
func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	a, b, c := file("a.go", "var A = 1\n"), file("b.go", "var B = 1\n"), file("c.go", "var C = 1\n")
	rep, err := Write(dir, []File{a, b, c}, false)
	if err != nil || len(rep.Written) != 3 {
		t.Fatalf("first write: %+v, %v", rep, err)
	}
	rep, err = Write(dir, []File{a, b, c}, false)
	if err != nil || len(rep.Written) != 0 || len(rep.Unchanged) != 3 {
		t.Fatalf("unchanged: %+v, %v", rep, err)
	}

	// A person edits a.go and writes mine.go; the schema changes b.go.
	edited := append(bytes.Clone(a.Content), "// mine\n"...)
	must(t, os.WriteFile(filepath.Join(dir, "a.go"), edited, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "mine.go"), []byte("package db\n"), 0o644))
	b2 := file("b.go", "var B = 2\n")
	_, err = Write(dir, []File{a, b2, c, file("mine.go", "")}, false)
	if !errors.Is(err, ErrEdited) {
		t.Fatalf("edited a.go, foreign mine.go: %v; want ErrEdited", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "b.go")); !bytes.Equal(got, b.Content) {
		t.Error("a refused write wrote b.go")
	}
	rep, err = Write(dir, []File{a, b2, c}, true)
	if err != nil || !slices.Equal(rep.Written, []string{"a.go", "b.go"}) {
		t.Fatalf("-force: %+v, %v", rep, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "mine.go")); string(got) != "package db\n" {
		t.Error("a person's file not in the output was touched")
	}

	// c's table is dropped: c.go goes; had it been edited, it would stay.
	must(t, os.WriteFile(filepath.Join(dir, "b.go"), append(bytes.Clone(b2.Content), "// mine\n"...), 0o644))
	rep, err = Write(dir, []File{a}, false)
	if err != nil || !slices.Equal(rep.Removed, []string{"c.go"}) || !slices.Equal(rep.Kept, []string{"b.go"}) {
		t.Fatalf("dropped tables: %+v, %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.go")); !errors.Is(err, os.ErrNotExist) {
		t.Error("c.go stayed")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
