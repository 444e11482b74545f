package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodFile = "role_arn = \"arn:aws:iam::123456789012:role/deploy\"\n"

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	top := filepath.Join(root, "proj", FileName)
	write(t, top, goodFile, 0o644)
	inner := filepath.Join(root, "proj", "sub", "inner", FileName)
	write(t, inner, goodFile, 0o644)
	deep := filepath.Join(root, "proj", "sub", "inner", "a", "b", "c")
	for _, d := range []string{deep, filepath.Join(root, "proj", "sub", "x"), filepath.Join(root, "other")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ dir, want string }{
		{filepath.Join(root, "proj"), top},
		{filepath.Join(root, "proj", "sub"), top},
		{filepath.Join(root, "proj", "sub", "x"), top},
		{filepath.Join(root, "proj", "sub", "inner"), inner},
		{deep, inner},
		{deep + "/../../..", inner},
		{filepath.Join(root, "proj", "sub", "inner") + "/", inner},
		{filepath.Join(root, "proj", "does", "not", "exist"), top},
		{filepath.Join(root, "other"), ""},
		{root, ""},
	}
	for _, tt := range tests {
		got, err := Find(tt.dir)
		if err != nil {
			t.Errorf("Find(%q): %v", tt.dir, err)
		}
		if got != tt.want {
			t.Errorf("Find(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestFindRoot(t *testing.T) {
	t.Parallel()
	got, err := Find("/")
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	if _, err := os.Lstat("/" + FileName); err == nil {
		want = "/" + FileName
	}
	if got != want {
		t.Errorf("Find(/) = %q, want %q", got, want)
	}
}

func TestFindRelative(t *testing.T) {
	t.Parallel()
	if _, err := Find("proj/sub"); err == nil || err.Error() != `"proj/sub": not an absolute directory path` {
		t.Errorf("Find(relative) error = %v", err)
	}
}

// The walk follows the logical path the shell shows, not the physical one.
func TestFindKeepsLogicalPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// Physical: root/b/real/sub, with a file in root/b.
	// Logical:  root/a/link/sub, link -> ../b/real, with a file in root/a.
	write(t, filepath.Join(root, "b", FileName), goodFile, 0o644)
	write(t, filepath.Join(root, "a", FileName), goodFile, 0o644)
	if err := os.MkdirAll(filepath.Join(root, "b", "real", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../b/real", filepath.Join(root, "a", "link")); err != nil {
		t.Fatal(err)
	}
	got, err := Find(filepath.Join(root, "a", "link", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "a", FileName); got != want {
		t.Errorf("Find through a symlink = %q, want %q (the logical parent)", got, want)
	}
	// A file inside the link's target is found under the logical path.
	write(t, filepath.Join(root, "b", "real", FileName), goodFile, 0o644)
	got, err = Find(filepath.Join(root, "a", "link", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "a", "link", FileName); got != want {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

// Find reports an entry whatever its type; Load judges it.
func TestFindAnyType(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.Symlink("/nonexistent", filepath.Join(root, FileName)); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "sub")
	if err := os.MkdirAll(filepath.Join(sub, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := Find(root); got != filepath.Join(root, FileName) {
		t.Errorf("dangling symlink: Find = %q", got)
	}
	if got, _ := Find(sub); got != filepath.Join(sub, FileName) {
		t.Errorf("directory: Find = %q", got)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	write(t, p, goodFile, 0o600)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != p || f.Dir != dir || string(f.Content) != goodFile || f.Mode() != ModeRole {
		t.Errorf("Load = %+v", *f)
	}
	for _, mode := range []os.FileMode{0o644, 0o444, 0o400, 0o755} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	// Exactly 64 KiB is fine.
	big := goodFile + "#" + strings.Repeat("x", MaxSize-len(goodFile)-2) + "\n"
	write(t, p, big, 0o644)
	if _, err := Load(p); err != nil {
		t.Errorf("64 KiB file: %v", err)
	}
	// Errors of the content carry the path.
	write(t, p, "region = 5\n", 0o644)
	if _, err := Load(p); err == nil || err.Error() != p+":1: region must be a string, not an integer" {
		t.Errorf("Load(bad content) error = %v", err)
	}
}

func TestLoadRelative(t *testing.T) {
	// Not parallel: changes the working directory.
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), goodFile, 0o644)
	t.Chdir(dir)
	f, err := Load(FileName)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(f.Path) || filepath.Base(f.Path) != FileName {
		t.Errorf("Path = %q, want an absolute path", f.Path)
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.toml")
	write(t, target, goodFile, 0o644)

	cases := []struct {
		name  string
		setup func(p string)
		want  string // after "<path>: "
	}{
		{"symlink", func(p string) { must(t, os.Symlink(target, p)) }, "is a symbolic link; it must be a regular file"},
		{"dangling symlink", func(p string) { must(t, os.Symlink("/nonexistent", p)) }, "is a symbolic link; it must be a regular file"},
		{"directory", func(p string) { must(t, os.Mkdir(p, 0o755)) }, "is a directory; it must be a regular file"},
		{"fifo", func(p string) { must(t, syscall.Mkfifo(p, 0o644)) }, "is a named pipe (fifo); it must be a regular file"},
		{"socket", func(p string) {
			l, err := net.Listen("unix", p)
			must(t, err)
			t.Cleanup(func() { l.Close() })
		}, "is a socket; it must be a regular file"},
		{"symlink to device", func(p string) { must(t, os.Symlink("/dev/null", p)) }, "is a symbolic link; it must be a regular file"},
		{"character device", func(p string) {
			if os.Geteuid() != 0 {
				t.Skip("mknod needs root")
			}
			must(t, syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|3)) // like /dev/null
		}, "is a character device; it must be a regular file"},
		{"group-writable", func(p string) { write(t, p, goodFile, 0o664) }, "writable by group (mode 0664); run chmod go-w PATH"},
		{"world-writable", func(p string) { write(t, p, goodFile, 0o646) }, "writable by others (mode 0646); run chmod go-w PATH"},
		{"both writable", func(p string) { write(t, p, goodFile, 0o666) }, "writable by group and others (mode 0666); run chmod go-w PATH"},
		{"oversized", func(p string) { write(t, p, goodFile+"#"+strings.Repeat("x", MaxSize), 0o644) }, "larger than 64 KiB; refusing to read it"},
		{"missing", func(p string) {}, "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			must(t, os.Mkdir(d, 0o755))
			p := filepath.Join(d, FileName)
			tc.setup(p)
			err := loadBounded(t, p)
			want := p + ": " + strings.ReplaceAll(tc.want, "PATH", p)
			if err == nil || err.Error() != want {
				t.Errorf("Load error\n got: %v\nwant: %s", err, want)
			}
		})
	}
}

// loadBounded runs Load and fails the test if it hangs (a FIFO must never
// block the prompt).
func loadBounded(t *testing.T, p string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(p)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Load(%s) hangs", p)
		return nil
	}
}

func TestReadSecureFIFOAfterLstat(t *testing.T) {
	t.Parallel()
	// The O_NONBLOCK open and the Fstat check are what protect against a
	// FIFO swapped in after the Lstat; exercise them directly by following
	// a symlink to a FIFO (the user-config path).
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan error, 1)
	go func() {
		_, err := LoadUser(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if want := fifo + ": is a named pipe (fifo); it must be a regular file"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadUser on a fifo hangs")
	}
}

func TestLoadOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a file to another user")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	write(t, p, goodFile, 0o644)
	must(t, os.Chown(p, 12345, 12345))
	want := p + ": owned by uid 12345, not by you (uid 0) or root; refusing it"
	if _, err := Load(p); err == nil || err.Error() != want {
		t.Errorf("Load error\n got: %v\nwant: %s", err, want)
	}
	// Root-owned is accepted (the test runs as root, so any file it writes
	// is root-owned; this is the decision documented on checkOwner).
	must(t, os.Chown(p, 0, 0))
	if _, err := Load(p); err != nil {
		t.Errorf("root-owned: %v", err)
	}
}

func TestLoadPathWithNewline(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a\nb")
	p := filepath.Join(dir, FileName)
	write(t, p, goodFile, 0o664)
	_, err := Load(p)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error not one line: %q", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
