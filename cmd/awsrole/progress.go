package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// When a command has waited this long (an STS call, another shell's MFA
// prompt, an mfa_process) a one-line indicator appears on stderr; after
// progressSlow it says how to give up.
var (
	progressDelay = 500 * time.Millisecond
	progressSlow  = 4 * time.Second
	progressTick  = 100 * time.Millisecond
)

// stderr is where every message of the CLI goes. It knows about the
// progress indicator: a message first erases the indicator's line and ends
// it, so the two never share a line and stdout (which the shell evals)
// never sees either.
var stderr = &messages{w: os.Stderr, terminal: isTerminal(os.Stderr)}

type messages struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	p        *progress // the indicator running now, if any
}

func (m *messages) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != nil {
		m.p.finishLocked()
		m.p = nil
	}
	return m.w.Write(b)
}

// isTerminal reports whether f is a terminal that can redraw a line.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// progress is the indicator of one wait. Its zero methods are safe on nil.
type progress struct {
	m      *messages
	start  time.Time
	drawn  bool // a line of ours is on the terminal
	paused bool // an MFA prompt has the terminal
	done   bool
	quit   chan struct{}
}

// startProgress starts the indicator when stderr is a terminal.
func (m *messages) startProgress() *progress {
	if !m.terminal {
		return nil
	}
	p := &progress{m: m, start: time.Now(), quit: make(chan struct{})}
	m.mu.Lock()
	m.p = p
	m.mu.Unlock()
	go p.run()
	return p
}

func (p *progress) run() {
	t := time.NewTicker(progressTick)
	defer t.Stop()
	spin := 0
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		p.m.mu.Lock()
		waited := time.Since(p.start)
		if p.done {
			p.m.mu.Unlock()
			return
		}
		if !p.paused && waited >= progressDelay {
			line := fmt.Sprintf("awsrole: waiting for AWS %c %ds", `|/-\`[spin%4], int(waited.Seconds()))
			if waited >= progressSlow {
				line += " (taking a while; Ctrl-C to give up)"
			}
			fmt.Fprint(p.m.w, "\r"+line+"\x1b[K")
			p.drawn = true
			spin++
		}
		p.m.mu.Unlock()
	}
}

// clearLocked erases the indicator's line; m.mu is held.
func (p *progress) clearLocked() {
	if p.drawn {
		fmt.Fprint(p.m.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) finishLocked() {
	if !p.done {
		p.done = true
		p.clearLocked()
		close(p.quit)
	}
}

// end stops the indicator and erases its line.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.finishLocked()
	if p.m.p == p {
		p.m.p = nil
	}
}

// asking steps aside while an MFA prompt has the terminal (true) and comes
// back afterwards (false); the wait for STS to check the code still counts.
func (p *progress) asking(on bool) {
	if p == nil {
		return
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.paused = on
	if on {
		p.clearLocked()
	} else {
		p.start = time.Now()
	}
}
