//! `run`, `Worker` and the CNI helpers: Go CNI's `pkg/ns/ns_linux_test.go`, case by case, in
//! Rust, plus what CNI does not test (panics, half-way failures, tainting closures), all
//! checked against `/proc/*/ns/*`.

// Tests fail by panicking; helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::HashSet;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{NsGuard, TempDir, all_threads_ns, ns_inode, target_with, thread_ns};
use lxns::Reason;
use lxns::{Kind, Namespace, Worker, cni};

fn no_thread_in(kind: Kind, ino: u64) -> bool {
    !all_threads_ns(kind).contains(&ino)
}

// CNI: "executes the callback within the context of the target namespace"
#[test]
fn closure_runs_in_the_target_namespace() {
    let _g = NsGuard::new();
    let target = cni::temp_netns().unwrap();
    let want = target.id().ino();
    let got = target.run(|| thread_ns(Kind::Net)).unwrap();
    assert_eq!(got, want);
    assert_ne!(thread_ns(Kind::Net), want);
    assert!(no_thread_in(Kind::Net, want));
}

#[test]
fn every_joinable_kind_at_once() {
    let _g = NsGuard::new();
    let kinds = [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Cgroup, Kind::Mnt];
    let handles: Vec<Namespace> = kinds.iter().map(|k| Namespace::new(*k).unwrap()).collect();
    // A pid namespace, for children: held by a process in it.
    let holder = target_with(&["--pid", "--fork"]);
    let shell: i32 = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", holder.pid()))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pidns = Namespace::of_process(shell, Kind::Pid).unwrap();
    let mut refs: Vec<&Namespace> = handles.iter().collect();
    refs.push(&pidns);
    let (inside, child_nspid) = lxns::run(&refs, move || {
        let inside: Vec<u64> = kinds.iter().map(|k| thread_ns(*k)).collect();
        // A child started here is in the pid namespace.
        let out = std::process::Command::new("grep")
            .args(["^NSpid:", "/proc/self/status"])
            .output()
            .unwrap();
        (inside, String::from_utf8_lossy(&out.stdout).into_owned())
    })
    .unwrap();
    let want: Vec<u64> = handles.iter().map(|h| h.id().ino()).collect();
    assert_eq!(inside, want);
    assert_eq!(child_nspid.split_whitespace().count(), 3, "{child_nspid}");
}

// CNI: "provides the original namespace as the argument to the callback"
#[test]
fn the_callers_namespace_is_available_inside() {
    let _g = NsGuard::new();
    let host = cni::current_netns().unwrap();
    let host_ino = thread_ns(Kind::Net);
    let target = cni::temp_netns().unwrap();
    // Borrowed, with run_scoped.
    let (seen_host, inside) = target
        .run_scoped(|| (host.id().ino(), thread_ns(Kind::Net)))
        .unwrap();
    assert_eq!(seen_host, host_ino);
    assert_ne!(inside, host_ino);
    // Moved in, with run; and used from inside to run something back in the host namespace.
    let host2 = host.try_clone().unwrap();
    let back = target
        .run(move || host2.run(|| thread_ns(Kind::Net)).unwrap())
        .unwrap();
    assert_eq!(back, host_ino);
}

/// One rule for kinds not given, whichever thread calls: `run`, `run_scoped` and
/// `Worker::new` all run the closure in the process's namespaces for them (before,
/// `run_scoped` and `Worker` took the calling thread's).
#[test]
fn kinds_not_given_are_the_process_s_for_run_run_scoped_and_worker() {
    let _g = NsGuard::new();
    let process_net = ns_inode("/proc/self/ns/net");
    let moved_to = Namespace::new(Kind::Net).unwrap();
    let uts = Namespace::new(Kind::Uts).unwrap();
    let want_uts = uts.id().ino();
    let (pooled, scoped, worker) = std::thread::spawn(move || {
        moved_to.enter_current_thread().unwrap();
        assert_ne!(thread_ns(Kind::Net), process_net, "the caller moved");
        let u = uts.try_clone().unwrap();
        let probe = || (thread_ns(Kind::Net), thread_ns(Kind::Uts));
        let pooled = lxns::run(&[&u], probe).unwrap();
        let scoped = lxns::run_scoped(&[&uts], probe).unwrap();
        let w = Worker::new(&[&uts]).unwrap();
        let worker = w.run(probe).unwrap();
        (pooled, scoped, worker)
    })
    .join()
    .unwrap();
    for (what, got) in [("run", pooled), ("run_scoped", scoped), ("Worker", worker)] {
        assert_eq!(got, (process_net, want_uts), "{what}");
    }
}

// CNI: "when called concurrently / can be used concurrently"
#[test]
fn two_hundred_threads_each_land_in_their_namespace() {
    let _g = NsGuard::new();
    let targets: Vec<Namespace> = (0..4).map(|_| cni::temp_netns().unwrap()).collect();
    let host = thread_ns(Kind::Net);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let target = &targets[i % targets.len()];
                s.spawn(move || {
                    let before = thread_ns(Kind::Net);
                    let got = target.run(|| thread_ns(Kind::Net)).unwrap();
                    let after = thread_ns(Kind::Net);
                    (got, target.id().ino(), before, after)
                })
            })
            .collect();
        for h in handles {
            let (got, want, before, after) = h.join().unwrap();
            assert_eq!(got, want);
            assert_eq!(before, host);
            assert_eq!(after, host, "a calling thread changed namespace");
        }
    });
    for t in &targets {
        assert!(no_thread_in(Kind::Net, t.id().ino()));
    }
}

#[derive(Debug, PartialEq)]
struct MyError(u32, String);

// CNI: "when the callback returns an error: restores the calling thread, returns the error"
#[test]
fn an_error_from_the_closure_comes_back_unchanged() {
    let _g = NsGuard::new();
    let target = cni::temp_netns().unwrap();
    let r: lxns::Result<Result<(), MyError>> =
        target.run(|| Err(MyError(42, "interface eth9 missing".into())));
    assert_eq!(
        r.unwrap(),
        Err(MyError(42, "interface eth9 missing".into()))
    );
    assert!(no_thread_in(Kind::Net, target.id().ino()));
}

#[test]
fn a_panicking_closure_taints_nothing() {
    let _g = NsGuard::new();
    let target = cni::temp_netns().unwrap();
    let ino = target.id().ino();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        target.run(|| -> () { panic!("boom in the namespace") })
    }));
    let payload = caught.expect_err("the panic propagates");
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap();
    assert_eq!(text, "boom in the namespace");
    assert!(no_thread_in(Kind::Net, ino));
    // Still usable.
    assert_eq!(target.run(|| thread_ns(Kind::Net)).unwrap(), ino);
}

#[test]
fn a_dropped_namespace_is_held_by_no_thread() {
    let _g = NsGuard::new();
    let target = cni::temp_netns().unwrap();
    let ino = target.id().ino();
    let worker = Worker::new(&[&target]).unwrap();
    assert!(!no_thread_in(Kind::Net, ino), "the worker is in it");
    assert_eq!(worker.run(|| thread_ns(Kind::Net)).unwrap(), ino);
    target.run(|| ()).unwrap();
    drop(worker);
    drop(target);
    assert!(no_thread_in(Kind::Net, ino));
}

// CNI: IsNSorErr / GetNS on non-namespaces and missing paths
#[test]
fn path_not_a_namespace_and_path_missing_are_distinct() {
    let _g = NsGuard::new();
    let dir = TempDir::new("cni");
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(
        (cni::is_netns(&file)).as_ref().map_err(|e| e.reason()),
        Err(Reason::NotNamespace { .. })
    ));
    assert!(matches!(
        (cni::is_netns(dir.path())).as_ref().map_err(|e| e.reason()),
        Err(Reason::NotNamespace { .. })
    ));
    assert!(matches!(
        (cni::is_netns(dir.path().join("nope")))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
    assert!(matches!(
        (cni::is_netns("/proc/self/ns/uts"))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::WrongKind { .. })
    ));
    cni::is_netns("/proc/self/ns/net").unwrap();
    let r: lxns::Result<()> = cni::with_netns_path(&file, || ());
    assert!(matches!(
        r.as_ref().map_err(|e| e.reason()),
        Err(Reason::NotNamespace { .. })
    ));
    let r: lxns::Result<()> = cni::with_netns_path(dir.path().join("nope"), || ());
    assert!(matches!(
        r.as_ref().map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
}

// CNI: WithNetNSPath, GetCurrentNS, TempNetNS
#[test]
fn with_netns_path_and_current_and_temp() {
    let _g = NsGuard::new();
    let target = target_with(&["--net"]);
    let path = format!("/proc/{}/ns/net", target.pid());
    let want = ns_inode(&path);
    assert_eq!(
        cni::with_netns_path(&path, || thread_ns(Kind::Net)).unwrap(),
        want
    );
    assert_eq!(
        cni::current_netns().unwrap().id().ino(),
        thread_ns(Kind::Net)
    );
    let a = cni::temp_netns().unwrap();
    let b = cni::temp_netns().unwrap();
    assert_ne!(a, b);
    assert_ne!(a, cni::current_netns().unwrap());
    // A temporary namespace has only lo, per the kernel.
    let links = a
        .run(|| {
            std::process::Command::new("ip")
                .args(["-o", "link"])
                .output()
        })
        .unwrap();
    let links = match links {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(e) => skip!("ip(8) is needed: {e}"),
    };
    assert_eq!(links.lines().count(), 1, "{links}");
}

#[test]
fn user_and_time_namespaces_are_refused_up_front() {
    let _g = NsGuard::new();
    let holder = target_with(&["--user"]);
    let user = Namespace::of_process(holder.pid(), Kind::User).unwrap();
    let err = lxns::run(&[&user], || ()).unwrap_err();
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err:?}"
    );
    let text = format!("{err:#}");
    assert!(
        text.contains("user namespace") && text.contains("process"),
        "{text}"
    );
    let time = Namespace::new(Kind::Time).unwrap();
    assert!(matches!(
        (lxns::run(&[&time], || ()))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
    assert!(matches!(
        (Worker::new(&[&user])).as_ref().map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
    let a = Namespace::new(Kind::Net).unwrap();
    let b = Namespace::new(Kind::Net).unwrap();
    assert!(matches!(
        (lxns::run(&[&a, &b], || ()))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
}

/// Drops CAP_SYS_CHROOT from this thread's effective set (capset is per thread; threads it
/// creates inherit it). setns into a mount namespace then fails with EPERM, while net and uts
/// still work: the second of three namespaces cannot be entered.
fn without_cap_sys_chroot<T: Send>(before_6_9: bool, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
            if before_6_9 {
                // Threads created from here on inherit the filter.
                common::SyscallFilter::no_pidfd_thread()
                    .install_on_this_thread()
                    .unwrap();
            }
            let mut caps = capabilities(None).unwrap();
            caps.effective.remove(CapabilitySet::SYS_CHROOT);
            set_capabilities(None, caps).unwrap();
            f()
        })
        .join()
        .unwrap()
    })
}

/// A helper thread that entered the first of three namespaces and failed at the second is
/// gone (kernel-released) before the error returns: with a thread pidfd, and as before
/// Linux 6.9 (no PIDFD_THREAD: the /proc/self/task entry is watched), for run_scoped,
/// Worker::new and Namespace::new's helper.
#[test]
fn failing_half_way_names_the_namespace_and_discards_the_thread() {
    let _g = NsGuard::new();
    if !rustix::thread::capabilities(None)
        .unwrap()
        .effective
        .contains(rustix::thread::CapabilitySet::SYS_CHROOT)
    {
        skip!("needs CAP_SYS_CHROOT to drop");
    }
    for before_6_9 in [false, true] {
        let net = Namespace::new(Kind::Net).unwrap();
        let mnt = Namespace::new(Kind::Mnt).unwrap();
        let uts = Namespace::new(Kind::Uts).unwrap();
        let ran = std::sync::atomic::AtomicBool::new(false);
        // run_scoped's new thread inherits the reduced capabilities.
        let err = without_cap_sys_chroot(before_6_9, || {
            lxns::run_scoped(&[&net, &mnt, &uts], || {
                ran.store(true, std::sync::atomic::Ordering::SeqCst)
            })
            .unwrap_err()
        });
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "closure must not run"
        );
        match err.reason() {
            Reason::PermissionDenied { .. } => {
                assert_eq!(err.kind(), Some(Kind::Mnt));
                assert_eq!(*err.target(), lxns::Target::Namespace(mnt.id()));
            }
            other => panic!("expected PermissionDenied for mnt, got {other:?}"),
        }
        assert!(format!("{err:#}").contains(&mnt.id().to_string()), "{err}");
        // The thread that had entered `net` is gone: no thread is left there.
        assert!(no_thread_in(Kind::Net, net.id().ino()), "{before_6_9}");
        // The same for a worker.
        let err =
            without_cap_sys_chroot(before_6_9, || Worker::new(&[&net, &mnt, &uts]).unwrap_err());
        assert!(
            matches!(err.reason(), Reason::PermissionDenied { .. }),
            "{err:?}"
        );
        assert!(no_thread_in(Kind::Net, net.id().ino()), "{before_6_9}");
        // Namespace::new's helper thread (it unshared the namespace) is gone too.
        let fresh = without_cap_sys_chroot(before_6_9, || Namespace::new(Kind::Net).unwrap());
        assert!(no_thread_in(Kind::Net, fresh.id().ino()), "{before_6_9}");
        // A worker that is dropped leaves nobody behind.
        let w = without_cap_sys_chroot(before_6_9, || Worker::new(&[&fresh]).unwrap());
        assert_eq!(w.run(|| thread_ns(Kind::Net)).unwrap(), fresh.id().ino());
        drop(w);
        assert!(no_thread_in(Kind::Net, fresh.id().ino()), "{before_6_9}");
    }
}

#[test]
fn a_worker_runs_many_closures_in_its_namespaces() {
    let _g = NsGuard::new();
    let net = Namespace::new(Kind::Net).unwrap();
    let uts = Namespace::new(Kind::Uts).unwrap();
    let worker = Worker::new(&[&net, &uts]).unwrap();
    assert_eq!(worker.namespaces(), &[net.id(), uts.id()]);
    let tids: HashSet<i32> = (0..1000)
        .map(|_| {
            let (n, u, tid) = worker
                .run(|| {
                    (
                        thread_ns(Kind::Net),
                        thread_ns(Kind::Uts),
                        rustix::thread::gettid().as_raw_nonzero().get(),
                    )
                })
                .unwrap();
            assert_eq!((n, u), (net.id().ino(), uts.id().ino()));
            tid
        })
        .collect();
    assert_eq!(tids.len(), 1, "one parked thread");
    assert!(worker.is_alive());
    drop(worker);
    assert!(no_thread_in(Kind::Net, net.id().ino()));
}

#[test]
fn a_worker_survives_panics_and_repairs_its_own_kinds() {
    let _g = NsGuard::new();
    let net = Namespace::new(Kind::Net).unwrap();
    let other = Namespace::new(Kind::Net).unwrap();
    let worker = Worker::new(&[&net]).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        worker.run(|| -> () { panic!("worker boom") })
    }));
    assert!(r.is_err());
    assert_eq!(worker.run(|| thread_ns(Kind::Net)).unwrap(), net.id().ino());
    // A closure that moves the worker to another network namespace: the worker re-enters
    // its own before the next closure.
    let other2 = other.try_clone().unwrap();
    worker
        .run(move || other2.enter_current_thread().unwrap())
        .unwrap();
    assert_eq!(worker.run(|| thread_ns(Kind::Net)).unwrap(), net.id().ino());
    assert!(no_thread_in(Kind::Net, other.id().ino()));
}

#[test]
fn a_worker_moved_to_a_kind_it_does_not_own_stops() {
    let _g = NsGuard::new();
    let net = Namespace::new(Kind::Net).unwrap();
    let foreign_uts = Namespace::new(Kind::Uts).unwrap();
    let worker = Worker::new(&[&net]).unwrap();
    let f = foreign_uts.try_clone().unwrap();
    // The closure itself completes and returns its value...
    worker
        .run(move || f.enter_current_thread().unwrap())
        .unwrap();
    // ...but the thread cannot be verified any more, so it stops instead of running more.
    let err = worker.run(|| ()).unwrap_err();
    assert!(format!("{err:#}").contains("thread has stopped"), "{err}");
    assert!(!worker.is_alive());
    assert!(matches!(
        (block_on(worker.run_async(|| ())))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
    drop(worker);
    assert!(no_thread_in(Kind::Uts, foreign_uts.id().ino()));
}

#[test]
fn run_async_without_an_executor_library() {
    let _g = NsGuard::new();
    let net = Namespace::new(Kind::Net).unwrap();
    let got = block_on(lxns::run_async(&[&net], || thread_ns(Kind::Net))).unwrap();
    assert_eq!(got, net.id().ino());
    let worker = Worker::new(&[&net]).unwrap();
    assert_eq!(
        block_on(worker.run_async(|| thread_ns(Kind::Net))).unwrap(),
        net.id().ino()
    );
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        block_on(lxns::run_async(&[&net], || -> () { panic!("async boom") }))
    }));
    assert!(panicked.is_err());
}

/// A minimal executor: park the thread until woken.
fn block_on<F: Future>(fut: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
