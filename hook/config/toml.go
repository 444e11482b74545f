package config

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// maxNesting bounds bracket nesting and dotted-key depth before the TOML
// parser sees the input: the parser's cost grows quadratically with both
// (a 60 KiB dotted key takes minutes), and these files take only top-level
// keys, so anything deeper is an error anyway.
const maxNesting = 8

// doc is a parsed TOML document whose top-level values have not been typed
// yet: each is kept as a Primitive and decoded on demand, so that every key
// can be checked (unknown, wrong type) with its line number.
type doc struct {
	path  string
	md    toml.MetaData
	prims map[string]toml.Primitive
	keys  []string       // top-level keys in file order
	lines map[string]int // top-level key -> line (0 if unknown)
}

// parseDoc checks that content is text of bounded nesting and parses it.
func parseDoc(path string, content []byte) (*doc, error) {
	if i := bytes.IndexByte(content, 0); i >= 0 {
		return nil, errAt(path, lineAt(content, i), "binary data (a nul byte); the file must be utf-8 text")
	}
	if !utf8.Valid(content) {
		i := invalidUTF8(content)
		return nil, errAt(path, lineAt(content, i), "invalid utf-8 (binary data?); the file must be utf-8 text")
	}
	if line, ok := checkNesting(content); !ok {
		return nil, errAt(path, line, "nested more than %d levels deep; only top-level keys are allowed", maxNesting)
	}
	d := &doc{path: path, lines: map[string]int{}}
	md, err := toml.Decode(string(content), &d.prims)
	if err != nil {
		return nil, tomlError(path, err)
	}
	d.md = md
	for k := range d.prims {
		d.keys = append(d.keys, k)
		d.lines[k] = d.lineOf(k)
	}
	sort.Slice(d.keys, func(i, j int) bool {
		li, lj := d.lines[d.keys[i]], d.lines[d.keys[j]]
		if li != lj {
			return li < lj
		}
		return d.keys[i] < d.keys[j]
	})
	return d, nil
}

// lineProbe fails to decode on purpose: the decoder then reports the
// position of the key it was decoding, which MetaData does not expose.
type lineProbe struct{}

var errProbe = errors.New("probe")

func (lineProbe) UnmarshalTOML(any) error { return errProbe }

func (d *doc) lineOf(key string) int { return d.primLine(d.prims[key], 0) }

func (d *doc) primLine(p toml.Primitive, depth int) int {
	if l := probeLine(d.md.PrimitiveDecode(p, &lineProbe{})); l > 0 {
		return l
	}
	// A table made only implicitly by dotted keys (a.b.c = 1) has no
	// position of its own; take the first of its children's.
	var sub map[string]toml.Primitive
	if depth > maxNesting || d.md.PrimitiveDecode(p, &sub) != nil {
		return 0
	}
	line := 0
	for _, c := range sub {
		if l := d.primLine(c, depth+1); l > 0 && (line == 0 || l < line) {
			line = l
		}
	}
	return line
}

func probeLine(err error) int {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Position.Line
	}
	return 0
}

// typeName describes the TOML type of a top-level key, with an article.
func (d *doc) typeName(key string) string {
	switch d.md.Type(key) {
	case "String":
		return "a string"
	case "Integer":
		return "an integer"
	case "Float":
		return "a float"
	case "Bool":
		return "a boolean"
	case "Datetime", "DatetimeLocal", "DateLocal", "TimeLocal":
		return "a date or time"
	case "Array":
		return "an array"
	default: // "Hash", "ArrayHash", or a table made by dotted keys
		return "a table"
	}
}

// value decodes a top-level key into a plain Go value.
func (d *doc) value(key string) any {
	var v any
	if err := d.md.PrimitiveDecode(d.prims[key], &v); err != nil {
		return nil
	}
	return v
}

func (d *doc) err(key string, format string, args ...any) error {
	return errAt(d.path, d.lines[key], format, args...)
}

// str returns the string value of key, refusing other types, empty strings
// and control characters.
func (d *doc) str(key string) (string, error) {
	s, ok := d.value(key).(string)
	if !ok {
		return "", d.err(key, "%s must be a string, not %s", key, d.typeName(key))
	}
	if s == "" {
		return "", d.err(key, "%s is empty; give it a value or remove the line", key)
	}
	if strings.IndexFunc(s, badRune) >= 0 {
		return "", d.err(key, "%s contains a control character", key)
	}
	return s, nil
}

// duration returns key as a duration: a Go duration string ("1h30m"), an
// integer number of seconds, or a string of digits (seconds).
func (d *doc) duration(key string) (time.Duration, error) {
	var dur time.Duration
	switch v := d.value(key).(type) {
	case int64:
		if v < 0 || v > 1<<32 {
			return 0, d.err(key, "%s %d is out of range", key, v)
		}
		dur = time.Duration(v) * time.Second
	case string:
		if v != "" && strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			if len(v) > 10 {
				return 0, d.err(key, "%s %s is out of range", key, quote(v))
			}
			var n int64
			for _, c := range v {
				n = n*10 + int64(c-'0')
			}
			dur = time.Duration(n) * time.Second
			break
		}
		p, err := time.ParseDuration(v)
		if err != nil {
			return 0, d.err(key, "%s %s is not a duration; write e.g. \"1h\", \"90m\" or a number of seconds", key, quote(v))
		}
		if p < 0 {
			return 0, d.err(key, "%s %s is negative", key, quote(v))
		}
		dur = p
	default:
		return 0, d.err(key, "%s must be a duration string like \"1h\" or a number of seconds, not %s", key, d.typeName(key))
	}
	if dur%time.Second != 0 {
		return 0, d.err(key, "%s %s is not a whole number of seconds", key, fmtDur(dur))
	}
	return dur, nil
}

// strList returns key as an array of strings.
func (d *doc) strList(key string) ([]string, error) {
	arr, ok := d.value(key).([]any)
	if !ok {
		return nil, d.err(key, "%s must be an array of strings, not %s", key, d.typeName(key))
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, d.err(key, "%s[%d] must be a string, not %s", key, i, goTypeName(e))
		}
		out = append(out, s)
	}
	return out, nil
}

func goTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any, []map[string]any:
		return "a table"
	default:
		return "a date or time"
	}
}

// tomlError turns a parser error into one line with the file's path and the
// line the parser reports.
func tomlError(path string, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return errAt(path, 0, "invalid toml: %s", oneLine(err.Error()))
	}
	msg := pe.Message
	if k, ok := strings.CutPrefix(msg, "Key '"); ok {
		if k, ok := strings.CutSuffix(k, "' has already been defined."); ok {
			return errAt(path, pe.Position.Line, "duplicate key %s", quote(k))
		}
	}
	if strings.HasPrefix(msg, "expected value but found") {
		// A bare word where a value belongs, most often an unquoted string;
		// the parser would quote the word, which may be a secret.
		return errAt(path, pe.Position.Line, "invalid toml: expected a value; strings must be quoted, as in key = \"value\"")
	}
	return errAt(path, pe.Position.Line, "invalid toml: %s", oneLine(redactQuoted(msg)))
}

// redactQuoted shortens every double-quoted snippet of input that a parser
// message carries to its first 8 characters: enough to find the spot, not
// enough to leak a secret.
func redactQuoted(msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i+1:], '"')
		if j < 0 {
			break
		}
		q := msg[i+1 : i+1+j]
		b.WriteString(msg[:i+1])
		if r := []rune(q); len(r) > 8 {
			b.WriteString(string(r[:8]) + "...")
		} else {
			b.WriteString(q)
		}
		b.WriteByte('"')
		msg = msg[i+1+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// oneLine makes a parser message fit the error style: one line, starting
// lowercase, no trailing period, at most 100 characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if badRune(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if first, rest, _ := strings.Cut(s, " "); first != "" {
		s = strings.ToLower(first)
		if rest != "" {
			s += " " + rest
		}
	}
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "..."
	}
	return s
}

func lineAt(b []byte, off int) int { return 1 + bytes.Count(b[:off], []byte("\n")) }

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// checkNesting scans TOML text for the depth of [ { nesting and of dotted
// keys, skipping strings and comments. It returns the line where a limit is
// passed. It only needs to be exact enough never to miss deep nesting; the
// parser judges everything else.
func checkNesting(b []byte) (int, bool) {
	depth, dots, line := 0, 0, 1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(b) && b[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			triple := i+2 < len(b) && b[i+1] == c && b[i+2] == c
			if triple {
				i += 3
				for ; i < len(b); i++ {
					if b[i] == '\n' {
						line++
					}
					if c == '"' && b[i] == '\\' {
						if i+1 < len(b) && b[i+1] == '\n' {
							line++
						}
						i++
						continue
					}
					if i+2 < len(b) && b[i] == c && b[i+1] == c && b[i+2] == c {
						i += 2
						break
					}
				}
				continue
			}
			for i++; i < len(b) && b[i] != c && b[i] != '\n'; i++ {
				if c == '"' && b[i] == '\\' && i+1 < len(b) && b[i+1] != '\n' {
					i++
				}
			}
			if i < len(b) && b[i] == '\n' {
				i-- // let the newline be counted
			}
		case '[', '{':
			depth++
			dots = 0
			if depth > maxNesting {
				return line, false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '=', ',':
			dots = 0
		case '.':
			dots++
			if dots >= maxNesting {
				return line, false
			}
		}
	}
	return 0, true
}

// fmtDur renders a duration compactly: 15m, 12h, 1h30m, 45s.
func fmtDur(d time.Duration) string {
	if d <= 0 || d%time.Second != 0 {
		return d.String()
	}
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
