// Package version owns plink's build identity: the version, commit and build
// date stamped in by the release build, with a fallback to what the Go
// toolchain recorded in the binary (module version, VCS revision) for
// `go install` and `go build` builds.
//
// A release build sets the variables with ldflags:
//
//	-X github.com/plink-dev/plink/internal/version.Version=v1.2.3
//	-X github.com/plink-dev/plink/internal/version.Commit=0123abc
//	-X github.com/plink-dev/plink/internal/version.Date=2024-05-01T10:00:00Z
package version

import (
	"runtime"
	"runtime/debug"
)

// Version is the release version, set by ldflags; "" in development builds.
var Version = ""

// Commit is the VCS revision of a release build, set by ldflags.
var Commit = ""

// Date is the build date of a release build (RFC 3339), set by ldflags.
var Date = ""

// devel is the version of a build that carries no version information.
const devel = "devel"

// String returns plink's version: the ldflags Version when set; else the
// module version recorded by `go install module@version`; else "devel"
// followed by the VCS revision (shortened to 12 characters, "-dirty" when the
// tree had local changes) when the build recorded one; else "devel".
func String() string {
	info, _ := debug.ReadBuildInfo()
	return fromBuild(Version, info)
}

// fromBuild computes String from an ldflags version and build information
// (nil when the binary has none).
func fromBuild(ldVersion string, info *debug.BuildInfo) string {
	if ldVersion != "" {
		return ldVersion
	}
	if info == nil {
		return devel
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, _, dirty := vcs(info)
	if rev == "" {
		return devel
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return devel + "-" + rev
}

// vcs returns the VCS revision, time and modified flag recorded in info.
func vcs(info *debug.BuildInfo) (revision, time string, modified bool) {
	if info == nil {
		return "", "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			time = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return revision, time, modified
}

// Info returns the build identity for `plink version -o json`, with keys in
// PascalCase like the rest of plink's JSON: Version (as String), Commit,
// Date, GoVersion and Platform (os/arch). Commit and Date fall back to the
// VCS revision and time the toolchain recorded; a value that is unknown is "".
func Info() map[string]string {
	info, _ := debug.ReadBuildInfo()
	return infoFrom(Version, Commit, Date, info)
}

func infoFrom(ldVersion, ldCommit, ldDate string, info *debug.BuildInfo) map[string]string {
	commit, date := ldCommit, ldDate
	rev, t, _ := vcs(info)
	if commit == "" {
		commit = rev
	}
	if date == "" {
		date = t
	}
	return map[string]string{
		"Version":   fromBuild(ldVersion, info),
		"Commit":    commit,
		"Date":      date,
		"GoVersion": runtime.Version(),
		"Platform":  runtime.GOOS + "/" + runtime.GOARCH,
	}
}
