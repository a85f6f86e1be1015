package dns

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size plink advertises in its OPT records
// (the DNS flag day 2020 value).
const ednsSize = 1232

const headerLen = 12

// query is one raw DNS message as it arrived, and where it arrived.
type query struct {
	raw   []byte
	local netip.Addr // the listener's address (unspecified for a wildcard bind)
	src   netip.Addr
	tcp   bool
}

// handle turns one query into the packed reply, written into out. It
// returns nil when the query is to be dropped, and fwd (with nil packed)
// when the question lies outside plink's authority and upstream is true:
// the caller then forwards fwd.
func handle(z *zone, q query, upstream bool, out []byte) (packed []byte, fwd *dns.Msg) {
	if b, ok := fastReply(z, q, out); ok {
		return b, nil
	}
	return slowReply(z, q, upstream, out)
}

// slowReply is handle's general path: unpack, check, resolve, pack.
func slowReply(z *zone, q query, upstream bool, out []byte) (packed []byte, fwd *dns.Msg) {
	req := new(dns.Msg)
	if err := req.Unpack(q.raw); err != nil {
		return formErr(q.raw, out), nil
	}
	if req.Response {
		return nil, nil
	}
	m, limit, toUpstream := reply(z, req, q, upstream)
	if toUpstream {
		return nil, req
	}
	return packReply(m, limit, out), nil
}

// reply builds the answer to an unpacked request; fwd reports a question
// to forward upstream.
func reply(z *zone, req *dns.Msg, q query, upstream bool) (m *dns.Msg, limit int, fwd bool) {
	opt, bad := requestOPT(req)
	limit = sizeLimit(opt, q.tcp)
	m = new(dns.Msg)
	switch {
	case bad:
		m.SetRcode(req, dns.RcodeFormatError)
		opt = nil
	case req.Opcode != dns.OpcodeQuery:
		m.SetRcode(req, dns.RcodeNotImplemented)
	case len(req.Question) != 1:
		m.SetRcode(req, dns.RcodeFormatError)
	case opt != nil && opt.Version() != 0:
		m.SetRcode(req, dns.RcodeBadVers)
	default:
		m = z.resolve(req.Question[0], z.viewFor(q.local, q.src))
		if m.Rcode == dns.RcodeRefused && upstream {
			return nil, limit, true
		}
		m.Id = req.Id
		m.Response = true
		m.RecursionDesired = req.RecursionDesired
		m.CheckingDisabled = req.CheckingDisabled
	}
	if opt != nil {
		m.Extra = append(m.Extra, replyOPT(opt.Do()))
	}
	return m, limit, false
}

// requestOPT returns the request's OPT record; bad is true when there is
// more than one.
func requestOPT(req *dns.Msg) (opt *dns.OPT, bad bool) {
	for _, rr := range req.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			if opt != nil {
				return nil, true
			}
			opt = o
		}
	}
	return opt, false
}

func replyOPT(do bool) *dns.OPT {
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetUDPSize(ednsSize)
	o.SetDo(do)
	return o
}

// sizeLimit is the largest reply the client accepts: 512 bytes over UDP
// without EDNS, the client's advertised size (at least 512) with it, and
// 64 KiB over TCP.
func sizeLimit(opt *dns.OPT, tcp bool) int {
	switch {
	case tcp:
		return dns.MaxMsgSize
	case opt == nil || opt.UDPSize() < dns.MinMsgSize:
		return dns.MinMsgSize
	default:
		return int(opt.UDPSize())
	}
}

// packReply packs m into out, truncating it (TC set) to fit limit.
func packReply(m *dns.Msg, limit int, out []byte) []byte {
	m.Truncate(limit)
	b, err := m.PackBuffer(out[:cap(out)])
	if err != nil {
		// Nothing plink builds fails to pack; answer rather than go silent.
		fail := new(dns.Msg)
		fail.Id, fail.Response, fail.Rcode = m.Id, true, dns.RcodeServerFailure
		b, _ = fail.PackBuffer(out[:cap(out)])
	}
	return b
}

// formErr answers a query that does not unpack: FORMERR with the header's
// ID and opcode, or nil (drop) when there is no header or it is a response.
func formErr(raw, out []byte) []byte {
	if len(raw) < headerLen || raw[2]&0x80 != 0 {
		return nil
	}
	out = append(out[:0], raw[:headerLen]...)
	out[2] = 0x80 | raw[2]&0x79 // QR, keep opcode and RD
	out[3] = dns.RcodeFormatError
	clear(out[4:headerLen])
	return out
}

// fastReply answers, from the bytes packed when the zone was built, the
// common case: one A or AAAA question, class IN, for a name in the shared
// zones that has records of that type, optionally with an EDNS version 0
// OPT record, fitting the client's size. ok is false for anything else,
// which takes the general path; the two give the same answers (see
// TestFastPathMatchesResolve).
func fastReply(z *zone, q query, out []byte) (packed []byte, ok bool) {
	raw := q.raw
	if len(raw) < headerLen+5 {
		return nil, false
	}
	// QR, opcode and TC must be zero; one question, no answers or authority.
	if raw[2]&0xFA != 0 || binary.BigEndian.Uint16(raw[4:]) != 1 ||
		binary.BigEndian.Uint16(raw[6:]) != 0 || binary.BigEndian.Uint16(raw[8:]) != 0 {
		return nil, false
	}
	arcount := binary.BigEndian.Uint16(raw[10:])
	if arcount > 1 {
		return nil, false
	}

	// The question name, lower-cased into presentation format. Only
	// letters, digits, '-' and '_' take this path: nothing to escape.
	var nameBuf [256]byte
	name := nameBuf[:0]
	off := headerLen
	for {
		if off >= len(raw) {
			return nil, false
		}
		l := int(raw[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(raw) || len(name)+l+1 > 254 {
			return nil, false
		}
		for _, c := range raw[off : off+l] {
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return nil, false
			}
			name = append(name, c)
		}
		name = append(name, '.')
		off += l
	}
	qEnd := off + 4
	if len(name) == 0 || qEnd > len(raw) || binary.BigEndian.Uint16(raw[off+2:]) != dns.ClassINET {
		return nil, false
	}
	qtype := binary.BigEndian.Uint16(raw[off:])
	if qtype != dns.TypeA && qtype != dns.TypeAAAA {
		return nil, false
	}

	limit := dns.MinMsgSize
	edns, do := false, false
	if arcount == 1 {
		// OPT: root owner, type 41, class = UDP size, TTL = ext rcode,
		// version, flags; then options, which must frame exactly.
		o := qEnd
		if o+11 > len(raw) || raw[o] != 0 || binary.BigEndian.Uint16(raw[o+1:]) != dns.TypeOPT || raw[o+6] != 0 {
			return nil, false
		}
		if size := int(binary.BigEndian.Uint16(raw[o+3:])); size > limit {
			limit = size
		}
		do = raw[o+7]&0x80 != 0
		rdEnd := o + 11 + int(binary.BigEndian.Uint16(raw[o+9:]))
		if rdEnd != len(raw) {
			return nil, false
		}
		for p := o + 11; p < rdEnd; {
			if p+4 > rdEnd {
				return nil, false
			}
			p += 4 + int(binary.BigEndian.Uint16(raw[p+2:]))
			if p > rdEnd {
				return nil, false
			}
		}
		edns = true
	} else if qEnd != len(raw) {
		return nil, false
	}
	if q.tcp {
		limit = dns.MaxMsgSize
	}

	n := z.names[string(name)]
	if n == nil {
		return nil, false
	}
	answers, count := n.wireA, len(n.a)
	if qtype == dns.TypeAAAA {
		answers, count = n.wireAAAA, len(n.aaaa)
	}
	size := qEnd + len(answers)
	if edns {
		size += 11
	}
	if count == 0 || size > limit {
		return nil, false
	}

	out = append(out[:0], raw[:qEnd]...)
	out[2] = 0x80 | 0x04 | raw[2]&0x01 // QR, AA, RD copied; opcode QUERY
	out[3] = raw[3] & 0x10             // CD copied; RA, AD, rcode zero
	binary.BigEndian.PutUint16(out[6:], uint16(count))
	binary.BigEndian.PutUint16(out[10:], arcount)
	out = append(out, answers...)
	if edns {
		var flags byte
		if do {
			flags = 0x80
		}
		out = append(out, 0, 0, byte(dns.TypeOPT), ednsSize>>8, ednsSize&0xFF, 0, 0, flags, 0, 0, 0)
	}
	return out, true
}
