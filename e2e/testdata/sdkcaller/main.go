// Command sdkcaller is what a Go program run inside a project does: load the
// default AWS configuration from the environment (aws-sdk-go-v2) and call
// sts:GetCallerIdentity. It prints the caller's ARN, or the error and exits 1.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkcaller:", err)
		os.Exit(1)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkcaller:", err)
		os.Exit(1)
	}
	fmt.Println("sdk arn:", *out.Arn)
}
