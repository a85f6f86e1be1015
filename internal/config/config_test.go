package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func flags(args ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("plink", pflag.ContinueOnError)
	for _, k := range append(keys, "profile", "config") {
		fs.String(k, "", "")
	}
	if err := fs.Parse(args); err != nil {
		panic(err)
	}
	return fs
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_STATE_HOME", dir)
	for _, k := range []string{"PLINK_ACCOUNT", "PLINK_REGION", "PLINK_PRINCIPAL", "PLINK_DB", "PLINK_PROFILE", "PLINK_CONFIG", "PLINK_OUTPUT", "PLINK_LOG_LEVEL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plink"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := "region: eu-west-1\naccount: \"333333333333\"\nprofiles:\n  provider:\n    account: \"111111111111\"\n"
	if err := os.WriteFile(filepath.Join(dir, "plink", "config.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	c, err := Load(flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != "333333333333" || c.Region != "eu-west-1" || c.Principal != "arn:aws:iam::333333333333:root" || c.Output != "json" || c.LogLevel != slog.LevelWarn {
		t.Errorf("file values: %+v", c)
	}
	if c.DB != filepath.Join(dir, "plink", "plink.db") {
		t.Errorf("default DB %q", c.DB)
	}
	if c, err = Load(flags("--profile", "provider")); err != nil || c.Account != "111111111111" || c.Region != "eu-west-1" {
		t.Errorf("profile: %+v, %v", c, err)
	}
	t.Setenv("PLINK_ACCOUNT", "222222222222")
	if c, err = Load(flags("--profile", "provider")); err != nil || c.Account != "222222222222" {
		t.Errorf("environment over profile: %+v, %v", c, err)
	}
	if c, err = Load(flags("--account", "444444444444")); err != nil || c.Account != "444444444444" {
		t.Errorf("flag over environment: %+v, %v", c, err)
	}
	if _, err = Load(flags("--profile", "nope")); err == nil {
		t.Error("an unknown profile was accepted")
	}
	if _, err = Load(flags("--profile", "x\x1b[2J")); err == nil || strings.Contains(err.Error(), "\x1b") || !strings.Contains(err.Error(), `x\x1b[2J`) {
		t.Errorf("an unknown profile with ESC: %v", err)
	}
	if _, err = Load(flags("--account", "12")); err == nil {
		t.Error("a bad account was accepted")
	}
	if _, err = Load(flags("--region", "mars")); err == nil {
		t.Error("a bad region was accepted")
	}
	t.Setenv("PLINK_LOG_LEVEL", "debug")
	if c, err = Load(flags()); err != nil || c.LogLevel != slog.LevelDebug {
		t.Errorf("PLINK_LOG_LEVEL=debug: %+v, %v", c, err)
	}
	t.Setenv("PLINK_LOG_LEVEL", "loud")
	if _, err = Load(flags()); err == nil {
		t.Error("a bad log level was accepted")
	}
}

// The region falls back to AWS_REGION, then AWS_DEFAULT_REGION, after
// every plink setting (flag, PLINK_REGION, profile, file) and before the
// default.
func TestRegionAWSFallback(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_STATE_HOME", dir)
	for _, k := range []string{"PLINK_ACCOUNT", "PLINK_REGION", "PLINK_PRINCIPAL", "PLINK_DB", "PLINK_PROFILE", "PLINK_CONFIG", "PLINK_OUTPUT", "PLINK_LOG_LEVEL", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	region := func(args ...string) string {
		t.Helper()
		c, err := Load(flags(args...))
		if err != nil {
			t.Fatal(err)
		}
		return c.Region
	}
	if r := region(); r != DefaultRegion {
		t.Errorf("no setting: region %q, want %q", r, DefaultRegion)
	}
	t.Setenv("AWS_DEFAULT_REGION", "eu-central-1")
	if r := region(); r != "eu-central-1" {
		t.Errorf("AWS_DEFAULT_REGION: region %q", r)
	}
	t.Setenv("AWS_REGION", "eu-west-3")
	if r := region(); r != "eu-west-3" {
		t.Errorf("AWS_REGION before AWS_DEFAULT_REGION: region %q", r)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plink"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := "profiles:\n  far:\n    region: ap-south-1\n"
	if err := os.WriteFile(filepath.Join(dir, "plink", "config.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := region("--profile", "far"); r != "ap-south-1" {
		t.Errorf("profile before AWS_REGION: region %q", r)
	}
	t.Setenv("PLINK_REGION", "sa-east-1")
	if r := region("--profile", "far"); r != "sa-east-1" {
		t.Errorf("PLINK_REGION before AWS_REGION: region %q", r)
	}
	if r := region("--region", "us-west-2"); r != "us-west-2" {
		t.Errorf("--region first: region %q", r)
	}
	t.Setenv("PLINK_REGION", "")
	t.Setenv("AWS_REGION", "mars")
	if _, err := Load(flags()); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("a bad AWS_REGION: %v, want an error naming AWS_REGION", err)
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	for _, k := range []string{"PLINK_ACCOUNT", "PLINK_REGION", "PLINK_PRINCIPAL", "PLINK_PROFILE", "PLINK_CONFIG"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plink"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "plink", "config.yaml"), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("credentials:\n  - access-key-id: AKIAMixedCase\n    account: \"222222222222\"\n    principal: arn:aws:iam::222222222222:role/app\n    secret-access-key: s3cret\n")
	c, err := Load(flags())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Credentials["AKIAMixedCase"]; got.Account != "222222222222" || got.Principal != "arn:aws:iam::222222222222:role/app" || got.Secret != "s3cret" {
		t.Errorf("credentials = %+v", c.Credentials)
	}
	for _, bad := range []string{"credentials:\n  - account: \"222222222222\"\n", "credentials:\n  - access-key-id: K\n    account: \"22\"\n"} {
		write(bad)
		if _, err := Load(flags()); err == nil || !strings.Contains(err.Error(), "credentials[0]") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}
