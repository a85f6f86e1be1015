// Package config turns flags, PLINK_* environment variables and the config
// file (with AWS-CLI-like named profiles) into one typed Config. It owns the
// only viper instance in plink; no other package imports viper.
//
// Precedence, highest first: flag, environment, the selected profile's
// entry, the file's top-level entry, the built-in default. The region alone
// falls back, after every plink setting and before the default, to the AWS
// CLI's AWS_REGION and then AWS_DEFAULT_REGION, so that a script written for
// the AWS CLI runs in the region it names. Other AWS_* variables are not
// read: plink's profiles are its own (AWS_PROFILE names a profile of
// ~/.aws/config, which plink does not read), and AWS_ENDPOINT_URL would point
// a command at a server plink does not have yet.
//
//	# $XDG_CONFIG_HOME/plink/config.yaml
//	region: us-east-1
//	profiles:
//	  provider:
//	    account: "111111111111"
//	  consumer:
//	    account: "222222222222"
//	    principal: arn:aws:iam::222222222222:role/app
//
// Load checks the syntax of the account and the region; whether the
// principal is an IAM ARN of that account is checked by control.New, the
// one place every entry point (the CLI's commands, demo) goes through.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/plink-dev/plink/internal/names"
)

// Config is the caller's identity and where plink keeps its state.
type Config struct {
	Account   string // 12 digits
	Principal string // ARN; arn:aws:iam::<account>:root unless set
	Region    string
	DB        string // path of the SQLite store
	Profile   string
	Output    string // json | yaml | table | wide | text
	Query     string // JMESPath
	Resolver  string // host:port used for private DNS name verification; "" = the system's
	File      string // the config file that was read, if any
	// LogLevel is the level of the log lines commands write to standard
	// error (log-level: debug, info, warn or error; env PLINK_LOG_LEVEL);
	// warn unless set. `plink serve` has its own --log-level.
	LogLevel slog.Level
	// Credentials are the access keys the API server (plink api, plink
	// serve --api-addr) knows, by access key ID: a list in the file, so
	// that the keys keep their case:
	//
	//	credentials:
	//	  - access-key-id: AKIAPROVIDER
	//	    account: "111111111111"
	//	    principal: arn:aws:iam::111111111111:role/ops   # optional
	//	    secret-access-key: s3cret                       # optional: verify signatures
	Credentials map[string]Credential
}

// Credential is what an access key ID stands for at the API server.
type Credential struct {
	Account   string `mapstructure:"account"`
	Principal string `mapstructure:"principal"`
	Secret    string `mapstructure:"secret-access-key"`
	KeyID     string `mapstructure:"access-key-id"`
}

// Keys are the settings that flags, environment and file can all set.
var keys = []string{"account", "principal", "region", "db", "output", "query", "resolver", "log-level"}

// Load reads the settings. flags holds the root command's persistent flags
// (those named in keys, plus "profile" and "config").
func Load(flags *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix("PLINK")
	v.AutomaticEnv()
	v.SetDefault("account", "000000000000")
	v.SetDefault("output", "json")
	v.SetDefault("log-level", "warn")

	file := flagOr(flags, "config", os.Getenv("PLINK_CONFIG"))
	if file == "" {
		file = filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "plink", "config.yaml")
	}
	read := ""
	if _, err := os.Stat(file); err == nil {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("reading config file %q: %w", file, err)
		}
		read = file
	}

	profile := flagOr(flags, "profile", os.Getenv("PLINK_PROFILE"))
	if profile != "" && profile != "default" {
		if read == "" || !v.IsSet("profiles."+profile) {
			q := strconv.Quote(profile) // escapes control characters
			return nil, fmt.Errorf("the config profile (%s) could not be found", q[1:len(q)-1])
		}
	}
	get := func(key string) string {
		if flags != nil {
			if f := flags.Lookup(key); f != nil && f.Changed {
				return f.Value.String()
			}
		}
		if env, ok := os.LookupEnv(envName(key)); ok && env != "" {
			return env
		}
		if profile != "" && v.IsSet("profiles."+profile+"."+key) {
			return v.GetString("profiles." + profile + "." + key)
		}
		return v.GetString(key)
	}
	c := &Config{Profile: profile, File: read}
	regionFrom := ""
	for _, k := range keys {
		val := get(k)
		switch k {
		case "account":
			c.Account = val
		case "principal":
			c.Principal = val
		case "region":
			c.Region, regionFrom = regionFallback(val)
		case "db":
			c.DB = val
		case "output":
			c.Output = val
		case "query":
			c.Query = val
		case "resolver":
			c.Resolver = val
		case "log-level":
			if err := c.LogLevel.UnmarshalText([]byte(val)); err != nil {
				return nil, fmt.Errorf("invalid log level %q: expected debug, info, warn or error", val)
			}
		}
	}
	if !names.ValidAccount(c.Account) {
		return nil, fmt.Errorf("invalid account %q: an account ID is 12 digits", c.Account)
	}
	if !names.ValidRegion(c.Region) {
		return nil, fmt.Errorf("invalid region %q%s: expected a name such as us-east-1", c.Region, regionFrom)
	}
	if c.Principal == "" {
		c.Principal = "arn:aws:iam::" + c.Account + ":root"
	}
	if v.IsSet("credentials") {
		var creds []Credential
		if err := v.UnmarshalKey("credentials", &creds); err != nil {
			return nil, fmt.Errorf("config credentials: %w", err)
		}
		c.Credentials = map[string]Credential{}
		for i, cr := range creds {
			if cr.KeyID == "" {
				return nil, fmt.Errorf("config credentials[%d]: access-key-id is required", i)
			}
			if !names.ValidAccount(cr.Account) {
				return nil, fmt.Errorf("config credentials[%d] (%s): invalid account %q: an account ID is 12 digits", i, cr.KeyID, cr.Account)
			}
			c.Credentials[cr.KeyID] = cr
		}
	}
	if c.DB == "" {
		c.DB = DefaultDBPath()
	}
	return c, nil
}

// DefaultRegion is the region when nothing sets one.
const DefaultRegion = "us-east-1"

// regionFallback is the region plink's settings give (val), else AWS_REGION,
// else AWS_DEFAULT_REGION, else DefaultRegion; from names an AWS variable
// the region came from (" (from AWS_REGION)"), for error messages.
func regionFallback(val string) (region, from string) {
	if val != "" {
		return val, ""
	}
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(env); r != "" {
			return r, " (from " + env + ")"
		}
	}
	return DefaultRegion, ""
}

// DefaultDBPath is $XDG_STATE_HOME/plink/plink.db.
func DefaultDBPath() string {
	return filepath.Join(xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")), "plink", "plink.db")
}

func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, fallback)
}

func flagOr(flags *pflag.FlagSet, name, fallback string) string {
	if flags != nil {
		if f := flags.Lookup(name); f != nil && f.Changed {
			return f.Value.String()
		}
	}
	return fallback
}

// envName is the environment variable of a key: log-level -> PLINK_LOG_LEVEL.
func envName(key string) string {
	return "PLINK_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// Profiles lists the names of the profiles in the config file that flags
// (--config) or PLINK_CONFIG name, or the default file, sorted; none when
// there is no file. Shell completion offers them for --profile.
func Profiles(flags *pflag.FlagSet) ([]string, error) {
	file := flagOr(flags, "config", os.Getenv("PLINK_CONFIG"))
	if file == "" {
		file = filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "plink", "config.yaml")
	}
	if _, err := os.Stat(file); err != nil {
		return nil, nil
	}
	v := viper.New()
	v.SetConfigFile(file)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("reading config file %q: %w", file, err)
	}
	var out []string
	for name := range v.GetStringMap("profiles") {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}
