package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/privfile"
)

// Refresh is the background refresh of one registration, run by the watcher
// in a child process ("awsrole watch --refresh KEY"): it reads the pre-role
// environment the prompt left in refresh/KEY.env, deletes that file, and
// fetches fresh credentials into the cache exactly as the prompt would
// (same trust checks, same cache key), without ever asking for an MFA code.
// The shell picks them up from the cache at its refresh time.
func Refresh(ctx context.Context, p hook.Paths, key string, log io.Writer) error {
	if !validKey(key) {
		return fmt.Errorf("watch: bad registration key %q", key)
	}
	b, _, err := privfile.Read(filepath.Join(activePath(p), key+".json"), maxFile)
	if err != nil {
		return fmt.Errorf("watch: registration %s: %w", key, err)
	}
	var reg Registration
	if err := json.Unmarshal(b, &reg); err != nil || !filepath.IsAbs(reg.File) {
		return fmt.Errorf("watch: registration %s is damaged", key)
	}
	envFile := filepath.Join(refreshPath(p), key+".env")
	b, _, err = privfile.Read(envFile, maxFile)
	os.Remove(envFile) // used once, whatever happens next
	if err != nil {
		return fmt.Errorf("watch: %s: no environment to refresh from: %w", reg.File, err)
	}
	var env map[string]string
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("watch: %s: the environment to refresh from is damaged", reg.File)
	}
	e := hook.NewEngine(p)
	if u := env["USER"]; u != "" {
		e.Username = u // default session names, as the shell's prompt has them
	}
	e.Prompt = nil // never ask: a code is typed at a prompt, not in the background
	role, exp, err := e.Login(ctx, env, reg.File)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "awsrole watch: refreshed %s until %s\n", role, exp.Local().Format(time.RFC3339))
	return nil
}

func validKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	for _, c := range key {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
