//go:build !linux

package netstack

import (
	"errors"
	"net/netip"
)

var errNoSKLookup = errors.New("sk_lookup needs Linux")

// skLookup is the sk_lookup program, which exists on Linux only.
type skLookup struct{}

func newSKLookup() (*skLookup, error)                                      { return nil, errNoSKLookup }
func (*skLookup) addAddr(netip.AddrPort) error                             { return errNoSKLookup }
func (*skLookup) delAddr(netip.AddrPort)                                   {}
func (*skLookup) addAddrs([]netip.AddrPort) map[netip.AddrPort]error       { return nil }
func (*skLookup) delAddrs([]netip.AddrPort)                                {}
func (*skLookup) setSocket(uint32, int) error                              { return errNoSKLookup }
func (*skLookup) delSocket(uint32)                                         {}
func (*skLookup) close()                                                   {}
func (*skLookup) othersSteering([]netip.AddrPort) map[netip.AddrPort]error { return nil }
func checkSteered([]netip.AddrPort) map[netip.AddrPort]error               { return nil }
func skSlot(netip.AddrPort) uint32                                         { return 0 }
func probeBind(netip.AddrPort) error                                       { return errNoSKLookup }
func listenPortNet(netip.AddrPort) (*listener, error)                      { return nil, errNoSKLookup }
func (st *steering) lookupFD(int) *listener                                { return nil }
func (l *listener) withFD(func(int) error) error                           { return errNoSKLookup }

func listeningPorts() (map[uint16]bool, error) { return nil, errNoSKLookup }
