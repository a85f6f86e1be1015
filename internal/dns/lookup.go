package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where LookupTXT finds the system's resolver.
const resolvConf = "/etc/resolv.conf"

// ResolverAddr is the resolver LookupTXT asks: resolver itself, or when
// it is "", the first nameserver of /etc/resolv.conf.
func ResolverAddr(resolver string) (string, error) {
	if resolver != "" {
		return resolver, nil
	}
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return "", fmt.Errorf("dns: reading %s: %w", resolvConf, err)
	}
	if len(conf.Servers) == 0 {
		return "", fmt.Errorf("dns: no nameserver in %s", resolvConf)
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}

// DescribeResolver says which resolver LookupTXT asks and where that comes
// from, for messages: "127.0.0.1:5353 (--resolver)" or "10.0.0.2:53 (the
// system resolver, from /etc/resolv.conf)".
func DescribeResolver(resolver string) string {
	if resolver != "" {
		return resolver + " (--resolver / PLINK_RESOLVER / resolver in the config file)"
	}
	addr, err := ResolverAddr("")
	if err != nil {
		return "the system resolver (" + err.Error() + ")"
	}
	return addr + " (the system resolver, from " + resolvConf + "; --resolver sets another)"
}

// NoTXTError is LookupTXTStrict's answer when the resolver answered but
// with no TXT record: the name does not exist (NXDOMAIN) or has no TXT
// data (NOERROR, empty).
type NoTXTError struct {
	Name, Resolver string
	Rcode          string // NXDOMAIN or NOERROR
}

func (e *NoTXTError) Error() string {
	if e.Rcode == "NOERROR" {
		return "no TXT record (NOERROR, no data)"
	}
	return "no TXT record (" + e.Rcode + ": the name does not exist)"
}

// LookupTXT asks resolver (host:port; "" = the system's from
// /etc/resolv.conf) for the TXT records of name, over UDP with TCP
// fallback. Each record's character-strings are joined into one string.
// A name that does not exist or has no TXT records gives no records and no
// error; any other failure (timeout, SERVFAIL, REFUSED) is an error.
func LookupTXT(ctx context.Context, resolver, name string) ([]string, error) {
	out, err := LookupTXTStrict(ctx, resolver, name)
	var none *NoTXTError
	if errors.As(err, &none) {
		return nil, nil
	}
	return out, err
}

// LookupTXTStrict is LookupTXT, except that an answer without TXT records
// is a *NoTXTError naming the response code, so a caller can say what came
// back.
func LookupTXTStrict(ctx context.Context, resolver, name string) ([]string, error) {
	resolver, err := ResolverAddr(resolver)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	q.SetEdns0(ednsSize, false)
	c := &dns.Client{Net: "udp"}
	resp, _, err := c.ExchangeContext(ctx, q, resolver)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, q, resolver)
	}
	if err != nil {
		return nil, fmt.Errorf("dns: TXT %s via %s: %w", name, resolver, err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("dns: TXT %s via %s: %w", name, resolver,
			errors.New("server answered "+dns.RcodeToString[resp.Rcode]))
	}
	var out []string
	for _, rr := range resp.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	if len(out) == 0 {
		return nil, &NoTXTError{Name: name, Resolver: resolver, Rcode: dns.RcodeToString[resp.Rcode]}
	}
	return out, nil
}

// VerificationLookup is the TXT lookup private DNS verification uses:
// LookupTXTStrict through resolver, with errors reduced to what came back
// (the caller's message names the query and the resolver already).
func VerificationLookup(resolver string) func(ctx context.Context, name string) ([]string, error) {
	return func(ctx context.Context, name string) ([]string, error) {
		vals, err := LookupTXTStrict(ctx, resolver, name)
		var none *NoTXTError
		if err != nil && !errors.As(err, &none) {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
		}
		return vals, err
	}
}
