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

// LookupTXT asks resolver (host:port; "" = the system's from
// /etc/resolv.conf) for the TXT records of name, over UDP with TCP
// fallback. Each record's character-strings are joined into one string.
// A name that does not exist or has no TXT records gives no records and no
// error; any other failure (timeout, SERVFAIL, REFUSED) is an error.
func LookupTXT(ctx context.Context, resolver, name string) ([]string, error) {
	if resolver == "" {
		conf, err := dns.ClientConfigFromFile(resolvConf)
		if err != nil {
			return nil, fmt.Errorf("dns: reading %s: %w", resolvConf, err)
		}
		if len(conf.Servers) == 0 {
			return nil, fmt.Errorf("dns: no nameserver in %s", resolvConf)
		}
		resolver = net.JoinHostPort(conf.Servers[0], conf.Port)
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
	return out, nil
}
