package biohook

import (
	"runtime/debug"
	"testing"
)

// The version comes from the build info where it names a release of the
// module (xcaddy --with the module at a version, which is also what
// `caddy list-modules --versions` shows), else from Version.
func TestModuleVersion(t *testing.T) {
	dep := func(v string, replace *debug.Module) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "caddy", Version: "(devel)"},
			Deps: []*debug.Module{{Path: "github.com/caddyserver/caddy/v2", Version: "v2.11.9"}, {Path: ModulePath, Version: v, Replace: replace}}}
	}
	main := func(v string, settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: v}, Settings: settings}
	}
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, Version},
		{"xcaddy, a release", dep("v1.4.2", nil), "v1.4.2"},
		{"xcaddy, a commit after a release", dep("v1.4.3-0.20261201101010-abcdefabcdef", nil), "v1.4.3-0.20261201101010-abcdefabcdef"},
		{"xcaddy, local checkout (@v0.0.0=.)", dep("v0.0.0", &debug.Module{Path: "/src/caddy-biohook"}), Version},
		{"xcaddy, a release named for a local checkout", dep("v1.4.2", &debug.Module{Path: "../caddy-biohook"}), Version},
		{"replaced by another release", dep("v1.4.2", &debug.Module{Path: "example.com/fork", Version: "v1.4.9"}), "v1.4.9"},
		{"go build in a checkout", main("(devel)"), Version},
		{"go build in a clean checkout", main("v0.0.0-20261201101010-abcdefabcdef",
			debug.BuildSetting{Key: "vcs.revision", Value: "abcdefabcdef0123456789"}), Version + " (abcdefabcdef)"},
		{"go build in a changed checkout", main("v0.0.0-20261201101010-abcdefabcdef+dirty",
			debug.BuildSetting{Key: "vcs.revision", Value: "abcdefabcdef0123456789"},
			debug.BuildSetting{Key: "vcs.modified", Value: "true"}), Version + " (abcdefabcdef, modified)"},
		{"go build at a tag", main("v1.4.2"), "v1.4.2"},
		{"not in the build", &debug.BuildInfo{Main: debug.Module{Path: "caddy"}}, Version},
	}
	for _, c := range cases {
		if got := moduleVersion(c.bi); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
