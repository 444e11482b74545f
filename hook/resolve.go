package hook

import (
	"context"
	"fmt"
	"time"

	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
	"github.com/awsrole/awsrole/hook/state"
)

// Resolved is a directory's role without a shell: for exec, for
// credential_process, and for export in formats other tools read.
type Resolved struct {
	File        *config.File
	Role        string // ARN, "profile NAME" or the MFA serial
	Credentials creds.Credentials
	// Vars is the environment contract: every owned variable, nil = unset.
	Vars map[string]*string
	// Base is the caller's environment without any awsrole role: what the
	// contract applies on top of.
	Base state.Env
}

// Env is Base with the contract applied: the whole environment a program
// run with the directory's role gets (no AWSROLE_STATE: nothing to restore).
func (r *Resolved) Env() state.Env {
	env := copyEnv(r.Base)
	for n, v := range r.Vars {
		if v == nil {
			delete(env, n)
		} else {
			env[n] = *v
		}
	}
	env[RoleVar] = r.Role
	return env
}

// Resolve gets the credentials of the .awsrole.toml that governs dir, for a
// caller whose environment is env (which may be inside a project already:
// the credentials then still come from the user's own identity). Unlike
// Export it fails with an error instead of exporting nothing.
func (e *Engine) Resolve(ctx context.Context, env state.Env, dir string) (*Resolved, error) {
	base, _ := e.restore(env, e.currentOrNil(env))
	path, err := config.Find(dir)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("no %s in %s or above; create one with 'awsrole init'", config.FileName, dir)
	}
	f, err := e.admit(path)
	if err != nil {
		return nil, err
	}
	c, err := e.Source.Get(ctx, e.request(f, base, false))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, explain(err, f, e.User, false))
	}
	if !c.Expires.IsZero() && !c.Expires.After(time.Now()) {
		return nil, fmt.Errorf("%s: the credentials expired at %s", path, c.Expires.UTC().Format(time.RFC3339))
	}
	return &Resolved{File: f, Role: roleName(f), Credentials: c, Vars: contract(f, c), Base: base}, nil
}

// currentOrNil is the state in env; a damaged one counts as none, and the
// credential variables it may have left are dropped from what follows.
func (e *Engine) currentOrNil(env state.Env) *state.State {
	cur, err := state.Decode(env[state.Var])
	if err != nil {
		for _, n := range credVars {
			delete(env, n)
		}
		return nil
	}
	return cur
}
