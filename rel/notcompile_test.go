package rel_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTypeErrorsDoNotCompile builds the programs under testdata/notcompile, each of which makes
// one mistake that package rel's types exist to catch, and checks that the compiler refuses each
// with the message that names the mistake, while the correct declaration (ok) builds.
func TestTypeErrorsDoNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	// go test puts its own GOROOT/bin first on the test's PATH.
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	t.Parallel()
	for _, tt := range []struct {
		name string
		want string // a part of the compiler's message; "" for a program that must build
	}{
		{"ok", ""},
		{"fktype", "type *repo.Column[Employee, string] of employeeCompanyID does not match inferred type repo.Ref[Employee, int64] for repo.Ref[C, K]"},
		{"wrongstruct", "does not match inferred type func(*Company) *[]*Employee for func(*P) *[]*C"},
		{"modelpart", `"employees" (constant of type string) as rel.Relation value in argument to uow.NewModel: string does not implement rel.Relation`},
		{"keytype", `cannot use "3" (untyped string constant) as int64 value in argument to repo.GetBy`},
		{"pathchain", "type *rel.Many[Skill, Employee] of skillEmployees does not match inferred type rel.Path[Employee, C] for rel.Path[B, C]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := "./testdata/notcompile/" + tt.name
			cmd := exec.Command(gocmd, "build", "-o", filepath.Join(t.TempDir(), tt.name), dir)
			out, err := cmd.CombinedOutput()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("go build %s: %v\n%s", dir, err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("go build %s succeeded; want the compile error %q", dir, tt.want)
			}
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("go build %s: %v", dir, err)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("go build %s: the compiler's message does not contain %q:\n%s", dir, tt.want, out)
			}
			// Exactly one mistake: one error, in the program's main.go.
			var errs []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if !strings.HasPrefix(line, "#") {
					errs = append(errs, line)
				}
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0], "testdata/notcompile/"+tt.name+"/main.go:") {
				t.Fatalf("go build %s: want one error, in its main.go; got:\n%s", dir, out)
			}
		})
	}
}
