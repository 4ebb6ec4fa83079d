//! A pooled `run` (and `run_async`) that fails half-way: the second of three namespaces
//! cannot be entered. Its own test binary, so the helper pool is created here by a thread
//! without CAP_SYS_CHROOT (helpers inherit their creator's capabilities), which makes
//! `setns` into a mount namespace fail with EPERM while net and uts succeed, and with a
//! seccomp filter that refuses `PIDFD_THREAD` as kernels before 6.9 do.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lxns::Reason;
use lxns::{Kind, Namespace, Target};

fn all_threads_in(kind: Kind, ino: u64) -> bool {
    common::all_threads_ns(kind).contains(&ino)
}

#[test]
fn second_of_three_fails_names_it_and_no_thread_stays_behind() {
    let _g = common::NsGuard::new();
    use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
    if !capabilities(None)
        .unwrap()
        .effective
        .contains(CapabilitySet::SYS_CHROOT)
    {
        skip!("needs CAP_SYS_CHROOT to drop");
    }
    let net = Namespace::new(Kind::Net).unwrap();
    let mnt = Namespace::new(Kind::Mnt).unwrap();
    let uts = Namespace::new(Kind::Uts).unwrap();
    let (mnt_id, net_ino) = (mnt.id(), net.id().ino());
    std::thread::spawn(move || {
        // The pool's helpers are created from this thread and inherit its seccomp filter:
        // they run as on kernels before 6.9 (no PIDFD_THREAD), so a retired helper's exit is
        // seen through /proc/self/task.
        common::SyscallFilter::no_pidfd_thread()
            .install_on_this_thread()
            .unwrap();
        let mut caps = capabilities(None).unwrap();
        caps.effective.remove(CapabilitySet::SYS_CHROOT);
        set_capabilities(None, caps).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let err =
            lxns::run(&[&net, &mnt, &uts], move || r.store(true, Ordering::SeqCst)).unwrap_err();
        assert!(!ran.load(Ordering::SeqCst), "the closure must not run");
        match err.reason() {
            Reason::PermissionDenied { .. } => {
                assert_eq!(err.kind(), Some(Kind::Mnt));
                assert_eq!(*err.target(), Target::Namespace(mnt_id));
            }
            other => panic!("expected PermissionDenied for mnt, got {other:?}"),
        }
        assert!(format!("{err:#}").contains(&mnt_id.to_string()), "{err}");
        // The helper went back home (or is gone): nobody is in `net`.
        assert!(!all_threads_in(Kind::Net, net_ino));
        // And through a future.
        let fut = lxns::run_async(&[&net, &mnt, &uts], || ());
        let err = block_on(fut).unwrap_err();
        assert!(
            matches!(err.reason(), Reason::PermissionDenied { .. }),
            "{err:?}"
        );
        assert!(!all_threads_in(Kind::Net, net_ino));
        // The helper still works for namespaces it may enter.
        let net2 = net.try_clone().unwrap();
        let got = lxns::run(&[&net2], || common::thread_ns(Kind::Net)).unwrap();
        assert_eq!(got, net_ino);
    })
    .join()
    .unwrap();
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(fut)
}
