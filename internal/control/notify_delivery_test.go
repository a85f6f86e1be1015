package control_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// syncBuffer is a log sink tests read while the code writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// notifyEnv is a cpEnv whose provider and consumer deliver with policy
// and log to one buffer.
type notifyEnv struct {
	*cpEnv
	log    *syncBuffer
	policy control.DeliveryPolicy
	outbox *control.Outbox // what `plink serve` runs
}

// newAPI is control.New for account's root.
func newAPI(st *store.Store, account string, opts ...control.Option) *control.API {
	a, err := control.New(st, control.Caller{Account: account, Principal: "arn:aws:iam::" + account + ":root", Region: cpRegion}, opts...)
	if err != nil {
		panic(err) // account and region are this file's constants
	}
	return a
}

func newNotifyEnv(t *testing.T, p control.DeliveryPolicy) *notifyEnv {
	e := &notifyEnv{cpEnv: cpNewEnv(t), log: &syncBuffer{}, policy: p}
	logger := slog.New(slog.NewTextHandler(e.log, nil))
	mk := func(account string) *control.API {
		return newAPI(e.st, account, control.WithTXTLookup(e.txt.lookup), control.WithLogger(logger), control.WithDeliveryPolicy(p))
	}
	e.provider, e.consumer = mk(cpProvider), mk(cpConsumer)
	e.outbox = control.NewOutbox(e.st, logger, p)
	return e
}

// watch creates a provider notification on svc for every event.
func (e *notifyEnv) watch(t *testing.T, serviceID, target string) string {
	t.Helper()
	out := cpMust(e.provider.CreateVpcEndpointConnectionNotification(e.ctx, &control.CreateVpcEndpointConnectionNotificationInput{ServiceID: serviceID,
		ConnectionNotificationArn: target, ConnectionEvents: []string{"Connect", "Accept", "Reject", "Delete"}}))(t)
	return out.ConnectionNotification.ConnectionNotificationID
}

// events returns the provider's events of type typ.
func (e *notifyEnv) events(t *testing.T, typ string) []control.EventRecord {
	t.Helper()
	var out []control.EventRecord
	for _, ev := range cpMust(e.provider.Events(e.ctx, 0, 0))(t) {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func (e *notifyEnv) pending(t *testing.T) []store.Delivery {
	t.Helper()
	var ds []store.Delivery
	cpNoErr(t, e.st.Read(e.ctx, func(tx *store.Tx) error {
		var err error
		ds, err = tx.Deliveries()
		return err
	}))
	return ds
}

// detail decodes an event's Detail.
func detail(t *testing.T, ev control.EventRecord) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Detail), &m); err != nil {
		t.Fatalf("detail %q: %v", ev.Detail, err)
	}
	return m
}

// hangingHook is an HTTP server whose handler never answers until the
// client gives up (or the test ends).
func hangingHook(t *testing.T) (url string, requests func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return "http://" + ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// recordingHook is an HTTP server that records the bodies it receives.
type recordingHook struct {
	mu     sync.Mutex
	bodies []string
}

func (h *recordingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
}

func (h *recordingHook) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		var m struct{ Event string }
		json.Unmarshal([]byte(b), &m)
		out = append(out, m.Event)
	}
	return out
}

// TestNotifyHangingHooksDoNotStallTheCommand: ten hooks that never answer
// cost the command that changed the endpoint one delivery budget in all,
// not a timeout per hook; each failure is recorded as an event and
// logged, and the deliveries stay in the outbox for retries.
func TestNotifyHangingHooksDoNotStallTheCommand(t *testing.T) {
	const budget = time.Second
	e := newNotifyEnv(t, control.DeliveryPolicy{Budget: budget})
	svc := e.readyService(true)
	url, requests := hangingHook(t)
	for i := 0; i < 10; i++ {
		e.watch(t, svc.ServiceID, url+"/hook"+string(rune('a'+i)))
	}

	start := time.Now()
	ep := e.endpoint(svc, "a")
	took := time.Since(start)
	// Generous: the bound is one budget; ten serial timeouts would be 10x.
	if took > 3*budget {
		t.Errorf("create-endpoint took %v with 10 hanging hooks; the delivery budget is %v in all", took, budget)
	}
	if n := requests(); n != 10 {
		t.Errorf("hooks got %d requests, want 10 (all tried at once)", n)
	}
	retrying := e.events(t, "Notification.Retrying")
	if len(retrying) != 10 {
		t.Fatalf("%d Notification.Retrying events, want 10: %s", len(retrying), cpJSON(t, retrying))
	}
	d := detail(t, retrying[0])
	if d["Event"] != "Connect" || d["VpcEndpointId"] != ep.VpcEndpointID || !strings.Contains(d["Reason"].(string), "no answer") ||
		d["NextAttempt"] == nil || retrying[0].NotificationID == "" {
		t.Errorf("Retrying event %s", cpJSON(t, retrying[0]))
	}
	if ds := e.pending(t); len(ds) != 10 || ds[0].Attempts != 1 || ds[0].Claim != "" {
		t.Errorf("outbox after the command: %+v", ds)
	}
	if n := strings.Count(e.log.String(), "connection notification not delivered; will retry"); n != 10 {
		t.Errorf("%d WARN lines, want 10:\n%s", n, e.log.String())
	}
	// The consumer does not see the provider's hooks.
	for _, ev := range cpMust(e.consumer.Events(e.ctx, 0, 0))(t) {
		if strings.HasPrefix(ev.Type, "Notification.") {
			t.Errorf("consumer sees %s", cpJSON(t, ev))
		}
	}
}

// TestNotifyFileTargetsCheckedAtCreation: file targets that can never take
// a line are refused when the notification is created or modified, with
// the store unchanged.
func TestNotifyFileTargetsCheckedAtCreation(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	regular := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	symlink := func(name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	toFull := symlink("to-full", "/dev/full")
	dangling := symlink("dangling", filepath.Join(dir, "missing", "x"))
	toProc := symlink("proc", "/proc/self")
	toRegular := symlink("to-regular", regular)

	for _, tc := range []struct{ name, path, why string }{
		{"directory", dir, "is a directory"},
		{"trailing slash", dir + "/", "is a directory"},
		{"dev full", "/dev/full", "kernel file system"},
		{"dev null", "/dev/null", "kernel file system"},
		{"proc", "/proc/self/status", "kernel file system"},
		{"proc sys", "/proc/sys/vm/drop_caches", "kernel file system"},
		{"sys", "/sys/kernel/notes", "kernel file system"},
		{"new file in /proc", "/proc/plink.jsonl", "kernel file system"},
		{"missing directory", filepath.Join(dir, "no", "such", "x.jsonl"), "does not exist"},
		{"parent is a file", filepath.Join(regular, "x.jsonl"), "not a directory"},
		{"fifo", fifo, "not a regular file"},
		{"symlink to a device", toFull, "kernel file system"},
		{"dangling symlink", dangling, "symbolic link to nothing"},
		{"through a symlink into /proc", filepath.Join(toProc, "status"), "kernel file system"},
		// The kernel takes "proc/.." as /proc/self's parent, /proc; a
		// lexical Clean would take it as dir (not filepath.Join: it cleans).
		{"dot-dot after a symlink into /proc", toProc + "/../plink.jsonl", "kernel file system"},
		{"dot-dot name", dir + "/..", "is a directory"},
		{"relative", "rel/x.jsonl", "absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "file://" + tc.path
			e.cpRefused(t, "InvalidParameterValue", func() error {
				_, err := e.provider.CreateVpcEndpointConnectionNotification(e.ctx, &control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID,
					ConnectionNotificationArn: target, ConnectionEvents: []string{"Connect"}})
				if err != nil && !strings.Contains(err.Error(), tc.why) {
					t.Errorf("error %q does not say %q", err, tc.why)
				}
				return err
			})
		})
	}
	// Usable targets: a new file in a directory that exists, a regular
	// file, a symbolic link to one.
	var ids []string
	for _, p := range []string{filepath.Join(dir, "new.jsonl"), regular, toRegular, filepath.Join(dir, "with space.jsonl")} {
		ids = append(ids, e.watch(t, svc.ServiceID, "file://"+p))
	}
	// Modify checks the new target the same way.
	e.cpRefused(t, "InvalidParameterValue", func() error {
		_, err := e.provider.ModifyVpcEndpointConnectionNotification(e.ctx, &control.ModifyVpcEndpointConnectionNotificationInput{ConnectionNotificationID: ids[0],
			ConnectionNotificationArn: "file:///dev/full"})
		return err
	})
	if _, err := os.Stat(filepath.Join(dir, "new.jsonl")); !os.IsNotExist(err) {
		t.Errorf("creating the notification created its file: %v", err)
	}
}

// TestNotifyTargetsCheckedAtCreation covers the other kinds of target.
func TestNotifyTargetsCheckedAtCreation(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	for _, target := range []string{
		"http://", "http://:8080/x", "https://127.0.0.1:0/x", "http://127.0.0.1:99999/x", "http://127.0.0.1:x/",
		"http://127.0.0.1/a b", "http://127.0.0.1/\x1b[2J", "ftp://127.0.0.1/x", "mailto:a@b", "127.0.0.1:80",
		"arn:aws:sns:us-east-1:123:t", "arn:aws:sns:us-east-1:111111111111:", "arn:aws:sqs:us-east-1:111111111111:q",
		"arn:aws:sns:us-east-1:111111111111:" + strings.Repeat("t", 257), "arn:aws:sns:us-east-1:111111111111:a.b",
	} {
		t.Run(target, func(t *testing.T) {
			e.cpRefused(t, "InvalidParameterValue", func() error {
				_, err := e.provider.CreateVpcEndpointConnectionNotification(e.ctx, &control.CreateVpcEndpointConnectionNotificationInput{ServiceID: svc.ServiceID,
					ConnectionNotificationArn: target, ConnectionEvents: []string{"Connect"}})
				return err
			})
		})
	}
	for _, target := range []string{"http://127.0.0.1:8080/hook", "https://hooks.example.com/x?y=1", "http://[::1]:80/",
		"arn:aws:sns:us-east-1:111111111111:t", "arn:aws:sns:eu-west-2:111111111111:a-b_c.fifo", "arn:aws-cn:sns:cn-north-1:111111111111:t"} {
		e.watch(t, svc.ServiceID, target)
	}
}

// TestNotifyTargetBecomesUnwritable: a file target that was fine at
// creation and is a directory when the event comes is given up at once
// with a Notification.Failed event and a WARN line.
func TestNotifyTargetBecomesUnwritable(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	id := e.watch(t, svc.ServiceID, "file://"+path)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	ep := e.endpoint(svc, "a")
	failed := e.events(t, "Notification.Failed")
	if len(failed) != 1 {
		t.Fatalf("%d Notification.Failed events, want 1: %s", len(failed), cpJSON(t, cpMust(e.provider.Events(e.ctx, 0, 0))(t)))
	}
	d := detail(t, failed[0])
	if failed[0].NotificationID != id || failed[0].ResourceID != "file://"+path || d["VpcEndpointId"] != ep.VpcEndpointID ||
		!strings.Contains(d["Reason"].(string), "is a directory") {
		t.Errorf("Failed event %s", cpJSON(t, failed[0]))
	}
	if ds := e.pending(t); len(ds) != 0 {
		t.Errorf("a delivery that cannot work stays in the outbox: %+v", ds)
	}
	if !strings.Contains(e.log.String(), "level=WARN msg=\"connection notification given up: the target cannot work\"") {
		t.Errorf("no WARN line:\n%s", e.log.String())
	}
	// A file put back is written again.
	os.Remove(path)
	cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `"Event":"Accept"`) {
		t.Errorf("file after accept: %q %v", b, err)
	}
}

// TestNotifyRetriedUntilDeliveredOnce: a hook that is down when the
// endpoint changes gets the message once it is up, from the retrier
// (`plink serve`'s outbox), exactly once, in order, even with two
// retriers racing.
func TestNotifyRetriedUntilDeliveredOnce(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{Backoff: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	svc := e.readyService(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connections are refused
	e.watch(t, svc.ServiceID, "http://"+addr+"/hook")

	ep := e.endpoint(svc, "a")
	cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	if ds := e.pending(t); len(ds) != 2 {
		t.Fatalf("outbox %+v, want Connect and Accept pending", ds)
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the hook cannot come back on %s: %v", addr, err)
	}
	hook := &recordingHook{}
	srv := &http.Server{Handler: hook}
	go srv.Serve(ln)
	defer srv.Close()

	second := control.NewOutbox(e.st, nil, e.policy)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.pending(t)) > 0 && time.Now().Before(deadline) {
		var wg sync.WaitGroup
		for _, o := range []*control.Outbox{e.outbox, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := o.DeliverDue(e.ctx); err != nil {
					t.Errorf("DeliverDue: %v", err)
				}
			}()
		}
		wg.Wait()
		time.Sleep(10 * time.Millisecond) // the backoff is 20 ms
	}
	if ds := e.pending(t); len(ds) != 0 {
		t.Fatalf("still pending: %+v", ds)
	}
	if got := strings.Join(hook.events(), ","); got != "Connect,Accept" {
		t.Errorf("hook got %q, want Connect,Accept once each, in order", got)
	}
	// Nothing left to do: another round delivers nothing.
	if _, err := e.outbox.DeliverDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(hook.events()); n != 2 {
		t.Errorf("hook got %d messages after another round", n)
	}
}

// TestNotifyGivenUpAfterMaxAttempts: a hook that stays down is given up
// after MaxAttempts with a Notification.Failed event.
func TestNotifyGivenUpAfterMaxAttempts(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: 3})
	svc := e.readyService(true)
	hook := &recordingHook{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hook.ServeHTTP(w, r)
		if r.URL.Path == "/moved" {
			// A redirect would turn the POST into a GET without the message.
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	e.watch(t, svc.ServiceID, "http://"+ln.Addr().String()+"/hook")
	e.endpoint(svc, "a")
	for i := 0; i < 100 && len(e.pending(t)) > 0; i++ {
		time.Sleep(2 * time.Millisecond) // the backoff is 1 ms
		if _, err := e.outbox.DeliverDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(hook.events()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	failed := e.events(t, "Notification.Failed")
	if len(failed) != 1 || !strings.Contains(detail(t, failed[0])["Reason"].(string), "503") || detail(t, failed[0])["Attempts"] != 3.0 {
		t.Fatalf("Failed events %s", cpJSON(t, failed))
	}
	if n := len(e.events(t, "Notification.Retrying")); n != 1 {
		t.Errorf("%d Retrying events, want 1 (the first failure only)", n)
	}

	// A hook that redirects is not followed: the attempt fails.
	e.watch(t, svc.ServiceID, "http://"+ln.Addr().String()+"/moved")
	e.endpoint(svc, "b")
	var moved []string
	for _, ev := range e.events(t, "Notification.Retrying") {
		if r := detail(t, ev)["Reason"].(string); strings.Contains(r, "/moved") {
			moved = append(moved, r)
		}
	}
	if len(moved) != 1 || !strings.Contains(moved[0], "302") {
		t.Errorf("redirect: Retrying reasons %q, want one 302", moved)
	}
}

// TestNotifyOutboxIsBounded: beyond MaxPending the oldest deliveries are
// dropped, each with a Notification.Failed event.
func TestNotifyOutboxIsBounded(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{MaxPending: 3})
	svc := e.readyService(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.watch(t, svc.ServiceID, "http://"+addr+"/hook")
	for i := 0; i < 5; i++ {
		e.endpoint(svc, "a")
	}
	if ds := e.pending(t); len(ds) != 3 {
		t.Errorf("%d pending, want 3", len(ds))
	}
	var dropped int
	for _, ev := range e.events(t, "Notification.Failed") {
		if strings.Contains(detail(t, ev)["Reason"].(string), "dropped") {
			dropped++
		}
	}
	if dropped != 2 {
		t.Errorf("%d dropped events, want 2", dropped)
	}
}

// TestNotifyDeliveriesGoWithTheirNotification: deleting a notification
// drops its pending deliveries; a refused change writes none.
func TestNotifyDeliveriesGoWithTheirNotification(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	id := e.watch(t, svc.ServiceID, "http://"+addr+"/hook")
	e.endpoint(svc, "a")
	if len(e.pending(t)) != 1 {
		t.Fatalf("outbox %+v", e.pending(t))
	}
	in := e.endpointInput(svc, "a")
	in.SubnetIDs = []string{"subnet-0123456789abcdef0"}
	if _, err := e.consumer.CreateVpcEndpoint(e.ctx, &in); err == nil {
		t.Fatal("endpoint in an unknown subnet created")
	}
	if len(e.pending(t)) != 1 {
		t.Errorf("a refused change left deliveries: %+v", e.pending(t))
	}
	cpMust(e.provider.DeleteVpcEndpointConnectionNotifications(e.ctx, &control.DeleteVpcEndpointConnectionNotificationsInput{ConnectionNotificationIDs: []string{id}}))(t)
	if ds := e.pending(t); len(ds) != 0 {
		t.Errorf("deliveries of a deleted notification: %+v", ds)
	}
}

// TestNotifyOrderPerTarget: messages to one target arrive in the order of
// the changes: a message written while an older one to the same target is
// pending waits behind it, and a batch goes out in order.
func TestNotifyOrderPerTarget(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond})
	svc := e.readyService(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.watch(t, svc.ServiceID, "http://"+addr+"/hook")
	ep := e.endpoint(svc, "a") // Connect: refused, pending

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the hook cannot come back on %s: %v", addr, err)
	}
	hook := &recordingHook{}
	srv := &http.Server{Handler: hook}
	go srv.Serve(ln)
	defer srv.Close()

	cpMust(e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}}}))(t)
	if got := hook.events(); len(got) != 0 {
		t.Fatalf("hook got %v before the pending Connect", got)
	}
	// Not silent: the waiting message is an event too.
	var waiting int
	for _, ev := range e.events(t, "Notification.Retrying") {
		if d := detail(t, ev); d["Event"] == "Accept" && strings.Contains(d["Reason"].(string), "waiting behind") {
			waiting++
		}
	}
	if waiting != 1 {
		t.Errorf("%d events for the waiting Accept, want 1", waiting)
	}
	for i := 0; i < 100 && len(e.pending(t)) > 0; i++ {
		time.Sleep(2 * time.Millisecond) // the backoff is 1 ms
		if _, err := e.outbox.DeliverDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A batch with nothing pending goes out at once, in order.
	ep2, ep3 := e.endpoint(svc, "b"), e.endpoint(svc, "c")
	cpMust(e.provider.RejectVpcEndpointConnections(e.ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID, ep2.VpcEndpointID, ep3.VpcEndpointID}}}))(t)
	if got, want := strings.Join(hook.events(), ","), "Connect,Accept,Connect,Connect,Reject,Reject,Reject"; got != want {
		t.Errorf("hook got %s, want %s", got, want)
	}
	if ds := e.pending(t); len(ds) != 0 {
		t.Errorf("pending %+v", ds)
	}
}

// TestNotifyConcurrentCommandsDeliverAtOnce: two processes changing
// endpoints at once, notified on one slow hook, both deliver at once:
// a message in flight does not hold back another process's.
func TestNotifyConcurrentCommandsDeliverAtOnce(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	hook := &recordingHook{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond) // slow: the two deliveries overlap
		hook.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	e.watch(t, svc.ServiceID, "http://"+ln.Addr().String()+"/hook")
	var wg sync.WaitGroup
	for _, zone := range []string{"a", "b"} {
		// Each its own API, as two plink processes.
		api := newAPI(e.st, cpConsumer)
		in := e.endpointInput(svc, zone)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := api.CreateVpcEndpoint(e.ctx, &in); err != nil {
				t.Errorf("CreateVpcEndpoint: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := strings.Join(hook.events(), ","); got != "Connect,Connect" {
		t.Errorf("hook got %q, want two Connects", got)
	}
	if ds := e.pending(t); len(ds) != 0 {
		t.Errorf("left for serve: %+v", ds)
	}
}

// TestNotifyGiveUpUnblocksTheNextAtOnce: giving up a target's oldest
// message (too old, here) makes the next one due at once, as a delivery
// does: DeliverDue says more, so serve drains a backlog without waiting a
// poll interval per message.
func TestNotifyGiveUpUnblocksTheNextAtOnce(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{MaxAge: time.Minute})
	const old = "2020-01-01T00:00:00.000Z"
	cpNoErr(t, e.st.Write(e.ctx, func(tx *store.Tx) error {
		for i := 0; i < 3; i++ {
			d := store.Delivery{NotificationID: "vpce-nfn-0123456789abcdef0", Account: cpProvider, Event: "Connect",
				VpcEndpointID: "vpce-0123456789abcdef0", Target: "http://127.0.0.1:1/hook", Body: "{}", CreatedAt: old, NextAttemptAt: old}
			if _, _, _, err := tx.EnqueueDelivery(d, 10); err != nil {
				return err
			}
		}
		return nil
	}))
	more, err := e.outbox.DeliverDue(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.pending(t)); n != 2 {
		t.Fatalf("%d pending after one round, want 2", n)
	}
	if !more {
		t.Error("DeliverDue gave up a target's oldest message and did not say more were due")
	}
}

// TestNotifyHookAnswerRecordedEscaped: what a hook answers (its status
// line) is the hook's text, not plink's: control characters in it (ESC,
// C1 CSI) are recorded escaped and its length bounded, so that `plink
// events` and the log never carry them to a terminal.
func TestNotifyHookAnswerRecordedEscaped(t *testing.T) {
	e := newNotifyEnv(t, control.DeliveryPolicy{})
	svc := e.readyService(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Read(make([]byte, 4096))
				fmt.Fprintf(c, "HTTP/1.1 503 \u009b2J\x1b[31m%s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", strings.Repeat("x", 5000))
			}()
		}
	}()
	e.watch(t, svc.ServiceID, "http://"+ln.Addr().String()+"/hook")
	e.endpoint(svc, "a")
	retrying := e.events(t, "Notification.Retrying")
	if len(retrying) != 1 {
		t.Fatalf("Retrying events %s", cpJSON(t, retrying))
	}
	reason := detail(t, retrying[0])["Reason"].(string)
	if strings.IndexFunc(reason, unicode.IsControl) >= 0 || len(reason) > 1000 {
		t.Errorf("the hook's answer is recorded raw (%d bytes): %q", len(reason), reason[:min(len(reason), 200)])
	}
	if !strings.Contains(reason, "503") {
		t.Errorf("reason %q does not give the status", reason)
	}
}
