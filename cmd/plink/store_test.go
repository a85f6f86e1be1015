package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/plink-dev/plink/internal/store"
)

// plinkRun runs the plink binary (the test binary under the name plink,
// which testscript.Main put on $PATH) with args; attr and wrap (a command
// line the plink command line is appended to) change how.
type plinkRun struct {
	bin  string
	home string
	attr *syscall.SysProcAttr
	wrap []string
	env  []string // more environment, after the defaults
}

func (r plinkRun) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	argv := append(append(append([]string{}, r.wrap...), r.bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "HOME="+r.home, "XDG_CONFIG_HOME="+r.home, "XDG_STATE_HOME="+r.home,
		"PLINK_DB=", "PLINK_ACCOUNT=", "PLINK_PRINCIPAL=", "PLINK_REGION=", "PLINK_PROFILE=", "PLINK_CONFIG=")
	cmd.Env = append(cmd.Env, r.env...)
	cmd.SysProcAttr = r.attr
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return out.String(), errOut.String(), code
}

// snapshotDir is every file under dir with its content.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		got[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestReadOnlyStoreBinary: on a store that cannot be written (a read-only
// file system, or a file of mode 0400 and a user who is not root), the
// plink binary still describes, and a create fails with a clear error
// that is no usage error; nothing on disk changes.
func TestReadOnlyStoreBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a mount namespace, and a child run as nobody")
	}
	bin, err := exec.LookPath("plink")
	if err != nil {
		t.Fatal(err)
	}
	const nobody = 65534
	for _, c := range []string{"read-only file system", "file mode 0400 as nobody"} {
		t.Run(c, func(t *testing.T) {
			top := t.TempDir()
			dir := filepath.Join(top, "d")
			db := filepath.Join(dir, "ro #1.db")
			root := plinkRun{bin: bin, home: top}
			out, errOut, code := root.run(t, "--db", db, "create-vpc", "--cidr-block", "127.70.0.0/16", "--query", "Vpc.VpcId", "--output", "text")
			if code != 0 {
				t.Fatalf("create-vpc: exit %d: %s", code, errOut)
			}
			vpc := strings.TrimSpace(out)

			ro := root
			switch c {
			case "read-only file system":
				if _, err := exec.LookPath("unshare"); err != nil {
					t.Skip("no unshare(1)")
				}
				// A private mount namespace; the store's directory is bound
				// read-only onto itself, then plink runs. (The paths are
				// arguments, never part of the script.)
				ro.wrap = []string{"unshare", "-m", "--propagation", "private", "sh", "-c",
					`mount --bind -o ro "$1" "$1" && shift && exec "$@"`, "sh", dir}
			case "file mode 0400 as nobody":
				// The test binary and the store's directories must be
				// reachable by nobody; the store is theirs, mode 0400.
				ro.bin = filepath.Join(top, "plink")
				b, err := os.ReadFile(bin)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(ro.bin, b, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, d := range []string{filepath.Dir(top), top, dir} {
					if err := os.Chmod(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chown(db, nobody, nobody); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(db, 0o400); err != nil {
					t.Fatal(err)
				}
				ro.attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			}
			before := snapshotDir(t, top)

			out, errOut, code = ro.run(t, "--db", db, "describe-vpcs", "--vpc-ids", vpc, "--query", "Vpcs[0].CidrBlock", "--output", "text")
			if code != 0 || strings.TrimSpace(out) != "127.70.0.0/16" {
				t.Errorf("describe-vpcs on the read-only store: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			// An account with no default VPC yet is described too (as it is).
			_, errOut, code = ro.run(t, "--db", db, "--account", "222222222222", "describe-vpcs")
			if code != 0 {
				t.Errorf("describe-vpcs as a new account: exit %d: %s", code, errOut)
			}
			_, errOut, code = ro.run(t, "--db", db, "create-vpc", "--cidr-block", "127.71.0.0/16")
			if code != 255 || !strings.Contains(errOut, "store "+db+" is read-only") || strings.Contains(errOut, "Usage") {
				t.Errorf("create-vpc on the read-only store: exit %d, stderr %q; want exit 255 and %q", code, errOut, "store "+db+" is read-only")
			}
			if after := snapshotDir(t, top); !maps.Equal(before, after) {
				t.Errorf("files changed under %s", top)
			}
		})
	}
}

// TestSchemaTooNewBinary: plink refuses a store that a later plink
// migrated, naming both versions, and leaves it as it was.
func TestSchemaTooNewBinary(t *testing.T) {
	bin, err := exec.LookPath("plink")
	if err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	db := filepath.Join(top, "plink.db")
	r := plinkRun{bin: bin, home: top}
	if _, errOut, code := r.run(t, "--db", db, "describe-vpcs"); code != 0 {
		t.Fatalf("describe-vpcs: exit %d: %s", code, errOut)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	known, err := st.SchemaVersion(context.Background())
	if err == nil {
		_, err = st.DB().Exec("PRAGMA user_version = 99")
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, top)
	for _, args := range [][]string{{"describe-vpcs"}, {"create-vpc", "--cidr-block", "127.72.0.0/16"}} {
		_, errOut, code := r.run(t, append([]string{"--db", db}, args...)...)
		want := "store " + db + " has schema version 99, this plink knows up to " + strconv.Itoa(known) + ": upgrade plink"
		if code != 255 || !strings.Contains(errOut, want) {
			t.Errorf("%s on a schema-99 store: exit %d, stderr %q; want exit 255 and %q", args[0], code, errOut, want)
		}
	}
	if after := snapshotDir(t, top); !maps.Equal(before, after) {
		t.Errorf("the refused store changed")
	}
}
