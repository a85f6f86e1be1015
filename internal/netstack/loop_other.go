//go:build !linux

package netstack

import (
	"errors"
	"net/netip"
)

const defaultEngine = EngineGoroutines

var errNoEpoll = errors.New("the epoll engine needs Linux")

// loops is the epoll engine, which exists on Linux only.
type loops struct{}

func newLoops(*Forwarder) (*loops, error)         { return nil, errNoEpoll }
func (*loops) addListeners([]*listener)           {}
func (*loops) removeListeners([]*listener)        {}
func (*loops) close()                             {}
func listenRaw(netip.AddrPort) (*listener, error) { return nil, errNoEpoll }
