// Package helper runs a credentials fetch in a separate process, the STS
// helper (cmd/awsrole-sts), and is that process's side of the exchange too.
//
// Why a process: linking aws-sdk-go-v2 costs every awsrole process several
// milliseconds of package initialisation and page faults, and the prompt runs
// awsrole on every cd. Only a cache miss needs the SDK, so only the helper
// links it. The exchange is one JSON request on the helper's stdin (secrets
// travel there, never in argv or the helper's environment) and JSON lines on
// its stdout: "asking" events while it prompts for an MFA code, then one answer.
package helper

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
)

// Name is the helper's executable name.
const Name = "awsrole-sts"

// request is what the helper reads on stdin. Paths, environment and
// messages are bytes, not JSON strings: a directory or a variable may hold
// invalid UTF-8, which a JSON string would silently replace.
type request struct {
	Kind string `json:"kind"` // "credentials"
	// Config is the .awsrole.toml the caller admitted; Digest (SHA-256 of its
	// content) makes sure the helper acts on the very file that was trusted.
	Config      []byte        `json:"config"`
	Digest      string        `json:"digest"`
	Cache       []byte        `json:"cache"`
	Env         [][]byte      `json:"env"` // KEY=VALUE
	SessionName []byte        `json:"session_name"`
	Margin      time.Duration `json:"margin"`
	MFASession  time.Duration `json:"mfa_session"`
	Timeout     time.Duration `json:"timeout"`
	Now         time.Time     `json:"now"`
	Fresh       bool          `json:"fresh"`
	// Ask: the caller may get an MFA code (its terminal or mfa_process).
	Ask        bool   `json:"ask"`
	MFAProcess []byte `json:"mfa_process,omitempty"`
}

// message is one line on the helper's stdout.
type message struct {
	Asking      *bool              `json:"asking,omitempty"`
	Credentials *creds.Credentials `json:"credentials,omitempty"`
	Error       *wireError         `json:"error,omitempty"`
}

// wireError keeps the kinds of error the engine words itself.
type wireError struct {
	Kind    string `json:"kind"` // need-mfa, cancelled, deadline, other
	Message []byte `json:"message,omitempty"`
}

func encodeError(err error) *wireError {
	switch {
	case errors.Is(err, creds.ErrNeedMFA):
		return &wireError{Kind: "need-mfa"}
	case errors.Is(err, context.Canceled):
		return &wireError{Kind: "cancelled"}
	case errors.Is(err, context.DeadlineExceeded):
		var te creds.TimeoutError
		if errors.As(err, &te) {
			return &wireError{Kind: "deadline", Message: []byte(te.Last)}
		}
		return &wireError{Kind: "deadline"}
	}
	return &wireError{Kind: "other", Message: []byte(err.Error())}
}

func (w *wireError) err() error {
	switch w.Kind {
	case "need-mfa":
		return creds.ErrNeedMFA
	case "cancelled":
		return context.Canceled
	case "deadline":
		if len(w.Message) > 0 {
			return creds.TimeoutError{Last: string(w.Message)}
		}
		return context.DeadlineExceeded
	}
	if len(w.Message) == 0 {
		return errors.New(Name + " failed without saying why")
	}
	return errors.New(string(w.Message))
}

// Client is the creds.Fetcher that runs the helper.
type Client struct {
	CacheDir   string
	MFAProcess string // the user config's mfa_process, used when a request may ask
	// Path is the helper; empty means next to this executable, else on PATH.
	Path string
}

// Find locates the helper: next to the running executable (symlinks
// resolved, so a symlinked awsrole finds the helper installed beside the
// real one), else on PATH.
func Find() (string, error) {
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), Name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(Name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s, the helper that calls STS, is not installed next to awsrole nor on PATH; install it with 'go install github.com/awsrole/awsrole/cmd/%s@latest'", Name, Name)
}

// helperEnv is all of this process's environment the helper gets: enough to
// run (and for mfa_process to find its tools before the helper switches to
// the request's environment); no AWS variable, no credential.
var helperEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM", "GOCOVERDIR"}

// Fetch runs the helper for req. Cancelling ctx interrupts the helper as
// Ctrl-C would, and the helper answers "cancelled" after cleaning up.
func (c Client) Fetch(ctx context.Context, req creds.Request) (creds.Credentials, error) {
	path := c.Path
	if path == "" {
		var err error
		if path, err = Find(); err != nil {
			return creds.Credentials{}, err
		}
	}
	env := make([][]byte, 0, len(req.Env))
	for k, v := range req.Env {
		env = append(env, []byte(k+"="+v))
	}
	in, err := json.Marshal(request{Kind: "credentials", Config: []byte(req.File.Path), Digest: config.Digest(req.File.Content),
		Cache: []byte(c.CacheDir), Env: env, SessionName: []byte(req.SessionName), Margin: req.Margin, MFASession: req.MFASession,
		Timeout: req.Timeout, Now: req.Now, Fresh: req.Fresh, Ask: req.Prompt != nil, MFAProcess: []byte(c.MFAProcess)})
	if err != nil {
		return creds.Credentials{}, err
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = []string{}
	for _, n := range helperEnv {
		if v, ok := os.LookupEnv(n); ok {
			cmd.Env = append(cmd.Env, n+"="+v)
		}
	}
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr // its warnings and mfa_process's are the user's to see
	out, err := cmd.StdoutPipe()
	if err != nil {
		return creds.Credentials{}, err
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return creds.Credentials{}, ctx.Err() // Ctrl-C before the helper started: "cancelled", as in process
		}
		return creds.Credentials{}, fmt.Errorf("start %s: %v", Name, err)
	}
	answer, readErr := readAnswer(ctx, out)
	waitErr := cmd.Wait()
	if answer == nil {
		if readErr == nil {
			readErr = waitErr
		}
		if ctx.Err() != nil {
			return creds.Credentials{}, ctx.Err()
		}
		return creds.Credentials{}, fmt.Errorf("%s gave no answer: %v", Name, readErr)
	}
	if answer.Error != nil {
		return creds.Credentials{}, answer.Error.err()
	}
	return *answer.Credentials, nil
}

// readAnswer follows the helper's stdout, passing "asking" events to the
// progress display, until the answer.
func readAnswer(ctx context.Context, r io.Reader) (*message, error) {
	asking := creds.Asking(ctx)
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		switch {
		case m.Asking != nil:
			if asking != nil {
				asking(*m.Asking)
			}
		case m.Error != nil, m.Credentials != nil:
			io.Copy(io.Discard, r)
			return &m, nil
		}
	}
}

// Serve is the helper's side: it answers the one request on in, writing to
// out. fetcher gets credentials in this process; prompt, when the request
// may ask, is how (nil prompt: it may not).
func Serve(ctx context.Context, in io.Reader, out io.Writer, fetcher func(cache.Cache) creds.Fetcher, prompt func(mfaProcess string) creds.MFAPrompt) error {
	enc := json.NewEncoder(out)
	var req request
	if err := json.NewDecoder(io.LimitReader(in, 4<<20)).Decode(&req); err != nil {
		return enc.Encode(message{Error: encodeError(fmt.Errorf("%s: unreadable request: %v", Name, err))})
	}
	c, err := serve(ctx, req, enc, fetcher, prompt)
	if err != nil {
		return enc.Encode(message{Error: encodeError(err)})
	}
	return enc.Encode(message{Credentials: &c})
}

func serve(ctx context.Context, req request, enc *json.Encoder, fetcher func(cache.Cache) creds.Fetcher, prompt func(string) creds.MFAPrompt) (creds.Credentials, error) {
	if req.Kind != "credentials" {
		return creds.Credentials{}, fmt.Errorf("%s: unknown request %q; is it the same version as awsrole?", Name, req.Kind)
	}
	if len(req.Cache) == 0 {
		return creds.Credentials{}, fmt.Errorf("%s: request without a cache directory", Name)
	}
	// Loaded and validated again here: the helper acts on a file, not on
	// settings a caller could have made up, and only on the file admitted.
	f, err := config.Load(string(req.Config))
	if err != nil {
		return creds.Credentials{}, err
	}
	if config.Digest(f.Content) != req.Digest {
		return creds.Credentials{}, fmt.Errorf("%s changed while awsrole was reading it; try again", f.Path)
	}
	env := make(map[string]string, len(req.Env))
	for _, kv := range req.Env {
		k, v, _ := strings.Cut(string(kv), "=")
		env[k] = v
	}
	r := creds.Request{File: f, Env: env, SessionName: string(req.SessionName), Margin: req.Margin,
		MFASession: req.MFASession, Timeout: req.Timeout, Now: req.Now, Fresh: req.Fresh}
	if req.Ask && prompt != nil {
		r.Prompt = prompt(string(req.MFAProcess))
	}
	ctx = creds.WithAsking(ctx, func(on bool) { enc.Encode(message{Asking: &on}) })
	return fetcher(cache.Cache{Dir: string(req.Cache)}).Fetch(ctx, r)
}
