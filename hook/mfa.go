package hook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook/creds"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// MFAPrompt returns how this process may get an MFA code: the user's
// mfa_process if set (it asks nobody, so it may run anywhere); else, when
// useTerminal, the controlling terminal, and only while this process is in
// the terminal's foreground (not a background job). nil: it may not ask.
func (e *Engine) MFAPrompt(useTerminal bool) creds.MFAPrompt {
	if e.User != nil && e.User.MFAProcess != "" {
		return runMFAProcess(e.User.MFAProcess)
	}
	if !useTerminal {
		return nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		tty.Close()
		return nil
	}
	asked := 0
	return func(ctx context.Context, serial, purpose string) (string, error) {
		// Three tries in one process: a mistyped code is asked again, a
		// fourth would be guessing.
		for asked < 3 {
			asked++
			code, err := readCode(ctx, tty, serial, purpose)
			if err != nil {
				return "", err
			}
			if sixDigits.MatchString(code) {
				return code, nil
			}
			fmt.Fprintln(tty, "awsrole: an MFA code is six digits")
		}
		return "", errors.New("no valid MFA code after three tries")
	}
}

// WithAsking returns a context under which the terminal MFA prompt calls
// asking(true) before it writes to the terminal and asking(false) once it is
// done, so that a progress display on the same terminal steps aside.
func WithAsking(ctx context.Context, asking func(bool)) context.Context {
	return creds.WithAsking(ctx, asking)
}

func readCode(ctx context.Context, tty *os.File, serial, purpose string) (string, error) {
	if asking := creds.Asking(ctx); asking != nil {
		asking(true)
		defer asking(false)
	}
	// The shell may leave the terminal in its line editor's raw mode while
	// its prompt hook runs (fish does): ask in plain line mode, with echo,
	// Enter as end of line and Ctrl-C as SIGINT, then put its mode back.
	if old, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS); err == nil {
		cooked := *old
		cooked.Lflag |= unix.ICANON | unix.ECHO | unix.ECHOE | unix.ISIG
		cooked.Iflag |= unix.ICRNL
		if unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, &cooked) == nil {
			defer unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, old)
		}
	}
	fmt.Fprintf(tty, "awsrole: MFA code for %s (%s): ", serial, purpose)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(tty).ReadString('\n')
		line <- s
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(tty)
		return "", context.Canceled
	case s := <-line:
		s = strings.TrimSpace(s)
		if s == "" {
			return "", context.Canceled // an empty line cancels, like Ctrl-C
		}
		return s, nil
	}
}

// runMFAProcess runs the user's mfa_process (from the user config only,
// never a directory file) with sh -c; its first line of output is the code.
func runMFAProcess(command string) creds.MFAPrompt {
	return func(ctx context.Context, serial, purpose string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		cmd.Env = append(os.Environ(), "AWSROLE_MFA_SERIAL="+serial)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("mfa_process failed: %v", err)
		}
		code := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		if !sixDigits.MatchString(code) {
			return "", errors.New("mfa_process did not print a six-digit code")
		}
		return code, nil
	}
}
