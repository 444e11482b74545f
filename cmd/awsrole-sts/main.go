// Command awsrole-sts is awsrole's STS helper: awsrole runs it on a cache
// miss, with one JSON request on stdin, to call STS with the AWS SDK, which
// awsrole itself does not link so that each prompt starts fast. It is not
// meant to be run by hand.
package main

import (
	"os"

	"github.com/awsrole/awsrole/internal/stshelper"
)

func main() { os.Exit(stshelper.Main()) }
