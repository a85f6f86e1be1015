package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/pires/go-proxyproto/tlvparse"
)

// backend is a test target. With ppv2 it first reads a PROXY header; then
// it greets with "<name> <peer>\n" and echoes lines until EOF. Every
// accepted connection is recorded, health checks included.
type backend struct {
	t    *testing.T
	name string
	ln   net.Listener
	addr netip.AddrPort
	ppv2 bool

	mu      sync.Mutex
	records []record
	open    map[net.Conn]bool
	closed  bool
	wg      sync.WaitGroup
}

// record is one accepted connection.
type record struct {
	peer    netip.AddrPort
	header  *proxyproto.Header // nil without PROXY protocol
	headErr error              // reading the header failed (ppv2 only)
}

// startBackend listens on addr (port 0: any) and serves until the test ends
// or kill is called.
func startBackend(t *testing.T, name, addr string, ppv2 bool) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("backend %s: %v", name, err)
	}
	b := &backend{t: t, name: name, ln: ln, addr: ln.Addr().(*net.TCPAddr).AddrPort(), ppv2: ppv2, open: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(b.kill)
	return b
}

// target is the backend as a register-targets argument.
func (b *backend) target() string {
	return fmt.Sprintf("Id=%s,Port=%d", b.addr.Addr(), b.addr.Port())
}

func (b *backend) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			c.Close()
			return
		}
		b.open[c] = true
		b.wg.Add(1)
		b.mu.Unlock()
		go b.handle(c)
	}
}

func (b *backend) handle(c net.Conn) {
	defer b.wg.Done()
	defer func() {
		b.mu.Lock()
		delete(b.open, c)
		b.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReader(c)
	rec := record{peer: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
	if b.ppv2 {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		rec.header, rec.headErr = proxyproto.Read(r)
		c.SetReadDeadline(time.Time{})
	}
	b.mu.Lock()
	b.records = append(b.records, rec)
	b.mu.Unlock()
	if rec.headErr != nil {
		return
	}
	if _, err := fmt.Fprintf(c, "%s %s\n", b.name, rec.peer); err != nil {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := c.Write([]byte(line)); err != nil {
			return
		}
	}
}

// snapshot returns the records so far.
func (b *backend) snapshot() []record {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]record(nil), b.records...)
}

// kill closes the listener and every open connection (the target is gone:
// new connections are refused).
func (b *backend) kill() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.ln.Close()
	for c := range b.open {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// vpceID is the endpoint ID in a header's AWS TLV, "" when there is none.
func vpceID(h *proxyproto.Header) (string, error) {
	tlvs, err := h.TLVs()
	if err != nil {
		return "", err
	}
	return tlvparse.FindAWSVPCEndpointID(tlvs), nil
}

// String shows a record in failure messages.
func (r record) String() string {
	switch {
	case r.headErr != nil:
		return fmt.Sprintf("{peer %v, PROXY header error: %v}", r.peer, r.headErr)
	case r.header != nil:
		s, d, _ := r.header.TCPAddrs()
		return fmt.Sprintf("{peer %v, PROXY v%d %v %v %v -> %v}", r.peer, r.header.Version, r.header.Command,
			r.header.TransportProtocol, s, d)
	default:
		return fmt.Sprintf("{peer %v}", r.peer)
	}
}
