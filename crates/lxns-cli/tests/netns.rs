//! `lxns netns` against `ip netns` (iproute2), both ways, on the real `/run/netns`; crash
//! safety under SIGKILL; bad input. Tests that touch `/run/netns` run one at a time, remove
//! the names they made, and put `/run/netns` back as they found it (absent, or present).

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

#[allow(unused_macros)]
#[macro_use]
mod common;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

use common::{is_mount_point, nsfs_mounts_under, serial};

fn have_ip() -> bool {
    common::have_tool("ip", &["-V"])
}

fn name(what: &str) -> String {
    format!(
        "lxns-test-{}-{}-{what}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn lxns() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lxns"))
}

use common::run_ok as ok;

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Puts `/run/netns` back as it was, and removes the names a test registered, on drop.
struct RunNetnsGuard {
    existed: bool,
    was_mount: bool,
    names: Vec<String>,
}

impl RunNetnsGuard {
    fn new() -> RunNetnsGuard {
        let dir = Path::new("/run/netns");
        RunNetnsGuard {
            existed: dir.exists(),
            was_mount: is_mount_point(dir),
            names: Vec::new(),
        }
    }

    fn track(&mut self, name: &str) -> String {
        self.names.push(name.to_owned());
        name.to_owned()
    }
}

impl Drop for RunNetnsGuard {
    fn drop(&mut self) {
        let dir = Path::new("/run/netns");
        for n in &self.names {
            let p = dir.join(n);
            let _ = rustix::mount::unmount(&p, rustix::mount::UnmountFlags::DETACH);
            let _ = std::fs::remove_file(&p);
        }
        if !self.was_mount {
            while is_mount_point(dir) {
                if rustix::mount::unmount(dir, rustix::mount::UnmountFlags::DETACH).is_err() {
                    break;
                }
            }
        }
        if !self.existed {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A private registry directory (a shared bind mount of itself once used), cleaned up.
struct TempRegistry(PathBuf);

impl TempRegistry {
    fn new(what: &str) -> TempRegistry {
        let p = std::env::temp_dir().join(name(what));
        TempRegistry(p)
    }

    fn arg(&self) -> String {
        format!("--registry={}", self.0.display())
    }
}

impl Drop for TempRegistry {
    fn drop(&mut self) {
        for m in nsfs_mounts_under(&self.0) {
            let _ = rustix::mount::unmount(m.as_str(), rustix::mount::UnmountFlags::DETACH);
        }
        while is_mount_point(&self.0) {
            if rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH).is_err() {
                break;
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn added_by_lxns_is_listed_and_usable_by_ip() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    let mut guard = RunNetnsGuard::new();
    let n = guard.track(&name("a"));
    ok(lxns().args(["netns", "add", &n]));
    let listed = text(&ok(Command::new("ip").args(["netns", "list"])));
    assert!(
        listed
            .lines()
            .any(|l| l.split_whitespace().next() == Some(n.as_str())),
        "{listed}"
    );
    // ip netns exec lands in the namespace lxns made.
    let file_ino = std::fs::metadata(format!("/run/netns/{n}")).unwrap().ino();
    let inside = text(&ok(Command::new("ip").args([
        "netns",
        "exec",
        &n,
        "readlink",
        "/proc/self/ns/net",
    ])));
    assert_eq!(inside.trim(), format!("net:[{file_ino}]"));
    let links = text(&ok(
        Command::new("ip").args(["netns", "exec", &n, "ip", "-o", "link"])
    ));
    assert_eq!(links.lines().count(), 1, "only lo: {links}");
    // lxns's own exec too, with a fresh /sys of that namespace.
    let inside = text(&ok(lxns().args([
        "netns",
        "exec",
        &n,
        "readlink",
        "/proc/self/ns/net",
    ])));
    assert_eq!(inside.trim(), format!("net:[{file_ino}]"));
    let sys = text(&ok(lxns().args([
        "netns",
        "exec",
        &n,
        "ls",
        "/sys/class/net",
    ])));
    assert_eq!(sys.split_whitespace().collect::<Vec<_>>(), ["lo"]);
    // ip deletes it; lxns sees it gone.
    ok(Command::new("ip").args(["netns", "delete", &n]));
    assert!(!text(&ok(lxns().args(["netns", "list"]))).contains(&n));
    assert!(
        nsfs_mounts_under(Path::new("/run/netns"))
            .iter()
            .all(|m| !m.contains(&n))
    );
}

#[test]
fn added_by_ip_is_opened_listed_and_deleted_by_lxns() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    let mut guard = RunNetnsGuard::new();
    let n = guard.track(&name("b"));
    ok(Command::new("ip").args(["netns", "add", &n]));
    let listed = text(&ok(lxns().args(["netns", "list", "--json"])));
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let entry = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == n.as_str())
        .expect("listed");
    let ino = std::fs::metadata(format!("/run/netns/{n}")).unwrap().ino();
    assert_eq!(entry["ns"], ino);
    // Opened through the library, and identified from a process inside it.
    let ns = lxns::netns::Registry::new().open(&n).unwrap();
    assert_eq!(ns.id().ino(), ino);
    let mut inside = Command::new("ip")
        .args([
            "netns",
            "exec",
            &n,
            "sh",
            "-c",
            "echo ready; exec sleep 3600",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(inside.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid = inside.id().to_string();
    let ids = text(&ok(lxns().args(["netns", "identify", &pid])));
    assert_eq!(ids.trim(), n);
    let pids = text(&ok(lxns().args(["netns", "pids", &n])));
    assert!(pids.lines().any(|p| p == pid), "{pids}");
    assert_eq!(
        text(&ok(Command::new("ip").args(["netns", "identify", &pid]))).trim(),
        n
    );
    // Deleted by lxns while busy (a process is in it): gone for ip too, nothing mounted.
    ok(lxns().args(["netns", "delete", &n]));
    assert!(!Path::new(&format!("/run/netns/{n}")).exists());
    assert!(!text(&ok(Command::new("ip").args(["netns", "list"]))).contains(&n));
    assert!(
        nsfs_mounts_under(Path::new("/run/netns"))
            .iter()
            .all(|m| !m.contains(&n))
    );
    // The namespace itself lives on with its process.
    assert_eq!(
        std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .unwrap()
            .ino(),
        ino
    );
    let _ = inside.kill();
    let _ = inside.wait();
}

#[test]
fn a_persisted_namespace_outlives_every_process() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    let reg = TempRegistry::new("outlive");
    let n = name("c");
    ok(lxns().args(["netns", &reg.arg(), "add", &n]));
    // Change its state from a process that then exits...
    ok(lxns().args([
        "netns",
        &reg.arg(),
        "exec",
        &n,
        "ip",
        "link",
        "set",
        "lo",
        "up",
    ]));
    // ...and find it there later, from a new process.
    let links = text(&ok(lxns().args([
        "netns",
        &reg.arg(),
        "exec",
        &n,
        "ip",
        "-o",
        "link",
        "show",
        "lo",
    ])));
    assert!(links.contains("UP"), "{links}");
    ok(lxns().args(["netns", &reg.arg(), "delete", &n]));
    assert!(!reg.0.join(&n).exists());
    assert!(nsfs_mounts_under(&reg.0).is_empty());
}

#[test]
fn sigkill_while_adding_and_deleting_leaves_nothing_inconsistent() {
    let _s = serial();
    let reg = TempRegistry::new("crash");
    let arg = reg.arg();
    let mut killed = 0;
    for i in 0..u32::try_from(common::rounds(90)).unwrap() {
        let n = format!("c{}", i % 6);
        let verb = if i % 2 == 0 { "add" } else { "delete" };
        let mut child = lxns()
            .args(["netns", &arg, verb, &n])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Fault injection: SIGKILL at a point that moves through the operation (0-3 ms after
        // spawning, past process start-up), not synchronisation.
        let until =
            std::time::Instant::now() + std::time::Duration::from_micros(u64::from(i % 30) * 100);
        while std::time::Instant::now() < until {
            std::hint::spin_loop();
        }
        if child.kill().is_ok() {
            killed += 1;
        }
        let _ = child.wait();
    }
    assert!(killed > 0);
    // A kill between creating a name file and mounting onto it leaves an empty file, which
    // the registry leaves alone for STALE_AFTER (it may be an ip netns add in progress):
    // let that time pass for every file (the test must not wait 10 s).
    for entry in std::fs::read_dir(&reg.0).into_iter().flatten().flatten() {
        if !lxns::is_persisted(entry.path()) {
            age(&entry.path());
        }
    }
    // The next list repairs what a kill left, and says so on stderr.
    let out = ok(lxns().args(["netns", &arg, "list"]));
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        assert!(line.contains("no namespace mounted"), "{line}");
    }
    // Now every name has its mount, and every mount its name.
    let files: Vec<PathBuf> = std::fs::read_dir(&reg.0)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    for f in &files {
        assert!(lxns::is_persisted(f), "{} lacks its mount", f.display());
    }
    let mounts = nsfs_mounts_under(&reg.0);
    assert_eq!(mounts.len(), files.len(), "{mounts:?} vs {files:?}");
    // And all of it deletes cleanly.
    for f in &files {
        let n = f.file_name().unwrap().to_str().unwrap();
        ok(lxns().args(["netns", &arg, "delete", n]));
    }
    assert!(nsfs_mounts_under(&reg.0).is_empty());
}

#[test]
fn the_next_command_repairs_an_interrupted_add_and_says_so() {
    let _s = serial();
    let reg = TempRegistry::new("repair");
    let arg = reg.arg();
    let n = name("e");
    ok(lxns().args(["netns", &arg, "add", &n]));
    // What SIGKILL between creating the name file and mounting onto it leaves behind — and
    // also what `ip netns add` looks like for a few milliseconds: while it is young, it is
    // never removed, by list or by an add of the same name.
    let half = reg.0.join("half-added");
    std::fs::write(&half, b"").unwrap();
    // Young however slow this machine is (a VM under emulation can take 10 s between two
    // commands): modified in the future, it is younger than the grace period throughout.
    young(&half);
    assert!(!lxns::is_persisted(&half));
    let out = ok(lxns().args(["netns", &arg, "list"]));
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    assert!(half.exists(), "a young empty file is left alone");
    let out = lxns()
        .args(["netns", &arg, "add", "half-added"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("may be adding it right now"), "{err}");
    assert!(
        half.exists() && !lxns::is_persisted(&half),
        "the add changed nothing"
    );
    // Once older than the grace period, the next list removes it and says so.
    age(&half);
    let out = ok(lxns().args(["netns", &arg, "list"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("half-added") && err.contains("no namespace mounted"),
        "{err}"
    );
    assert!(!half.exists());
    // And an add of the very name an interrupted add left behind just works.
    std::fs::write(reg.0.join("again"), b"").unwrap();
    age(&reg.0.join("again"));
    ok(lxns().args(["netns", &arg, "add", "again"]));
    assert!(lxns::is_persisted(reg.0.join("again")));
    // A real namespace is never "repaired".
    assert!(lxns::is_persisted(reg.0.join(&n)));
}

/// Makes a file look younger than the registry's grace period for as long as the test runs
/// (its modification time an hour ahead).
fn young(path: &Path) {
    let ahead = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(ahead)
        .unwrap();
}

/// Makes a file look older than the registry's grace period (its modification time).
fn age(path: &Path) {
    let past = std::time::SystemTime::now() - lxns::netns::STALE_AFTER * 2;
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(past)
        .unwrap();
}

#[test]
fn bad_input_is_clear_and_changes_nothing() {
    let _s = serial();
    let reg = TempRegistry::new("bad");
    let arg = reg.arg();
    let fail = |args: &[&str], want: &str| {
        let out = lxns().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    };
    for bad in ["", ".", "..", "a/b"] {
        fail(
            &["netns", &arg, "add", bad],
            "invalid network namespace name",
        );
    }
    fail(
        &["netns", &arg, "add", &"x".repeat(300)],
        "at most 255 bytes",
    );
    assert!(!reg.0.exists(), "invalid names create nothing");
    let n = name("d");
    ok(lxns().args(["netns", &arg, "add", &n]));
    let ino = std::fs::metadata(reg.0.join(&n)).unwrap().ino();
    fail(&["netns", &arg, "add", &n], "already exists");
    assert_eq!(
        std::fs::metadata(reg.0.join(&n)).unwrap().ino(),
        ino,
        "untouched"
    );
    fail(
        &["netns", &arg, "delete", "no-such-name"],
        "no such file or namespace",
    );
    // A pid is checked as every subcommand checks one (a usage error: exit 1).
    let out = lxns()
        .args(["netns", &arg, "attach", "x", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 is not a process id"));
    fail(
        &["netns", &arg, "exec", "no-such-name", "true"],
        "no such file or namespace",
    );
    let out = lxns()
        .args(["netns", &arg, "exec", &n, "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    ok(lxns().args(["netns", &arg, "delete", &n]));
    // A registry directory that is a symlink is refused, and nothing is made through it.
    let real = std::env::temp_dir().join(name("real"));
    std::fs::create_dir(&real).unwrap();
    let link = std::env::temp_dir().join(name("link"));
    std::os::unix::fs::symlink(&real, &link).unwrap();
    fail(
        &[
            "netns",
            &format!("--registry={}", link.display()),
            "add",
            "x",
        ],
        "symlink",
    );
    assert!(std::fs::read_dir(&real).unwrap().next().is_none());
    assert!(!is_mount_point(&real));
    // A registry path that is a file: the kernel's ENOTDIR, not "no such file".
    fail(&["netns", "--registry=/etc/hostname", "list"], "ENOTDIR");
    fail(
        &["netns", "--registry=/etc/hostname", "add", "x"],
        "ENOTDIR",
    );
    // list, add and delete agree: list does not follow it either.
    fail(
        &["netns", &format!("--registry={}", link.display()), "list"],
        "symlink",
    );
    std::fs::remove_file(&link).unwrap();
    std::fs::remove_dir(&real).unwrap();
    // No permission: as nobody, refused, nothing made.
    let out = common::as_nobody(lxns().args([
        "netns",
        &format!("--registry={}", reg.0.display()),
        "add",
        "y",
    ]))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("EPERM") || err.contains("EACCES"), "{err}");
    assert!(!reg.0.join("y").exists());
}

/// NAME_MAX is 255: a 255-byte name that `ip netns add` creates is opened, listed and deleted
/// by lxns (it used to demand fewer than 255 bytes).
#[test]
fn a_255_byte_name_from_ip_is_usable() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    let mut guard = RunNetnsGuard::new();
    let base = name("m");
    let long = format!("{base}{}", "x".repeat(255 - base.len()));
    assert_eq!(long.len(), 255);
    let n = guard.track(&long);
    ok(Command::new("ip").args(["netns", "add", &n]));
    let listed = text(&ok(lxns().args(["netns", "list"])));
    assert!(listed.lines().any(|l| l.starts_with(&n)), "{listed}");
    lxns::netns::Registry::new().open(&n).unwrap();
    ok(lxns().args(["netns", "delete", &n]));
    assert!(!Path::new("/run/netns").join(&n).exists());
}

/// Names are bytes, as iproute2 takes them: a non-UTF-8 name that `ip netns add` made is
/// listed (raw), opened, identified and deleted by lxns, and one lxns adds is seen by ip.
#[test]
fn a_non_utf8_name_is_listed_opened_and_deleted() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    // Restores /run/netns itself as it found it; the names are removed by Cleanup.
    let _guard = RunNetnsGuard::new();
    let mut bytes = name("b").into_bytes();
    bytes.push(0xff);
    let theirs = OsString::from_vec(bytes.clone());
    // Non-UTF-8 names are removed on every path by a drop guard of their own.
    struct Cleanup(OsString);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = lxns::netns::Registry::new().delete(&self.0);
        }
    }
    let _c1 = Cleanup(theirs.clone());
    ok(Command::new("ip").arg("netns").arg("add").arg(&theirs));
    let listed = ok(lxns().args(["netns", "list"])).stdout;
    assert!(
        listed.split(|b| *b == b'\n').any(|l| l.starts_with(&bytes)),
        "{}",
        String::from_utf8_lossy(&listed)
    );
    let ns = lxns::netns::Registry::new().open(&theirs).unwrap();
    drop(ns);
    ok(lxns().arg("netns").arg("delete").arg(&theirs));
    assert!(!Path::new("/run/netns").join(&theirs).exists());
    // lxns adds, ip sees and deletes.
    bytes.push(b'2');
    let ours = OsString::from_vec(bytes.clone());
    let _c2 = Cleanup(ours.clone());
    ok(lxns().arg("netns").arg("add").arg(&ours));
    let ip_list = ok(Command::new("ip").args(["netns", "list"])).stdout;
    assert!(
        ip_list
            .split(|b| *b == b'\n')
            .any(|l| l.starts_with(ours.as_bytes())),
        "{}",
        String::from_utf8_lossy(&ip_list)
    );
    ok(Command::new("ip").arg("netns").arg("delete").arg(&ours));
    assert!(!Path::new("/run/netns").join(&ours).exists());
}

/// How many mounts sit on `/run/netns/NAME` (more than one: two namespaces stacked).
fn mounts_on(name: &str) -> usize {
    let want = format!("/run/netns/{name}");
    std::fs::read("/proc/self/mountinfo")
        .unwrap()
        .split(|b| *b == b'\n')
        .filter(|l| {
            l.split(|b| *b == b' ')
                .nth(4)
                .is_some_and(|mp| mp == want.as_bytes())
        })
        .count()
}

/// File and mount together, or neither.
fn consistent(name: &str) -> Result<bool, String> {
    let file = Path::new("/run/netns").join(name).exists();
    match mounts_on(name) {
        0 => Ok(!file),
        1 => Ok(file),
        n => Err(format!("{name}: {n} mounts stacked")),
    }
}

/// iproute2 takes no lock: lxns must never break or corrupt a concurrent `ip netns`. 1,000
/// races of each: add against add on one name, list against an add, delete against delete.
#[test]
fn racing_ip_netns_never_stacks_mounts_or_breaks_ip() {
    let _s = serial();
    if !have_ip() {
        return;
    }
    let mut guard = RunNetnsGuard::new();
    let n_rounds = common::rounds(1000);
    let (mut lxns_won, mut ip_won) = (0, 0);
    for _ in 0..n_rounds {
        // add vs add: exactly one wins, never two namespaces on one name.
        let n = guard.track(&name("race"));
        let ip = Command::new("ip")
            .args(["netns", "add", &n])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let ours = lxns().args(["netns", "add", &n]).output().unwrap();
        let theirs = ip.wait_with_output().unwrap();
        assert_eq!(consistent(&n), Ok(true), "{n}");
        assert_eq!(mounts_on(&n), 1, "{n}: the name ends up registered once");
        match (ours.status.success(), theirs.status.success()) {
            (true, false) => lxns_won += 1,
            (false, true) => ip_won += 1,
            other => panic!(
                "{n}: both or neither succeeded {other:?}: lxns {} / ip {}",
                String::from_utf8_lossy(&ours.stderr),
                String::from_utf8_lossy(&theirs.stderr)
            ),
        }
        // delete vs delete: one does it, the other says not found; never a bare errno.
        let ip = Command::new("ip")
            .args(["netns", "delete", &n])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let ours = lxns().args(["netns", "delete", &n]).output().unwrap();
        let theirs = ip.wait_with_output().unwrap();
        assert!(
            ours.status.success() || theirs.status.success(),
            "{n}: nobody deleted it"
        );
        if !ours.status.success() {
            let err = String::from_utf8_lossy(&ours.stderr);
            assert!(
                err.contains(&n) && !err.trim_end().ends_with("EINVAL"),
                "{err}"
            );
        }
        assert_eq!(consistent(&n), Ok(true), "{n}");
        assert_eq!(mounts_on(&n), 0, "{n}: deleted");
        // list vs add: the listing never removes an add in progress.
        let m = guard.track(&name("list"));
        let ip = Command::new("ip")
            .args(["netns", "add", &m])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let listed = lxns().args(["netns", "list"]).output().unwrap();
        let theirs = ip.wait_with_output().unwrap();
        assert!(listed.status.success());
        assert!(
            theirs.status.success(),
            "{m}: ip netns add failed beside lxns netns list: {}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        assert_eq!(consistent(&m), Ok(true), "{m}");
        ok(lxns().args(["netns", "delete", &m]));
    }
    eprintln!("add races: lxns won {lxns_won}, ip won {ip_won} of {n_rounds}");
    // Both tools agree at the end: nothing of ours is left in either's view.
    let left = text(&ok(Command::new("ip").args(["netns", "list"])));
    assert!(!left.contains("lxns-test-"), "{left}");
}

/// `netns delete` removes only what a registry holds: a namespace mount, or an empty file
/// with nothing mounted (an interrupted add). A file with contents or a symlink in the
/// registry is not a name and is left as it is (before: both were removed).
#[test]
fn delete_leaves_files_and_symlinks_that_are_not_namespaces() {
    let dir = common::TempDir::new("registry-junk");
    let reg = format!("--registry={}", dir.path().display());
    let file = dir.path().join("notes");
    std::fs::write(&file, b"keep me").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
    for name in ["notes", "link"] {
        let out = lxns()
            .args(["netns", &reg, "delete", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `ip netns` alone lists, and its commands may be abbreviated as ip reads them (`a` add,
/// `d` delete, `s`/`lst` list, `e` exec): scripts written for ip work unchanged (before:
/// "unrecognized subcommand").
#[test]
fn bare_netns_lists_and_ip_abbreviations_work() {
    let _s = serial();
    let reg = TempRegistry::new("abbrev");
    let n = name("ab");
    ok(lxns().args(["netns", &reg.arg(), "a", &n]));
    for listing in [&[][..], &["s"], &["lst"]] {
        let mut args = vec!["netns".to_owned(), reg.arg()];
        args.extend(listing.iter().map(|s| (*s).to_owned()));
        let listed = text(&ok(lxns().args(&args)));
        assert!(
            listed.lines().any(|l| l.starts_with(&n)),
            "{listing:?}: {listed}"
        );
    }
    ok(lxns().args(["netns", &reg.arg(), "e", &n, "true"]));
    ok(lxns().args(["netns", &reg.arg(), "d", &n]));
    assert!(!text(&ok(lxns().args(["netns", &reg.arg()]))).contains(&n));
}

/// Runs `script` with `sh` in a private mount namespace whose `/run` is a fresh tmpfs, so
/// that `ip netns` and `lxns netns` share a `/run/netns` no other process sees (the host's
/// is untouched; everything goes with the namespace). `$LXNS` is lxns. Returns stdout and
/// stderr, with the exit status checked to be 0.
fn in_private_run(script: &str) -> (String, String) {
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!(
            "set -e; mount -t tmpfs lxns-test-run /run; {script}"
        ))
        .env("LXNS", env!("CARGO_BIN_EXE_lxns"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (o, e) = (
        text(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{script}\n--- stdout\n{o}\n--- stderr\n{e}"
    );
    (o, e)
}

/// `ip netns set NAME NETNSID` and `ip netns list-id`: ids set by either tool are what the
/// other lists, byte for byte; a second id for the same namespace is the kernel's EEXIST
/// (ip's exit 2), a malformed id ip's 255, a missing name 1.
#[test]
fn set_and_list_id_match_ip() {
    require_root!();
    assert!(have_ip(), "ip (iproute2) is needed");
    let (out, err) = in_private_run(
        r#"$LXNS netns add a; ip netns add b; ip netns add c
        $LXNS netns set a 7; ip netns set b auto; $LXNS netns set c auto
        $LXNS netns list-id > /run/ours; ip netns list-id > /run/theirs
        cmp /run/ours /run/theirs; cat /run/ours; echo ---
        $LXNS netns list-id nsid 7
        rc() { "$@" && echo "rc 0" || echo "rc $?"; }
        rc $LXNS netns set a 9; rc $LXNS netns set a x; rc $LXNS netns set zz 3
        ip netns list > /run/theirs; $LXNS netns list > /run/ours; sort /run/theirs | cmp - /run/ours
        $LXNS netns del a b c"#,
    );
    let (ids, rest) = out.split_once("---\n").unwrap();
    let lines: Vec<&str> = ids.lines().collect();
    assert_eq!(lines.len(), 3, "{ids}");
    assert!(lines.contains(&"nsid 7 (iproute2 netns name: a)"), "{ids}");
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("(iproute2 netns name: b)")),
        "{ids}"
    );
    let rest: Vec<&str> = rest.lines().collect();
    assert_eq!(
        rest,
        ["nsid 7 (iproute2 netns name: a)", "rc 2", "rc 255", "rc 1"],
        "{err}"
    );
    assert!(
        err.contains("EEXIST") && err.contains("Invalid \"netnsid\" value"),
        "{err}"
    );
}

/// `ip -all netns exec` and `ip -all netns delete` (`-all` or `--all`): the command in every
/// namespace after ip's `netns: NAME` line (the same bytes as ip prints), then every name
/// gone; unlike ip, a failed command makes the exit status 1.
#[test]
fn all_exec_and_all_delete_act_on_every_name_as_ip_does() {
    require_root!();
    assert!(have_ip(), "ip (iproute2) is needed");
    let (out, _) = in_private_run(
        r#"ip netns add a; $LXNS netns add b
        ip -all netns exec readlink /proc/self/ns/net > /run/theirs
        $LXNS netns -all exec readlink /proc/self/ns/net > /run/ours
        cmp /run/theirs /run/ours; cat /run/ours
        $LXNS netns --all exec sh -c 'exit 3' > /dev/null && echo "rc 0" || echo "rc $?"
        $LXNS netns -all delete; ls -A /run/netns | wc -l"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    // Directory order, as ip's (the cmp above): both names, each once.
    let mut headers = [lines[1], lines[4]];
    headers.sort_unstable();
    assert_eq!(headers, ["netns: a", "netns: b"], "{out}");
    assert_eq!((lines[0], lines[3]), ("", ""), "{out}");
    assert!(
        lines[2].starts_with("net:[") && lines[5].starts_with("net:["),
        "{out}"
    );
    assert_ne!(lines[2], lines[5], "two namespaces: {out}");
    assert_eq!(&lines[6..], ["rc 1", "0"], "{out}");
}

/// `ip netns monitor`: an `add NAME` and a `delete NAME` line for each name ip or lxns
/// adds and deletes, flushed as they happen. The monitor is known to watch once its
/// inotify fd has a watch (its fdinfo says so), not after a sleep.
#[test]
fn monitor_prints_adds_and_deletes_as_ip_does() {
    require_root!();
    assert!(have_ip(), "ip (iproute2) is needed");
    let (out, _) = in_private_run(
        r#"mkdir -p /run/netns; $LXNS netns monitor > /run/ours & m=$!
        until grep -qs '^inotify wd:' /proc/$m/fdinfo/*; do :; done
        ip netns monitor > /run/theirs & i=$!
        until grep -qs '^inotify wd:' /proc/$i/fdinfo/*; do :; done
        ip netns add c; $LXNS netns add d; ip netns del c; $LXNS netns del d
        until [ "$(wc -l < /run/ours)" -ge 4 ]; do :; done
        kill $m $i; wait $m $i || true; cat /run/ours"#,
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["add c", "add d", "delete c", "delete d"],
        "{out}"
    );
}
