// Package dns is the DNS server of `plink serve` and the TXT lookup that
// private DNS name verification uses.
//
// It owns: the zones built from a [snapshot.Snapshot] (endpoint regional and
// zonal names, load balancer names, private DNS names per VPC view), the
// resolution rules (a pure function, [zone.resolve], kept apart from the
// wire), the UDP and TCP listeners on every VPC resolver address and on one
// extra address, forwarding to an optional upstream, and [LookupTXT].
//
// # Authority
//
// plink is authoritative for vpce.amazonaws.com, <region>.vpce.amazonaws.com,
// elb.amazonaws.com, <region>.elb.amazonaws.com and
// elb.<region>.amazonaws.com (where Network Load Balancer names live:
// name-id.elb.<region>.amazonaws.com) for every region in the snapshot. Inside those zones a name that does not exist is NXDOMAIN, a
// name that exists without records of the asked type (including empty
// non-terminals such as vpce-svc-….us-east-1.vpce.amazonaws.com) is NODATA;
// both carry the SOA of the closest apex and the AA bit. Only endpoints in
// state "available" have names. Records have a TTL of 60 s. Endpoint names
// carry A, AAAA or both as the endpoint's DNSRecordIPType says;
// "service-defined" (or empty) means the endpoint's IPAddressType.
//
// # Private DNS views
//
// A verified private DNS name of a service answers, with the addresses of an
// available endpoint that enabled private DNS, only in that endpoint's VPC
// view. A query is in a VPC's view when it arrived on that VPC's resolver
// address (VPC.Resolver), or else when its source address is inside the VPC's
// IPv4 or IPv6 CIDR. As Route 53 does for PrivateLink, each private name gets
// a private hosted zone of its own in that view:
//   - an exact name such as api.example.com is the apex of a zone
//     api.example.com: names below it are NXDOMAIN, other types NODATA;
//   - a wildcard *.example.com makes example.com the zone apex (NODATA for
//     its own address types) and matches every name one or more labels
//     below it (a.example.com, a.b.example.com).
//
// Private names answer A/AAAA directly (AWS answers through a CNAME to the
// regional name; the addresses are the same). Other names of the same domain (www.example.com next to api.example.com)
// are outside plink's authority, so the public domain keeps resolving
// upstream. When two endpoints in one VPC claim the same private name, the
// first in snapshot order wins. Private names inside plink's own
// amazonaws.com zones are ignored.
//
// Names outside plink's authority are forwarded to Options.Upstream when it
// is set, and REFUSED otherwise: the server never recurses on its own.
//
// # Wire
//
// The server speaks EDNS(0) (buffer size honoured, OPT echoed with DO,
// unknown options ignored, BADVERS for version > 0), truncates UDP answers
// that do not fit (512 bytes without EDNS) with TC set, answers in the case
// of the question, FORMERR for unparsable queries and QDCOUNT != 1, NOTIMP
// for opcodes other than QUERY, and drops packets that are responses or
// shorter than a header. The common case (one A or AAAA question for a
// name in the amazonaws.com zones that has such records) is answered from
// bytes packed when the snapshot was applied, without unpacking the query.
//
// Each UDP listener has one socket per GOMAXPROCS (SO_REUSEPORT), each read
// by one worker. On Linux a worker reads up to 16 queries with one
// recvmmsg and sends their replies with one sendmmsg, non-blocking raw
// system calls into buffers mapped once per worker: a query costs no
// allocation (TestUDPNoAllocation) and far fewer system calls.
//
// # Applying a snapshot
//
// Apply swaps in a new zone atomically; queries in flight finish on the
// old one. When only some endpoints or load balancers changed, the new
// zone is the old one's name map copied with only their names removed and
// added (updateZone; the VPC views are rebuilt whole); anything else
// (first snapshot, regions, impaired zones, names alike) builds it whole.
// Both give the same zone (TestUpdateMatchesBuild).
//
// TCP connections (RFC 7766) get 2 s to send their first query and may
// idle 5 s between queries. At most 512 are open at once: a new one then
// closes the connection idle longest, or is refused at once when all are
// busy with a query, so idle clients never keep a new one waiting.
// Accept and read errors (running out of file descriptors above all)
// back off and are logged at most every few seconds.
//
// A listener bound to a wildcard address (Options.Addr ":5300") cannot tell
// which local address a query was sent to, so on it the view comes from the
// source address only.
package dns
