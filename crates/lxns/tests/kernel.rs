//! Core handles, inspection, entering and creating, checked against the kernel's own view
//! (`/proc/*/ns/*` inodes and links, `/proc/sys/kernel/hostname`, `/proc/PID/status`).
//!
//! libtest runs these on threads of one process, so nothing here changes the test thread's
//! namespaces: every mutation happens on a dedicated thread that ends, and an [`NsGuard`]
//! checks all namespace links of the process and the test thread around each test. Tests
//! that need a single-threaded process (user namespaces, unprivileged users, fd counts) live
//! in `tests/isolated`.

#[macro_use]
mod common;

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixListener;

use common::{
    NsGuard, TempDir, free_pid, ns_inode, ns_link, pid_ns, sleeper, target_with, thread_ns,
};
use lxns::Reason;
use lxns::{Kind, KindSet, Namespace, Process};

const EINVAL: i32 = 22;
const ENOTTY: i32 = 25;

/// Runs `f` on a new thread that ends afterwards; panics propagate.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("test thread panicked")
}

#[test]
fn current_matches_proc_for_every_kind() {
    let _g = NsGuard::new();
    for kind in Kind::ALL {
        let ns = Namespace::current(kind).expect("current");
        assert_eq!(ns.kind(), kind);
        let path = format!("/proc/thread-self/ns/{}", kind.proc_name());
        assert_eq!(ns.id().ino(), ns_inode(&path), "{kind}");
        assert_eq!(ns.id().to_string(), ns_link(&path), "{kind}");
        let meta = std::fs::metadata(&path).expect("stat");
        assert_eq!(ns.id().dev(), meta.dev(), "{kind}");
        assert_eq!(ns, Namespace::open(&path).expect("open"));
    }
}

#[test]
fn current_for_children_matches_proc() {
    let _g = NsGuard::new();
    for kind in [Kind::Pid, Kind::Time] {
        let ns = Namespace::current_for_children(kind).expect("for children");
        let name = kind.for_children_name().expect("has link");
        assert_eq!(
            ns.id().ino(),
            ns_inode(format!("/proc/thread-self/ns/{name}"))
        );
    }
    // Kinds without a *_for_children link give the plain namespace.
    assert_eq!(
        Namespace::current_for_children(Kind::Net).expect("net"),
        Namespace::current(Kind::Net).expect("net")
    );
}

#[test]
fn of_process_and_pidfd_match_proc() {
    let _g = NsGuard::new();
    let target = target_with(&["--net", "--uts", "--ipc"]);
    let pid = target.pid();
    let process = Process::open(pid).expect("pidfd");
    assert_eq!(process.pid(), pid);
    for kind in Kind::ALL {
        let a = Namespace::of_process(pid, kind).expect("of_process");
        let b = Namespace::of_pidfd(process.as_fd(), kind).expect("of_pidfd");
        let c = process.namespace(kind).expect("namespace");
        let d = Namespace::open_as(format!("/proc/{pid}/ns/{}", kind.proc_name()), kind)
            .expect("open_as");
        assert_eq!(a.id().ino(), pid_ns(pid, kind), "{kind}");
        assert_eq!(
            a.id().to_string(),
            ns_link(format!("/proc/{pid}/ns/{}", kind.proc_name()))
        );
        assert!(a == b && b == c && c == d, "{kind}");
    }
    // The target really is elsewhere for the kinds it unshared, and with us for the rest.
    for kind in [Kind::Net, Kind::Uts, Kind::Ipc] {
        assert_ne!(
            process.namespace(kind).unwrap(),
            Namespace::current(kind).unwrap()
        );
    }
    for kind in [Kind::Mnt, Kind::User, Kind::Cgroup] {
        assert_eq!(
            process.namespace(kind).unwrap(),
            Namespace::current(kind).unwrap()
        );
    }
    // The same answers through /proc, where PIDFD_GET_*_NAMESPACE fails with ENOTTY (before
    // Linux 6.11): every kind, and the *_for_children links.
    on_thread(move || {
        common::SyscallFilter::allow_all()
            .fail_ioctl_type(0xff, libc::ENOTTY)
            .install_on_this_thread()
            .unwrap();
        for kind in Kind::ALL {
            let a = process.namespace(kind).expect("fallback");
            assert_eq!(a.id().ino(), pid_ns(pid, kind), "{kind} (/proc)");
            assert_eq!(a, Namespace::of_process(pid, kind).unwrap());
            let name = kind.for_children_name().unwrap_or(kind.proc_name());
            let c = process.namespace_for_children(kind).expect("for children");
            assert_eq!(
                c.id().to_string(),
                ns_link(format!("/proc/{pid}/ns/{name}")).replace("_for_children", ""),
                "{kind} for children (/proc)"
            );
        }
    });
}

#[test]
fn process_from_pidfd_reads_pid() {
    let _g = NsGuard::new();
    let child = sleeper();
    let pidfd: OwnedFd = Process::open(child.pid()).expect("open").into();
    let p = Process::from_pidfd(pidfd).expect("from_pidfd");
    assert_eq!(p.pid(), child.pid());
    assert_eq!(
        p.namespace(Kind::Net).unwrap().id().ino(),
        pid_ns(child.pid(), Kind::Net)
    );
    let not_pidfd: OwnedFd = std::fs::File::open("/etc/hostname").unwrap().into();
    assert!(matches!(
        (Process::from_pidfd(not_pidfd))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
}

#[test]
fn open_detects_kind_and_checks_it() {
    let _g = NsGuard::new();
    let ns = Namespace::open("/proc/self/ns/uts").expect("open");
    assert_eq!(ns.kind(), Kind::Uts);
    let err = Namespace::open_as("/proc/self/ns/net", Kind::Uts).expect_err("wrong kind");
    match err.reason() {
        Reason::WrongKind { found, .. } => {
            assert_eq!((err.kind(), *found), (Some(Kind::Uts), Kind::Net));
        }
        other => panic!("expected WrongKind, got {other:?}"),
    }
    let text = format!("{err:#}");
    assert!(
        text.contains("/proc/self/ns/net") && text.contains("expected uts, found net"),
        "{text}"
    );
    // An fd opened elsewhere.
    let fd: OwnedFd = std::fs::File::open("/proc/self/ns/ipc").unwrap().into();
    let ns = Namespace::from_fd(fd).expect("from_fd");
    assert_eq!(ns.kind(), Kind::Ipc);
    let fd: OwnedFd = std::fs::File::open("/proc/self/ns/ipc").unwrap().into();
    assert!(matches!(
        (Namespace::from_fd_as(fd, Kind::Net))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::WrongKind {
            found: Kind::Ipc,
            ..
        })
    ));
}

#[test]
fn bad_paths_are_distinct_typed_errors() {
    let _g = NsGuard::new();
    let dir = TempDir::new("badpaths");
    let regular = dir.path().join("regular");
    std::fs::write(&regular, b"not a namespace").unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let socket = dir.path().join("socket");
    let _listener = UnixListener::bind(&socket).unwrap();
    let fifo = dir.path().join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();

    assert!(matches!(
        (Namespace::open(dir.path().join("missing")))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
    assert!(matches!(
        (Namespace::open(&dangling))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::NotFound)
    ));
    let cases: [(&std::path::Path, &str); 6] = [
        (&regular, "a regular file"),
        (dir.path(), "a directory"),
        (&socket, "a socket"),
        (&fifo, "a fifo"), // must not block
        (std::path::Path::new("/proc/self/status"), "procfs"),
        (std::path::Path::new("/dev/null"), "a character device"),
    ];
    for (path, what) in cases {
        let err = Namespace::open(path).expect_err("not a namespace");
        match err.reason() {
            Reason::NotNamespace { found, .. } => assert!(found.contains(what), "{found}"),
            other => panic!("{}: expected NotNamespace, got {other:?}", path.display()),
        }
        assert!(
            format!("{err:#}").contains(&path.display().to_string()),
            "{err}"
        );
        assert!(err.hint().is_some());
    }
    // The kernel's answer to NS_GET_* on a regular file stays readable: ENOTTY.
    let err = Namespace::open(&regular).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ENOTTY), "{err:?}");
    let fd: OwnedFd = std::fs::File::open(&regular).unwrap().into();
    assert_eq!(
        Namespace::from_fd(fd).unwrap_err().raw_os_error(),
        Some(ENOTTY)
    );
}

#[test]
fn setns_on_a_regular_file_is_einval() {
    let _g = NsGuard::new();
    let file = std::fs::File::open("/etc/hostname").unwrap();
    let err = on_thread(move || lxns::setns_current_thread(file.as_fd(), None).unwrap_err());
    assert!(
        matches!(err.reason(), Reason::NotNamespace { .. }),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(EINVAL));
    let ns = Namespace::current(Kind::Net).unwrap();
    let err =
        on_thread(move || lxns::setns_current_thread(ns.as_fd(), Some(Kind::Uts)).unwrap_err());
    assert!(
        matches!(
            err.reason(),
            Reason::WrongKind {
                found: Kind::Net,
                ..
            }
        ),
        "{err:?}"
    );
}

/// Below the library's minimums the answer is `Unsupported`, naming the call and its
/// kernel: `pidfd_open` (5.3; a filter makes it ENOSYS here) for everything that takes a
/// pid, `NS_GET_NSTYPE` (4.11; ENOTTY) for validating a handle. Handles that need neither
/// (the calling thread's, spawning without a parent-death signal) keep working.
#[test]
fn below_the_minimum_kernel_the_answer_names_the_missing_call() {
    let _g = NsGuard::new();
    let target = target_with(&["--net"]);
    let pid = target.pid();
    on_thread(move || {
        common::SyscallFilter::errno(&[(libc::SYS_pidfd_open, libc::ENOSYS)])
            .install_on_this_thread()
            .unwrap();
        for err in [
            Process::open(pid).unwrap_err(),
            Namespace::of_process(pid, Kind::Net).unwrap_err(),
        ] {
            assert!(
                matches!(err.reason(), Reason::Unsupported { .. }),
                "{err:?}"
            );
            assert_eq!(err.raw_os_error(), Some(libc::ENOSYS));
            assert!(
                format!("{err:#}").contains("pidfd_open (Linux 5.3)"),
                "{err}"
            );
        }
        assert!(Namespace::current(Kind::Net).is_ok());
        let out = lxns::Command::new("true").output().unwrap();
        assert!(out.status.success());
    });
    on_thread(|| {
        // NS_GET_NSTYPE is _IO(0xb7, 0x3).
        common::SyscallFilter::allow_all()
            .fail_ioctl(0xb703, libc::ENOTTY)
            .install_on_this_thread()
            .unwrap();
        let err = Namespace::open("/proc/self/ns/net").unwrap_err();
        assert!(
            matches!(err.reason(), Reason::Unsupported { .. }),
            "{err:?}"
        );
        assert!(format!("{err:#}").contains("Linux 4.11"), "{err}");
    });
}

#[test]
fn bad_pids_are_typed_errors() {
    let _g = NsGuard::new();
    for pid in [0, -1, i32::MIN] {
        let err = Process::open(pid).unwrap_err();
        assert!(
            matches!(err.reason(), Reason::InvalidArgument { .. }),
            "{pid}: {err:?}"
        );
        assert!(format!("{err:#}").contains(&format!("pid {pid}")), "{err}");
        assert!(matches!(
            (Namespace::of_process(pid, Kind::Net))
                .as_ref()
                .map_err(|e| e.reason()),
            Err(Reason::InvalidArgument { .. })
        ));
    }
    let missing = free_pid();
    let err = Namespace::of_process(missing, Kind::Net).unwrap_err();
    assert!(
        matches!(err.reason(), Reason::ProcessGone { pid, .. } if *pid == missing),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(3));
    // A thread id that is not a process (the thread is kept alive meanwhile).
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(rustix::thread::gettid().as_raw_nonzero().get())
            .unwrap();
        let _ = done_rx.recv();
    });
    let tid = rx.recv().unwrap();
    let err = Process::open(tid).unwrap_err();
    drop(done_tx);
    t.join().unwrap();
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err:?}"
    );
    assert!(format!("{err:#}").contains("thread id"), "{err}");
}

#[test]
fn process_that_exits_after_lookup_is_gone() {
    let _g = NsGuard::new();
    // Opened, then killed and reaped: the pid may be reused, the pidfd never is.
    let mut child = sleeper();
    let process = Process::open(child.pid()).expect("open");
    assert!(process.namespace(Kind::Net).is_ok());
    child.0.kill().unwrap();
    // Wait until it is a zombie, without reaping it (WNOWAIT).
    rustix::process::waitid(
        rustix::process::WaitId::Pid(rustix::process::Pid::from_raw(child.pid()).unwrap()),
        rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT,
    )
    .unwrap();
    // Zombie (not yet reaped): no namespaces any more, whether the kernel hands them out
    // (PIDFD_GET_*_NAMESPACE, 6.11+) or lxns reads /proc (before 6.11, emulated here by a
    // filter that makes those ioctls fail with ENOTTY). A zombie's user and pid links still
    // open in /proc: only the pidfd can tell.
    let all_gone = |process: &Process, when: &str| {
        for kind in Kind::ALL {
            let err = process.namespace(kind).unwrap_err();
            assert!(
                matches!(err.reason(), Reason::ProcessGone { .. }),
                "{when} {kind}: {err:?}"
            );
        }
    };
    let through_proc = |process: Process, when: &'static str| {
        on_thread(move || {
            common::SyscallFilter::allow_all()
                .fail_ioctl_type(0xff, libc::ENOTTY)
                .install_on_this_thread()
                .unwrap();
            for kind in Kind::ALL {
                let err = process.namespace(kind).unwrap_err();
                assert!(
                    matches!(err.reason(), Reason::ProcessGone { .. }),
                    "{when} (/proc) {kind}: {err:?}"
                );
            }
            process
        })
    };
    all_gone(&process, "zombie");
    let process = through_proc(process, "zombie");
    child.0.wait().unwrap();
    all_gone(&process, "reaped");
    let process = through_proc(process, "reaped");
    let err = on_thread(move || {
        process
            .enter_current_thread(KindSet::of(Kind::Uts))
            .unwrap_err()
    });
    assert!(
        matches!(err.reason(), Reason::ProcessGone { .. }),
        "{err:?}"
    );
}

#[test]
fn owner_and_parent_relations() {
    let _g = NsGuard::new();
    let user = Namespace::current(Kind::User).unwrap();
    for kind in Kind::ALL {
        let ns = Namespace::current(kind).unwrap();
        if kind == Kind::User {
            // Our own user namespace's owner would be our parent: not visible (EPERM).
            let err = ns.user_namespace().unwrap_err();
            assert!(
                matches!(err.reason(), Reason::PermissionDenied { .. }),
                "{err:?}"
            );
            continue;
        }
        assert_eq!(ns.user_namespace().expect("owner"), user, "{kind}");
    }
    // Non-hierarchical kinds have no parent.
    let err = Namespace::current(Kind::Net).unwrap().parent().unwrap_err();
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err:?}"
    );
    // The caller's own user namespace has no parent it may see (EPERM).
    let err = user.parent().unwrap_err();
    assert!(
        matches!(err.reason(), Reason::PermissionDenied { .. }),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(1));
    // owner uid: the kernel's uid_map says we are uid 0 of the initial namespace.
    assert_eq!(user.owner_uid().expect("owner uid"), 0);
    assert!(matches!(
        (Namespace::current(Kind::Uts).unwrap().owner_uid())
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
}

#[test]
fn user_namespace_of_a_child_user_namespace() {
    let _g = NsGuard::new();
    // unshare -U: a user namespace created by uid 0 of ours; -n: a net ns it owns.
    let target = target_with(&["--user", "--net", "--pid", "--fork"]);
    let p = Process::open(target.pid()).unwrap();
    let child_user = p.namespace(Kind::User).unwrap();
    let ours = Namespace::current(Kind::User).unwrap();
    assert_ne!(child_user, ours);
    assert_eq!(child_user.parent().expect("parent"), ours);
    assert_eq!(child_user.user_namespace().expect("owner"), ours);
    assert_eq!(child_user.owner_uid().unwrap(), 0);
    let net = p.namespace(Kind::Net).unwrap();
    assert_eq!(net.user_namespace().unwrap(), child_user);
    // The child pid namespace (unshare --fork: the shell is its pid 1).
    let pidns = p.namespace(Kind::Pid).unwrap();
    // unshare(1) itself stays in our pid namespace; its child is in the new one.
    let ours_pid = Namespace::current(Kind::Pid).unwrap();
    if pidns == ours_pid {
        let pfc = p.namespace_for_children(Kind::Pid).unwrap();
        assert_eq!(pfc.parent().unwrap(), ours_pid);
        assert_eq!(pfc.user_namespace().unwrap(), child_user);
    }
}

/// `NS_GET_ID` (Linux 6.18) answers on the kernels that have it; elsewhere (and where a
/// filter makes it fail with ENOTTY, as older kernels do) the documented `Unsupported`.
#[test]
fn ns_id_is_stable_and_distinct_or_unsupported() {
    let _g = NsGuard::new();
    let check = || {
        let a = Namespace::current(Kind::Net).unwrap();
        match a.ns_id() {
            Err(e) if matches!(e.reason(), Reason::Unsupported { .. }) => {
                assert_eq!(e.raw_os_error(), Some(libc::ENOTTY), "{e:?}");
                assert!(format!("{e:#}").contains("NS_GET_ID"), "{e}");
                false
            }
            Err(e) => panic!("{e}"),
            Ok(id) => {
                let b = Namespace::open("/proc/self/ns/net").unwrap();
                assert_eq!(id, b.ns_id().unwrap());
                let other = Namespace::new(Kind::Net).unwrap();
                assert_ne!(id, other.ns_id().unwrap());
                let uts = Namespace::current(Kind::Uts).unwrap();
                assert_ne!(id, uts.ns_id().unwrap());
                true
            }
        }
    };
    let has_it = lxns::kernel::Version::current().at_least(6, 18);
    assert_eq!(
        check(),
        has_it,
        "NS_GET_ID on Linux {}",
        lxns::kernel::Version::current()
    );
    let filtered = on_thread(move || {
        common::SyscallFilter::allow_all()
            .fail_ioctl(NS_GET_ID, libc::ENOTTY)
            .install_on_this_thread()
            .unwrap();
        check()
    });
    assert!(!filtered, "NS_GET_ID answered through the filter");
}

/// `_IOR(0xb7, 0xd, __u64)`, `_IOR(0xb7, 0x6, int)`, `_IOR(0xb7, 0x8, int)`.
const NS_GET_ID: u32 = 0x8008_b70d;
const NS_GET_PID_FROM_PIDNS: u32 = 0x8004_b706;
const NS_GET_PID_IN_PIDNS: u32 = 0x8004_b708;

/// Pid translation both ways: through `NS_GET_PID_*` (6.11+) and, where a filter makes
/// those fail with ENOTTY as older kernels do, through `/proc/PID/status`'s NSpid lines;
/// the answers are the same.
#[test]
fn pid_translation() {
    let _g = NsGuard::new();
    let target = target_with(&["--pid", "--fork", "--mount-proc"]);
    let p = Process::open(target.pid()).unwrap();
    // unshare --fork: the shell is pid 1 of the new pid namespace, a child of unshare(1).
    let children =
        std::fs::read_to_string(format!("/proc/{}/task/{}/children", p.pid(), p.pid())).unwrap();
    let shell: i32 = children
        .split_whitespace()
        .next()
        .expect("child")
        .parse()
        .unwrap();
    let check = move |how: &str| {
        let ours = Namespace::current(Kind::Pid).unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        assert_eq!(ours.pid_to_caller(me).unwrap(), me, "{how}");
        assert_eq!(ours.pid_from_caller(me).unwrap(), me, "{how}");
        let inner = Process::open(shell).unwrap().namespace(Kind::Pid).unwrap();
        assert_ne!(inner, ours);
        assert_eq!(inner.pid_to_caller(1).unwrap(), shell, "{how}");
        assert_eq!(inner.pid_from_caller(shell).unwrap(), 1, "{how}");
        // Our own process is not visible inside, nor is pid 99999 there.
        assert!(
            matches!(
                (inner.pid_from_caller(me)).as_ref().map_err(|e| e.reason()),
                Err(Reason::ProcessGone { .. })
            ),
            "{how}"
        );
        assert!(
            matches!(
                (inner.pid_to_caller(99_999))
                    .as_ref()
                    .map_err(|e| e.reason()),
                Err(Reason::ProcessGone { .. })
            ),
            "{how}"
        );
        assert!(matches!(
            (inner.pid_to_caller(0)).as_ref().map_err(|e| e.reason()),
            Err(Reason::InvalidArgument { .. })
        ));
        assert!(matches!(
            (Namespace::current(Kind::Net).unwrap().pid_to_caller(1))
                .as_ref()
                .map_err(|e| e.reason()),
            Err(Reason::InvalidArgument { .. })
        ));
    };
    check("ioctl (or the kernel's own fallback)");
    on_thread(move || {
        common::SyscallFilter::allow_all()
            .fail_ioctl(NS_GET_PID_FROM_PIDNS, libc::ENOTTY)
            .fail_ioctl(NS_GET_PID_IN_PIDNS, libc::ENOTTY)
            .install_on_this_thread()
            .unwrap();
        // On the previous code this answered Unsupported.
        check("/proc fallback");
    });
}

#[test]
fn new_makes_a_namespace_without_moving_the_caller() {
    let _g = NsGuard::new();
    for kind in [
        Kind::Net,
        Kind::Uts,
        Kind::Ipc,
        Kind::Mnt,
        Kind::Cgroup,
        Kind::Time,
    ] {
        let ns = Namespace::new(kind).expect("new");
        assert_eq!(ns.kind(), kind);
        assert_ne!(ns, Namespace::current(kind).unwrap(), "{kind}");
        assert_eq!(
            ns.user_namespace().unwrap(),
            Namespace::current(Kind::User).unwrap()
        );
    }
    for kind in [Kind::User, Kind::Pid] {
        assert!(
            matches!(
                (Namespace::new(kind)).as_ref().map_err(|e| e.reason()),
                Err(Reason::InvalidArgument { .. })
            ),
            "{kind}"
        );
    }
}

#[test]
fn enter_current_thread_moves_only_that_thread() {
    let _g = NsGuard::new();
    for kind in [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Cgroup, Kind::Mnt] {
        let ns = Namespace::new(kind).unwrap();
        let want = ns.id().ino();
        let (inside, home) = on_thread(move || {
            let home = Namespace::current(kind).unwrap();
            ns.enter_current_thread().expect("enter");
            let inside = thread_ns(kind);
            home.enter_current_thread().expect("return");
            (inside, thread_ns(kind) == home.id().ino())
        });
        assert_eq!(inside, want, "{kind}");
        assert!(home, "{kind}: returned");
    }
    // pid: only pid_for_children moves.
    let target = target_with(&["--pid", "--fork"]);
    let children = std::fs::read_to_string(format!(
        "/proc/{}/task/{}/children",
        target.pid(),
        target.pid()
    ))
    .unwrap();
    let shell: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
    let pidns = Namespace::of_process(shell, Kind::Pid).unwrap();
    let want = pidns.id().ino();
    let (own, for_children) = on_thread(move || {
        let own = thread_ns(Kind::Pid);
        pidns.enter_current_thread().expect("enter pid");
        (
            thread_ns(Kind::Pid) == own,
            ns_inode("/proc/thread-self/ns/pid_for_children"),
        )
    });
    assert!(own, "the thread's own pid namespace must not change");
    assert_eq!(for_children, want);
}

#[test]
fn unshare_uts_sets_hostname_only_inside() {
    let _g = NsGuard::new();
    let host_before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = common::unique_name("host");
    let name = &name[name.len().saturating_sub(60)..];
    let name2 = name.to_owned();
    let (seen, ns) = on_thread(move || {
        let ns = Namespace::unshare_current_thread(Kind::Uts).expect("unshare uts");
        rustix::system::sethostname(name2.as_bytes()).expect("sethostname");
        let seen = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        (seen, ns)
    });
    assert_eq!(seen.trim(), name);
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host_before
    );
    // The handle keeps the namespace (and its hostname) alive after the thread ended.
    let again = on_thread(move || {
        ns.enter_current_thread().unwrap();
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap()
    });
    assert_eq!(again.trim(), name);
}

#[test]
fn unshare_several_kinds_at_once() {
    let _g = NsGuard::new();
    let before: Vec<u64> = [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Mnt]
        .iter()
        .map(|k| thread_ns(*k))
        .collect();
    let after = on_thread(|| {
        lxns::unshare_current_thread(Kind::Net | Kind::Uts | Kind::Ipc | Kind::Mnt)
            .expect("unshare");
        [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Mnt]
            .iter()
            .map(|k| thread_ns(*k))
            .collect::<Vec<u64>>()
    });
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a);
    }
    // A fresh network namespace has only lo: ask the kernel through ip(8), run from the
    // thread (a child inherits the forking thread's namespaces).
    let out = on_thread(|| {
        lxns::unshare_current_thread(KindSet::of(Kind::Net)).unwrap();
        std::process::Command::new("ip")
            .args(["-o", "link"])
            .output()
    });
    let out = match out {
        Ok(o) => o,
        Err(e) => skip!("ip(8) from iproute2 is needed: {e}"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let links: Vec<&str> = text.lines().collect();
    assert_eq!(links.len(), 1, "{text}");
    assert!(links[0].contains(": lo:"), "{text}");
}

#[test]
fn process_enter_joins_several_at_once() {
    let _g = NsGuard::new();
    let target = target_with(&["--net", "--uts", "--ipc"]);
    let pid = target.pid();
    let p = Process::open(pid).unwrap();
    let want: Vec<u64> = [Kind::Net, Kind::Uts, Kind::Ipc]
        .iter()
        .map(|k| pid_ns(pid, *k))
        .collect();
    let (got, entered) = on_thread(move || {
        let entered = p.enter_all_current_thread().expect("enter all");
        let got: Vec<u64> = [Kind::Net, Kind::Uts, Kind::Ipc]
            .iter()
            .map(|k| thread_ns(*k))
            .collect();
        (got, entered)
    });
    assert_eq!(got, want);
    assert_eq!(entered, Kind::Net | Kind::Uts | Kind::Ipc);

    // Explicit kinds, atomic.
    let p = Process::open(pid).unwrap();
    let got = on_thread(move || {
        p.enter_current_thread(Kind::Net | Kind::Uts)
            .expect("setns pidfd");
        (
            thread_ns(Kind::Net),
            thread_ns(Kind::Uts),
            thread_ns(Kind::Ipc),
        )
    });
    assert_eq!(got.0, want[0]);
    assert_eq!(got.1, want[1]);
    assert_ne!(got.2, want[2], "ipc was not asked for");
}

#[test]
fn enter_all_handles_skips_what_is_shared() {
    let _g = NsGuard::new();
    let target = target_with(&["--net", "--uts"]);
    let p = Process::open(target.pid()).unwrap();
    let handles: Vec<Namespace> = Kind::ALL.iter().map(|k| p.namespace(*k).unwrap()).collect();
    let want: Vec<u64> = handles.iter().map(|h| h.id().ino()).collect();
    let (entered, got) = on_thread(move || {
        let refs: Vec<&Namespace> = handles.iter().collect();
        let entered = lxns::enter_all_current_thread(&refs).expect("enter all");
        let got: Vec<u64> = Kind::ALL.iter().map(|k| thread_ns(*k)).collect();
        (entered, got)
    });
    assert_eq!(entered, Kind::Net | Kind::Uts);
    for (i, kind) in Kind::ALL.iter().enumerate() {
        if !matches!(kind, Kind::Pid | Kind::Time) {
            assert_eq!(got[i], want[i], "{kind}");
        }
    }
}

#[test]
fn user_namespace_in_a_multithreaded_process_says_what_to_do() {
    let _g = NsGuard::new();
    let err = on_thread(|| lxns::unshare_current_thread(KindSet::of(Kind::User)).unwrap_err());
    match err.reason() {
        Reason::MultiThreaded { threads, .. } => {
            assert_eq!(err.kind(), Some(Kind::User));
            assert!(*threads > 1);
        }
        other => panic!("expected MultiThreaded, got {other:?}"),
    }
    assert_eq!(err.raw_os_error(), Some(EINVAL));
    let text = format!("{err:#}");
    assert!(
        text.contains("single-threaded") && text.contains("hint:"),
        "{text}"
    );

    let target = target_with(&["--user"]);
    let userns = Namespace::of_process(target.pid(), Kind::User).unwrap();
    let err = on_thread(move || userns.enter_current_thread().unwrap_err());
    assert!(
        matches!(err.reason(), Reason::MultiThreaded { .. }),
        "{err:?}"
    );
    let p = Process::open(target.pid()).unwrap();
    let err = on_thread(move || p.enter_all_current_thread().unwrap_err());
    assert!(
        matches!(err.reason(), Reason::MultiThreaded { .. }),
        "{err:?}"
    );
}

#[test]
fn joining_a_time_namespace_needs_a_single_thread() {
    let _g = NsGuard::new();
    let ns = Namespace::new(Kind::Time).unwrap();
    let err = on_thread(move || ns.enter_current_thread().unwrap_err());
    assert!(
        matches!(err.reason(), Reason::MultiThreaded { .. }),
        "{err:?}"
    );
}

#[test]
fn limits_read_the_sysctl() {
    let _g = NsGuard::new();
    for kind in Kind::ALL {
        let text = std::fs::read_to_string(kind.limit_path()).unwrap();
        assert_eq!(
            lxns::limit(kind).unwrap(),
            text.trim().parse::<u64>().unwrap()
        );
    }
    assert!(lxns::parse_limit("abc").is_err());
    assert!(lxns::parse_limit("").is_err());
    assert!(lxns::parse_limit("2147483648").is_err());
    assert!(matches!(
        (lxns::set_limit(Kind::Net, u64::MAX))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
}

#[test]
fn handles_compare_hash_and_clone() {
    let _g = NsGuard::new();
    use std::collections::HashSet;
    let a = Namespace::current(Kind::Net).unwrap();
    let b = a.try_clone().unwrap();
    assert_eq!(a, b);
    let mut set = HashSet::new();
    set.insert(a);
    set.insert(b);
    assert_eq!(set.len(), 1);
    let c = Namespace::current(Kind::Uts).unwrap();
    assert!(!set.contains(&c));
    let dbg = format!("{c:?}");
    assert!(dbg.contains("uts:["), "{dbg}");
}

#[test]
fn id_maps_are_written_once_and_read_back_by_the_kernel() {
    let _g = NsGuard::new();
    let target = target_with(&["--user"]);
    let pid = target.pid();
    let map: lxns::IdMap = "0 100000 65536\n65536 0 1".parse().unwrap();
    lxns::write_id_map(pid, lxns::MapKind::Uid, &map).unwrap();
    lxns::write_id_map(pid, lxns::MapKind::Gid, &map).unwrap();
    for file in ["uid_map", "gid_map"] {
        let back: lxns::IdMap = std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(back, map, "{file}");
    }
    // Only once.
    let err = lxns::write_id_map(pid, lxns::MapKind::Uid, &lxns::IdMap::single(0, 0)).unwrap_err();
    assert!(err.raw_os_error().is_some(), "{err:?}");
    assert!(format!("{err:#}").contains("once"), "{err}");
    // Invalid maps never reach the kernel.
    let other = target_with(&["--user"]);
    let bad = lxns::IdMap::from_ranges([
        lxns::IdRange {
            inside: 0,
            outside: 1000,
            count: 10,
        },
        lxns::IdRange {
            inside: 5,
            outside: 5000,
            count: 1,
        },
    ]);
    assert!(matches!(
        bad.as_ref().map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
    assert!(matches!(
        (lxns::write_id_map(other.pid(), lxns::MapKind::Uid, &lxns::IdMap::new()))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::InvalidArgument { .. })
    ));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/uid_map", other.pid())).unwrap(),
        "",
        "nothing was written"
    );
}

/// Issue 15's traps: an error never after the act, the kernel's word for an empty set, one
/// kind where a set is taken, and lxns's own `Signal`.
#[test]
fn no_error_after_the_act_and_the_kernels_einval_for_nothing() {
    require_root!();
    // Namespace::unshare_current_thread(Pid) used to unshare, then say NotFound.
    let (err, before, after) = on_thread(|| {
        let before = ns_link("/proc/thread-self/ns/pid_for_children");
        let err = Namespace::unshare_current_thread(Kind::Pid).unwrap_err();
        (
            err,
            before,
            ns_link("/proc/thread-self/ns/pid_for_children"),
        )
    });
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err}"
    );
    assert_eq!(before, after, "refused before anything changed");
    // Process::enter_current_thread(EMPTY): the kernel says EINVAL, and so do we.
    let me = Process::current().unwrap();
    let err = on_thread(move || me.enter_current_thread(KindSet::EMPTY).unwrap_err());
    assert_eq!(err.raw_os_error(), Some(22), "{err}");
    // One kind where a set is taken.
    on_thread(|| lxns::unshare_current_thread(Kind::Uts).unwrap());
    // The signal type is lxns's to name.
    let _: lxns::Signal = lxns::Signal::TERM;
}
