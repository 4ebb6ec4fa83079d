//! Heap allocations on the hot paths, counted by a global allocator (this test binary only):
//! entering and returning with open handles allocates nothing; opening a handle through a
//! pidfd allocates nothing; `run` and `Worker::run` allocate a small, fixed number of blocks.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use lxns::{Kind, Namespace, Process, Worker};

/// Counts allocations made by the current thread while `COUNTING` is on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the thread-local
// counters only read and write `Cell`s (no allocation, no reentrancy).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.try_with(Cell::get).unwrap_or(false) {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
        // SAFETY: the caller's `layout` contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations the current thread makes in `f`.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

#[test]
fn hot_paths_allocate_little_or_nothing() {
    let target = common::target_with(&["--net"]);
    let pid = target.pid();
    let process = Process::open(pid).unwrap();
    let (enter, open, run, worker_run) = std::thread::spawn(move || {
        let home = Namespace::current(Kind::Net).unwrap();
        let there = process.namespace(Kind::Net).unwrap();
        // Warm up thread-locals and the helper pool outside the counted region.
        there.enter_current_thread().unwrap();
        home.enter_current_thread().unwrap();
        let t = there.try_clone().unwrap();
        lxns::run(&[&t], || ()).unwrap();
        let worker = Worker::new(&[&there]).unwrap();
        worker.run(|| ()).unwrap();

        let enter = allocations(|| {
            for _ in 0..1000 {
                there.enter_current_thread().unwrap();
                home.enter_current_thread().unwrap();
            }
        });
        let open = allocations(|| {
            for _ in 0..1000 {
                drop(Namespace::of_process(pid, Kind::Net).unwrap());
            }
        });
        // The same through the /proc fallback of kernels before 6.11, on a thread whose
        // PIDFD_GET_*_NAMESPACE ioctls fail with ENOTTY as they do there.
        let fallback = std::thread::spawn(move || {
            common::SyscallFilter::allow_all()
                .fail_ioctl_type(0xff, libc::ENOTTY)
                .install_on_this_thread()
                .unwrap();
            let ns = Namespace::of_process(pid, Kind::Net).unwrap();
            let n = allocations(|| {
                for _ in 0..1000 {
                    drop(Namespace::of_process(pid, Kind::Net).unwrap());
                }
            });
            (n, ns.id())
        })
        .join()
        .unwrap();
        assert_eq!(
            fallback.1,
            there.id(),
            "the /proc fallback reached another namespace"
        );
        let run = allocations(|| {
            for _ in 0..100 {
                lxns::run(&[&t], || ()).unwrap();
            }
        });
        let worker_run = allocations(|| {
            for _ in 0..100 {
                worker.run(|| ()).unwrap();
            }
        });
        assert_eq!(common::thread_ns(Kind::Net), home.id().ino());
        (enter, open + fallback.0, run, worker_run)
    })
    .join()
    .unwrap();
    eprintln!(
        "allocations: enter+return {enter}/1000, of_process {open}/1000, run {run}/100, \
         Worker::run {worker_run}/100 (calling thread only)"
    );
    assert_eq!(enter, 0, "enter + return must not allocate");
    assert_eq!(
        open, 0,
        "opening a namespace through a pidfd (or its /proc fallback) must not allocate"
    );
    // run: the reply slot, the job box and the duplicated handle list, a fixed few per call.
    assert!(run <= 100 * 6, "run allocates {run} times in 100 calls");
    assert!(
        worker_run <= 100 * 4,
        "Worker::run allocates {worker_run} times in 100 calls"
    );
}
