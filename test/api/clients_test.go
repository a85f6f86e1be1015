package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plink-dev/plink/test/testenv"
)

// awsCLI is the AWS CLI to run: Debian's /usr/bin/aws when installed (a
// pyenv or pip shim earlier on PATH may be another version), else aws on
// PATH. The test skips when there is none.
func awsCLI(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed (apt-get install awscli); .ci/run installs it")
	}
	return p
}

// boto3Python is a python3 that imports boto3: Debian's first. The test
// skips when there is none.
func boto3Python(t *testing.T) string {
	t.Helper()
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			return p
		}
	}
	t.Skip("boto3 is not installed (apt-get install python3-boto3); .ci/run installs it")
	return ""
}

// clientEnv is the environment of a client script: the test's HOME (no
// ~/.aws), no inherited AWS_* settings, the API as AWS_ENDPOINT_URL.
func (e *env) clientEnv(api string, extra ...string) []string {
	env := append(e.environ(), "AWS_ENDPOINT_URL=http://"+api, "AWS_CONFIG_FILE="+filepath.Join(e.dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "aws-credentials"))
	return append(env, extra...)
}

// runScript runs a client script and fails the test unless it exits 0
// with "ok" as its last line.
func runScript(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(4 * time.Minute):
		cmd.Process.Kill()
		err = <-done
		t.Errorf("%s ran over 4 minutes", name)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err != nil || lines[len(lines)-1] != "ok" {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	t.Logf("%s", out.String())
}

// TestAWSCLIStory runs testdata/story.sh with the real AWS CLI against
// `plink serve --api-addr`: the walkthrough, --query, --output text,
// paging, expected errors' exit codes, then curl through the endpoint.
func TestAWSCLIStory(t *testing.T) {
	cli := awsCLI(t)
	e := newEnv(t)
	backend := e.plinkBackend("cli-backend")
	srv := e.serve(true)
	// The script runs `aws`: put the chosen one first on PATH.
	bin := filepath.Join(e.dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cli, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	env := e.clientEnv(srv.API, "BACKEND="+backend.String(), "PORT="+strconv.Itoa(testenv.FreePort(t)),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	script, _ := filepath.Abs("testdata/story.sh")
	runScript(t, env, "bash", script)
}

// TestBoto3Story runs testdata/story.py, the same story as application
// code on boto3 would run it, against `plink serve --api-addr`.
func TestBoto3Story(t *testing.T) {
	py := boto3Python(t)
	e := newEnv(t)
	backend := e.plinkBackend("boto3-backend")
	srv := e.serve(true)
	env := e.clientEnv(srv.API, "BACKEND="+backend.String(), "PORT="+strconv.Itoa(testenv.FreePort(t)))
	script, _ := filepath.Abs("testdata/story.py")
	runScript(t, env, py, script)
}
