package shells

import (
	_ "embed"
	"strings"
)

//go:embed hook.bash
var bashHook string

type bash struct{}

func (bash) Name() string { return "bash" }

func (bash) Hook(o HookOptions) (string, error) { return render(bashHook, o, ansiCQuote) }

func (bash) Export(changes map[string]*string) (string, error) {
	return export(changes, func(b *strings.Builder, name string, value *string) {
		switch {
		case value == nil:
			b.WriteString(`\builtin unset -v ` + name)
		case isPrivate(name):
			// -g: the eval runs inside the hook function; +x: never exported.
			b.WriteString(`\builtin declare -g +x ` + name + "=" + ansiCQuote(*value))
		default:
			b.WriteString(`\builtin export ` + name + "=" + ansiCQuote(*value))
		}
	})
}

// ansiCQuote quotes s as one word for bash and zsh. Printable ASCII without
// a single quote goes in single quotes, which are literal in both shells.
// Anything else becomes $'…' with every byte outside printable ASCII as \xHH,
// so the output is plain ASCII on one line: it reads back byte-identical
// whatever the locale (no multibyte character can swallow a following
// backslash or quote) and with invalid UTF-8.
func ansiCQuote(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\'' {
			plain = false
			break
		}
	}
	if plain {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4 + 3)
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			writeHexEscape(&b, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// writeHexEscape writes \xHH: always two digits, so a following character
// can never be read as part of the escape.
func writeHexEscape(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
}
