package ordo

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
)

// AnyVersion in Config.CompatibleVersions makes an engine run instances
// of every code version.
const AnyVersion = "*"

// maxVersionLen bounds Config.Version and each compatible version.
const maxVersionLen = 200

// BuildVersion is the default of Config.Version: the VCS revision the
// binary was built from (runtime/debug build info, "vcs.revision",
// shortened to 12 characters, with "-dirty" when the working tree had
// changes), else the main module's version when it is a real one (a
// binary built by `go install module@v1.2.3`), else "" (built without
// VCS stamping, for example with -buildvcs=false or by `go test`).
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionOf(bi)
}

// versionOf picks BuildVersion's answer from bi.
func versionOf(bi *debug.BuildInfo) string {
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "-dirty"
		}
		return rev
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return ""
}

// versionDefaults applies Config.Version's default and checks the
// versions.
func (c *Config) versionDefaults() error {
	if c.Version == "" {
		c.Version = BuildVersion()
	}
	for _, v := range append([]string{c.Version}, c.CompatibleVersions...) {
		if len(v) > maxVersionLen || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("%w: Config version %q must be at most %d characters of text", ErrInvalidArgument, v, maxVersionLen)
		}
	}
	if slices.Contains(c.CompatibleVersions, "") {
		return fmt.Errorf("%w: Config.CompatibleVersions must not hold an empty version", ErrInvalidArgument)
	}
	return nil
}

// claimVersions is what the engine's claims may take (store.ClaimParams
// Versions): nil (any) for an unversioned engine or one compatible with
// AnyVersion; else its version and the compatible ones.
func (c *Config) claimVersions() []string {
	if c.Version == "" || slices.Contains(c.CompatibleVersions, AnyVersion) {
		return nil
	}
	return append([]string{c.Version}, c.CompatibleVersions...)
}
