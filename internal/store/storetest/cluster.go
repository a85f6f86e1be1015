package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plink-dev/plink/internal/store"
)

// Durability of a cluster's commits.
type Durability int

const (
	// Fast turns fsync off: for tests, whose cluster is thrown away.
	Fast Durability = iota
	// Durable keeps PostgreSQL's defaults: for benchmarks.
	Durable
)

// Cluster is a throwaway PostgreSQL cluster in a temp dir, reachable only
// through the Unix socket in that dir.
type Cluster struct {
	Dir  string // the data dir is Dir/data, the socket and log are in Dir
	bin  string
	cred *syscall.Credential // whom the server runs as (nil: this user)
	opts []string

	mu       sync.Mutex
	template string // a migrated database new ones are copied from
}

// nobody is the unprivileged user a cluster runs as when the tests run as
// root.
const nobody = 65534

// PGBin is the directory of the PostgreSQL server binaries (initdb,
// pg_ctl): Debian's /usr/lib/postgresql/<version>/bin, or the PATH's.
func PGBin() (string, error) {
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(dirs) > 0 {
		return filepath.Dir(dirs[len(dirs)-1]), nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("initdb not found (apt-get install postgresql)")
	}
	return filepath.Dir(p), nil
}

// StartCluster creates and starts a cluster in a new temp dir.
func StartCluster(d Durability) (*Cluster, error) {
	bin, err := PGBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "plink-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		c.cred = &syscall.Credential{Uid: nobody, Gid: nobody}
		if err := os.Chown(dir, nobody, nobody); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// Only the Unix socket in dir: no port to pick or collide on.
	c.opts = []string{"-c", "listen_addresses=", "-k", dir, "-c", "max_connections=200"}
	if d == Fast {
		c.opts = append(c.opts, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "plink", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// run runs one of the PostgreSQL binaries as the cluster's user.
func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = c.Dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out.Bytes())
	}
	return nil
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (c *Cluster) Start() error {
	opts := ""
	for _, o := range c.opts {
		opts += "'" + o + "' "
	}
	return c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

// Stop stops the server (fast shutdown: sessions are ended).
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop")
}

// Remove stops the server and deletes the cluster.
func (c *Cluster) Remove() error {
	err := c.Stop()
	return errors.Join(err, os.RemoveAll(c.Dir))
}

// URL is the URL of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://plink@/" + db + "?host=" + c.Dir
}

// Exec runs statements on the cluster's postgres database.
func (c *Cluster) Exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// freshDB creates a database copied from a migrated template (so each
// test does not pay for the migrations) and returns its URL.
func (c *Cluster) freshDB() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tmpl, err := c.migratedTemplate(ctx)
	if err != nil {
		return "", err
	}
	name := nextName()
	if err := c.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// EmptyDB creates an empty database (no schema) and returns its URL.
func (c *Cluster) EmptyDB() (string, error) {
	name := nextName()
	if err := c.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

func (c *Cluster) migratedTemplate(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.template != "" {
		return c.template, nil
	}
	const name = "plink_template"
	if err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	st, err := store.Open(ctx, c.URL(name))
	if err != nil {
		return "", err
	}
	if err := st.Close(); err != nil {
		return "", err
	}
	c.template = name
	return name, nil
}

// dropDB drops the database of url, ending its sessions.
func (c *Cluster) dropDB(url string) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return
	}
	c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+cfg.Database+" WITH (FORCE)")
}
