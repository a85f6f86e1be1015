// Package api serves AWS's wire protocols over HTTP, driven by the action
// registry (internal/awsapi): EC2's query protocol, ELBv2's and STS's
// awsQuery. A request names its action with Action and Version (the
// version, or the SigV4 credential scope's service, selects the service);
// its parameters decode into the action's input struct by the registry's
// members, the same control method the CLI calls runs as the caller its
// credentials name, and the output encodes as the service's XML. No
// per-action code.
//
// It imports no cobra and no viper.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/store"
)

// MaxBody bounds a request's body.
const MaxBody = 1 << 20

// Credential is what an access key ID stands for.
type Credential struct {
	Account   string
	Principal string // empty: the account's root
	// Secret, when set, makes the server verify the request's signature.
	Secret string
}

// Config configures a Handler.
type Config struct {
	Store *store.Store
	// Credentials maps access key IDs to identities. A key of 12 digits
	// not in it is that account's root.
	Credentials map[string]Credential
	// AllowAnonymous serves unsigned requests as Anonymous.
	AllowAnonymous bool
	Anonymous      control.Caller
	// DefaultRegion is the region of a request whose credential scope
	// names none (anonymous requests).
	DefaultRegion string
	// Options are given to control.New for every caller.
	Options []control.Option
	Logger  *slog.Logger
	// Registerer takes the metrics (nil: none).
	Registerer prometheus.Registerer
	// Now is the clock (signature expiry); time.Now unless set.
	Now func() time.Time
}

// Handler serves the API.
type Handler struct {
	cfg  Config
	log  *slog.Logger
	apis sync.Map // control.Caller -> *control.API
	reqs *prometheus.CounterVec
	dur  *prometheus.HistogramVec
}

// New returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: no store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "us-east-1"
	}
	if cfg.Anonymous.Region == "" {
		cfg.Anonymous.Region = cfg.DefaultRegion
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plink_api_requests_total",
		Help: "AWS API requests by action and code (empty code: success)."}, []string{"action", "code"})
	h.dur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plink_api_request_duration_seconds",
		Help: "AWS API request latency by action and code.", Buckets: prometheus.DefBuckets}, []string{"action", "code"})
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{h.reqs, h.dur} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("api: metrics: %w", err)
			}
		}
	}
	return h, nil
}

// apiError is an error answered to the client.
type apiError struct {
	code, msg string
	status    int
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...), status: status}
}

// statusOf is the HTTP status AWS answers an error code with.
func statusOf(code string) int {
	switch code {
	case "DryRunOperation":
		return http.StatusPreconditionFailed
	case "AuthFailure", "UnauthorizedOperation", "SignatureDoesNotMatch", "InvalidClientTokenId",
		"MissingAuthenticationToken", "IncompleteSignature", "AccessDenied", "RequestExpired":
		return http.StatusForbidden
	case "InternalError", "InternalFailure":
		return http.StatusInternalServerError
	case "RequestEntityTooLarge":
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID()
	w.Header().Set("x-amzn-RequestId", rid)
	svc := awsapi.EC2
	action, account := "", ""
	var code string
	status := http.StatusOK
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("api: panic", "action", action, "panic", fmt.Sprint(p))
			code, status = "InternalError", http.StatusInternalServerError
			writeXML(w, status, encodeError(svc, code, "An internal error has occurred.", rid, status))
		}
		d := time.Since(start)
		label := action
		if label == "" {
			label = "unknown"
		}
		h.reqs.WithLabelValues(label, code).Inc()
		h.dur.WithLabelValues(label, code).Observe(d.Seconds())
		h.log.Info("api request", "action", action, "service", string(svc), "account", account,
			"code", code, "status", status, "duration", d, "request_id", rid)
	}()
	fail := func(e *apiError) {
		code, status = e.code, e.status
		writeXML(w, status, encodeError(svc, e.code, e.msg, rid, e.status))
	}

	vals, authz, err := readForm(w, r)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			fail(ae)
		} else {
			fail(errf(400, "MalformedQueryString", "The request could not be parsed: %v", err))
		}
		return
	}
	id, idErr := parseIdentity(r, vals, authz)
	svc = serviceOf(vals.Get("Version"), id)
	action = vals.Get("Action")
	if idErr != nil {
		fail(idErr)
		return
	}
	caller, ae := h.callerOf(r, id)
	if ae != nil {
		fail(ae)
		return
	}
	account = caller.Account
	if action == "" {
		fail(errf(400, "MissingAction", "The request must contain the parameter Action."))
		return
	}
	a := awsapi.Lookup(svc, action)
	if a == nil {
		fail(errf(400, "InvalidAction", "The action %s is not valid for this web service.", action))
		return
	}
	if v := vals.Get("Version"); v != "" && v != svc.APIVersion() {
		fail(errf(400, "InvalidAction", "The action %s is not valid for version %s.", action, v))
		return
	}
	in := a.NewInput()
	if err := decodeInput(a, vals, in); err != nil {
		var de *decodeError
		errors.As(err, &de)
		c := "InvalidParameterValue"
		switch {
		case svc != awsapi.EC2:
			c = "ValidationError"
		case de != nil && de.unknown:
			c = "UnknownParameter"
		}
		fail(errf(400, c, "%s", err.Error()))
		return
	}
	if missing := a.Missing(in); len(missing) > 0 {
		if svc == awsapi.EC2 {
			fail(errf(400, "MissingParameter", "The request must contain the parameter %s", missing[0]))
		} else {
			fail(errf(400, "ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(missing[0])))
		}
		return
	}
	api, err := h.apiFor(caller)
	if err != nil {
		fail(toAPIError(err))
		return
	}
	out, err := a.Call(r.Context(), api, in)
	if err != nil {
		e := toAPIError(err)
		if e.status == 500 {
			h.log.Error("api: internal error", "action", action, "err", err)
		}
		fail(e)
		return
	}
	writeXML(w, http.StatusOK, encodeOutput(a, out, rid))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func toAPIError(err error) *apiError {
	if ce, ok := control.AsError(err); ok {
		return &apiError{code: ce.Code, msg: ce.Message, status: statusOf(ce.Code)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errf(503, "ServiceUnavailable", "The request was cancelled or timed out.")
	}
	return errf(500, "InternalError", "An internal error has occurred.")
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	// A declared length, not chunking: the client knows where the answer
	// ends without reading a terminating chunk.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// readForm reads the parameters: the query string and, for a POST, the
// form-encoded body (at most MaxBody bytes). It returns the raw body's hash
// input too (the body bytes) for signature checks.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *authInput, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, errf(400, "MalformedQueryString", "The query string could not be parsed.")
	}
	ai := &authInput{}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		body, err := readBody(w, r)
		if err != nil {
			return nil, nil, err
		}
		ai.body = body
		if ct := r.Header.Get("Content-Type"); ct == "" || strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			bv, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, nil, errf(400, "MalformedQueryString", "The request body could not be parsed as a form.")
			}
			for k, vs := range bv {
				q[k] = append(q[k], vs...)
			}
		} else {
			return nil, nil, errf(400, "InvalidParameterValue", "The Content-Type %q is not supported: send application/x-www-form-urlencoded.", ct)
		}
	default:
		return nil, nil, errf(405, "InvalidHttpRequest", "The method %s is not allowed: use POST or GET.", r.Method)
	}
	return q, ai, nil
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, MaxBody)
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := rd.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errf(413, "RequestEntityTooLarge", "The request body is larger than %d bytes.", MaxBody)
			}
			if err.Error() == "EOF" {
				return []byte(b.String()), nil
			}
			return nil, errf(400, "IncompleteBody", "The request body could not be read.")
		}
	}
}

// serviceOf picks the service by Version, else by the credential scope.
func serviceOf(version string, id *identity) awsapi.Service {
	for _, s := range awsapi.Services() {
		if version == s.APIVersion() {
			return s
		}
	}
	if id != nil {
		switch id.service {
		case "elasticloadbalancing":
			return awsapi.ELBv2
		case "sts":
			return awsapi.STS
		}
	}
	return awsapi.EC2
}

// callerOf maps the request's identity to a caller, verifying the
// signature where the secret is known.
func (h *Handler) callerOf(r *http.Request, id *identity) (control.Caller, *apiError) {
	if id == nil {
		if !h.cfg.AllowAnonymous {
			return control.Caller{}, errf(403, "MissingAuthenticationToken",
				"Request is missing Authentication Token: sign it with SigV4 (an access key ID of 12 digits is that account), or start the server with --allow-anonymous.")
		}
		return h.cfg.Anonymous, nil
	}
	c := control.Caller{Region: id.region}
	if cred, ok := h.cfg.Credentials[id.accessKey]; ok {
		c.Account, c.Principal = cred.Account, cred.Principal
		if cred.Secret != "" {
			if err := verify(r, id, cred.Secret, h.cfg.Now()); err != nil {
				return c, err
			}
		}
	} else if len(id.accessKey) == 12 && allDigits(id.accessKey) {
		c.Account = id.accessKey
	} else {
		return c, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if err := c.Validate(); err != nil {
		return c, toAPIError(err)
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// apiFor returns the control API acting as c, one per caller.
func (h *Handler) apiFor(c control.Caller) (*control.API, error) {
	if v, ok := h.apis.Load(c); ok {
		return v.(*control.API), nil
	}
	api, err := control.New(h.cfg.Store, c, h.cfg.Options...)
	if err != nil {
		return nil, err
	}
	v, _ := h.apis.LoadOrStore(c, api)
	return v.(*control.API), nil
}

// NewServer returns an http.Server for h with timeouts that bound slow or
// idle clients.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	if log != nil {
		s.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return s
}
