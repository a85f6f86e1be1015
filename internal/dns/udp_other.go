//go:build !linux

package dns

import "net"

// serveUDP reads queries and writes replies until the socket closes.
func (s *Server) serveUDP(l *listener, udp *net.UDPConn) {
	s.serveUDPEach(l, udp)
}
