package store

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// watchFiles calls check whenever the database file or its -wal changes
// (a commit in WAL mode appends to the -wal; a checkpoint writes the
// database file), and every poll in any case, until ctx ends. It watches
// the directory rather than the files, since the -wal comes and goes.
// Without inotify (a limit reached, an odd file system) it only polls.
func (s *Store) watchFiles(ctx context.Context, poll time.Duration, check func()) {
	ino, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		pollLoop(ctx, poll, check)
		return
	}
	defer unix.Close(ino)
	dir, base := filepath.Split(s.path)
	if _, err := unix.InotifyAddWatch(ino, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		pollLoop(ctx, poll, check)
		return
	}
	// wake interrupts poll(2) when ctx ends.
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		pollLoop(ctx, poll, check)
		return
	}
	defer unix.Close(wake)
	stop := context.AfterFunc(ctx, func() { unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()

	// A commit between the caller's first read of the revision and the
	// watch sent no event to it: look once now that the watch is on.
	check()

	names := map[string]bool{base: true, base + "-wal": true}
	buf := make([]byte, 64*1024)
	lastCheck := time.Now()
	eventAt, next := time.Time{}, len(settleChecks) // no follow-up checks due
	for ctx.Err() == nil {
		wait := poll - time.Since(lastCheck)
		if next < len(settleChecks) {
			wait = min(wait, time.Until(eventAt.Add(settleChecks[next])))
		}
		fds := []unix.PollFd{{Fd: int32(ino), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, max(0, int(wait.Milliseconds())))
		if err != nil && !errors.Is(err, unix.EINTR) {
			pollLoop(ctx, poll, check)
			return
		}
		if ctx.Err() != nil {
			return
		}
		switch {
		case fds[0].Revents&unix.POLLIN != 0 && drainEvents(ino, buf, names):
			// A commit writes the -wal, then publishes itself in the -shm,
			// which is mapped memory and sends no event: a check right at
			// the event can come before the commit is visible. So check
			// now and again a little later.
			eventAt, next = time.Now(), 0
		case next < len(settleChecks) && !time.Now().Before(eventAt.Add(settleChecks[next])):
			next++
		case time.Since(lastCheck) >= poll:
			// the fallback period passed
		default:
			continue // only other files of the directory changed
		}
		check()
		lastCheck = time.Now()
	}
}

// settleChecks are the follow-up checks after a change notification, as
// times since it: one of them sees a commit the first check came too early
// for. Cheap (one indexed row each), and only after a change.
var settleChecks = []time.Duration{5 * time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond}

// drainEvents reads the pending inotify events (a commit makes several)
// and says whether any concerned one of names. It reads at most
// maxDrainReads buffers: a file in the directory written without pause
// (a log a tracer appends to as the process makes calls) would otherwise
// keep it reading forever, never back to the caller's check of its
// context.
func drainEvents(fd int, buf []byte, names map[string]bool) bool {
	ours := false
	for range maxDrainReads {
		n, err := unix.Read(fd, buf)
		if err != nil || n <= 0 {
			return ours
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			// struct inotify_event: wd, mask, cookie, len, then len bytes of name.
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			nameStart := off + unix.SizeofInotifyEvent
			if nameStart+nameLen > n {
				break
			}
			if names[cString(buf[nameStart:nameStart+nameLen])] {
				ours = true
			}
			off = nameStart + nameLen
		}
	}
	return ours
}

// maxDrainReads bounds one drainEvents call; what is left is read on the
// next round of the watch loop.
const maxDrainReads = 64

// cString is b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
