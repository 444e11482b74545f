package privfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestReadTakesOnlyAPrivateRegularFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	write(t, good, "secret", 0o600)
	b, mtime, err := Read(good, 64)
	if err != nil || string(b) != "secret" {
		t.Fatalf("Read(private file) = %q, %v", b, err)
	}
	if fi, _ := os.Stat(good); !mtime.Equal(fi.ModTime()) {
		t.Errorf("mtime %v, want %v", mtime, fi.ModTime())
	}

	refused := map[string]func(path string){
		"readable by the group": func(p string) { write(t, p, "x", 0o640) },
		"writable by others":    func(p string) { write(t, p, "x", 0o602) },
		"larger than max":       func(p string) { write(t, p, string(make([]byte, 65)), 0o600) },
		"a symlink to a private file": func(p string) {
			if err := os.Symlink(good, p); err != nil {
				t.Fatal(err)
			}
		},
		"a directory": func(p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		},
		// Opened without O_NONBLOCK, a FIFO with no writer would hang the
		// prompt; readWithin says so.
		"a FIFO": func(p string) {
			if err := unix.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, create := range refused {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			create(p)
			if b, err := readWithin(t, p); err == nil {
				t.Errorf("Read accepted it and returned %q", b)
			}
		})
	}
	t.Run("another user's", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("only root can make a file that belongs to another user")
		}
		p := filepath.Join(t.TempDir(), "f")
		write(t, p, "x", 0o600)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if b, err := readWithin(t, p); err == nil {
			t.Errorf("Read accepted it and returned %q", b)
		}
	})
}

// readWithin is Read, failing the test if it blocks.
func readWithin(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, _, err := Read(path, 64)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Read(%s) has blocked for 10s", path)
		return nil, nil
	}
}

func TestWriteReplacesWholeAndPrivate(t *testing.T) {
	for _, sync := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		write(t, path, "old content, longer than the new", 0o644)
		if err := Write(path, []byte("new"), sync); err != nil {
			t.Fatal(err)
		}
		b, _, err := Read(path, 64)
		if err != nil || string(b) != "new" {
			t.Fatalf("sync=%v: after Write, Read = %q, %v", sync, b, err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("sync=%v: Write left %d files behind, want only the file", sync, len(ents)-1)
		}
	}
}

func TestSweepRemovesOnlyStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	stale, fresh, other := filepath.Join(dir, ".tmp-1"), filepath.Join(dir, ".tmp-2"), filepath.Join(dir, "entry")
	for _, p := range []string{stale, fresh, other} {
		write(t, p, "x", 0o600)
	}
	old := time.Now().Add(-2 * staleTemp)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	Sweep(dir)
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Lstat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
