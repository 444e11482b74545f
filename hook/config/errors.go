package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxQuote is how many characters of a value or key an error quotes.
const maxQuote = 40

// quote renders s for an error message: Go-quoted (so control characters and
// newlines cannot break the one-line message) and cut to maxQuote characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuote {
		r := []rune(s)
		return strconv.Quote(string(r[:maxQuote])) + "..."
	}
	return strconv.Quote(s)
}

// showPath renders a path for an error message: as is when it is printable,
// quoted when it holds control characters or invalid UTF-8.
func showPath(p string) string {
	if !utf8.ValidString(p) || strings.IndexFunc(p, badRune) >= 0 {
		return strconv.Quote(p)
	}
	return p
}

// badRune reports control characters and invisible format characters (bidi
// overrides, zero-width joiners) that must not appear in a value.
func badRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// errAt formats "path:line: msg", or "path: msg" when line is 0.
func errAt(path string, line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", showPath(path), line, msg)
	}
	return fmt.Errorf("%s: %s", showPath(path), msg)
}

// shellQuote renders a path so that the command an error suggests can be
// pasted into a shell as is.
func shellQuote(p string) string {
	if p != "" && strings.IndexFunc(p, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/._-+=:,@%", r)))
	}) < 0 {
		return p
	}
	if !utf8.ValidString(p) || strings.IndexFunc(p, badRune) >= 0 {
		return showPath(p) // not pasteable anyway; keep the message on one line
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
