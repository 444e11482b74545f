// Package shells turns the engine's variable changes into code for an
// interactive shell, and renders the prompt hook that evaluates that code.
// It knows shells, not AWS: nothing here imports the SDK or hook/.
package shells

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Shell is one supported shell.
type Shell interface {
	// Name is the name the user passes on the command line ("bash").
	Name() string
	// Hook returns the integration script for the user's rc file, with the
	// values in o substituted and quoted for this shell.
	Hook(o HookOptions) (string, error)
	// Export returns code that applies changes when the shell evaluates it:
	// a nil value unsets the variable. Names beginning with PrivatePrefix
	// become plain (unexported) globals of the shell; every other name is an
	// environment variable. The output is sorted by name, one line each.
	Export(changes map[string]*string) (string, error)
}

// HookOptions are the values a hook script is rendered with.
type HookOptions struct {
	Bin string // absolute path of the awsrole binary, as installed
}

// PrivatePrefix marks the hook's own shell variables, which are never
// exported to the commands the user runs. The hook sets _awsrole_bin and
// _awsrole_pwd and reads _awsrole_mark (the generation marker's path) and
// _awsrole_recheck (an epoch second of ten digits, 9999999999 for none),
// which the engine sets; it uses _awsrole_status (bash before 5.1: a global,
// as a local costs a prompt's time), _awsrole_now, _awsrole_rc,
// _awsrole_trap and _awsrole_code for itself, so the engine must not set
// those.
const PrivatePrefix = "_awsrole_"

var (
	Bash Shell = bash{}
	Zsh  Shell = zsh{}
	Fish Shell = fish{}
)

var all = []Shell{Bash, Zsh, Fish}

// Names lists the supported shells.
func Names() []string {
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name()
	}
	return names
}

// Lookup finds a supported shell by name.
func Lookup(name string) (Shell, error) {
	for _, s := range all {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unsupported shell %q (supported: %s)", name, strings.Join(Names(), ", "))
}

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sortedNames checks every change and returns the names in byte order.
func sortedNames(changes map[string]*string) ([]string, error) {
	names := make([]string, 0, len(changes))
	for name, value := range changes {
		if !validName.MatchString(name) {
			return nil, fmt.Errorf("invalid variable name %q", name)
		}
		if value != nil && strings.IndexByte(*value, 0) >= 0 {
			// No shell can hold a NUL byte: it would be cut short silently.
			return nil, fmt.Errorf("value of %s contains a NUL byte", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

func isPrivate(name string) bool { return strings.HasPrefix(name, PrivatePrefix) }

// export builds Export output from one line-writer per kind of change.
func export(changes map[string]*string, line func(b *strings.Builder, name string, value *string)) (string, error) {
	names, err := sortedNames(changes)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, name := range names {
		line(&b, name, changes[name])
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// binPlaceholder stands in the hook scripts, as a whole shell word, for the
// binary's path.
const binPlaceholder = "@AWSROLE_BIN@"

// render substitutes the quoted options into a hook script.
func render(script string, o HookOptions, quote func(string) string) (string, error) {
	switch {
	case o.Bin == "":
		return "", errors.New("hook: no path for the awsrole binary")
	case !filepath.IsAbs(o.Bin):
		return "", fmt.Errorf("hook: path of the awsrole binary is not absolute: %q", o.Bin)
	case strings.IndexByte(o.Bin, 0) >= 0:
		return "", errors.New("hook: path of the awsrole binary contains a NUL byte")
	}
	return strings.ReplaceAll(script, binPlaceholder, quote(o.Bin)), nil
}
