//go:build !linux

package netstack

import "syscall"

func bindNoPort(network, address string, c syscall.RawConn) error { return nil }
