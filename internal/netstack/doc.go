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
//     healthy;
//   - security groups on endpoint connections (RST when no rule allows);
//   - PROXY protocol v2 with the AWS VPC endpoint TLV (0xEA, 0x01);
//   - the load balancer node address as the source of target connections;
//   - active TCP / HTTP health checks, draining, connection termination on
//     unhealthy targets, idle timeouts;
//   - Prometheus metrics and one debug log line per connection;
//   - LocalAddrs, which puts missing addresses on lo (as root) and removes
//     them again.
//
// Bytes move with io.Copy between *net.TCPConn values, so Linux splices
// them in the kernel.
package netstack
