// The enter/return loop of bench/loops.sh in Go, with the two libraries Go programs use to
// work in another network namespace: CNI's containernetworking/plugins pkg/ns and
// vishvananda/netns. Built offline in GOPATH mode against Debian's packaged sources
// (golang-github-containernetworking-plugins-dev, golang-github-vishvananda-netns-dev).
//
//	go-loop PID ITERS REPS
//
// prints "ITER <variant> <ns per iteration>" once per repetition and variant, the contract
// of every loop program in bench/ (bench/common.sh, loop_rows).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-loop: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// inode of a namespace link: what identifies the namespace.
func inode(path string) uint64 {
	var st unix.Stat_t
	check(unix.Stat(path, &st))
	return st.Ino
}

func number(s, what string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		fail("%s must be a positive number, not %q", what, s)
	}
	return n
}

// timed runs body iters times, reps times over, and prints one ITER line per repetition.
func timed(variant string, iters, reps int, body func()) {
	for r := 0; r < reps; r++ {
		start := time.Now()
		for i := 0; i < iters; i++ {
			body()
		}
		perIter := float64(time.Since(start).Nanoseconds()) / float64(iters)
		fmt.Printf("ITER %s %.1f\n", variant, perIter)
	}
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: go-loop PID ITERS REPS")
	}
	pid := number(os.Args[1], "PID")
	iters := number(os.Args[2], "ITERS")
	reps := number(os.Args[3], "REPS")
	target := fmt.Sprintf("/proc/%d/ns/net", pid)
	if inode(target) == inode("/proc/self/ns/net") {
		fail("pid %d is in our network namespace", pid)
	}
	nothing := func(ns.NetNS) error { return nil }

	// CNI pkg/ns. Do locks an OS thread, enters, runs the closure and goes back; first
	// check once that the closure really runs in the target.
	handle, err := ns.GetNS(target)
	check(err)
	var seen uint64
	check(handle.Do(func(ns.NetNS) error {
		seen = inode("/proc/thread-self/ns/net")
		return nil
	}))
	if seen != inode(target) {
		fail("NetNS.Do did not run the closure in %s", target)
	}
	timed("cni NetNS.Do(pre-opened)", iters, reps, func() { check(handle.Do(nothing)) })
	timed("cni GetNS-Do-Close", iters, reps, func() {
		h, err := ns.GetNS(target)
		check(err)
		check(h.Do(nothing))
		check(h.Close())
	})
	timed("cni WithNetNSPath", iters, reps, func() { check(ns.WithNetNSPath(target, nothing)) })
	check(handle.Close())

	// vishvananda/netns: the caller locks its thread and switches it explicitly.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	home, err := netns.Get()
	check(err)
	timed("vishvananda GetFromPid-Set-back-Close", iters, reps, func() {
		h, err := netns.GetFromPid(pid)
		check(err)
		check(netns.Set(h))
		check(netns.Set(home))
		check(h.Close())
	})
	kept, err := netns.GetFromPid(pid)
	check(err)
	timed("vishvananda Set-pair(pre-opened)", iters, reps, func() {
		check(netns.Set(kept))
		check(netns.Set(home))
	})
	check(kept.Close())
	if inode("/proc/thread-self/ns/net") != inode("/proc/self/ns/net") {
		fail("the thread did not end in its own network namespace")
	}
	check(home.Close())
}
