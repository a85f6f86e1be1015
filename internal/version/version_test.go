package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuild(t *testing.T) {
	vcsInfo := func(mainVersion string, settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/plink-dev/plink", Version: mainVersion}, Settings: settings}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}
	tests := []struct {
		name      string
		ldVersion string
		info      *debug.BuildInfo
		want      string
	}{
		{"ldflags win", "v1.2.3", vcsInfo("v0.9.0", rev), "v1.2.3"},
		{"no build info", "", nil, "devel"},
		{"go install module@version", "", vcsInfo("v1.4.0"), "v1.4.0"},
		{"go install pseudo-version", "", vcsInfo("v0.0.0-20240501100000-0123456789ab"), "v0.0.0-20240501100000-0123456789ab"},
		{"go build in a checkout", "", vcsInfo("(devel)", rev), "devel-0123456789ab"},
		{"dirty checkout", "", vcsInfo("(devel)", rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "devel-0123456789ab-dirty"},
		{"no vcs", "", vcsInfo("(devel)"), "devel"},
		{"empty main version", "", vcsInfo(""), "devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromBuild(tt.ldVersion, tt.info); got != tt.want {
				t.Fatalf("fromBuild = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInfoFrom(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abcdef0123456789"},
		{Key: "vcs.time", Value: "2024-05-01T10:00:00Z"},
	}}
	tests := []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  map[string]string
	}{
		{
			name: "release", version: "v1.2.3", commit: "0123abc", date: "2024-06-01T00:00:00Z", info: info,
			want: map[string]string{"Version": "v1.2.3", "Commit": "0123abc", "Date": "2024-06-01T00:00:00Z"},
		},
		{
			name: "vcs fallback", info: info,
			want: map[string]string{"Version": "devel-abcdef012345", "Commit": "abcdef0123456789", "Date": "2024-05-01T10:00:00Z"},
		},
		{
			name: "nothing known",
			want: map[string]string{"Version": "devel", "Commit": "", "Date": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := infoFrom(tt.version, tt.commit, tt.date, tt.info)
			tt.want["GoVersion"] = runtime.Version()
			tt.want["Platform"] = runtime.GOOS + "/" + runtime.GOARCH
			if len(got) != len(tt.want) {
				t.Fatalf("Info = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("Info[%q] = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// TestLdflags builds testdata/ldflags with the release ldflags (as in
// .goreleaser.yaml) and checks that String and Info report them.
func TestLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	bin := filepath.Join(t.TempDir(), "ldflags")
	const pkg = "github.com/plink-dev/plink/internal/version"
	ldflags := "-s -w -X " + pkg + ".Version=v9.8.7 -X " + pkg + ".Commit=c0ffee -X " + pkg + ".Date=2024-05-01T10:00:00Z"
	build := exec.Command(gobin, "build", "-ldflags", ldflags, "-o", bin, "./testdata/ldflags")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "v9.8.7 c0ffee 2024-05-01T10:00:00Z"; got != want {
		t.Fatalf("binary printed %q, want %q", got, want)
	}
}
