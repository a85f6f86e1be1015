package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/store"
	"github.com/plink-dev/plink/internal/store/storetest"
)

// TestHosts: zone claims, heartbeats and takeovers, on both backends.
func TestHosts(t *testing.T) { storetest.Each(t, testHosts) }

func testHosts(t *testing.T, st *store.Store) {
	ctx := context.Background()
	t0 := time.UnixMilli(1_800_000_000_000)
	a := store.Host{ID: "host-a", Name: "ha", Zones: []string{"us-east-1a"}, HostAddr: "10.200.0.1",
		Addresses: []string{"10.200.0.1:5300"}, Version: "v1", PID: 11, Timeout: 5 * time.Second}
	b := store.Host{ID: "host-b", Name: "hb", Zones: []string{"us-east-1b", "us-east-1c"}, PID: 12, Timeout: 5 * time.Second}
	rev0, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimZones(ctx, a, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimZones(ctx, b, t0); err != nil {
		t.Fatal(err)
	}

	t.Run("a live claim is refused", func(t *testing.T) {
		other := store.Host{ID: "host-x", Name: "hx", Zones: []string{"us-east-1d", "us-east-1b"}, PID: 13, Timeout: time.Second}
		err := st.ClaimZones(ctx, other, t0.Add(4*time.Second))
		var claimed *store.ZoneClaimedError
		if !errors.As(err, &claimed) || claimed.Zone != "us-east-1b" || claimed.Host.ID != "host-b" {
			t.Fatalf("claim of a live zone: %v, want a ZoneClaimedError naming us-east-1b and host-b", err)
		}
		hosts, _ := st.Hosts(ctx)
		if len(hosts) != 2 {
			t.Fatalf("a refused claim changed the hosts: %+v", hosts)
		}
	})

	t.Run("list", func(t *testing.T) {
		hosts, err := st.Hosts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 2 || hosts[0].Name != "ha" || hosts[1].Name != "hb" {
			t.Fatalf("hosts %+v", hosts)
		}
		got := hosts[0]
		if !reflect.DeepEqual(got.Zones, a.Zones) || got.HostAddr != a.HostAddr || !reflect.DeepEqual(got.Addresses, a.Addresses) ||
			got.PID != 11 || got.Version != "v1" || !got.Heartbeat.Equal(t0) || got.Timeout != a.Timeout {
			t.Fatalf("host a read back as %+v", got)
		}
		if !reflect.DeepEqual(hosts[1].Zones, b.Zones) {
			t.Fatalf("host b zones %v", hosts[1].Zones)
		}
	})

	t.Run("heartbeats keep a host live and do not move the revision", func(t *testing.T) {
		held, err := st.Heartbeat(ctx, "host-a", t0.Add(4*time.Second))
		if err != nil || !held {
			t.Fatalf("heartbeat: held %v, %v", held, err)
		}
		hosts, _ := st.Hosts(ctx)
		imp := store.ImpairedZones(hosts, t0.Add(8*time.Second))
		if _, ok := imp["us-east-1a"]; ok {
			t.Errorf("zone a impaired 4 s after its heartbeat: %v", imp)
		}
		if _, ok := imp["us-east-1b"]; !ok {
			t.Errorf("zone b not impaired 8 s after its last heartbeat: %v", imp)
		}
		if rev, _ := st.Revision(ctx); rev != rev0 {
			t.Errorf("revision moved from %d to %d", rev0, rev)
		}
	})

	t.Run("a failed claim is taken over", func(t *testing.T) {
		b2 := store.Host{ID: "host-b2", Name: "hb", Zones: []string{"us-east-1b"}, PID: 22, Timeout: 5 * time.Second}
		if err := st.ClaimZones(ctx, b2, t0.Add(6*time.Second)); err != nil {
			t.Fatalf("taking over a failed claim: %v", err)
		}
		if held, err := st.Heartbeat(ctx, "host-b", t0.Add(7*time.Second)); err != nil || !held {
			t.Fatalf("the old host still claims zone c: held %v, %v", held, err)
		}
		hosts, _ := st.Hosts(ctx)
		owners := store.ZoneOwners(hosts)
		if owners["us-east-1b"].ID != "host-b2" || owners["us-east-1c"].ID != "host-b" {
			t.Fatalf("owners after the takeover: %+v", owners)
		}
	})

	t.Run("a host that lost every zone must claim again", func(t *testing.T) {
		c := store.Host{ID: "host-c", Name: "hc", Zones: []string{"us-east-1c"}, PID: 23, Timeout: 5 * time.Second}
		if err := st.ClaimZones(ctx, c, t0.Add(20*time.Second)); err != nil {
			t.Fatal(err)
		}
		if held, err := st.Heartbeat(ctx, "host-b", t0.Add(21*time.Second)); err != nil || held {
			t.Fatalf("heartbeat of a host whose zones were taken over: held %v, %v", held, err)
		}
	})

	t.Run("a stopped host's zones are impaired", func(t *testing.T) {
		if err := st.StopHost(ctx, "host-c"); err != nil {
			t.Fatal(err)
		}
		hosts, _ := st.Hosts(ctx)
		now := t0.Add(21 * time.Second)
		if h := store.ImpairedZones(hosts, now)["us-east-1c"]; h.ID != "host-c" || h.State(now) != store.HostStopped {
			t.Fatalf("zone c after a clean stop: %+v", h)
		}
	})

	t.Run("a serve of every zone releases the hosts that are not live", func(t *testing.T) {
		now := t0.Add(time.Minute)
		released, err := st.ReleaseHosts(ctx, now)
		if err != nil || len(released) == 0 {
			t.Fatalf("release: %v, %+v", err, released)
		}
		if hosts, _ := st.Hosts(ctx); len(hosts) != 0 {
			t.Fatalf("hosts left: %+v", hosts)
		}
		live := store.Host{ID: "host-l", Name: "hl", Zones: []string{"us-east-1a"}, PID: 30, Timeout: 5 * time.Second}
		if err := st.ClaimZones(ctx, live, now); err != nil {
			t.Fatal(err)
		}
		var claimed *store.ZoneClaimedError
		if _, err := st.ReleaseHosts(ctx, now.Add(time.Second)); !errors.As(err, &claimed) {
			t.Fatalf("release with a live host: %v, want a ZoneClaimedError", err)
		}
	})
}
