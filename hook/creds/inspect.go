package creds

import "time"

// MFASessionExpiry is when the cached MFA session behind req (its mfa_serial
// and source identity) expires; zero when none is cached or it has expired.
// It only reads the cache: no SDK, no network.
func (s Source) MFASessionExpiry(req Request) time.Time {
	if req.File == nil || req.File.MFASerial == "" {
		return time.Time{}
	}
	var c Credentials
	if ok, _ := s.Cache.Get(MFAKey(req), &c); !ok || !c.UsableAt(time.Now()) {
		return time.Time{}
	}
	return c.Expires
}
