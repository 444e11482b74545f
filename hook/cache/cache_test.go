package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/testenv"
)

type entry struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
}

func testEntry(tag string, size int) entry {
	return entry{AccessKeyID: "ASIA" + tag, SecretAccessKey: strings.Repeat(tag, 40/len(tag)+1)[:40],
		SessionToken: strings.Repeat(tag, size/len(tag))}
}

func perm(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// Directory 0700 and files 0600 whatever the umask, including a directory
// that already existed with wider modes.
func TestModesRegardlessOfUmask(t *testing.T) {
	for _, mask := range []int{0, 0o002, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %04o", mask), func(t *testing.T) {
			old := syscall.Umask(mask)
			defer syscall.Umask(old)
			c := Cache{Dir: filepath.Join(t.TempDir(), "a", "awsrole")}
			if err := c.Put("k", testEntry("x", 10)); err != nil {
				t.Fatal(err)
			}
			unlock, err := c.Lock("k")
			if err != nil {
				t.Fatal(err)
			}
			unlock()
			if m := perm(t, c.Dir); m != 0o700 {
				t.Errorf("cache directory mode %04o, want 0700", m)
			}
			for _, f := range []string{"k.json", "k.lock"} {
				if m := perm(t, filepath.Join(c.Dir, f)); m != 0o600 {
					t.Errorf("%s mode %04o, want 0600", f, m)
				}
			}
		})
	}
	t.Run("existing wide directory is narrowed", func(t *testing.T) {
		c := Cache{Dir: filepath.Join(t.TempDir(), "awsrole")}
		if err := os.Mkdir(c.Dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(c.Dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := c.Put("k", testEntry("x", 10)); err != nil {
			t.Fatal(err)
		}
		if m := perm(t, c.Dir); m != 0o700 {
			t.Errorf("cache directory mode %04o after Put, want 0700", m)
		}
	})
}

// An entry others could have read or written, or that is not a plain file
// of this user, is never trusted: Get reports it missing and removes it.
func TestUntrustedEntriesDiscarded(t *testing.T) {
	secret := testEntry("s", 10)
	cases := map[string]func(t *testing.T, c Cache, p string){
		"group readable":  func(t *testing.T, c Cache, p string) { chmod(t, p, 0o640) },
		"world readable":  func(t *testing.T, c Cache, p string) { chmod(t, p, 0o604) },
		"group writable":  func(t *testing.T, c Cache, p string) { chmod(t, p, 0o620) },
		"world writable":  func(t *testing.T, c Cache, p string) { chmod(t, p, 0o602) },
		"executable bits": func(t *testing.T, c Cache, p string) { chmod(t, p, 0o611) },
		"owned by another user": func(t *testing.T, c Cache, p string) {
			if os.Getuid() != 0 {
				testenvMissing(t, "chown to another user needs root")
			}
			if err := os.Lchown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		},
		"symlink to a file": func(t *testing.T, c Cache, p string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(target, b, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		},
		"fifo": func(t *testing.T, c Cache, p string) {
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, c Cache, p string) {
			os.Remove(p)
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		},
		"larger than 1 MiB": func(t *testing.T, c Cache, p string) {
			b, _ := json.Marshal(testEntry("s", 1<<20+10))
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			c := Cache{Dir: filepath.Join(t.TempDir(), "awsrole")}
			if err := c.Put("k", secret); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(c.Dir, "k.json")
			spoil(t, c, p)
			done := make(chan struct{})
			var ok bool
			var err error
			var got entry
			go func() { ok, err = c.Get("k", &got); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Get hung on the entry")
			}
			if ok || err != nil {
				t.Fatalf("Get = %v, %v (%+v); want the entry reported missing", ok, err, got)
			}
			if got != (entry{}) {
				t.Errorf("Get filled in %+v from an untrusted entry", got)
			}
			if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
				t.Errorf("the untrusted entry (%v) was left in place", fi.Mode())
			}
		})
	}
}

func chmod(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

// A cache directory owned by another user is refused for writing.
func TestForeignDirectoryRefused(t *testing.T) {
	if os.Getuid() != 0 {
		testenvMissing(t, "chown to another user needs root")
	}
	c := Cache{Dir: filepath.Join(t.TempDir(), "awsrole")}
	if err := os.Mkdir(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(c.Dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("k", testEntry("x", 10)); err == nil || !strings.Contains(err.Error(), "owned by another user") {
		t.Errorf("Put into a foreign directory: %v, want a refusal", err)
	}
	if _, err := c.Lock("k"); err == nil {
		t.Errorf("Lock in a foreign directory succeeded")
	}
}

// Every truncation of a valid entry (what a torn write without the rename
// would leave) is discarded, never half-read.
func TestTruncatedEntriesDiscarded(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "awsrole")}
	want := testEntry("t", 64)
	if err := c.Put("k", want); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(c.Dir, "k.json")
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(full); n++ {
		if err := os.WriteFile(p, full[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		var got entry
		if ok, err := c.Get("k", &got); ok || err != nil {
			t.Fatalf("a %d-byte prefix of a %d-byte entry was read as %+v (%v)", n, len(full), got, err)
		}
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the %d-byte prefix was not removed", n)
		}
	}
}

// The helper process of TestKilledWhileWriting: it rewrites one entry with
// alternating values until it is killed.
func TestHelperWriteLoop(t *testing.T) {
	dir := os.Getenv("AWSROLE_CACHE_HELPER_DIR")
	if dir == "" {
		return // not the helper
	}
	c := Cache{Dir: dir}
	a, b := testEntry("A", 300<<10), testEntry("B", 300<<10)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		v := a
		if i%2 == 1 {
			v = b
		}
		if err := c.Put("k", v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
}

// A process killed with SIGKILL at any point while writing leaves an entry
// that is either a complete value it wrote or absent, never a torn one; and
// the temporary files it leaves behind are never read as entries.
func TestKilledWhileWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "awsrole")
	c := Cache{Dir: dir}
	a, b := testEntry("A", 300<<10), testEntry("B", 300<<10)
	kills, seenEntries := 0, 0
	for i := 0; i < 25; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriteLoop$", "-test.count=1")
		cmd.Env = append(os.Environ(), "AWSROLE_CACHE_HELPER_DIR="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		os.Remove(filepath.Join(dir, "ready"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper never started: %s", stderr.String())
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(30000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("helper ended with %v before the kill: %s", err, stderr.String())
		}
		kills++
		var got entry
		ok, err := c.Get("k", &got)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			seenEntries++
			if got != a && got != b {
				t.Fatalf("after SIGKILL #%d the entry read back torn (key %q, %d-byte token)", kills, got.AccessKeyID, len(got.SessionToken))
			}
		}
	}
	if seenEntries == 0 {
		t.Fatalf("no entry was ever complete after %d kills; the test proved nothing", kills)
	}
	// Leftover temporary files hold secrets; they are never taken for entries
	// (Get only opens KEY.json) and the next Put sweeps old ones.
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	old := time.Now().Add(-time.Hour)
	for _, l := range leftovers {
		os.Chtimes(l, old, old)
	}
	if err := c.Put("k", a); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) > 0 {
		t.Errorf("%d temporary files of killed writers (holding secrets) were never swept: %v", len(left), left)
	}
	t.Logf("%d kills, %d left a complete entry, %d left a temporary file", kills, seenEntries, len(leftovers))
}

// mountTmpfs mounts a fresh tmpfs of size bytes; it needs root (CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput(); err != nil {
		testenvMissing(t, fmt.Sprintf("cannot mount a tmpfs (%v: %s)", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func remountRO(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v: %s", err, out)
	}
}

// A read-only cache directory: every operation fails with an error (which
// the caller turns into a warning), none panics or hangs, and what was
// cached before is still read.
func TestReadOnlyCache(t *testing.T) {
	mnt := mountTmpfs(t, 1<<20)
	c := Cache{Dir: filepath.Join(mnt, "awsrole")}
	before := testEntry("r", 100)
	if err := c.Put("old", before); err != nil {
		t.Fatal(err)
	}
	remountRO(t, mnt)
	if err := c.Put("new", testEntry("n", 100)); err == nil {
		t.Error("Put on a read-only file system succeeded")
	}
	if _, err := c.Lock("new"); err == nil {
		t.Error("Lock on a read-only file system succeeded")
	}
	var got entry
	if ok, err := c.Get("old", &got); !ok || err != nil || got != before {
		t.Errorf("Get of an entry cached before = %v, %v; want it read", ok, err)
	}
	if ok, err := c.Get("new", &got); ok || err != nil {
		t.Errorf("Get of a missing entry = %v, %v", ok, err)
	}
	// A read-only cache that never existed fails to be created, with an error.
	c2 := Cache{Dir: filepath.Join(mnt, "missing", "awsrole")}
	if err := c2.Put("k", before); err == nil {
		t.Error("Put created a cache on a read-only file system")
	}
}

// A full disk: the write fails with an error, the previous entry stays
// whole, and no partial file is left behind.
func TestFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, 64<<10)
	c := Cache{Dir: filepath.Join(mnt, "awsrole")}
	small := testEntry("f", 100)
	if err := c.Put("k", small); err != nil {
		t.Fatal(err)
	}
	err := c.Put("k", testEntry("g", 200<<10)) // larger than the file system
	if err == nil {
		t.Fatal("Put of an entry larger than the disk succeeded")
	}
	if !strings.Contains(err.Error(), "no space") {
		t.Errorf("error %q does not say the disk is full", err)
	}
	var got entry
	if ok, err := c.Get("k", &got); !ok || err != nil || got != small {
		t.Errorf("after a failed write, Get = %v, %v; want the previous entry whole", ok, err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir, ".tmp-*")); len(left) > 0 {
		t.Errorf("a failed write left %v", left)
	}
}

func testenvMissing(t *testing.T, why string) {
	t.Helper()
	if testenv.InCI() {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}
