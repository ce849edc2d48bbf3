package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; else
// the module version from the build info is printed.
var version = "dev"

func runVersion(_ context.Context, _ []string, e env) int {
	fmt.Fprintln(e.stdout, versionLine())
	return 0
}

// versionLine is "warden VERSION (revision REV[, modified], TIME)": the
// module version ("(devel)" when built from a checkout) and the VCS
// revision the go command stamped into the binary.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "warden " + version
	}
	return formatVersion(version, bi)
}

func formatVersion(v string, bi *debug.BuildInfo) string {
	if v == "dev" && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return fmt.Sprintf("warden %s, no VCS revision (built outside a git checkout or with -buildvcs=false), %s", v, bi.GoVersion)
	}
	if dirty {
		rev += " (modified)"
	}
	if at != "" {
		rev += " of " + at
	}
	return fmt.Sprintf("warden %s, revision %s, %s", v, rev, bi.GoVersion)
}

// shortVersion is the version alone, for the start-up banner.
func shortVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return version
}
