package pgserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinariesNone(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	_, err := findBinaries(empty, []string{filepath.Join(empty, "*", "bin")})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := func(parts ...string) string { return filepath.Join(append([]string{root}, parts...)...) }
	install := func(d string, mode os.FileMode, names ...string) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	install(dir("lib", "9.6", "bin"), 0o755, "initdb", "postgres")
	install(dir("lib", "15", "bin"), 0o755, "initdb", "postgres")
	install(dir("lib", "10", "bin"), 0o755, "initdb", "postgres")
	install(dir("lib", "17", "bin"), 0o755, "initdb")                 // no postgres
	install(dir("lib", "18", "bin"), 0o644, "initdb", "postgres")     // not executable
	install(dir("path", "half"), 0o755, "postgres")                   // no initdb
	install(dir("path", "both"), 0o755, "initdb", "postgres", "psql") // complete
	globs := []string{dir("lib", "*", "bin")}

	for _, tc := range []struct{ name, path, want string }{
		{"highest complete version", dir("path", "half"), dir("lib", "15", "bin")},
		{"PATH first", strings.Join([]string{dir("path", "half"), dir("path", "both")}, string(os.PathListSeparator)), dir("path", "both")},
		{"empty PATH entries", string(os.PathListSeparator), dir("lib", "15", "bin")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := findBinaries(tc.path, globs)
			if err != nil {
				t.Fatal(err)
			}
			want := binaries{filepath.Join(tc.want, "initdb"), filepath.Join(tc.want, "postgres")}
			if b != want {
				t.Errorf("got %+v, want %+v", b, want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/10/bin", -1},
		{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/15/bin", 0},
		{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/15/bin", 1},
		{"/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/16.2/bin", -1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
