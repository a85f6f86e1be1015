// Package netstack is plink's data plane: a socket-based forwarder, not a
// packet-level network stack. It owns everything that turns a
// snapshot.Snapshot into traffic:
//
//   - listeners: one kernel TCP socket per endpoint ENI address x listener
//     port, and per load balancer node address x listener port, reconciled
//     live by Forwarder.Apply (new listeners bind before old ones close;
//     unchanged ones keep their socket and connections and only get their
//     route swapped atomically);
//   - NLB target selection: flow hash over the healthy targets of the
//     ENI's zone (all zones with cross-zone on), fail-open when none is
//     healthy; a target that is one of the forwarder's own listeners is
//     never picked (it would connect to itself until descriptors run out);
//   - security groups on endpoint connections (RST when no rule allows);
//   - PROXY protocol v2 with the AWS VPC endpoint TLV (0xEA, 0x01);
//   - the load balancer node address as the source of target connections;
//   - active TCP / HTTP health checks, draining, connection termination on
//     unhealthy targets, idle timeouts;
//   - out of file descriptors, accepting rests (5 ms doubling to 1 s,
//     shared by every listener) instead of spinning, counted in
//     plink_forwarder_fd_exhausted_total and logged once every few
//     seconds; bind errors match ErrFDLimit (fdlimit.go);
//   - Prometheus metrics and one debug log line per connection;
//   - LocalAddrs, which puts missing addresses on lo (as root) and removes
//     them again.
//
// Two engines move the bytes (Options.Engine):
//
//   - epoll (Linux, the default): one event loop per core with raw
//     non-blocking sockets, no goroutine per connection, read/write for
//     short exchanges and splice(2) through pooled pipes for bulk data
//     (loop_linux.go). It is what lets plink match HAProxy on short
//     connections (BENCHMARKS.md).
//   - goroutines (everywhere else): two goroutines per connection on Go's
//     net package, io.Copy (splice on Linux) for bulk data
//     (engine_goroutine.go).
//
// Both share admission (security groups, target choice), tracking for
// reconciles, draining and shutdown, and metrics (conn.go); the behaviour
// tests run against both.
package netstack
