package doctor

import (
	"bufio"
	"bytes"
	"os"
	"strings"
)

// Profiles are the sections of ~/.aws/config or ~/.aws/credentials by
// profile name, each a map of lower-case keys to values.
type Profiles map[string]map[string]string

// Has reports whether name is a profile of p.
func (p Profiles) Has(name string) bool { _, ok := p[name]; return ok }

// ReadProfiles parses the AWS shared file at path; a missing file is no
// profiles. In the config file (credentials false) a section is
// "[default]" or "[profile NAME]"; other sections (sso-session, services)
// are not profiles. In the credentials file it is "[NAME]".
func ReadProfiles(path string, credentials bool) (Profiles, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return Profiles{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseProfiles(b, credentials), nil
}

// ParseProfiles is ReadProfiles on content. It is lenient, as the SDKs are:
// what it cannot read it skips (doctor reports problems, not syntax).
func ParseProfiles(content []byte, credentials bool) Profiles {
	out := Profiles{}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				cur = nil
				continue
			}
			name := strings.TrimSpace(line[1:end])
			if !credentials && name != "default" {
				rest, ok := strings.CutPrefix(name, "profile ")
				if !ok {
					cur = nil // sso-session, services, or not a profile
					continue
				}
				name = strings.TrimSpace(rest)
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			cur = out[name]
		case cur == nil || raw[0] == ' ' || raw[0] == '\t':
			// outside a profile, or a nested sub-property (s3 = …)
		default:
			k, v, ok := strings.Cut(line, "=")
			if ok {
				cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	return out
}
