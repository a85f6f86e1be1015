package control_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

func TestCPNotifications(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(true)
	file := filepath.Join(t.TempDir(), "events.jsonl")

	var mu sync.Mutex
	var posts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()

	all := []string{"Connect", "Accept", "Reject", "Delete"}
	for _, target := range []string{"file://" + file, srv.URL + "/hook", "arn:aws:sns:us-east-1:111111111111:endpoint-events"} {
		cpMust(e.provider.CreateVpcEndpointConnectionNotification(e.ctx, &control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: target, ConnectionEvents: all}))(t)
	}
	list := cpMust(e.provider.DescribeVpcEndpointConnectionNotifications(e.ctx, &control.DescribeVpcEndpointConnectionNotificationsInput{}))(t)
	if len(list.ConnectionNotificationSet) != 3 || list.ConnectionNotificationSet[0].ConnectionNotificationState != "Enabled" {
		t.Fatalf("notifications %s", cpJSON(t, list))
	}

	// Connect, Accept, Reject, Delete.
	ep := e.endpoint(svc, "a")
	cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	cpMust(e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	cpMust(e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}}))(t)

	wantEvents := []string{"Connect", "Accept", "Reject", "Delete"}
	wantStates := []string{"pendingAcceptance", "available", "rejected", "deleted"}
	check := func(t *testing.T, lines []string) {
		t.Helper()
		if len(lines) != 4 {
			t.Fatalf("got %d messages, want 4: %q", len(lines), lines)
		}
		for i, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if m["Event"] != wantEvents[i] || m["VpcEndpointState"] != wantStates[i] || m["VpcEndpointId"] != ep.VpcEndpointID || m["ServiceId"] != svc.ServiceID {
				t.Errorf("message %d = %s", i, l)
			}
		}
	}
	t.Run("file", func(t *testing.T) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		check(t, strings.Split(strings.TrimSpace(string(b)), "\n"))
	})
	t.Run("http", func(t *testing.T) {
		mu.Lock()
		defer mu.Unlock()
		var bodies []string
		for _, p := range posts {
			if !strings.HasPrefix(p, "POST application/json ") {
				t.Errorf("request %q", p)
			}
			bodies = append(bodies, strings.TrimPrefix(p, "POST application/json "))
		}
		check(t, bodies)
	})
	t.Run("sns recorded as events", func(t *testing.T) {
		evs := cpMust(e.provider.Events(e.ctx, 0, 1000))(t)
		var published, conn []string
		for _, ev := range evs {
			switch {
			case ev.Type == "Notification.Published" && ev.ResourceID == "arn:aws:sns:us-east-1:111111111111:endpoint-events":
				published = append(published, ev.State)
			case strings.HasPrefix(ev.Type, "VpcEndpointConnection."):
				conn = append(conn, strings.TrimPrefix(ev.Type, "VpcEndpointConnection."))
			}
		}
		if strings.Join(published, ",") != strings.Join(wantStates, ",") {
			t.Errorf("SNS events %v (all %s)", published, cpJSON(t, evs))
		}
		if len(conn) == 0 {
			t.Errorf("no connection events for the provider: %s", cpJSON(t, evs))
		}
		// The consumer sees the events of its own calls.
		cev := cpMust(e.consumer.Events(e.ctx, 0, 1000))(t)
		if len(cev) == 0 {
			t.Errorf("consumer sees no events")
		}
	})
	t.Run("consumer endpoint notification", func(t *testing.T) {
		ep2 := e.endpoint(svc, "b")
		f2 := filepath.Join(t.TempDir(), "consumer.jsonl")
		cpMust(e.consumer.CreateVpcEndpointConnectionNotification(e.ctx, &control.CreateVpcEndpointConnectionNotificationInput{VpcEndpointID: ep2.VpcEndpointID, ConnectionNotificationArn: "file://" + f2, ConnectionEvents: []string{"Accept"}}))(t)
		cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep2.VpcEndpointID}}}))(t)
		b, err := os.ReadFile(f2)
		if err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"Event":"Accept"`) {
			t.Fatalf("consumer notification file %q, %v", b, err)
		}
	})
	for _, tc := range []struct {
		name string
		api  *control.API
		in   control.CreateVpcEndpointConnectionNotificationInput
		code string
	}{
		{"both service and endpoint", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, VpcEndpointID: "vpce-0123456789abcdef0", ConnectionNotificationArn: "file:///tmp/x", ConnectionEvents: all}, "InvalidParameterCombination"},
		{"neither", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ConnectionNotificationArn: "file:///tmp/x", ConnectionEvents: all}, "InvalidParameterCombination"},
		{"no target", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionEvents: all}, "MissingParameter"},
		{"relative file", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "file://rel/x", ConnectionEvents: all}, "InvalidParameterValue"},
		{"bad sns arn", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "arn:aws:sns:us-east-1:123:t", ConnectionEvents: all}, "InvalidParameterValue"},
		{"ftp", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "ftp://127.0.0.1/x", ConnectionEvents: all}, "InvalidParameterValue"},
		{"http without host", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "http://", ConnectionEvents: all}, "InvalidParameterValue"},
		{"no events", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "file:///tmp/x"}, "MissingParameter"},
		{"bad event", e.provider, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "file:///tmp/x", ConnectionEvents: []string{"Explode"}}, "InvalidParameterValue"},
		{"another account's service", e.consumer, control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID, ConnectionNotificationArn: "file:///tmp/x", ConnectionEvents: all}, "InvalidVpcEndpointServiceId.NotFound"},
		{"unknown endpoint", e.consumer, control.CreateVpcEndpointConnectionNotificationInput{VpcEndpointID: "vpce-0123456789abcdef0", ConnectionNotificationArn: "file:///tmp/x", ConnectionEvents: all}, "InvalidVpcEndpointId.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cpRefused(t, tc.code, func() error { _, err := tc.api.CreateVpcEndpointConnectionNotification(e.ctx, &tc.in); return err })
		})
	}
	t.Run("modify and delete", func(t *testing.T) {
		id := list.ConnectionNotificationSet[0].ConnectionNotificationID
		e.cpRefused(t, "InvalidParameterValue", func() error {
			_, err := e.provider.ModifyVpcEndpointConnectionNotification(e.ctx, &control.ModifyVpcEndpointConnectionNotificationInput{ConnectionNotificationID: id, ConnectionEvents: []string{"Nope"}})
			return err
		})
		e.cpRefused(t, "InvalidConnectionNotification", func() error {
			_, err := e.consumer.ModifyVpcEndpointConnectionNotification(e.ctx, &control.ModifyVpcEndpointConnectionNotificationInput{ConnectionNotificationID: id, ConnectionEvents: []string{"Accept"}})
			return err
		})
		cpMust(e.provider.ModifyVpcEndpointConnectionNotification(e.ctx, &control.ModifyVpcEndpointConnectionNotificationInput{ConnectionNotificationID: id, ConnectionEvents: []string{"Accept"}}))(t)
		r := cpMust(e.provider.DeleteVpcEndpointConnectionNotifications(e.ctx, &control.DeleteVpcEndpointConnectionNotificationsInput{ConnectionNotificationIDs: []string{id, "vpce-nfn-0123456789abcdef0"}}))(t)
		cpUnsuccessful(t, r.Unsuccessful, map[string]string{"vpce-nfn-0123456789abcdef0": "InvalidConnectionNotification"})
		left := cpMust(e.provider.DescribeVpcEndpointConnectionNotifications(e.ctx, &control.DescribeVpcEndpointConnectionNotificationsInput{}))(t)
		if len(left.ConnectionNotificationSet) != 2 {
			t.Fatalf("after delete %s", cpJSON(t, left))
		}
	})
}

// TestCPRefusedFirstCall documents that a refused call of a brand-new
// account still creates that account's default VPC (first use), so the
// store moves. DESIGN says a refused command changes nothing.
func TestCPRefusedFirstCall(t *testing.T) {
	e := cpNewEnv(t)
	fresh := e.api("444444444444")
	rev0 := cpMust(e.st.Revision(e.ctx))(t)
	_, err := fresh.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "not-a-cidr"})
	cpCode(t, err, "InvalidParameterValue")
	_, err = fresh.CreateVpcEndpoint(e.ctx, &control.CreateVpcEndpointInput{VpcID: "vpc-0123456789abcdef0", ServiceName: "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", SubnetIDs: []string{"subnet-0123456789abcdef0"}})
	cpCode(t, err, "InvalidVpcID.NotFound")
	if rev1 := cpMust(e.st.Revision(e.ctx))(t); rev1 != rev0 {
		t.Errorf("a refused first call of a new account changed the store (revision %d -> %d)", rev0, rev1)
	}
}
