// Package fdtest runs a process out of file descriptors, for the tests of
// what plink does then (accept loops, health checks, DNS): it lowers
// RLIMIT_NOFILE to a little above what is open and fills the rest.
package fdtest

import (
	"os"
	"strconv"
	"syscall"
	"testing"
)

// Filler holds the descriptors that fill this process's table.
type Filler struct {
	t       *testing.T
	orig    syscall.Rlimit
	fillers []int
	done    bool
}

// Exhaust lowers RLIMIT_NOFILE to a little above the descriptors in
// use and opens /dev/null until the table is full (for the whole
// process: a test that calls it must not use t.Parallel). Release (also run at
// cleanup) closes them and restores the limit.
func Exhaust(t *testing.T) *Filler {
	t.Helper()
	x := &Filler{t: t}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &x.orig); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	highest := 0
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, n)
		}
	}
	lim := x.orig
	lim.Cur = uint64(highest + 32)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Release)
	x.Refill()
	return x
}

// Refill takes every descriptor that got free (a socket of the test's
// own backend or health checks closing).
func (x *Filler) Refill() {
	for range 1 << 16 {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EMFILE {
			return
		}
		if err != nil {
			x.Release()
			x.t.Fatal(err)
		}
		x.fillers = append(x.fillers, fd)
	}
	x.Release()
	x.t.Fatal("the descriptor table did not fill")
}

// Release closes the fillers and restores the limit.
func (x *Filler) Release() {
	if x.done {
		return
	}
	x.done = true
	for _, fd := range x.fillers {
		syscall.Close(fd)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &x.orig); err != nil {
		x.t.Errorf("restoring RLIMIT_NOFILE: %v", err)
	}
}
