// Package testenv is what the tests of several packages share. It finds the
// external tools tests drive (real shells, the AWS CLI, linters): locally a
// missing tool skips the test; under CI (CI=true) it fails it, because a
// skipped test must never be counted as a pass there. And Buffer collects
// what a concurrent writer prints.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the absolute path of each named tool, in order. A tool may
// be given as an absolute path (e.g. /usr/bin/aws, to pass over another aws
// earlier on PATH).
func Require(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, 0, len(names))
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			missing(t, name+" is not installed (make test installs it with apt-get)")
		}
		paths = append(paths, p)
	}
	return paths
}

// Tool is Require for a single tool.
func Tool(t testing.TB, name string) string {
	t.Helper()
	return Require(t, name)[0]
}

// InCI reports whether the tests run under CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

func missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}
