// Command teststs runs the local STS of package internal/teststs for
// `make demo` and shell scripts.
//
//	teststs [-addr 127.0.0.1:0] [-config FILE] [-max-lifetime 10m] [-credential-lifetime D] [-print-keys] [-v]
//
// The first line of stdout is the server's URL, for AWS_ENDPOINT_URL_STS (Go
// SDK) or --endpoint-url (AWS CLI; awscli 2.9 ignores AWS_ENDPOINT_URL_STS).
// With -print-keys, one line per configured user follows:
//
//	user ARN ACCESS_KEY_ID SECRET_ACCESS_KEY
//
// The config file is TOML; its format is documented in package teststs (see
// demo.toml next to this file). The server exits by itself after
// -max-lifetime (so a forgotten demo does not linger) and on SIGTERM/SIGINT.
// Exit status: 0 after a normal stop, 1 on a runtime error, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/awsrole/awsrole/internal/teststs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx ends or the lifetime passes, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("teststs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address; the host must be 127.0.0.1")
	configPath := fs.String("config", "", "TOML file of users, roles and MFA devices")
	maxLifetime := fs.Duration("max-lifetime", 10*time.Minute, "exit after this long (0: never)")
	credLifetime := fs.Duration("credential-lifetime", 0, "issued credentials expire after this, whatever was asked (0: as asked)")
	printKeys := fs.Bool("print-keys", false, "after the URL, print each configured user's ARN and keys on stdout")
	verbose := fs.Bool("v", false, "log each request (never secrets) on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "teststs: unexpected arguments: %v\n", fs.Args())
		return 2
	}

	var opts []teststs.Option
	if *verbose {
		opts = append(opts, teststs.WithRequestHook(func(r teststs.Request) {
			fmt.Fprintf(stderr, "teststs: %s key=%s region=%s role=%s session=%s serial=%s duration=%d -> %d %s\n",
				r.Action, r.AccessKeyID, r.Region, r.RoleArn, r.RoleSessionName, r.SerialNumber, r.DurationSeconds, r.Status, r.ErrorCode)
		}))
	}
	s := teststs.New(opts...)
	var users []teststs.AddedUser
	if *configPath != "" {
		cfg, err := teststs.LoadConfig(*configPath)
		if err == nil {
			users, err = s.Apply(cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "teststs: %v\n", err)
			return 1
		}
	}
	if *credLifetime > 0 {
		s.SetCredentialLifetime(*credLifetime)
	}
	if err := s.Listen(*addr); err != nil {
		fmt.Fprintf(stderr, "teststs: %v\n", err)
		return 1
	}
	defer s.Close()

	fmt.Fprintln(stdout, s.URL())
	if *printKeys {
		for _, u := range users {
			fmt.Fprintf(stdout, "user %s %s %s\n", u.Arn, u.Credentials.AccessKeyID, u.Credentials.SecretAccessKey)
		}
	}

	var expired <-chan time.Time
	if *maxLifetime > 0 {
		t := time.NewTimer(*maxLifetime)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-ctx.Done():
	case <-expired:
		fmt.Fprintf(stderr, "teststs: -max-lifetime %v reached, exiting\n", *maxLifetime)
	}
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "teststs: %v\n", err)
		return 1
	}
	return 0
}
