// Package control is plink's API: one Go method per AWS action, with typed
// input and output structs that carry AWS's field names and JSON shapes,
// validation, IDs and DNS names, the state machines of endpoints and private
// DNS names, permissions, and AWS-style errors. Every call acts as one caller
// (account, principal, region) and sees only what that account owns or was
// granted. Every call runs in one store transaction, so a refused request
// changes nothing.
//
// It imports no cobra, viper, SQLite driver or DNS library: the CLI hands it
// a store and, for private DNS verification, a TXT lookup function.
package control

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// Caller is who makes a request.
type Caller struct {
	Account   string // 12 digits
	Principal string // an IAM ARN of Account; arn:aws:iam::<account>:root unless set
	Region    string
}

// TXTLookup returns the TXT strings published at name.
type TXTLookup func(ctx context.Context, name string) ([]string, error)

// API serves requests for one caller against one store.
type API struct {
	st     *store.Store
	caller Caller
	now    func() time.Time
	txt    TXTLookup
	// txtResolver says which resolver txt asks, for the explanation of
	// a failed private DNS verification.
	txtResolver func() string
	log         *slog.Logger
	// notify bounds the delivery of connection notifications; outbox
	// delivers them (notify.go, notify_deliver.go).
	notify     DeliveryPolicy
	outboxOnce sync.Once
	outbox     *Outbox
	claim      string // holds the deliveries this API writes while it tries them
}

// Option configures an API.
type Option func(*API)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(a *API) { a.now = now } }

// WithTXTLookup sets how private DNS names are verified.
func WithTXTLookup(f TXTLookup) Option { return func(a *API) { a.txt = f } }

// WithTXTResolver names the resolver the TXTLookup asks (and where that
// setting comes from), for the message that explains a failed private DNS
// name verification; desc is called only then.
func WithTXTResolver(desc func() string) Option { return func(a *API) { a.txtResolver = desc } }

// WithLogger sets where delivery failures are logged.
func WithLogger(l *slog.Logger) Option { return func(a *API) { a.log = l } }

// New returns the API acting as caller, or an InvalidClientTokenId error
// when caller is not a valid identity (see Caller.Validate). An empty
// principal is the account's root.
func New(st *store.Store, caller Caller, opts ...Option) (*API, error) {
	if err := caller.Validate(); err != nil {
		return nil, err
	}
	if caller.Principal == "" {
		caller.Principal = names.RootPrincipal(caller.Account)
	}
	a := &API{st: st, caller: caller, now: func() time.Time { return time.Now().UTC() }, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Caller returns who this API acts as.
func (a *API) Caller() Caller { return a.caller }

// write runs fn in one write transaction, after making sure the caller's
// default VPC exists in that same transaction. A dry run's transaction is
// rolled back when fn succeeds (dryrun.go).
func (a *API) write(ctx context.Context, fn func(*store.Tx) error) error {
	return a.st.Write(ctx, func(tx *store.Tx) error {
		if err := a.ensureDefaultVPCTx(tx); err != nil {
			return err
		}
		return dryRunEnd(ctx, fn(tx))
	})
}

// timestamp formats t as AWS prints it: RFC 3339, UTC, milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Tag is a key/value pair.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// TagSpecification tags a resource at creation.
type TagSpecification struct {
	ResourceType string `json:"ResourceType"`
	Tags         []Tag  `json:"Tags" locationName:"Tag"`
}

// Filter is one --filters Name=...,Values=... entry.
type Filter struct {
	Name   string   `json:"Name"`
	Values []string `json:"Values" locationName:"Value"`
}

// UnsuccessfulItem is one failed item of a batch call.
type UnsuccessfulItem struct {
	Error      Error  `json:"Error"`
	ResourceID string `json:"ResourceId"`
}

// BatchResult is the answer of accept, reject and the batch deletes.
type BatchResult struct {
	Unsuccessful []UnsuccessfulItem `json:"Unsuccessful"`
}

func (b *BatchResult) fail(id string, e *Error) {
	b.Unsuccessful = append(b.Unsuccessful, UnsuccessfulItem{Error: *e, ResourceID: id})
}

// GetCallerIdentityInput is sts get-caller-identity: no members.
type GetCallerIdentityInput struct{}

// GetCallerIdentityOutput is who the caller is.
type GetCallerIdentityOutput struct {
	UserID  string `json:"UserId"`
	Account string `json:"Account"`
	Arn     string `json:"Arn"`
}

// GetCallerIdentity returns who the caller is.
func (a *API) GetCallerIdentity(ctx context.Context, in *GetCallerIdentityInput) (*GetCallerIdentityOutput, error) {
	user := a.caller.Account
	if a.caller.Principal != names.RootPrincipal(a.caller.Account) {
		user = "AIDA" + a.caller.Account
	}
	return &GetCallerIdentityOutput{UserID: user, Account: a.caller.Account, Arn: a.caller.Principal}, nil
}
