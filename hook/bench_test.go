package hook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/hook/state"
	"github.com/awsrole/awsrole/hook/trust"
	"github.com/awsrole/awsrole/internal/teststs"
)

// benchWorld has two allowed projects whose credentials are cached, and an
// environment that is inside project a.
type benchWorld struct {
	paths   Paths
	a, b    string
	insideA state.Env
}

func newBenchWorld(b *testing.B) *benchWorld {
	home := b.TempDir()
	sts := teststs.Start(b)
	alice := sts.AddUser("alice", teststs.InAccount("111111111111"))
	w := &benchWorld{paths: Paths{Config: filepath.Join(home, "config"), Data: filepath.Join(home, "data"),
		Cache: filepath.Join(home, "cache"), State: filepath.Join(home, "state")}}
	env := state.Env{"AWS_ACCESS_KEY_ID": alice.AccessKeyID, "AWS_SECRET_ACCESS_KEY": alice.SecretAccessKey,
		"AWS_ENDPOINT_URL_STS": sts.URL(), "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED": "true", "HOME": home, "USER": "alice"}
	saved := os.Environ() // the in-process sts.Fetcher replaces the process environment on a fetch
	b.Cleanup(func() {
		os.Clearenv()
		for _, kv := range saved {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	})
	for _, p := range []struct {
		dir        *string
		name, role string
	}{
		{&w.a, "a", "arn:aws:iam::222222222222:role/a"}, {&w.b, "b", "arn:aws:iam::333333333333:role/b"}} {
		sts.AddRole(p.role)
		*p.dir = filepath.Join(home, p.name)
		file := filepath.Join(*p.dir, ".awsrole.toml")
		content := []byte("role_arn = \"" + p.role + "\"\nregion = \"eu-west-1\"\n")
		if err := os.MkdirAll(*p.dir, 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(file, content, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := (trust.Store{Dir: w.paths.Data}).Allow(file, content); err != nil {
			b.Fatal(err)
		}
		// Fetched once here; every measured evaluation is a cache hit.
		if r := NewEngine(w.paths).Export(context.Background(), env, *p.dir); r.State == nil || !r.State.Active() {
			b.Fatalf("entering %s: %v", p.name, r.Messages)
		}
	}
	r := NewEngine(w.paths).Export(context.Background(), env, w.a)
	w.insideA = apply(env, r.Changes)
	sts.Close() // from here on, a call to STS would fail
	return w
}

func apply(env state.Env, ch state.Changes) state.Env {
	out := state.Env{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range ch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	return out
}

// BenchmarkExportSwitch is the engine's share of a cd from project a into
// project b whose credentials are cached: restore a's saved values, load and
// admit b's file, read the cache, seal and encode the new state. What a
// prompt pays on top is starting the process (see BENCHMARKS.md).
func BenchmarkExportSwitch(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e := NewEngine(w.paths)
		r := e.Export(ctx, w.insideA, w.b)
		if r.State == nil || !r.State.Active() || !r.State.Expires.After(time.Now()) {
			b.Fatalf("not a cache hit: %v", r.Messages)
		}
	}
}

// BenchmarkExportUnchanged is a prompt in project a after the generation
// changed (or the shell moved within the project): the same evaluation
// without the switch.
func BenchmarkExportUnchanged(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e := NewEngine(w.paths)
		e.Gen = "another generation" // defeat the early return: re-evaluate fully
		r := e.Export(ctx, w.insideA, w.a)
		if r.State == nil || !r.State.Active() {
			b.Fatalf("not a cache hit: %v", r.Messages)
		}
	}
}
