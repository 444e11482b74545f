package hook

import (
	"time"

	"github.com/awsrole/awsrole/hook/config"
	"github.com/awsrole/awsrole/hook/state"
)

// MFASession is when the cached MFA session behind f expires, for a caller
// whose environment is env (inside a project or not); zero when there is
// none. For status: it reads the cache only.
func (e *Engine) MFASession(env state.Env, f *config.File) time.Time {
	base, _ := e.restore(env, e.currentOrNil(copyEnv(env)))
	return e.Source.MFASessionExpiry(e.request(f, base, false))
}
