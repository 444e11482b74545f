package shells

import (
	_ "embed"
	"strings"
)

//go:embed hook.zsh
var zshHook string

type zsh struct{}

func (zsh) Name() string { return "zsh" }

func (zsh) Hook(o HookOptions) (string, error) { return render(zshHook, o, ansiCQuote) }

// Export uses the same $'…' quoting as bash: zsh reads \xHH, \\ and \' in
// $'…' the same way, with the same two-digit limit on \x.
func (zsh) Export(changes map[string]*string) (string, error) {
	return export(changes, func(b *strings.Builder, name string, value *string) {
		switch {
		case value == nil:
			b.WriteString(`\builtin unset -v ` + name)
		case isPrivate(name):
			// -g: the eval runs inside the hook function; +x: never exported.
			b.WriteString(`\builtin typeset -g +x ` + name + "=" + ansiCQuote(*value))
		default:
			b.WriteString(`\builtin export ` + name + "=" + ansiCQuote(*value))
		}
	})
}
