//! `Command`/`Child`: spawning into new and existing namespaces, checked against the kernel's
//! view (`/proc/PID/ns/*`, uid_map, cgroup, exit statuses). These run on libtest's threads:
//! spawning never changes a thread of the caller, and clone3 may create a user namespace from
//! a multithreaded process (unshare(2) may not).

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[macro_use]
mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;

use lxns::Reason;
use lxns::{Command, IdMap, Kind, KindSet, MapWriter, Namespace, Op, SpawnStep, Stdio};

use common::{CgroupDir, SyscallFilter, TempDir, holder, ns_link, release, unique_name};

fn out(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn user_namespace_from_a_multithreaded_process() {
    // Make sure this process has a second thread for the duration (libtest may run this on
    // the main thread with --test-threads=1).
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || rx.recv());
    assert!(std::fs::read_dir("/proc/self/task").unwrap().count() > 1);
    let ours = ns_link("/proc/thread-self/ns/user");
    let text = out(Command::new("sh")
        .args([
            "-c",
            "id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user",
        ])
        .unshare(KindSet::from(Kind::User) | Kind::Net)
        .map_root());
    drop(tx);
    let _ = other.join();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0");
    let euid = rustix::process::geteuid().as_raw().to_string();
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["0", &euid, "1"]
    );
    assert_ne!(lines[2], ours, "the child has a new user namespace");
    assert_eq!(
        ns_link("/proc/thread-self/ns/user"),
        ours,
        "the caller's thread is untouched"
    );
}

#[test]
fn explicit_maps_read_back() {
    require_root!();
    let text = out(Command::new("cat")
        .args(["/proc/self/uid_map", "/proc/self/gid_map"])
        .unshare(Kind::User)
        .uid_map("0 100000 1000\n1000 0 1".parse::<IdMap>().unwrap())
        .gid_map("0 200000 65536".parse::<IdMap>().unwrap())
        .map_writer(MapWriter::Direct));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["0", "100000", "1000"],
            ["1000", "0", "1"],
            ["0", "200000", "65536"]
        ]
    );
}

#[test]
fn child_namespaces_match_proc_and_kill_reports_the_signal() {
    require_root!();
    let mut child = holder(KindSet::from(Kind::Net) | Kind::Uts | Kind::Ipc);
    for kind in [Kind::Net, Kind::Uts, Kind::Ipc] {
        let ns = child.namespace(kind).unwrap();
        assert_eq!(
            ns.id().to_string(),
            ns_link(format!("/proc/{}/ns/{}", child.pid(), kind.proc_name()))
        );
        assert_ne!(ns, Namespace::current(kind).unwrap(), "{kind} is new");
    }
    let stdin = child.stdin.take();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.signal(), Some(9));
    assert!(matches!(
        (child.namespace(Kind::Net))
            .as_ref()
            .map_err(|e| e.reason()),
        Err(Reason::ProcessGone { .. })
    ));
}

#[test]
fn join_then_create_is_nested_in_what_was_joined() {
    require_root!();
    let target = holder(KindSet::from(Kind::Net) | Kind::Uts);
    let net = target.namespace(Kind::Net).unwrap();
    let text = out(Command::new("sh")
        .args([
            "-c",
            "readlink /proc/self/ns/net /proc/self/ns/uts; hostname",
        ])
        .join(&net)
        .unshare(Kind::Uts)
        .hostname("joined"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], net.id().to_string(), "joined the target's net");
    let their_uts = ns_link(format!("/proc/{}/ns/uts", target.pid()));
    assert_ne!(lines[1], their_uts, "a new uts, not the target's");
    assert_ne!(lines[1], ns_link("/proc/self/ns/uts"), "nor ours");
    assert_eq!(lines[2], "joined");
    release(target);
}

#[test]
fn join_process_all_leaves_out_what_is_shared() {
    require_root!();
    // The target shares our user namespace: setns into one's own user namespace is EINVAL,
    // so join_process must leave it out (as nsenter -a does).
    let target = holder(KindSet::from(Kind::Net) | Kind::Uts);
    let text = out(Command::new("readlink")
        .args([
            "/proc/self/ns/net",
            "/proc/self/ns/uts",
            "/proc/self/ns/user",
        ])
        .join_process(&target.process().unwrap(), KindSet::ALL));
    let lines: Vec<&str> = text.lines().collect();
    let theirs = |k: &str| ns_link(format!("/proc/{}/ns/{k}", target.pid()));
    assert_eq!(
        lines,
        [theirs("net"), theirs("uts"), ns_link("/proc/self/ns/user")]
    );
    release(target);
}

#[test]
fn joining_a_pid_namespace_puts_the_program_in_it_as_our_child() {
    require_root!();
    let target = holder(KindSet::from(Kind::Pid) | Kind::Mnt);
    let process = target.process().unwrap();
    let mut child = Command::new("sh")
        .args(["-c", "readlink /proc/self/ns/pid; read x"])
        .join_process(&process, KindSet::from(Kind::Pid))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        ns_link(format!("/proc/{}/ns/pid", target.pid())),
        "the program is in the joined pid namespace"
    );
    // The Child is the program itself, and our direct child (CLONE_PARENT).
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.pid())).unwrap();
    let ppid = status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(ppid, std::process::id().to_string());
    assert_eq!(
        child.namespace(Kind::Pid).unwrap().id().to_string(),
        line.trim()
    );
    release(child);
    release(target);
}

#[test]
fn output_env_and_cwd() {
    let dir = TempDir::new("cwd");
    let o = Command::new("sh")
        .args(["-c", "echo \"$A-$B\"; pwd; echo err >&2; exit 3"])
        .env_clear()
        .env("A", "x")
        .env("B", "y")
        .env("PATH", "/usr/bin:/bin")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("x-y\n{}\n", dir.path().display())
    );
    assert_eq!(o.stderr, b"err\n");
}

#[test]
fn cgroup_places_the_child_atomically() {
    require_root!();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let Some(root) = mountinfo
        .lines()
        .find(|l| l.contains(" - cgroup2 "))
        .and_then(|l| l.split(' ').nth(4))
    else {
        skip!("no cgroup2 mount");
    };
    let name = unique_name("cg");
    let dir = std::path::Path::new(root).join(&name);
    std::fs::create_dir(&dir).unwrap();
    struct Rmdir(std::path::PathBuf);
    impl Drop for Rmdir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let _guard = Rmdir(dir.clone());
    let text = out(Command::new("cat").arg("/proc/self/cgroup").cgroup(&dir));
    assert!(text.lines().any(|l| l == format!("0::/{name}")), "{text}");
}

#[test]
fn kill_on_parent_death_follows_the_spawning_thread() {
    let (child, stdin) = std::thread::spawn(|| {
        let mut c = Command::new("cat")
            .stdin(Stdio::piped())
            .kill_on_parent_death(rustix::process::Signal::KILL)
            .spawn()
            .unwrap();
        let stdin = c.stdin.take();
        (c, stdin)
    })
    .join()
    .unwrap();
    let mut child = child;
    // The spawning thread has exited: the kernel sent SIGKILL.
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.signal(), Some(9));
}

#[test]
fn time_offsets_and_pid_one() {
    require_root!();
    let text = out(Command::new("sh")
        .args(["-c", "echo $$; cat /proc/self/timens_offsets"])
        .unshare(KindSet::from(Kind::Pid) | Kind::Time)
        .monotonic_offset(86400, 0)
        .boottime_offset(-1, 500));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1");
    let offsets: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(offsets.contains(&vec!["monotonic", "86400", "0"]), "{text}");
    assert!(offsets.contains(&vec!["boottime", "-1", "500"]), "{text}");
}

#[test]
fn setters_add_the_kinds_they_need() {
    require_root!();
    // Each setter alone: the kind it needs is created (no "needs -u" error at spawn).
    let text = out(Command::new("sh")
        .args([
            "-c",
            "hostname; readlink /proc/self/ns/uts /proc/self/ns/user /proc/self/ns/time",
        ])
        .hostname("lxns-setter")
        .uid_map("0 0 1".parse().unwrap())
        .monotonic_offset(5, 0));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "lxns-setter");
    for (line, kind) in lines[1..].iter().zip(["uts", "user", "time"]) {
        assert_ne!(
            *line,
            ns_link(format!("/proc/self/ns/{kind}")),
            "a new {kind}"
        );
    }
}

#[test]
fn inconsistent_commands_are_refused_before_any_process() {
    let here = Namespace::current(Kind::Uts).unwrap();
    let mut both = Command::new("true");
    both.join(&here).unshare(Kind::Net | Kind::Uts);
    let mut nul = Command::new("tr\0ue");
    nul.unshare(Kind::Uts);
    let mut persist = Command::new("true");
    persist.persist_namespace(Kind::Ipc, "/nonexistent/lxns-persist");
    let cases = [
        (&mut both, "both joined and created"),
        (&mut nul, "NUL"),
        (&mut persist, "only a new namespace"),
    ];
    for (cmd, what) in cases {
        match cmd.spawn() {
            Err(e) if matches!(e.reason(), Reason::InvalidArgument { .. }) => {
                assert!(format!("{e:#}").contains(what), "{e}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn failed_steps_name_the_step_and_path() {
    require_root!();
    let missing = std::env::temp_dir().join(unique_name("missing"));
    match Command::new("true").root(&missing).spawn() {
        Err(e) if matches!(e.reason(), Reason::NotFound) => {
            assert!(format!("{e:#}").contains(&*missing.to_string_lossy()))
        }
        other => panic!("{other:?}"),
    }
    match Command::new("true").current_dir(&missing).spawn() {
        Err(e) if matches!(e.reason(), Reason::NotFound) => {
            assert_eq!(e.op(), Op::Spawn(SpawnStep::Cwd));
        }
        other => panic!("{other:?}"),
    }
    match Command::new("lxns-no-such-program").spawn() {
        Err(e) if matches!(e.reason(), Reason::NotFound) => {
            assert_eq!(e.op(), Op::Spawn(SpawnStep::Exec));
            assert!(format!("{e:#}").contains("command not found"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Both pipes are drained together: 300 kB on each cannot deadlock output().
    let o = Command::new("sh")
        .args([
            "-c",
            "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!((o.stdout.len(), o.stderr.len()), (300_000, 300_000));
}

#[test]
fn exec_in_place_refuses_what_needs_a_child_and_changes_nothing() {
    let before = ns_link("/proc/thread-self/ns/net");
    let cases: [(KindSet, &str); 2] = [
        (KindSet::from(Kind::Pid) | Kind::Net, "pid namespace"),
        (KindSet::from(Kind::User), "map"),
    ];
    for (kinds, want) in cases {
        let mut cmd = Command::new("true");
        cmd.unshare(kinds);
        if kinds.contains(Kind::User) {
            // Not the caller's own id: only a parent could write this map.
            cmd.uid_map("0 100000 65536".parse().unwrap());
        }
        assert!(!cmd.can_exec_in_place());
        let e = cmd.exec_replacing_current_process();
        match e.reason() {
            Reason::InvalidArgument { .. } => assert!(format!("{e:#}").contains(want), "{e}"),
            _ => panic!("{e:?}"),
        }
    }
    assert_eq!(ns_link("/proc/thread-self/ns/net"), before, "nothing moved");
    assert!(Command::new("true").unshare(Kind::Uts).can_exec_in_place());
}

/// What `clone3(NULL, 0)` answers on this thread: `EINVAL` from the kernel, or the errno of
/// a seccomp filter that blocks it.
fn clone3_probe() -> i32 {
    // SAFETY: clone3 with a null pointer and size 0 reads no memory and creates no process.
    let r = unsafe { libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0usize) };
    assert_eq!(r, -1);
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

#[test]
fn where_clone3_is_blocked_spawning_falls_back_to_clone() {
    require_root!();
    let Some(cg) = CgroupDir::new() else {
        skip!("no cgroup2 mount");
    };
    let target = holder(KindSet::from(Kind::Net));
    let net = target.namespace(Kind::Net).unwrap();
    let ours = |k: &str| ns_link(format!("/proc/self/ns/{k}"));
    for errno in [libc::ENOSYS, libc::EPERM] {
        for cgroup_ns in [false, true] {
            let text = std::thread::scope(|s| {
                s.spawn(|| {
                    SyscallFilter::clone3(errno)
                        .install_on_this_thread()
                        .unwrap();
                    assert_eq!(clone3_probe(), errno, "the filter is in place");
                    let mut c = Command::new("sh");
                    c.args([
                        "-c",
                        "readlink /proc/self/ns/net /proc/self/ns/time; id -u; hostname; \
                         cat /proc/self/cgroup",
                    ])
                    .join(&net)
                    .unshare(Kind::User | Kind::Time)
                    .map_root()
                    .hostname("fallback")
                    .cgroup(&cg.path);
                    if cgroup_ns {
                        c.unshare(Kind::Cgroup);
                    }
                    out(&mut c)
                })
                .join()
                .unwrap()
            });
            let lines: Vec<&str> = text.lines().collect();
            let what = format!("errno {errno}, cgroup ns {cgroup_ns}: {text}");
            assert_eq!(lines[0], net.id().to_string(), "joined: {what}");
            assert_ne!(lines[1], ours("time"), "a new time namespace: {what}");
            assert_eq!(lines[2], "0", "mapped to root: {what}");
            assert_eq!(lines[3], "fallback", "{what}");
            let want = if cgroup_ns {
                "0::/".to_owned()
            } else {
                format!("0::{}", cg.name)
            };
            let v2 = lines[4..].iter().find(|l| l.starts_with("0::"));
            assert_eq!(v2, Some(&want.as_str()), "placed in the cgroup: {what}");
        }
    }
    release(target);
}

/// `disable_user_namespaces`: the program cannot create a user namespace (`unshare -U`
/// fails, ENOSPC) where it can without; it runs in a nested user namespace mapping its ids
/// onto themselves. `assert_user_namespaces_disabled` alone fails the spawn, named.
#[test]
fn a_program_with_user_namespaces_disabled_cannot_create_one() {
    let script = "unshare -U true 2>/dev/null; echo $?; cat /proc/self/uid_map";
    let mut free = Command::new("/bin/sh");
    free.args(["-c", script]).map_root();
    let text = out(&mut free);
    assert!(text.starts_with("0\n"), "{text}");
    let mut disabled = Command::new("/bin/sh");
    disabled
        .args(["-c", script])
        .map_root()
        .disable_user_namespaces();
    let text = out(&mut disabled);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("1"), "{text}");
    let map: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(map, ["0", "0", "1"], "{text}");
    let mut checked = Command::new("/bin/true");
    checked
        .map_root()
        .disable_user_namespaces()
        .assert_user_namespaces_disabled();
    assert!(checked.status().unwrap().success());
    let mut unchecked = Command::new("/bin/true");
    unchecked.map_root().assert_user_namespaces_disabled();
    let err = unchecked.spawn().unwrap_err();
    assert_eq!(
        err.op(),
        Op::Spawn(SpawnStep::AssertUserNamespacesDisabled),
        "{err}"
    );
    assert!(
        matches!(err.reason(), Reason::InvalidArgument { .. }),
        "{err}"
    );
}

/// A sandbox root built through the library (`Command::fs`), as the kernel shows it from
/// inside: a read-only bind (a write answers EROFS), a tmpfs with its size and mode, a file
/// from data, a directory, a symlink, a tmp overlay of two layers (the later on top) that
/// takes writes without touching them; nothing of it is visible outside.
#[test]
fn a_sandbox_root_built_by_the_library_as_the_kernel_shows_it() {
    use lxns::FsOp;
    let scratch = TempDir::new("lib-sandbox");
    let l1 = scratch.path().join("l1");
    let l2 = scratch.path().join("l2");
    std::fs::create_dir(&l1).unwrap();
    std::fs::create_dir(&l2).unwrap();
    std::fs::write(l1.join("f"), "under\n").unwrap();
    std::fs::write(l2.join("f"), "over\n").unwrap();
    let script = r#"
        cat /o/f; echo w > /o/new && cat /o/new
        if touch /usr/lxns-test 2>/dev/null; then echo usr-writable; fi
        stat -c "%a" /t; cat /etc/greeting; stat -c "%F" /d /l; readlink /l
        cut -d" " -f5,6,9- /proc/self/mountinfo | grep -E "^/(usr|t|o) "
    "#;
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", script])
        .unshare(KindSet::from(Kind::Pid) | Kind::Mnt)
        .map_root()
        .fs(FsOp::ro_bind("/usr", "/usr"))
        .fs(FsOp::symlink("usr/lib", "/lib"))
        .fs(FsOp::symlink("usr/lib64", "/lib64"))
        .fs(FsOp::symlink("usr/bin", "/bin"))
        .fs(FsOp::proc("/proc"))
        .fs(FsOp::tmpfs("/t").size(1 << 20).mode(0o1777))
        .fs(FsOp::file("/etc/greeting", "hello\n"))
        .fs(FsOp::dir("/d"))
        .fs(FsOp::symlink("/d", "/l"))
        .fs(FsOp::tmp_overlay([&l1, &l2], "/o"));
    let text = out(&mut cmd);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("over"), "{text}");
    assert_eq!(lines.next(), Some("w"), "{text}");
    assert_eq!(lines.next(), Some("1777"), "{text}");
    assert_eq!(lines.next(), Some("hello"), "{text}");
    assert_eq!(lines.next(), Some("directory"), "{text}");
    assert_eq!(lines.next(), Some("symbolic link"), "{text}");
    assert_eq!(lines.next(), Some("/d"), "{text}");
    let mounts: Vec<&str> = lines.collect();
    assert!(mounts.iter().any(|l| l.starts_with("/usr ro,")), "{text}");
    assert!(
        mounts
            .iter()
            .any(|l| l.starts_with("/t rw,nosuid,nodev") && l.contains("size=1024k")),
        "{text}"
    );
    assert!(
        mounts
            .iter()
            .any(|l| l.starts_with("/o ") && l.contains("overlay")),
        "{text}"
    );
    assert!(!text.contains("usr-writable"), "{text}");
    assert!(!l1.join("new").exists() && !l2.join("new").exists());
    // Nothing of the sandbox is on the host.
    assert!(!std::path::Path::new("/etc/greeting").exists());
}

/// `current_dir_candidates`: the first directory the child can enter, skipping the missing
/// ones; `/` when none can be.
#[test]
fn the_first_working_directory_candidate_that_exists_is_taken() {
    use lxns::FsOp;
    let sandbox = |candidates: &[&str]| {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "pwd -P"])
            .map_root()
            .fs(FsOp::ro_bind("/usr", "/usr"))
            .fs(FsOp::symlink("usr/lib", "/lib"))
            .fs(FsOp::symlink("usr/lib64", "/lib64"))
            .fs(FsOp::symlink("usr/bin", "/bin"))
            .current_dir_candidates(candidates);
        out(&mut cmd)
    };
    assert_eq!(
        sandbox(&["/nonexistent-lxns", "/usr/bin", "/usr"]),
        "/usr/bin\n"
    );
    assert_eq!(sandbox(&["/nonexistent-lxns"]), "/\n");
}
