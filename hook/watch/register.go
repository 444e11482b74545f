package watch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/privfile"
	"github.com/awsrole/awsrole/hook/state"
)

// Registration is what a prompt tells the watcher about the file that
// governs its shell. It never holds a credential.
type Registration struct {
	File string `json:"file"`
	// Digest is what the shell acted on (state.State.Digest): a file that
	// differs from it when the watcher starts watching was edited in between.
	Digest string `json:"digest"`
	// RefreshAt is when the shell's credentials are due; zero when none are
	// exported (blocked) or they do not expire.
	RefreshAt time.Time `json:"refresh_at,omitzero"`
}

// touchEvery bounds how often an unchanged registration is touched: the
// watcher's idle clock has minutes of granularity, a prompt has microseconds.
const touchEvery = time.Second

// Note is what export does after a prompt's evaluation: it registers the file
// that governs the shell (and, when its credentials will need refreshing, the
// environment to refresh them from), and starts the watcher if none runs.
// It fails silently: without the watcher everything works, only slower.
func Note(p hook.Paths, res hook.Result) {
	if register(p, res) == nil && !Running(p) {
		Start(p)
	}
}

// register writes the registration of res (and its refresh environment).
func register(p hook.Paths, res hook.Result) error {
	st := res.State
	if st == nil || st.File == "" {
		return errors.New("nothing to register")
	}
	reg := Registration{File: st.File, Digest: st.Digest}
	var env map[string]string
	if st.Active() && !st.RefreshAt.IsZero() && res.Base != nil {
		reg.RefreshAt = st.RefreshAt
		env = refreshEnv(res.Base)
	}
	key := regKey(st.File, env)
	b, err := json.Marshal(reg)
	if err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(activePath(p), key+".json"), b, true); err != nil {
		return err
	}
	if env != nil {
		eb, err := json.Marshal(env)
		if err != nil {
			return err
		}
		return writeIfChanged(filepath.Join(refreshPath(p), key+".env"), eb, false)
	}
	return nil
}

// refreshEnv keeps what the SDK and the engine read of the environment the
// credentials came from: the AWS_* variables (which may include the user's
// own keys, hence the 0600 file), where home and the XDG directories are,
// the user name (default session names) and PATH (credential_process).
func refreshEnv(base state.Env) map[string]string {
	env := map[string]string{}
	for k, v := range base {
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "XDG_"):
		case k == "HOME", k == "USER", k == "LOGNAME", k == "PATH", k == "TZ":
		default:
			continue
		}
		env[k] = v
	}
	return env
}

// secretVars never enter a registration key: the key is a file name and
// goes into the refresh process's arguments.
var secretVars = []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}

// regKey names one (file, source environment) pair: shells in the same
// project with the same environment share a registration.
func regKey(file string, env map[string]string) string {
	h := sha256.New()
	io.WriteString(h, file)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if slices.Contains(secretVars, k) {
			continue
		}
		fmt.Fprintf(h, "\x00%s=%s", k, env[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// maxFile bounds what the watcher reads of a registration or a refresh
// environment.
const maxFile = 64 << 10

// writeIfChanged makes path hold data (0600, in a 0700 directory), writing
// only when it differs; with touch, an equal file older than touchEvery gets
// a new mtime instead, which is what keeps a registration alive.
func writeIfChanged(path string, data []byte, touch bool) error {
	if old, mtime, err := privfile.Read(path, maxFile); err == nil && bytes.Equal(old, data) {
		if touch && time.Since(mtime) > touchEvery {
			now := time.Now()
			return os.Chtimes(path, now, now)
		}
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := privfile.Write(path, data, false); err != nil {
		return err
	}
	// A refresh environment may hold the user's own keys: what a killed
	// writer left of one must not stay.
	privfile.Sweep(dir)
	return nil
}
