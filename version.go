package biohook

import (
	"runtime/debug"
	"strings"
)

// ModulePath is this Go module.
const ModulePath = "github.com/biohook/caddy-biohook"

// Version is this source tree's release. A build that names the module at a
// release (xcaddy build --with github.com/biohook/caddy-biohook@v1.2.3)
// reports that version instead, from the binary's build info: the one
// `caddy list-modules --versions` shows. A build from a checkout (go build
// ./cmd/caddy, or xcaddy with a local replacement) reports this.
const Version = "v0.1.0-dev"

// moduleVersion is the version the binary was built with: the module's
// release from the build info where it names one, else Version, with the
// commit where the build info has it.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return Version
	}
	var m *debug.Module
	if bi.Main.Path == ModulePath {
		m = &bi.Main
	}
	for _, d := range bi.Deps {
		if d.Path == ModulePath {
			m = d
		}
	}
	if m != nil && (m.Replace == nil || m.Replace.Version != "") {
		v := m.Version
		if m.Replace != nil {
			v = m.Replace.Version
		}
		if released(v) {
			return v
		}
	}
	if m == &bi.Main { // built in this module: say which commit
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified == "true" {
			return Version + " (" + rev + ", modified)"
		}
		if rev != "" {
			return Version + " (" + rev + ")"
		}
	}
	return Version
}

// released reports whether v names a release rather than a development
// build: not empty, not "(devel)", and not v0.0.0 or a pseudo-version of it
// (what a local replacement or an untagged commit gets).
func released(v string) bool {
	return strings.HasPrefix(v, "v") && v != "v0.0.0" && !strings.HasPrefix(v, "v0.0.0-")
}

// buildVersion is moduleVersion of the running binary.
func buildVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return moduleVersion(bi)
}
