package netstack

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeIP writes an ip(8) stand-in that appends, for every run, the state
// file as it is at that moment and then the batch it was given.
func fakeIP(t *testing.T, state string) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "ip"), filepath.Join(dir, "log")
	script := "#!/bin/sh\n" +
		"echo '--- state:' >> " + log + "\n" +
		"cat " + state + " >> " + log + " 2>/dev/null\n" +
		"echo '--- batch:' >> " + log + "\n" +
		"cat >> " + log + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

// TestLocalAddrsRecordsBeforeAdding checks that an address is in the state
// file before ip(8) is asked to add it, so a serve killed at any moment
// leaves a record of what it may have put on lo.
func TestLocalAddrsRecordsBeforeAdding(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plink.db.serve.addrs")
	bin, log := fakeIP(t, state)
	l := NewLocalAddrs(nil)
	l.IP, l.StateFile = bin, state
	// Not local here, and the fake ip does not make it local: AddAll fails.
	a := netip.MustParseAddr("fd00:dead:beef::1")
	if IsLocal(a) {
		t.Skipf("%s is local on this host", a)
	}
	if err := l.AddAll([]netip.Addr{a}); err == nil {
		t.Fatal("AddAll succeeded with a fake ip")
	}
	b, _ := os.ReadFile(log)
	got := string(b)
	stateAt, batch, _ := strings.Cut(got, "--- batch:")
	if !strings.Contains(stateAt, a.String()) {
		t.Errorf("the state file did not list %s when ip ran:\n%s", a, got)
	}
	if !strings.Contains(batch, "addr add "+a.String()+"/128 dev lo") {
		t.Errorf("ip was not asked to add %s:\n%s", a, got)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state file still lists an address that was not added: %v", err)
	}
}

// TestLocalAddrsRemoveStale checks that RemoveStale deletes the recorded
// addresses that are still local, and only those.
func TestLocalAddrsRemoveStale(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plink.db.serve.addrs")
	bin, log := fakeIP(t, state)
	stale := netip.MustParseAddr("fd00:dead:beef::9") // still on lo
	gone := netip.MustParseAddr("fd00:dead:beef::2")  // no longer local
	loop := netip.MustParseAddr("127.0.0.9")          // never recorded by AddAll
	os.WriteFile(state, []byte("# comment\n"+stale.String()+"\n"+gone.String()+"\n"+loop.String()+"\nnot an address\n"), 0o600)
	l := NewLocalAddrs(nil)
	l.IP, l.StateFile = bin, state
	l.isLocal = func(a netip.Addr) bool { return a == stale || a.IsLoopback() }
	l.RemoveStale() // the fake ip removes nothing: an error is expected
	b, _ := os.ReadFile(log)
	got := string(b)
	if !strings.Contains(got, "addr del "+stale.String()+"/128 dev lo") {
		t.Errorf("the stale address was not removed:\n%s", got)
	}
	for _, a := range []netip.Addr{gone, loop} {
		if strings.Contains(got, "addr del "+a.String()) {
			t.Errorf("%s was removed:\n%s", a, got)
		}
	}
	if b, _ := os.ReadFile(state); strings.Contains(string(b), gone.String()) || !strings.Contains(string(b), stale.String()) {
		t.Errorf("state file after RemoveStale: %q, want only what is still on lo", b)
	}
}

// TestLocalAddrsStateFileOfAnother checks that a state file others may
// write is not obeyed: root would remove what it lists.
func TestLocalAddrsStateFileOfAnother(t *testing.T) {
	state := filepath.Join(t.TempDir(), "plink.db.serve.addrs")
	bin, log := fakeIP(t, state)
	os.WriteFile(state, []byte("fd00:dead:beef::9\n"), 0o600)
	os.Chmod(state, 0o666)
	l := NewLocalAddrs(nil)
	l.IP, l.StateFile = bin, state
	l.isLocal = func(netip.Addr) bool { return true }
	if err := l.RemoveStale(); err == nil {
		t.Error("RemoveStale obeyed a world-writable state file")
	}
	if b, _ := os.ReadFile(log); len(b) > 0 {
		t.Errorf("ip ran:\n%s", b)
	}
}
