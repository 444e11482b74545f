package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/awsrole/awsrole/internal/testenv"
)

// printsCredentials are the commands whose purpose is to hand credentials
// to a shell, an SDK or a child process; every other one must never print a
// secret, which testdata/script/secrets.txtar checks.
var printsCredentials = map[string]bool{"export": true, "credential-process": true, "exec": true}

func TestSecretsScenarioRunsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("testdata/script/secrets.txtar")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	for _, c := range newRoot(nil, nil).Commands() {
		name := c.Name()
		if printsCredentials[name] || c.Hidden {
			continue
		}
		if !regexp.MustCompile(`exec awsrole ` + regexp.QuoteMeta(name) + `\b.*\nnosecret\n`).MatchString(script) {
			t.Errorf("secrets.txtar does not run 'awsrole %s' followed by nosecret", name)
		}
	}
}

func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	root := newRoot(nil, nil)
	if root.Example == "" {
		t.Error("awsrole has no examples")
	}
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		if c.Short == "" || c.Example == "" {
			t.Errorf("awsrole %s: Short %q, Example %q; want both", c.Name(), c.Short, c.Example)
		}
		if !strings.Contains(c.Example, "awsrole "+c.Name()) {
			t.Errorf("awsrole %s: no example runs it: %q", c.Name(), c.Example)
		}
	}
}

// TestProgress drives the indicator with short delays on a fake terminal.
func TestProgress(t *testing.T) {
	defer func(d, s, tick time.Duration) { progressDelay, progressSlow, progressTick = d, s, tick }(progressDelay, progressSlow, progressTick)
	progressDelay, progressSlow, progressTick = 30*time.Millisecond, 120*time.Millisecond, 5*time.Millisecond

	t.Run("quick work shows nothing", func(t *testing.T) {
		var term testenv.Buffer
		m := &messages{w: &term, terminal: true}
		p := m.startProgress()
		time.Sleep(10 * time.Millisecond)
		p.end()
		if term.String() != "" {
			t.Errorf("terminal got %q", term.String())
		}
	})
	t.Run("slow work shows, then a message erases it", func(t *testing.T) {
		var term testenv.Buffer
		m := &messages{w: &term, terminal: true}
		p := m.startProgress()
		time.Sleep(200 * time.Millisecond)
		m.Write([]byte("awsrole: assumed x\n"))
		time.Sleep(30 * time.Millisecond)
		p.end()
		out := term.String()
		if !strings.Contains(out, "awsrole: waiting for AWS") || !strings.Contains(out, "taking a while; Ctrl-C to give up") {
			t.Errorf("no indicator on the terminal: %q", out)
		}
		if !strings.HasSuffix(out, "\r\x1b[Kawsrole: assumed x\n") {
			t.Errorf("the message does not follow an erased line, or the indicator came back: %q", out)
		}
	})
	t.Run("an MFA prompt pauses it", func(t *testing.T) {
		var term testenv.Buffer
		m := &messages{w: &term, terminal: true}
		p := m.startProgress()
		time.Sleep(60 * time.Millisecond)
		p.asking(true)
		n := term.Len()
		time.Sleep(60 * time.Millisecond)
		if term.Len() != n || !strings.HasSuffix(term.String(), "\r\x1b[K") {
			t.Errorf("drawn while asking: %q", term.String())
		}
		p.asking(false)
		p.end()
	})
	t.Run("not a terminal: nothing", func(t *testing.T) {
		var out testenv.Buffer
		m := &messages{w: &out}
		p := m.startProgress()
		time.Sleep(60 * time.Millisecond)
		p.end()
		if out.Len() != 0 {
			t.Errorf("got %q", out.String())
		}
	})
}
