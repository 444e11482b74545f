package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxSize is the largest file Load and LoadUser read.
const MaxSize = 64 << 10

// readSecure reads path with the checks both config files share: a regular
// file, at most MaxSize bytes, owned by the current user or root, not
// writable by group or others.
//
// With follow false the path itself must be a regular file (a symlink is
// refused); with follow true a symlink is followed and its target judged.
//
// The file is opened with O_NONBLOCK so that a FIFO swapped in between the
// Lstat and the open cannot hang the prompt, and with O_NOFOLLOW (when not
// following) so that a symlink swapped in is not followed; the opened file is
// then checked with Fstat, which is what counts.
func readSecure(path string, follow bool) ([]byte, error) {
	var (
		pre os.FileInfo
		err error
		sp  = showPath(path)
	)
	if follow {
		pre, err = os.Stat(path)
	} else {
		pre, err = os.Lstat(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s", sp, errText(err))
	}
	if err := checkType(path, pre); err != nil {
		return nil, err
	}
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: is a symbolic link; it must be a regular file", sp)
		}
		return nil, fmt.Errorf("%s: %s", sp, errText(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %s", sp, errText(err))
	}
	if err := checkType(path, fi); err != nil {
		return nil, err
	}
	if !os.SameFile(pre, fi) {
		return nil, fmt.Errorf("%s: changed while being read; try again", sp)
	}
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d KiB; refusing to read it", sp, MaxSize>>10)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", sp, errText(err))
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d KiB; refusing to read it", sp, MaxSize>>10)
	}
	return data, nil
}

// checkType refuses anything but a regular file, saying what it is.
func checkType(path string, fi os.FileInfo) error {
	m := fi.Mode()
	sp := showPath(path)
	if m.IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: is a %s; it must be a regular file", sp, typeName(m))
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (fifo)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	default:
		return "special file"
	}
}

// checkOwner refuses a file owned by someone other than the current user or
// root, or writable by group or others.
//
// Root is accepted as an owner: root can rewrite any of the user's files
// anyway, so trusting a root-owned file widens nothing, and system-managed
// config (e.g. a home-manager symlink into a root-owned store) is root-owned.
// OpenSSH's StrictModes makes the same choice for authorized_keys.
func checkOwner(path string, fi os.FileInfo) error {
	sp := showPath(path)
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot tell who owns it", sp)
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
		return fmt.Errorf("%s: owned by uid %d, not by you (uid %d) or root; refusing it", sp, st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		who := "group and others"
		switch {
		case perm&0o022 == 0o020:
			who = "group"
		case perm&0o022 == 0o002:
			who = "others"
		}
		return fmt.Errorf("%s: writable by %s (mode %04o); run chmod go-w %s", sp, who, perm, shellQuote(path))
	}
	return nil
}
