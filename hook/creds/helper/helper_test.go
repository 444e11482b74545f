package helper

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
)

// The test binary doubles as a helper when run under the name fakeName:
// Serve with a fetcher whose behaviour the request's session name picks.
const fakeName = "fake-awsrole-sts"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == fakeName {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := Serve(ctx, os.Stdin, os.Stdout, func(cache.Cache) creds.Fetcher { return fakeFetcher{} }, nil); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type fakeFetcher struct{}

func (fakeFetcher) Fetch(ctx context.Context, req creds.Request) (creds.Credentials, error) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	switch req.SessionName {
	case "need-mfa":
		return creds.Credentials{}, creds.ErrNeedMFA
	case "other":
		return creds.Credentials{}, errors.New("AssumeRole failed: AccessDenied: no")
	case "deadline":
		return creds.Credentials{}, context.DeadlineExceeded
	case "timeout":
		return creds.Credentials{}, creds.TimeoutError{Last: "ServiceUnavailable: try later"}
	case "wait":
		os.Stdout.WriteString("{}\n") // tells the test it is running
		<-ctx.Done()
		return creds.Credentials{}, ctx.Err()
	case "ask":
		creds.Asking(ctx)(true)
		creds.Asking(ctx)(false)
	case "env":
		// What the helper's own environment holds of the caller's secrets.
		return creds.Credentials{AccessKeyID: "env", SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY") + "|" + os.Getenv("SECRET_OF_CALLER")}, nil
	}
	token := "path-mangled"
	if strings.HasSuffix(req.File.Path, "/p\xff\xfe/"+config.FileName) {
		token = "path-intact"
	}
	return creds.Credentials{AccessKeyID: "ASIAFAKE", SecretAccessKey: req.Env["AWS_SECRET_ACCESS_KEY"] + req.Env["X"],
		SessionToken: token, Expires: exp}, nil
}

func setup(t *testing.T) (Client, *config.File) {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, fakeName)
	if err := os.Symlink(exe, fake); err != nil {
		t.Fatal(err)
	}
	// Invalid UTF-8 in the path: the request must carry it byte for byte.
	if err := os.Mkdir(filepath.Join(dir, "p\xff\xfe"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p\xff\xfe", config.FileName)
	if err := os.WriteFile(path, []byte("role_arn = \"arn:aws:iam::222222222222:role/deploy\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return Client{Path: fake, CacheDir: filepath.Join(dir, "cache")}, f
}

func TestFetch(t *testing.T) {
	c, f := setup(t)
	got, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: "ok", Env: map[string]string{"AWS_SECRET_ACCESS_KEY": "s3cret", "X": "a=b"}})
	if err != nil {
		t.Fatal(err)
	}
	want := creds.Credentials{AccessKeyID: "ASIAFAKE", SecretAccessKey: "s3creta=b", SessionToken: "path-intact",
		Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	if !got.Expires.Equal(want.Expires) || got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey || got.SessionToken != want.SessionToken {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// The kinds of error survive the process boundary, so the engine's
// messages (which test for them with errors.Is) are the same as in process.
func TestErrorKinds(t *testing.T) {
	c, f := setup(t)
	for name, want := range map[string]error{"need-mfa": creds.ErrNeedMFA, "deadline": context.DeadlineExceeded} {
		if _, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: name}); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
	var te creds.TimeoutError
	if _, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: "timeout"}); !errors.As(err, &te) ||
		te.Last != "ServiceUnavailable: try later" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: got %v, want a deadline naming the last attempt", err)
	}
	_, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: "other"})
	if err == nil || err.Error() != "AssumeRole failed: AccessDenied: no" {
		t.Errorf("other: got %v, want the helper's message unchanged", err)
	}
}

// Secrets go to the helper on stdin only: its own environment holds none.
func TestHelperEnvironment(t *testing.T) {
	c, f := setup(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "caller-secret")
	t.Setenv("SECRET_OF_CALLER", "x")
	got, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: "env", Env: map[string]string{"AWS_SECRET_ACCESS_KEY": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretAccessKey != "|" {
		t.Errorf("the helper's environment held %q; want neither AWS variables nor anything else of the caller's", got.SecretAccessKey)
	}
}

func TestAskingEvents(t *testing.T) {
	c, f := setup(t)
	var events []bool
	ctx := creds.WithAsking(context.Background(), func(on bool) { events = append(events, on) })
	if _, err := c.Fetch(ctx, creds.Request{File: f, SessionName: "ask"}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || !events[0] || events[1] {
		t.Errorf("asking events %v, want [true false]", events)
	}
}

// Cancelling interrupts the helper, which answers "cancelled".
func TestCancel(t *testing.T) {
	c, f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Fetch(ctx, creds.Request{File: f, SessionName: "wait"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want cancelled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelling took %s", d)
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	c, f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Fetch(ctx, creds.Request{File: f, SessionName: "ok"}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want cancelled", err)
	}
}

// The helper acts only on the file the caller admitted.
func TestChangedFile(t *testing.T) {
	c, f := setup(t)
	if err := os.WriteFile(f.Path, []byte("role_arn = \"arn:aws:iam::333333333333:role/other\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := c.Fetch(context.Background(), creds.Request{File: f, SessionName: "ok"})
	if err == nil || !strings.Contains(err.Error(), "changed while awsrole was reading it") {
		t.Errorf("got %v, want the change refused", err)
	}
}

func TestMissingHelper(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Find()
	if err == nil || !strings.Contains(err.Error(), "go install github.com/awsrole/awsrole/cmd/awsrole-sts@latest") {
		t.Errorf("got %v, want how to install the helper", err)
	}
}
