// Package config finds, reads and validates the per-directory .awsrole.toml
// file and the user's own config ($XDG_CONFIG_HOME/awsrole/config.toml).
//
// Every error is one line, starts with the path of the file it is about (and
// the line, when known), and never quotes more than a short prefix of a value.
// The package does no network I/O and never imports the AWS SDK.
package config
