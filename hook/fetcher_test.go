package hook

import (
	"github.com/awsrole/awsrole/hook/cache"
	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/creds"
	"github.com/awsrole/awsrole/hook/creds/sts"
)

// The engine's tests call the test STS from the test process: what they
// test is the engine, and the helper process has tests of its own.
func init() {
	newFetcher = func(c cache.Cache, _ *config.User) creds.Fetcher { return sts.Fetcher{Cache: c} }
}
