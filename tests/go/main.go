// SPDX-License-Identifier: MIT

// tests/go_cgo.sh: a Go program built with cgo, linked with two C libraries
// that install SIGTERM handlers: libearly (before the Go runtime starts: Go
// reads it and forwards to it by itself) and liblate (installed through cgo
// after Go started, without reading Go's handler and without SA_ONSTACK).
// The Go runtime installs its handlers through libc, so the shim sees them.
//
// Usage: gocgo MODE, MODE one of
//
//	early-notify   signal.Notify(SIGTERM): Go keeps the signal (prints
//	               "go got TERM", exits 0); the early handler does not run
//	early-default  no Notify: Go's default action forwards to the early
//	               handler once, then the process dies by SIGTERM
//	late-notify    Notify, then liblate installs its handler
//	late-default   no Notify, then liblate installs its handler
//
// The program sends SIGTERM to its own thread (tgkill): the kernel delivers
// it on the way back from that system call, so when Tgkill returns every
// handler it ran has returned (or the process is dead). In the notify
// modes a second signal, SIGPWR, also notified, follows it: os/signal hands
// over the pending signals in the order they came and, for those pending
// together, by number (15 < 30), so SIGTERM reaches the channel before
// SIGPWR if Go's handler saw it at all: no timeout decides. Every output
// line is one write(2), from Go as from the C handlers.
package main

/*
#cgo LDFLAGS: -learly -llate
int early_calls(void);
int late_calls(void);
int late_install(void);
*/
import "C"

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gocgo early-notify|early-default|late-notify|late-default")
		os.Exit(2)
	}
	var late, notify bool
	switch os.Args[1] {
	case "early-notify":
		notify = true
	case "early-default":
	case "late-notify":
		late, notify = true, true
	case "late-default":
		late = true
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	var c chan os.Signal
	if notify {
		c = make(chan os.Signal, 4)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGPWR)
	}
	if late && C.late_install() != 0 {
		fmt.Fprintln(os.Stderr, "late_install failed")
		os.Exit(2)
	}
	runtime.LockOSThread() // Gettid stays this goroutine's thread
	pid, tid := os.Getpid(), syscall.Gettid()
	fmt.Println("ready")
	if err := syscall.Tgkill(pid, tid, syscall.SIGTERM); err != nil {
		fmt.Fprintln(os.Stderr, "tgkill:", err)
		os.Exit(2)
	}
	// only reached when the process survives SIGTERM
	fmt.Printf("after TERM: early=%d late=%d\n", C.early_calls(), C.late_calls())
	if notify {
		if err := syscall.Tgkill(pid, tid, syscall.SIGPWR); err != nil {
			fmt.Fprintln(os.Stderr, "tgkill:", err)
			os.Exit(2)
		}
		for s := range c {
			if s != syscall.SIGTERM {
				break // SIGPWR: every SIGTERM Go saw came before it
			}
			fmt.Println("go got TERM")
		}
	}
	fmt.Println("done")
	os.Exit(0)
}
