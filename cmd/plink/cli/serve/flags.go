package serve

import (
	"fmt"
	"net/netip"
)

// checkPort checks a port flag: 0..65535, or 1..65535 when zero is not
// allowed. A port out of range is a usage error, never wrapped around.
func checkPort(flag string, port int, zeroOK bool) error {
	lo := 1
	if zeroOK {
		lo = 0
	}
	if port < lo || port > 65535 {
		return fmt.Errorf("--%s must be a port from %d to 65535, not %d", flag, lo, port)
	}
	return nil
}

// checkAddrPort checks a host:port flag: an IP address (IPv6 in brackets)
// and a port 0..65535 (1..65535 when zero is not allowed: a place to
// connect to, not to listen on). Names are refused: plink binds and
// dials exactly the address given. unspecifiedOK allows 0.0.0.0 and [::].
func checkAddrPort(flag, v string, zeroOK, unspecifiedOK bool) error {
	lo := 1
	if zeroOK {
		lo = 0
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil {
		return fmt.Errorf("--%s %q: want an IP address and a port from %d to 65535, such as 127.0.0.1:5300 or [::1]:5300 (%v)",
			flag, v, lo, err)
	}
	if ap.Port() == 0 && !zeroOK {
		return fmt.Errorf("--%s %q: the port must be from 1 to 65535", flag, v)
	}
	if ap.Addr().IsUnspecified() && !unspecifiedOK {
		return fmt.Errorf("--%s %q: give a specific address, not the wildcard %s", flag, v, ap.Addr())
	}
	return nil
}
