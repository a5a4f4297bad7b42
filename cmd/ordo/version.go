package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

// buildVersion is what `ordo version` reports, from the build information
// the Go toolchain embeds in the binary.
type buildVersion struct {
	// Version is the main module's version: a release tag (v1.2.0) when
	// built with `go install ...@v1.2.0`, a pseudo-version from the VCS
	// (v0.0.0-20261202005621-037451e8a1b2+dirty) for `go build` in a
	// checkout, "(devel)" otherwise.
	Version string `json:"version"`
	// Module is the main module's path.
	Module string `json:"module"`
	// Revision, Time and Modified are the VCS commit the binary was built
	// from, its commit time (RFC 3339) and whether the checkout had
	// uncommitted changes; empty when the build had no VCS information
	// (go run, go test, -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// Go is the toolchain that built the binary; Platform is GOOS/GOARCH.
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readVersion returns the binary's version from debug.ReadBuildInfo.
func readVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionOf(bi)
}

// versionOf extracts the version from build information; nil (a binary
// built without module support) gives "unknown" and the running toolchain.
func versionOf(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: "unknown", Module: "github.com/ordohq/ordo", Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

// Line is the one-line form `ordo --version` prints.
func (v buildVersion) Line() string {
	parts := []string{"ordo " + v.Version}
	if v.Revision != "" {
		rev := shortRevision(v.Revision)
		if v.Modified {
			rev += " (modified)"
		}
		parts = append(parts, "revision "+rev)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	parts = append(parts, v.Go, v.Platform)
	return strings.Join(parts, ", ")
}

// Detail is the form `ordo version` prints: one field a line.
func (v buildVersion) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ordo %s\n", v.Version)
	fmt.Fprintf(&b, "  module    %s\n", v.Module)
	rev, when := v.Revision, v.Time
	if rev == "" {
		rev = "unknown (built without VCS information)"
	} else if v.Modified {
		rev += " (modified)"
	}
	if when == "" {
		when = "unknown"
	}
	fmt.Fprintf(&b, "  revision  %s\n", rev)
	fmt.Fprintf(&b, "  time      %s\n", when)
	fmt.Fprintf(&b, "  go        %s %s\n", v.Go, v.Platform)
	return b.String()
}

// shortRevision shortens a commit hash to 12 characters, as Go's
// pseudo-versions do.
func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and build time of this binary",
		Long: `Print the module version, the VCS revision and commit time the binary was
built from (with "(modified)" when the checkout had uncommitted changes), and
the Go toolchain and platform, from the build information Go embeds. A binary
from "go run" or built with -buildvcs=false has no revision. ordo --version
prints the same on one line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readVersion()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), v.Detail())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as a JSON object")
	return cmd
}
