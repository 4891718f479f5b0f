package reliability

import (
	"fmt"
	"os"
	"testing"

	"github.com/kinship-go/kinship/internal/pgtest"
	"go.uber.org/goleak"
)

// TestMain runs the tests on a throwaway server (or DATABASE_URL's) and then checks, once every
// pool is closed and the server stopped, that no goroutine is left: TestFaults checks each of
// its cases too.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
