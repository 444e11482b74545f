package config

import "strings"

// aliases map names people carry over from ~/.aws/config or guess to the
// key they mean. Only targets valid in the file at hand are suggested.
var aliases = map[string]string{
	"role":              "role_arn",
	"arn":               "role_arn",
	"role_session_name": "session_name",
	"duration_seconds":  "duration",
	"serial_number":     "mfa_serial",
	"mfa":               "mfa_serial",
	"mfa_device":        "mfa_serial",
	"mfa_arn":           "mfa_serial",
	"aws_region":        "region",
	"default_region":    "region",
	"aws_profile":       "profile",
	"accounts":          "allowed_accounts",
	"timeout":           "sts_timeout",
	"margin":            "refresh_margin",
	"mfa_command":       "mfa_process",
}

// suggest returns the valid key nearest to key, or "" when none is close.
func suggest(key string, valid []string) string {
	norm := strings.ToLower(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(key))
	has := func(k string) bool {
		for _, v := range valid {
			if v == k {
				return true
			}
		}
		return false
	}
	if has(norm) {
		return norm
	}
	if a, ok := aliases[norm]; ok && has(a) {
		return a
	}
	strip := func(s string) string { return strings.ReplaceAll(s, "_", "") }
	best, bestD := "", 3
	for _, v := range valid {
		d := min(osa(norm, v), osa(strip(norm), strip(v)))
		if d < bestD && d <= len(v)/3 {
			best, bestD = v, d
		}
	}
	return best
}

// osa is the optimal string alignment distance: Levenshtein plus adjacent
// transpositions ("regoin" is one edit from "region").
func osa(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // nothing that long is a typo of a key
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
