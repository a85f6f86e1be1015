// Command connrate is the short-connection benchmark of the data plane: a
// tiny TCP echo target and a load generator that opens connections, sends
// a small request, reads the reply and closes, and reports connections per
// second and latency percentiles.
//
//	connrate serve -listen 127.0.0.1:0 -addr-file F [-proxy]
//	connrate run -addr HOST:PORT [-n 20000] [-c 32] [-d 10s] [-size 64] [-src IP]
//	connrate port
//
// serve answers every connection by echoing what it reads until EOF,
// then closing; with -proxy it first reads and drops the PROXY v2 header a
// proxy sends (the echo is then the client's bytes only). run stops after -n connections or -d, whichever comes
// first; it prints one line "RESULT conns=.. errors=.. rate=.. p50_us=..
// p99_us=..". Latency is from the start of the dial to the last byte of the
// reply. port prints a free TCP port on 127.0.0.1.
// Everything stays on loopback; every loop is bounded.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: connrate serve|run|port [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serveCmd(os.Args[2:])
	case "run":
		err = runCmd(os.Args[2:])
	case "port":
		err = portCmd()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "connrate:", err)
		os.Exit(1)
	}
}

func portCmd() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

func serveCmd(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := fs.String("addr-file", "", "write the bound address here")
	proxy := fs.Bool("proxy", false, "read and drop a PROXY v2 header before echoing")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if *proxy && dropProxyHeader(c) != nil {
				return
			}
			io.Copy(c, c)
		}()
	}
}

// dropProxyHeader reads a PROXY v2 header (12-byte signature, version and
// command, family, 2-byte length, then that many bytes) and drops it.
func dropProxyHeader(c net.Conn) error {
	var h [16]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return err
	}
	if string(h[:12]) != "\r\n\r\n\x00\r\nQUIT\n" {
		return errors.New("no PROXY v2 signature")
	}
	_, err := io.CopyN(io.Discard, c, int64(h[14])<<8|int64(h[15]))
	return err
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	addr := fs.String("addr", "", "target HOST:PORT")
	n := fs.Int("n", 20000, "connections at most")
	conc := fs.Int("c", 32, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "time at most")
	size := fs.Int("size", 64, "request (and reply) bytes")
	src := fs.String("src", "", "source IP to bind (default: the kernel's choice)")
	fs.Parse(args)
	if *addr == "" {
		return errors.New("run needs -addr")
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	if *src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(*src)}
	}
	req := make([]byte, *size)
	for i := range req {
		req[i] = byte('a' + i%26)
	}
	var (
		next   atomic.Int64
		errs   atomic.Int64
		mu     sync.Mutex
		lats   = make([]time.Duration, 0, *n)
		wg     sync.WaitGroup
		start  = time.Now()
		stopAt = start.Add(*dur)
	)
	var firstErr atomic.Pointer[error]
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, *size)
			local := make([]time.Duration, 0, *n / *conc + 1)
			for next.Add(1) <= int64(*n) && time.Now().Before(stopAt) {
				t0 := time.Now()
				err := once(&d, *addr, req, buf)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lats) == 0 {
		if p := firstErr.Load(); p != nil {
			return fmt.Errorf("no connection succeeded: %w", *p)
		}
		return errors.New("no connection succeeded")
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
	if p := firstErr.Load(); p != nil {
		fmt.Fprintf(os.Stderr, "connrate: %d errors, first: %v\n", errs.Load(), *p)
	}
	fmt.Printf("RESULT conns=%d errors=%d seconds=%.2f rate=%.0f p50_us=%d p99_us=%d\n",
		len(lats), errs.Load(), elapsed.Seconds(), float64(len(lats))/elapsed.Seconds(),
		pct(0.50).Microseconds(), pct(0.99).Microseconds())
	return nil
}

// once dials, writes req, reads the echoed reply and closes.
func once(d *net.Dialer, addr string, req, buf []byte) error {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	return nil
}
