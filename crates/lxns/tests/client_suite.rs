//! The rows of the client suite that ported CNI `pkg/ns`, python-lxns, CPython's
//! `os.setns`/`os.unshare` and Haskell `linux-namespaces` cases to lxns, one test each: the
//! kernel's errno kept, nothing done before an error, handles that remember their path, borrowed
//! fds validated, id maps by pidfd or for the calling process, the small error type.
//! (The pool's drain is in `isolated`, the one rule for kinds not given in `run.rs`, the
//! registry's mount and the named-netns guard in `persist.rs`.)

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[macro_use]
mod common;

use std::os::fd::AsFd;

use common::{NsGuard, thread_ns};
use lxns::{Kind, KindSet, MapKind, Namespace, Process, Reason};

const EINVAL: i32 = 22;

fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("test thread panicked")
}

/// `setns(uts_fd, CLONE_NEWNET)`: CPython gets EINVAL from the kernel; lxns says WrongKind
/// and keeps that EINVAL (before: no errno).
#[test]
fn a_wrong_kind_for_setns_keeps_the_kernels_einval() {
    let _g = NsGuard::new();
    let err = on_thread(|| {
        let uts = std::fs::File::open("/proc/self/ns/uts").unwrap();
        lxns::setns_current_thread(uts.as_fd(), Some(Kind::Net)).unwrap_err()
    });
    assert!(
        matches!(err.reason(), Reason::WrongKind { found: Kind::Uts }),
        "{err:#}"
    );
    assert_eq!(err.kind(), Some(Kind::Net));
    assert_eq!(err.raw_os_error(), Some(EINVAL), "{err:#}");
}

/// Entering the user namespace one is in: the kernel's EINVAL, kept (before: none).
#[test]
fn entering_ones_own_user_namespace_keeps_the_kernels_einval() {
    let _g = NsGuard::new();
    let err = on_thread(|| {
        Namespace::current(Kind::User)
            .unwrap()
            .enter_current_thread()
            .unwrap_err()
    });
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err:#}"
    );
    assert_eq!(err.raw_os_error(), Some(EINVAL));
    assert_eq!(err.kind(), Some(Kind::User));
}

/// `setns(pidfd, 0)`: the kernel says EINVAL, and so does lxns (not a silent Ok).
#[test]
fn entering_an_empty_set_of_a_process_is_the_kernels_einval() {
    let _g = NsGuard::new();
    let me = Process::current().unwrap();
    let err = on_thread(move || me.enter_current_thread(KindSet::EMPTY).unwrap_err());
    assert_eq!(err.raw_os_error(), Some(EINVAL), "{err:#}");
}

/// `Namespace::unshare_current_thread(Kind::Pid)` refuses before anything happens: the
/// thread's pid_for_children is unchanged (before: unshared, then NotFound).
#[test]
fn a_refused_pid_unshare_has_done_nothing() {
    require_root!();
    let _g = NsGuard::new();
    let (before, after, err) = on_thread(|| {
        let before = common::ns_inode("/proc/thread-self/ns/pid_for_children");
        let err = Namespace::unshare_current_thread(Kind::Pid).unwrap_err();
        let after = common::ns_inode("/proc/thread-self/ns/pid_for_children");
        (before, after, err)
    });
    assert_eq!(before, after, "nothing was unshared");
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err:#}"
    );
    assert_eq!(err.raw_os_error(), None, "no system call was made");
}

/// lxns's own signal type: no rustix needed by a dependent.
#[test]
fn the_signal_type_is_lxns_s() {
    let sig: lxns::Signal = lxns::parse_signal("TERM").unwrap();
    assert_eq!(sig, lxns::Signal::TERM);
    let mut cmd = lxns::Command::new("true");
    cmd.kill_on_parent_death(lxns::Signal::KILL);
    let _ = lxns::ForwardSignals::block(&[lxns::Signal::USR1]).unwrap();
}

/// CNI's `NetNS.Path()`: a handle opened from a path keeps it; one from a pid has none.
#[test]
fn a_handle_remembers_the_path_it_came_from() {
    let ns = lxns::cni::get_netns("/proc/self/ns/net").unwrap();
    assert_eq!(ns.path(), Some(std::path::Path::new("/proc/self/ns/net")));
    assert_eq!(ns.try_clone().unwrap().path(), ns.path());
    let by_pid =
        Namespace::of_process(i32::try_from(std::process::id()).unwrap(), Kind::Net).unwrap();
    assert_eq!(by_pid.path(), None);
    assert_eq!(by_pid, ns);
}

/// A borrowed fd is validated without being taken: the caller's fd stays open and usable.
#[test]
fn a_borrowed_fd_is_validated_and_left_to_its_owner() {
    let file = std::fs::File::open("/proc/self/ns/uts").unwrap();
    let ns = Namespace::from_borrowed_fd(file.as_fd(), Some(Kind::Uts)).unwrap();
    assert_eq!(ns, Namespace::open("/proc/self/ns/uts").unwrap());
    drop(ns);
    // Still ours: a second check works.
    assert!(Namespace::from_borrowed_fd(file.as_fd(), None).is_ok());
    let err = Namespace::from_borrowed_fd(file.as_fd(), Some(Kind::Net)).unwrap_err();
    assert!(matches!(err.reason(), Reason::WrongKind { .. }), "{err:#}");
    let plain = std::fs::File::open("/proc/self/status").unwrap();
    let err = Namespace::from_borrowed_fd(plain.as_fd(), None).unwrap_err();
    assert!(
        matches!(err.reason(), Reason::NotNamespace { .. }),
        "{err:#}"
    );
}

/// Id maps written through a pidfd and read back (the kernel's /proc/PID/uid_map), and the
/// calling process's own (pid 0, Haskell's `Nothing`).
#[test]
fn id_maps_by_pidfd_and_for_the_calling_process() {
    require_root!();
    // A child in a new user namespace without maps, waiting.
    let mut child = lxns::Command::new("sh")
        .args(["-c", "echo ready; read x"])
        .unshare(Kind::User)
        .stdin(lxns::Stdio::piped())
        .stdout(lxns::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let p = Process::open(child.pid()).unwrap();
    assert!(
        p.read_id_map(MapKind::Uid).unwrap().is_empty(),
        "no map yet"
    );
    p.write_setgroups(lxns::Setgroups::Deny).unwrap();
    p.write_id_map(MapKind::Uid, &"0 0 1\n1 100000 10".parse().unwrap())
        .unwrap();
    p.write_id_map(MapKind::Gid, &lxns::IdMap::single(0, 0))
        .unwrap();
    let back = p.read_id_map(MapKind::Uid).unwrap();
    assert_eq!(back.to_string(), "0 0 1\n1 100000 10\n");
    let kernel = std::fs::read_to_string(format!("/proc/{}/uid_map", child.pid())).unwrap();
    assert_eq!(kernel.parse::<lxns::IdMap>().unwrap(), back);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/setgroups", child.pid())).unwrap(),
        "deny\n"
    );
    // A map is written once: the kernel's answer, named.
    let err = p
        .write_id_map(MapKind::Uid, &lxns::IdMap::single(0, 0))
        .unwrap_err();
    assert!(err.raw_os_error().is_some(), "{err:#}");
    drop(child.stdin.take());
    child.wait().unwrap();
    // Once it is gone (reaped), the handle does not write to a reused pid.
    let err = p.read_id_map(MapKind::Uid).unwrap_err();
    assert!(
        matches!(err.reason(), Reason::ProcessGone { .. }),
        "{err:#}"
    );
    // The calling process: pid 0.
    let own = lxns::read_id_map(0, MapKind::Uid).unwrap();
    assert_eq!(
        own,
        std::fs::read_to_string("/proc/self/uid_map")
            .unwrap()
            .parse()
            .unwrap()
    );
}

/// One kind where a set is taken, as `Command::unshare` does.
#[test]
fn a_single_kind_goes_where_a_set_is_taken() {
    let _g = NsGuard::new();
    let opts = lxns::ListOptions::new().kinds(Kind::Net);
    let listing = lxns::list(&opts).unwrap();
    assert!(listing.namespaces.iter().all(|n| n.id.kind() == Kind::Net));
    let me = Process::current().unwrap();
    // Entering what we share is refused by the kernel only for user; net is fine.
    let before = thread_ns(Kind::Net);
    on_thread(move || me.enter_current_thread(Kind::Net).unwrap());
    assert_eq!(thread_ns(Kind::Net), before);
}

/// The error: one pointer; one line; the hint under `{:#}` and in `Debug`; no invented errno.
#[test]
fn the_error_is_small_and_speaks_in_one_line() {
    assert!(size_of::<lxns::Result<()>>() <= 16);
    assert_eq!(size_of::<lxns::Error>(), size_of::<usize>());
    let err = Namespace::open("/nonexistent/ns").unwrap_err();
    assert!(matches!(err.reason(), Reason::NotFound));
    assert_eq!(err.raw_os_error(), Some(2), "the kernel's ENOENT");
    let text = err.to_string();
    assert!(
        !text.contains('\n') && text.contains("/nonexistent/ns"),
        "{text}"
    );
    let parse = "netz".parse::<Kind>().unwrap_err();
    assert_eq!(parse.raw_os_error(), None, "no system call, no errno");
    let mt = on_thread(|| lxns::unshare_current_thread(Kind::User).unwrap_err());
    assert!(
        matches!(mt.reason(), Reason::MultiThreaded { .. }),
        "{mt:#}"
    );
    assert!(!mt.to_string().contains("hint:"));
    assert!(format!("{mt:#}").contains("\nhint: "));
    assert_eq!(format!("{mt:?}"), format!("{mt:#}"));
    // Wrapped in io::Error, the one line travels, and it comes back out whole.
    let io: std::io::Error = mt.into();
    assert!(!io.to_string().contains('\n'));
    assert!(
        io.get_ref()
            .and_then(|e| e.downcast_ref::<lxns::Error>())
            .is_some()
    );
}
