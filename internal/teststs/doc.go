// Package teststs is a local AWS Security Token Service for tests and for
// `make demo`. It listens on 127.0.0.1 only and speaks the STS Query protocol
// (POST, application/x-www-form-urlencoded, Version=2011-06-15) exactly as
// aws-sdk-go-v2's service/sts and the AWS CLI send it, answering in the XML
// shapes real STS uses. Point the Go SDK at it with AWS_ENDPOINT_URL_STS=<URL>
// (or BaseEndpoint) and the AWS CLI with --endpoint-url <URL>: Debian's
// awscli 2.9.19 ignores AWS_ENDPOINT_URL_STS and would call real AWS.
//
// It is deliberately strict: a fake that accepts what AWS rejects lets bugs
// through. Every request must carry a valid SigV4 signature made with the
// secret of a key the server issued or was given; session credentials must
// come with their own token and must not be expired; durations, session names,
// external IDs, MFA serials and codes are validated with the limits and the
// error codes/messages of real STS.
//
// Supported actions: AssumeRole, GetSessionToken, GetCallerIdentity.
//
// # Identities
//
// Long-term IAM users (AKIA… keys) are added with [Server.AddUser], account
// root keys with [Server.AddRoot], roles with [Server.AddRole] and MFA devices
// with [Server.AddMFA]. Session credentials (ASIA… keys) issued by the server
// remember who they belong to, when they expire, whether MFA was used and
// whether they came from AssumeRole, so that real STS rules apply to them:
// GetSessionToken refuses session credentials, role chaining is limited to one
// hour, and an MFA-authenticated GetSessionToken session satisfies a role that
// requires MFA without another code.
//
// MFA codes are one-time: as with real AWS, a code accepted once is rejected
// the next time (AccessDenied). [Server.AllowMFACodeReuse] turns that off.
//
// # Test controls
//
// [Server.Calls] counts requests per action, [Server.Requests] returns the
// request log (never secrets), [Server.FailNext] and [Server.FailAll] inject
// faults, [Server.SetCredentialLifetime] shortens issued credentials, and
// [Server.ExpireAll] expires every session issued so far.
//
// # Config file (cmd/teststs -config, [LoadConfig])
//
// TOML; unknown keys are errors. Durations are Go duration strings.
//
//	allow_mfa_code_reuse = false    # optional; default false (codes are one-time)
//	credential_lifetime  = "30s"    # optional; issued credentials expire after this
//
//	[[user]]
//	name              = "alice"
//	account           = "111111111111"   # optional; default 123456789012
//	access_key_id     = "AKIAALICE0000000000A" # optional; generated if absent
//	secret_access_key = "…"               # required when access_key_id is set
//	root              = false             # true: account root keys (name ignored)
//
//	[[role]]
//	arn                  = "arn:aws:iam::222222222222:role/deploy"
//	max_session_duration = "12h"          # optional; 1h..12h, default 1h
//	external_id          = "…"            # optional; required from callers if set
//	require_mfa          = true           # optional
//	principals           = ["arn:aws:iam::111111111111:user/alice"] # optional; default any known identity
//
//	[[mfa]]
//	serial = "arn:aws:iam::111111111111:mfa/alice"
//	user   = "alice"                      # a [[user]] name
//	codes  = ["123456", "654321"]
//
// Users without access_key_id get generated keys; cmd/teststs -print-keys
// prints every user's ARN and keys after the URL. cmd/teststs/demo.toml is a
// complete example, kept valid by the cmd/teststs tests.
package teststs
