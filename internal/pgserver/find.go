package pgserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotFound reports that no PostgreSQL server binaries were found.
var ErrNotFound = errors.New("pgserver: PostgreSQL server binaries (initdb, postgres) not found")

// defaultGlobs are searched, highest version first, after PATH.
var defaultGlobs = []string{"/usr/lib/postgresql/*/bin"}

// binaries are the programs of one PostgreSQL installation.
type binaries struct {
	initdb, postgres string
}

// findBinaries looks for a directory holding both initdb and postgres:
// first each directory of pathList (a PATH value), then the directories
// matched by globs, highest version first. Both programs come from the same
// directory so that their versions agree.
func findBinaries(pathList string, globs []string) (binaries, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			continue
		}
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	var dirs []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return binaries{}, fmt.Errorf("pgserver: bad pattern %q: %w", g, err)
		}
		dirs = append(dirs, m...)
	}
	slices.SortStableFunc(dirs, func(a, b string) int { return -compareVersions(a, b) })
	for _, dir := range dirs {
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	where := "PATH"
	if len(globs) > 0 {
		where += " or under " + strings.Join(globs, ", ")
	}
	return binaries{}, fmt.Errorf("%w on %s: install PostgreSQL's server package "+
		"(e.g. `apt-get install postgresql`) or set DATABASE_URL to the server to use", ErrNotFound, where)
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	return b, isExecutable(b.initdb) && isExecutable(b.postgres)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// compareVersions compares two paths by the runs of digits in them, so that
// ".../postgresql/9.6/bin" < ".../postgresql/10/bin" < ".../postgresql/15/bin".
func compareVersions(a, b string) int {
	na, nb := numbers(a), numbers(b)
	if c := slices.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func numbers(s string) []int {
	var ns []int
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, err := strconv.Atoi(f)
		if err != nil { // too long to be a version
			n = -1
		}
		ns = append(ns, n)
	}
	return ns
}
