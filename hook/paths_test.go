package hook

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func genPaths(t *testing.T) Paths {
	return Paths{State: filepath.Join(t.TempDir(), "state")}
}

// oneMarker lists the generation directory, failing on anything but one
// marker with the epoch as its mtime, and returns that marker's name.
func oneMarker(t *testing.T, p Paths) string {
	t.Helper()
	names, err := readNames(p.GenDir())
	if err != nil || len(names) != 1 {
		t.Fatalf("generation directory holds %q (%v), want one marker", names, err)
	}
	fi, err := os.Lstat(p.GenMarker(names[0]))
	if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Unix() != 0 {
		t.Fatalf("marker %s: %v, mtime %v; want a file with the epoch as mtime", names[0], err, fi.ModTime())
	}
	return names[0]
}

func TestReadGenCreatesOneMarker(t *testing.T) {
	p := genPaths(t)
	if g := CurrentGen(p); g != "" {
		t.Fatalf("CurrentGen = %q before any marker", g)
	}
	if _, err := RenameGen(p); err == nil {
		t.Fatal("RenameGen succeeded with no marker")
	}
	if _, err := os.Stat(p.GenDir()); !os.IsNotExist(err) {
		t.Fatalf("RenameGen created the directory: %v", err)
	}
	g := ReadGen(p)
	if !validGen(g) || oneMarker(t, p) != g || ReadGen(p) != g || CurrentGen(p) != g {
		t.Fatalf("ReadGen = %q, then %q", g, ReadGen(p))
	}
}

// A bump must make the path a shell holds stop existing.
func TestBumpRenamesTheMarker(t *testing.T) {
	p := genPaths(t)
	old := ReadGen(p)
	if err := BumpGen(p); err != nil {
		t.Fatal(err)
	}
	now := oneMarker(t, p)
	if now == old {
		t.Fatal("the bump kept the generation")
	}
	if _, err := os.Lstat(p.GenMarker(old)); !os.IsNotExist(err) {
		t.Errorf("the old marker is still there: %v", err)
	}
	renamed, err := RenameGen(p)
	if err != nil || renamed == now || oneMarker(t, p) != renamed {
		t.Errorf("RenameGen = %q, %v", renamed, err)
	}
}

// Writers racing must still leave exactly one marker, so that no shell keeps
// testing a path that never goes away.
func TestConcurrentBumpsLeaveOneMarker(t *testing.T) {
	p := genPaths(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := BumpGen(p); err != nil {
				t.Error(err)
			}
			ReadGen(p)
		})
	}
	wg.Wait()
	oneMarker(t, p)
}

// fish reads the clock as the marker's age, so a touched marker gets the
// epoch back at the next evaluation; a stray file goes at the next bump.
func TestMarkerRepairs(t *testing.T) {
	p := genPaths(t)
	g := ReadGen(p)
	now := time.Now()
	if err := os.Chtimes(p.GenMarker(g), now, now); err != nil {
		t.Fatal(err)
	}
	if ReadGen(p) != g {
		t.Fatal("the generation changed")
	}
	oneMarker(t, p)
	if err := os.WriteFile(filepath.Join(p.GenDir(), "stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if CurrentGen(p) != "" {
		t.Error("CurrentGen trusted a directory with two entries")
	}
	if err := BumpGen(p); err != nil {
		t.Fatal(err)
	}
	oneMarker(t, p)
}
