package shells

import (
	_ "embed"
	"strings"
)

//go:embed hook.fish
var fishHook string

type fish struct{}

func (fish) Name() string { return "fish" }

func (fish) Hook(o HookOptions) (string, error) { return render(fishHook, o, fishQuote) }

func (fish) Export(changes map[string]*string) (string, error) {
	return export(changes, func(b *strings.Builder, name string, value *string) {
		switch {
		case value == nil:
			// Erases the global whether or not it is exported; a universal
			// variable of the same name (set -U) is the user's and stays.
			b.WriteString("set -e -g -- " + name)
		case isPrivate(name):
			b.WriteString("set -g -u -- " + name + " " + fishQuote(*value))
		default:
			b.WriteString("set -g -x -- " + name + " " + fishQuote(*value))
		}
	})
}

// fishQuote quotes s as one fish word. Fish single quotes know only \\ and
// \', so runs of printable ASCII go in single quotes and every other byte is
// an unquoted \xHH, which fish 3 reads as that byte: valid UTF-8 sequences
// become their characters again and invalid bytes are kept as they are.
// The output is plain ASCII on one line, independent of the locale.
func fishQuote(s string) string {
	if s == "" {
		return "''"
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4 + 2)
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		printable := c >= 0x20 && c < 0x7f
		if printable != quoted {
			b.WriteByte('\'')
			quoted = printable
		}
		switch {
		case !printable:
			writeHexEscape(&b, c)
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		b.WriteByte('\'')
	}
	return b.String()
}
