package serve

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/pires/go-proxyproto/tlvparse"
)

// Backend is the built-in target of `plink backend`: an HTTP server that
// accepts an optional PROXY protocol header (v1 or v2) and answers every
// request with what it saw, as JSON. Plain TCP connections (such as TCP
// health checks) are accepted and closed normally.
type Backend struct {
	name string
	log  *slog.Logger
	srv  *http.Server
}

// BackendReply is the JSON body of every answer.
type BackendReply struct {
	Backend string      `json:"backend"`
	Peer    string      `json:"peer"`
	Proxy   *ProxyReply `json:"proxy"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Host    string      `json:"host"`
}

// ProxyReply describes the PROXY header a connection carried.
type ProxyReply struct {
	Version     int    `json:"version"`
	Command     string `json:"command"` // PROXY | LOCAL
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination,omitempty"`
	VPCEID      string `json:"vpce_id,omitempty"`
}

type connKey struct{}

// NewBackend returns a backend answering under name.
func NewBackend(name string, log *slog.Logger) *Backend {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{name: name, log: log}
	b.srv = &http.Server{
		Handler:           http.HandlerFunc(b.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return b
}

// Serve answers on ln until Shutdown or Close.
func (b *Backend) Serve(ln net.Listener) error {
	pl := &proxyproto.Listener{
		Listener: ln,
		// Use a header when one is present, do not require it.
		ConnPolicy: func(proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) { return proxyproto.USE, nil },
	}
	err := b.srv.Serve(pl)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the backend gracefully.
func (b *Backend) Shutdown(ctx context.Context) error { return b.srv.Shutdown(ctx) }

// Close stops the backend at once.
func (b *Backend) Close() error { return b.srv.Close() }

func (b *Backend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	reply := BackendReply{Backend: b.name, Method: r.Method, Path: r.URL.Path, Host: r.Host, Peer: r.RemoteAddr}
	if pc, ok := r.Context().Value(connKey{}).(*proxyproto.Conn); ok {
		reply.Peer = pc.Raw().RemoteAddr().String()
		if h := pc.ProxyHeader(); h != nil {
			reply.Proxy = proxyReply(h)
		}
	}
	b.log.Debug("request", "peer", reply.Peer, "method", r.Method, "path", r.URL.Path, "proxy", reply.Proxy != nil)
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(reply)
}

func proxyReply(h *proxyproto.Header) *ProxyReply {
	p := &ProxyReply{Version: int(h.Version), Command: "PROXY"}
	if h.Command.IsLocal() {
		p.Command = "LOCAL"
		return p
	}
	if h.SourceAddr != nil {
		p.Source = h.SourceAddr.String()
	}
	if h.DestinationAddr != nil {
		p.Destination = h.DestinationAddr.String()
	}
	if tlvs, err := h.TLVs(); err == nil {
		p.VPCEID = tlvparse.FindAWSVPCEndpointID(tlvs)
	}
	return p
}
