//! `lxns run`, unshare(1)-compatible: each namespace option checked against the kernel's
//! view from inside (`id`, `ip link`, `hostname`, `/proc`, mountinfo, uid_map, clocks), the
//! rootless paths as `nobody`, and every bad input with its message and exit code.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[macro_use]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::process::{Command, Output, Stdio};

use common::{
    ChildGuard, NOBODY, SyscallFilter, TempDir, as_nobody, have_tool, run_ok, serial, unique_name,
};

fn lxns_run(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lxns"));
    c.arg("run").args(args);
    c
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(run_ok(c).stdout).unwrap()
}

/// Runs a command expected to fail: returns (exit code, stderr).
fn fails(c: &mut Command) -> (i32, String) {
    let out: Output = c.output().unwrap();
    assert!(!out.status.success(), "{c:?} should fail");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `lxns run ARGS` with piped stdin, stdout and stderr, and returns it with the first
/// line its program printed (the test's pipe handshake: no sleeping).
fn start(args: &[&str]) -> (ChildGuard, String) {
    let mut cmd = lxns_run(args);
    // The signal tests need these to act, whatever the environment ignores.
    common::default_signals(&mut cmd, &[libc::SIGTERM, libc::SIGINT, libc::SIGHUP]);
    let mut child = ChildGuard(
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

/// The whitespace-separated words of each line (a uid_map, a listing).
fn words(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// Unmounts (recursively, lazily) on drop: the mounts a test makes on the host.
struct Unmount(String);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").args(["-R", "-l", &self.0]).status();
    }
}

/// Mounts a tmpfs on `dir` and makes it a shared mount (this machine's / is private).
fn shared_tmpfs(dir: &std::path::Path) -> Unmount {
    let d = dir.display().to_string();
    run_ok(Command::new("mount").args(["-t", "tmpfs", "lxns-test-shared", &d]));
    let guard = Unmount(d.clone());
    run_ok(Command::new("mount").args(["--make-shared", &d]));
    guard
}

fn mount_count() -> usize {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .count()
}

#[test]
fn user_net_maps_root_and_shows_only_lo() {
    assert_eq!(
        stdout(&mut lxns_run(&["-Urn", "--", "id", "-u"])).trim(),
        "0"
    );
    if !have_tool("ip", &["-V"]) {
        return;
    }
    let links = stdout(&mut lxns_run(&["-Urn", "--", "ip", "-o", "link"]));
    let names: Vec<&str> = links
        .lines()
        .filter_map(|l| l.split(':').nth(1).map(str::trim))
        .collect();
    assert_eq!(names, ["lo"], "{links}");
}

#[test]
fn without_a_pid_namespace_lxns_becomes_the_program() {
    // No child is needed for -Urn: the program keeps lxns's pid (one process start less).
    let child = lxns_run(&["-Urn", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        pid.to_string()
    );
    // -f forces a child: then the program has another pid.
    let child = lxns_run(&["-f", "-Urn", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_ne!(
        String::from_utf8(out.stdout).unwrap().trim(),
        pid.to_string()
    );
}

#[test]
fn uts_hostname_is_set_inside_only() {
    require_root!();
    let before = rustix::system::uname().nodename().to_owned();
    let name = unique_name("h");
    let name = &name[name.len().saturating_sub(40)..];
    let inside = stdout(&mut lxns_run(&["-u", "--hostname", name, "--", "hostname"]));
    assert_eq!(inside.trim(), name);
    assert_eq!(rustix::system::uname().nodename(), before.as_c_str());
}

#[test]
fn pid_with_mount_proc_is_pid_one_and_sees_only_itself() {
    require_root!();
    let out = stdout(&mut lxns_run(&[
        "-p",
        "--mount-proc",
        "--",
        "sh",
        "-c",
        "echo $$; exec ps -e -o pid=",
    ]));
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    // The shell is pid 1 and ps (exec'd by it) is the only process there.
    assert_eq!(lines, ["1", "1"], "{out}");
}

#[test]
fn mounts_made_inside_never_appear_outside() {
    require_root!();
    // Counts the whole mount table: no other mounting test may run meanwhile.
    let _serial = serial();
    // A shared mount of our own (this machine's / is private, which would prove nothing):
    // without lxns making / private in the new namespace, mounts below it would propagate.
    let dir = TempDir::new("mnt");
    let d = dir.path().display().to_string();
    let before = mount_count();
    let _unmount = shared_tmpfs(dir.path());
    let inner = format!("{d}/inner");
    let script = format!(
        "mkdir {inner} && mount -t tmpfs lxns-test {inner} && \
         grep -c ' {inner} ' /proc/self/mountinfo && read x"
    );
    let (mut child, line) = start(&["-m", "--", "sh", "-c", &script]);
    assert_eq!(line, "1", "the mount exists inside");
    // While it lives: not in our mount table.
    let ours = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!ours.contains(&format!(" {inner} ")), "leaked: {ours}");
    child.0.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(child.0.wait().unwrap().success());
    // The same with --propagation unchanged does leak: the check above can fail.
    let leaky = format!("{d}/leaky");
    run_ok(
        lxns_run(&["-m", "--propagation", "unchanged", "--", "sh", "-c"])
            .arg(format!("mkdir {leaky} && mount -t tmpfs lxns-test {leaky}")),
    );
    let ours = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        ours.contains(&format!(" {leaky} ")),
        "shared propagation reaches us"
    );
    drop(_unmount);
    assert_eq!(mount_count(), before);
}

/// A minimal root: a dynamically linked `sh` with its libraries, and a marker file.
fn minimal_root(dir: &std::path::Path) {
    let ldd = stdout(Command::new("ldd").arg("/bin/sh"));
    let mut files = vec!["/bin/sh".to_owned()];
    files.extend(
        ldd.split_whitespace()
            .filter(|w| w.starts_with('/'))
            .map(str::to_owned),
    );
    for f in files {
        let dst = dir.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dst).unwrap();
    }
    std::fs::create_dir(dir.join("proc")).unwrap();
    std::fs::write(dir.join("MARKER"), "x").unwrap();
}

#[test]
fn root_pivots_into_the_tree_and_drops_the_old_root() {
    require_root!();
    // Counts the whole mount table: no other mounting test may run meanwhile.
    let _serial = serial();
    let dir = TempDir::new("root");
    minimal_root(dir.path());
    let before = mount_count();
    let out = stdout(&mut lxns_run(&[
        "-R",
        dir.path().to_str().unwrap(),
        "--mount-proc",
        "--",
        "/bin/sh",
        "-c",
        "echo /*; pwd; n=0; while read l; do n=$((n+1)); done < /proc/self/mountinfo; echo $n; \
         [ -e /etc/passwd ] && echo old-root-visible || echo old-root-gone",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    let mut top: Vec<&str> = lines[0].split(' ').collect();
    top.sort_unstable();
    let mut want: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| format!("/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    want.sort();
    assert_eq!(top, want, "/ inside is the tree");
    assert_eq!(lines[1], "/");
    // Exactly the new root and its proc: nothing of the old tree is mounted.
    assert_eq!(lines[2], "2", "{out}");
    assert_eq!(lines[3], "old-root-gone");
    // A root below a shared mount: fine with the default (private) propagation, refused by
    // the kernel with it left shared, and the error names the step that failed.
    let shared = TempDir::new("shared-root");
    let unmount = shared_tmpfs(shared.path());
    let inner = shared.path().join("root");
    std::fs::create_dir(&inner).unwrap();
    minimal_root(&inner);
    let root = inner.to_str().unwrap();
    run_ok(&mut lxns_run(&["-R", root, "--", "/bin/sh", "-c", "true"]));
    let (code, err) = fails(&mut lxns_run(&[
        "-R",
        root,
        "--propagation",
        "unchanged",
        "--",
        "/bin/sh",
        "-c",
        "true",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("pivot_root") && err.contains(root), "{err}");
    drop(unmount);
    assert_eq!(mount_count(), before);
}

#[test]
fn time_offsets_shift_the_clocks() {
    require_root!();
    let offsets = stdout(&mut lxns_run(&[
        "-T",
        "--monotonic",
        "3600",
        "--boottime",
        "7200",
        "--",
        "cat",
        "/proc/self/timens_offsets",
    ]));
    assert!(
        offsets.contains("monotonic") && offsets.contains("3600"),
        "{offsets}"
    );
    let uptime = |s: &str| -> f64 { s.split_whitespace().next().unwrap().parse().unwrap() };
    let host_before = uptime(&std::fs::read_to_string("/proc/uptime").unwrap());
    // /proc/uptime follows CLOCK_BOOTTIME; --monotonic alone does not move it (the kernel
    // adds the boottime offset there), so both are checked.
    let inside = uptime(&stdout(&mut lxns_run(&[
        "-T",
        "--boottime",
        "3600",
        "--",
        "cat",
        "/proc/uptime",
    ])));
    let host_after = uptime(&std::fs::read_to_string("/proc/uptime").unwrap());
    assert!(
        // /proc/uptime has two decimals: allow for the rounding of the sums.
        inside >= host_before + 3599.99 && inside <= host_after + 3600.01,
        "{host_before} {inside} {host_after}"
    );
    if have_tool("python3", &["-c", "0"]) {
        let mono = |cmd: &mut Command| -> f64 { stdout(cmd).trim().parse().unwrap() };
        let py = ["python3", "-c", "import time; print(time.monotonic())"];
        let a = mono(Command::new(py[0]).args(&py[1..]));
        let inside = mono(lxns_run(&["-T", "--monotonic", "3600", "--"]).args(py));
        let b = mono(Command::new(py[0]).args(&py[1..]));
        assert!(
            inside >= a + 3600.0 && inside <= b + 3600.0,
            "{a} {inside} {b}"
        );
    }
}

#[test]
fn maps_read_back_exactly() {
    require_root!();
    let out = stdout(&mut lxns_run(&[
        "-U",
        "--map-user=0",
        "--map-users=100000,1,65535",
        "--map-groups=200000,0,1000",
        "--map-groups=300000,5000,10",
        "--",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ]));
    let rows = words(&out);
    assert_eq!(
        rows,
        [
            ["0", "0", "1"],
            ["1", "100000", "65535"],
            ["0", "200000", "1000"],
            ["5000", "300000", "10"],
        ],
        "{out}"
    );
}

#[test]
fn rootless_map_root_user() {
    // In place (the process maps itself), and with a child (-f, and -p, which needs one: the
    // unprivileged parent writes the child's maps), the kernel shows the same thing.
    for extra in [&[][..], &["-f"], &["-p", "--mount-proc"]] {
        let mut cmd = lxns_run(extra);
        cmd.args([
            "-Urn",
            "--",
            "sh",
            "-c",
            "id -u; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups",
        ]);
        let out = stdout(as_nobody(&mut cmd));
        let rows = words(&out);
        let nobody = NOBODY.to_string();
        assert_eq!(rows[0], ["0"], "{extra:?}");
        assert_eq!(rows[1], ["0", nobody.as_str(), "1"], "{extra:?}");
        assert_eq!(rows[2], ["0", nobody.as_str(), "1"], "{extra:?}");
        assert_eq!(rows[3], ["deny"], "{extra:?}");
    }
}

/// Adds `line` to a file and restores the original on drop.
struct FileLine {
    path: &'static str,
    original: Option<String>,
}

impl FileLine {
    fn add(path: &'static str, line: &str) -> FileLine {
        let original = std::fs::read_to_string(path).ok();
        let mut text = original.clone().unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
        std::fs::write(path, text).unwrap();
        FileLine { path, original }
    }
}

impl Drop for FileLine {
    fn drop(&mut self) {
        match &self.original {
            Some(t) => std::fs::write(self.path, t).unwrap(),
            None => std::fs::remove_file(self.path).unwrap(),
        }
    }
}

#[test]
fn rootless_map_auto_uses_subids_and_fails_clearly_without() {
    require_root!();
    if !std::path::Path::new("/usr/bin/newuidmap").exists() {
        skip!("newuidmap (the uidmap package) is not installed");
    }
    let _serial = serial();
    // Without an entry: a clear error naming the file and the line to add.
    let (code, err) = fails(as_nobody(&mut lxns_run(&["--map-auto", "--", "true"])));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("/etc/subuid") && err.contains("no valid subordinate ids"),
        "{err}"
    );
    let _u = FileLine::add("/etc/subuid", "nobody:231072:65536");
    let _g = FileLine::add("/etc/subgid", "nobody:231072:65536");
    let out = stdout(as_nobody(&mut lxns_run(&[
        "--map-auto",
        "--",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ])));
    let rows = words(&out);
    assert_eq!(
        rows,
        [["0", "231072", "65536"], ["0", "231072", "65536"]],
        "{out}"
    );
    // Ids the caller does not own: newuidmap refuses, and the error says so.
    let (code, err) = fails(as_nobody(&mut lxns_run(&[
        "-U",
        "--map-users=500000,0,10",
        "--",
        "true",
    ])));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("newuidmap"), "{err}");
}

#[test]
fn enter_into_a_run_process_lands_in_all_its_namespaces() {
    require_root!();
    let (mut runner, line) = start(&[
        "-Ur",
        "-m",
        "-n",
        "-i",
        "-u",
        "-p",
        "-C",
        "-T",
        "--mount-proc",
        "--",
        "sh",
        "-c",
        "echo ready; read x",
    ]);
    assert_eq!(line, "ready");
    let child: i32 = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", runner.pid()))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let kinds = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
    let want: Vec<String> = kinds
        .iter()
        .map(|k| common::ns_link(format!("/proc/{child}/ns/{k}")))
        .collect();
    for k in &kinds {
        assert_ne!(
            common::ns_link(format!("/proc/{child}/ns/{k}")),
            common::ns_link(format!("/proc/self/ns/{k}")),
            "{k} is new"
        );
    }
    let script = kinds
        .iter()
        .map(|k| format!("readlink /proc/self/ns/{k};"))
        .collect::<String>();
    let got = stdout(Command::new(env!("CARGO_BIN_EXE_lxns")).args([
        "enter",
        "-t",
        &child.to_string(),
        "-a",
        "--",
        "sh",
        "-c",
        &script,
    ]));
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
    runner.0.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(runner.0.wait().unwrap().success());
}

#[test]
fn exit_status_and_signals_pass_through() {
    let code = lxns_run(&["--", "sh", "-c", "exit 7"]).status().unwrap();
    assert_eq!(code.code(), Some(7));
    // lxns became the program: the signal is its own status.
    let killed = lxns_run(&["--", "sh", "-c", "kill -9 $$"])
        .status()
        .unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&killed),
        Some(9)
    );
    // With a child, lxns reports it as 128+N.
    let killed = lxns_run(&["-f", "--", "sh", "-c", "kill -9 $$"])
        .status()
        .unwrap();
    assert_eq!(killed.code(), Some(128 + 9));
    let code = lxns_run(&["-p", "--", "sh", "-c", "exit 9"])
        .status()
        .unwrap();
    assert_eq!(code.code(), Some(9));
    // With a child (-f), SIGTERM, SIGINT and SIGHUP sent to lxns reach the program: here
    // `cat`, which dies of it, so lxns exits with 128+N.
    for sig in [
        rustix::process::Signal::TERM,
        rustix::process::Signal::INT,
        rustix::process::Signal::HUP,
    ] {
        let (mut c, line) = start(&["-f", "--", "sh", "-c", "echo ready; exec cat"]);
        assert_eq!(line, "ready");
        // Held open until lxns has exited: std's wait() would close it first, and cat would
        // then exit 0 at end-of-file instead of by the signal.
        let stdin = c.0.stdin.take();
        rustix::process::kill_process(rustix::process::Pid::from_raw(c.pid()).unwrap(), sig)
            .unwrap();
        let status = c.0.wait().unwrap();
        drop(stdin);
        let mut err = String::new();
        std::io::Read::read_to_string(&mut c.0.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(128 + sig.as_raw()), "{sig:?}: {err}");
    }
}

#[test]
fn bad_input_is_a_clear_error_with_the_documented_code() {
    let _serial = serial();
    let before = mount_count();
    let (code, err) = fails(&mut lxns_run(&["-Ur", "--", "lxns-no-such-program"]));
    assert_eq!(code, 127, "{err}");
    assert!(err.contains("command not found"), "{err}");
    let dir = TempDir::new("noexec");
    let file = dir.path().join("not-executable");
    std::fs::write(&file, "#!/bin/sh\n").unwrap();
    let (code, err) = fails(&mut lxns_run(&["-Ur", "--", file.to_str().unwrap()]));
    assert_eq!(code, 126, "{err}");
    assert!(
        err.contains("EACCES") && err.contains("execute permission"),
        "{err}"
    );
    let pid = common::free_pid().to_string();
    let missing_pid = format!("net={pid}");
    let long_name = "h".repeat(65);
    // lxns's own errors: exit 1, and the message names what was wrong.
    let cases: [(&[&str], &str); 8] = [
        (&["-u", "--hostname", &long_name], "at most 64 bytes"),
        (
            &["-U", "--map-users=100000,0,10", "--map-users=200000,5,10"],
            "overlap",
        ),
        (&["-U", "--map-users=100000,0,0"], "count 0"),
        (&["-R", "/etc/hostname"], "not a directory"),
        (&["--join", "net=/etc/hostname"], "not a namespace"),
        (&["--join", &missing_pid], &pid),
        (&["--join", "nosuchkind=1"], "nosuchkind"),
        (
            &["--propagation", "sideways"],
            "private, slave, shared, unchanged",
        ),
    ];
    for (args, want) in cases {
        let (code, err) = fails(lxns_run(args).args(["--", "true"]));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // Unprivileged, without a user namespace: the hint says what to add.
    let (code, err) = fails(as_nobody(&mut lxns_run(&["-n", "--", "true"])));
    assert_eq!(code, 1);
    assert!(err.contains("EPERM") && err.contains("-U -r"), "{err}");
    // Nothing left mounted.
    assert_eq!(mount_count(), before);
}

#[test]
fn kill_child_ends_the_program_when_lxns_dies() {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::process::{Pid, PidfdFlags, Signal, WaitId, WaitIdOptions};
    // Orphans come to this test process instead of pid 1 (which does not reap here), so the
    // program can be reaped below and nothing is left behind.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
    let (mut lxns, line) = start(&["--kill-child", "-U", "--", "sh", "-c", "echo $$; read x"]);
    let program = Pid::from_raw(line.parse().unwrap()).unwrap();
    assert_ne!(
        program.as_raw_nonzero().get(),
        lxns.pid(),
        "a child, not lxns itself"
    );
    let pidfd = rustix::process::pidfd_open(program, PidfdFlags::empty()).unwrap();
    let stdin = lxns.0.stdin.take();
    rustix::process::kill_process(Pid::from_raw(lxns.pid()).unwrap(), Signal::KILL).unwrap();
    lxns.0.wait().unwrap();
    // The kernel sends the program SIGKILL as its parent dies (the bound only fails the test).
    let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
    let bound = Timespec {
        tv_sec: 10,
        tv_nsec: 0,
    };
    assert_eq!(
        poll(&mut fds, Some(&bound)).unwrap(),
        1,
        "the program outlived lxns"
    );
    let status = rustix::process::waitid(WaitId::PidFd(pidfd.as_fd()), WaitIdOptions::EXITED)
        .unwrap()
        .unwrap();
    drop(stdin);
    assert_eq!(status.terminating_signal(), Some(Signal::KILL.as_raw()));
}

#[test]
fn namespaces_persist_with_file_options_and_an_existing_file_is_left_alone() {
    require_root!();
    // Counts the whole mount table: no other mounting test may run meanwhile.
    let _serial = serial();
    /// Removes persisted namespaces on drop (unpersist refuses anything but an nsfs mount).
    struct Persisted(Vec<std::path::PathBuf>);
    impl Drop for Persisted {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = lxns::unpersist(p);
            }
        }
    }
    let dir = TempDir::new("persist");
    let file = |name: &str| dir.path().join(name);
    let _cleanup = Persisted(vec![file("net"), file("uts"), file("pid-uts")]);
    let arg = |flag: &str, name: &str| format!("{flag}={}", file(name).display());
    // In place (no child) and with a child (-p): both persist before the program runs.
    run_ok(&mut lxns_run(&[
        &arg("--net", "net"),
        &arg("-u", "uts"),
        "--hostname",
        "kept",
        "--",
        "true",
    ]));
    run_ok(&mut lxns_run(&[
        "-p",
        &arg("--uts", "pid-uts"),
        "--hostname",
        "kept-too",
        "--",
        "true",
    ]));
    // The namespaces outlive their only process, as the kernel shows through nsenter.
    let net = lxns::Namespace::open_as(file("net"), lxns::Kind::Net).unwrap();
    assert_ne!(net, lxns::Namespace::current(lxns::Kind::Net).unwrap());
    for (name, want) in [("uts", "kept"), ("pid-uts", "kept-too")] {
        let out = stdout(
            Command::new("nsenter")
                .arg(arg("--uts", name))
                .arg("hostname"),
        );
        assert_eq!(out.trim(), want);
    }
    // An existing path: a clear error, and the namespace mounted there is untouched.
    let (code, err) = fails(&mut lxns_run(&[&arg("--net", "net"), "--", "true"]));
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        lxns::Namespace::open_as(file("net"), lxns::Kind::Net).unwrap(),
        net
    );
}

/// Container seccomp profiles make `clone3` fail with `ENOSYS` (Docker, Podman) or `EPERM`
/// so that glibc falls back to `clone`: lxns must too, as root and unprivileged.
#[test]
fn runs_where_clone3_is_blocked_by_seccomp() {
    require_root!();
    for errno in [libc::ENOSYS, libc::EPERM] {
        let filter = SyscallFilter::clone3(errno);
        for nobody in [false, true] {
            let mut c = lxns_run(&["-Urn", "-f", "--", "id", "-u"]);
            if nobody {
                as_nobody(&mut c);
            }
            filter.apply_to(&mut c);
            assert_eq!(stdout(&mut c).trim(), "0", "errno {errno}, nobody {nobody}");
        }
        let mut c = lxns_run(&[
            "-p",
            "-f",
            "--mount-proc",
            "--",
            "ps",
            "-e",
            "-o",
            "pid=,comm=",
        ]);
        filter.apply_to(&mut c);
        let text = stdout(&mut c);
        let procs: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(procs, ["1 ps"], "errno {errno}: only ps, as pid 1");
    }
}

/// A combination the kernel refuses is refused before any process exists, with the reason
/// (unshare refuses it before forking too).
#[test]
fn unprivileged_setgroups_allow_with_a_direct_gid_map_is_refused_up_front() {
    require_root!();
    let (code, err) = fails(as_nobody(&mut lxns_run(&[
        "-U",
        "--map-group=0",
        "--setgroups=allow",
        "--",
        "true",
    ])));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("only after denying setgroups"), "{err}");
}

/// Under nohup(1) the program keeps SIGHUP ignored, as without lxns in between: lxns's
/// forwarding leaves an ignored signal alone.
#[test]
fn nohup_stays_in_force_through_lxns_run() {
    let out = run_ok(
        Command::new("nohup")
            .arg(env!("CARGO_BIN_EXE_lxns"))
            .args([
                "run",
                "-f",
                "--",
                "sed",
                "-n",
                "/^SigIgn/p",
                "/proc/self/status",
            ])
            .stdout(Stdio::piped()),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let ignored =
        u64::from_str_radix(text.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_ne!(ignored & (1 << (libc::SIGHUP - 1)), 0, "{text}");
}

/// Arguments, hostnames and `--join` paths are bytes, as unshare(1) and the kernel take them:
/// a non-UTF-8 argument reaches the program unchanged (it exited 2 before).
#[test]
fn non_utf8_arguments_hostnames_and_paths_pass_through() {
    require_root!();
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let arg = std::ffi::OsString::from_vec(vec![b'a', 0xff, b'z']);
    let out = run_ok(
        Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args(["run", "-n", "--", "printf", "%s"])
            .arg(&arg),
    );
    assert_eq!(out.stdout, arg.as_bytes());
    let host = std::ffi::OsString::from_vec(vec![b'h', 0xfe]);
    let out = run_ok(
        Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args(["run", "--hostname"])
            .arg(&host)
            .args(["--", "hostname"]),
    );
    assert_eq!(out.stdout, [b'h', 0xfe, b'\n']);
    // --join net=PATH with a non-UTF-8 path (a symlink to our own net namespace file).
    let dir = TempDir::new("bytes");
    let link = dir.path().join(std::ffi::OsStr::from_bytes(&[b'n', 0xff]));
    std::os::unix::fs::symlink("/proc/self/ns/net", &link).unwrap();
    let mut join = std::ffi::OsString::from("net=");
    join.push(&link);
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args(["run", "-u", "--join"])
            .arg(&join)
            .args(["--", "true"]),
    );
    // And lxns enter passes bytes on too.
    let target = common::target_with(&["--uts"]);
    let out = run_ok(
        Command::new(env!("CARGO_BIN_EXE_lxns"))
            .args([
                "enter",
                "-t",
                &target.pid().to_string(),
                "-u",
                "--",
                "printf",
                "%s",
            ])
            .arg(&arg),
    );
    assert_eq!(out.stdout, arg.as_bytes());
}

/// A script without `#!` is run by /bin/sh, as execvp(3), unshare and nsenter run it (the
/// kernel's ENOEXEC): before, lxns exited 126 with "Exec format error".
#[test]
fn a_script_without_a_shebang_runs_with_bin_sh() {
    require_root!();
    let dir = TempDir::new("noshebang");
    let script = dir.path().join("script");
    std::fs::write(&script, "echo \"sh:$0:$1:$2\"\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let s = script.to_str().unwrap();
    let want = format!("sh:{s}:a:b c");
    for args in [&["-u"][..], &["-u", "-f"], &["-p", "--mount-proc"]] {
        let mut all = args.to_vec();
        all.extend([s, "a", "b c"]);
        assert_eq!(stdout(&mut lxns_run(&all)).trim_end(), want, "{args:?}");
    }
}

/// unshare(1)'s recipe for a persistent namespace — `touch FILE; unshare --uts=FILE` — works
/// (before: EEXIST): the namespace is bind-mounted onto the existing file, which a failed
/// spawn leaves in place (unmounted). A missing FILE is created, as before.
#[test]
fn kind_equals_file_persists_onto_an_existing_file_as_unshare_does() {
    require_root!();
    // Mounts: the tests that count the whole mount table must not run meanwhile.
    let _serial = serial();
    let dir = TempDir::new("persist-existing");
    let existing = dir.path().join("uts");
    std::fs::write(&existing, b"").unwrap();
    let fresh = dir.path().join("net");
    let uts = format!("--uts={}", existing.display());
    let net = format!("--net={}", fresh.display());
    let out = lxns_run(&[&uts, &net, "--hostname", "persisted", "true"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _cleanup = scopeguard(&[existing.clone(), fresh.clone()]);
    assert!(lxns::is_persisted(&existing) && lxns::is_persisted(&fresh));
    let ns = lxns::Namespace::open_as(&existing, lxns::Kind::Uts).unwrap();
    let name = lxns::run(&[&ns], || rustix::system::uname().nodename().to_owned()).unwrap();
    assert_eq!(name.to_bytes(), b"persisted");
    // Already holding a namespace: refused, nothing else changes.
    let out = lxns_run(&[&uts, "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // A spawn that fails after persisting onto an existing file unmounts it and keeps it.
    let other = dir.path().join("ipc");
    std::fs::write(&other, b"").unwrap();
    let ipc = format!("--ipc={}", other.display());
    let out = lxns_run(&[&ipc, "-f", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert!(other.exists() && !lxns::is_persisted(&other));
}

/// Unmounts and removes persisted files on drop (a failed test leaves nothing mounted).
fn scopeguard(paths: &[std::path::PathBuf]) -> impl Drop + use<> {
    struct Unpersist(Vec<std::path::PathBuf>);
    impl Drop for Unpersist {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = lxns::unpersist(p);
            }
        }
    }
    Unpersist(paths.to_vec())
}

/// Long options may be abbreviated to any unique prefix, as getopt_long (and so unshare)
/// allows: `--map-root` is `--map-root-user` (it was refused before).
#[test]
fn long_options_take_unique_prefixes_as_getopt_does() {
    require_root!();
    assert_eq!(
        stdout(&mut lxns_run(&["--map-root", "--ne", "id", "-u"])).trim(),
        "0"
    );
    let out = lxns_run(&["--ma", "true"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "an ambiguous prefix is an error"
    );
}

/// `--mount=FILE` persists the new mount namespace without `-f`, as unshare does (before:
/// ELOOP, blamed on a symlink: lxns mounted its own mount namespace from inside it). The
/// parent does it; the file must be on a private mount (a tmpfs made private here).
#[test]
fn mount_equals_file_persists_without_fork() {
    require_root!();
    let _serial = serial();
    let dir = TempDir::new("persist-mnt");
    let d = dir.path().display().to_string();
    run_ok(Command::new("mount").args(["-t", "tmpfs", "lxns-test-private", &d]));
    let _unmount = Unmount(d.clone());
    run_ok(Command::new("mount").args(["--make-private", &d]));
    let file = dir.path().join("mnt");
    let arg = format!("--mount={}", file.display());
    let out = lxns_run(&[&arg, "true"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ns = lxns::Namespace::open_as(&file, lxns::Kind::Mnt).unwrap();
    assert_ne!(ns, lxns::Namespace::current(lxns::Kind::Mnt).unwrap());
    lxns::unpersist(&file).unwrap();
}

/// `-S/--setuid` and `-G/--setgid` (unshare 2.38): the program runs as that uid and gid, as
/// the new user namespace numbers them, with no supplementary groups (the kernel's view:
/// /proc/self/status). A uid with no mapping is the kernel's EINVAL, named.
#[test]
fn setuid_and_setgid_run_the_program_as_them() {
    require_root!();
    let status = stdout(&mut lxns_run(&[
        "-u",
        "-S",
        "65534",
        "-G",
        "65534",
        "cat",
        "/proc/self/status",
    ]));
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap()
    };
    assert_eq!(field("Uid:"), "65534 65534 65534 65534");
    assert_eq!(field("Gid:"), "65534 65534 65534 65534");
    assert_eq!(field("Groups:"), "");
    // Inside a user namespace: uid 1000 of a mapped range.
    let ids = stdout(&mut lxns_run(&[
        "-U",
        "--map-users=0,0,65536",
        "--map-groups=0,0,65536",
        "-S",
        "1000",
        "-G",
        "1000",
        "sh",
        "-c",
        "id -u; id -g",
    ]));
    assert_eq!(ids.split_whitespace().collect::<Vec<_>>(), ["1000", "1000"]);
    let out = lxns_run(&["-r", "-S", "5", "true"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("set uid") && err.contains("EINVAL"), "{err}");
}

/// The `Cap*:` lines of a `/proc/self/status` text.
fn cap_lines(status: &str) -> Vec<String> {
    status
        .lines()
        .filter(|l| l.starts_with("Cap"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// `--keep-caps` (unshare 2.38): in a new user namespace without maps the program is the
/// overflow uid, so exec drops every capability; with --keep-caps they are inheritable and
/// ambient and survive — the kernel's view equals unshare's, in place and with a child.
#[test]
fn keep_caps_keeps_the_user_namespaces_capabilities_across_exec() {
    require_root!();
    let probe = ["grep", "^Cap", "/proc/self/status"];
    let theirs = String::from_utf8(
        run_ok(
            Command::new("unshare")
                .args(["-U", "--keep-caps"])
                .args(probe),
        )
        .stdout,
    )
    .unwrap();
    for extra in [&[][..], &["-f"]] {
        let mut args = vec!["-U", "--keep-caps"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&probe);
        let ours = stdout(&mut lxns_run(&args));
        assert_eq!(cap_lines(&ours), cap_lines(&theirs), "{extra:?}");
        let amb = cap_lines(&ours)
            .into_iter()
            .find(|l| l.starts_with("CapAmb"))
            .unwrap();
        assert_ne!(amb, "CapAmb: 0000000000000000", "{ours}");
    }
    // Without it, exec drops them (the option is what keeps them).
    let plain = stdout(&mut lxns_run(&[
        "-U",
        "grep",
        "^CapEff",
        "/proc/self/status",
    ]));
    assert_eq!(plain.split_whitespace().nth(1), Some("0000000000000000"));
}

/// `--owner UID:GID` (later util-linux): the new user namespace is created as that user,
/// who owns it (NS_GET_OWNER_UID); the maps are still ours to write.
#[test]
fn owner_creates_the_user_namespace_as_that_user() {
    require_root!();
    let (child, line) = start(&[
        "--owner",
        "65534:65534",
        "--map-users=0:0:1",
        "-n",
        "sh",
        "-c",
        "echo $$; cat /proc/self/uid_map; read x",
    ]);
    let pid: i32 = line.parse().unwrap();
    let user = lxns::Namespace::of_process(pid, lxns::Kind::User).unwrap();
    assert_eq!(user.owner_uid().unwrap(), NOBODY);
    assert_ne!(user, lxns::Namespace::current(lxns::Kind::User).unwrap());
    drop(child);
    // Bad input: util-linux's words.
    let (code, err) = fails(&mut lxns_run(&["--owner", "65534", "true"]));
    assert_eq!(code, 1);
    assert!(err.contains("failed to parse owner"), "{err}");
}

/// `--clear-env` and `--whitelist-env` (later util-linux): an empty environment, or only the
/// named variables of ours (repeatable, comma-separated; unknown names are skipped).
#[test]
fn clear_env_and_whitelist_env_pass_only_what_was_asked() {
    let out = stdout(lxns_run(&["--clear-env", "-f", "env"]).env("LXNS_T", "1"));
    assert_eq!(out, "");
    let out = stdout(
        lxns_run(&[
            "--whitelist-env",
            "LXNS_A,LXNS_NOPE",
            "--whitelist-env=LXNS_B",
            "env",
        ])
        .env("LXNS_A", "a b")
        .env("LXNS_B", "")
        .env("LXNS_C", "c"),
    );
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["LXNS_A=a b", "LXNS_B="]);
}

/// `--map-users=all`/`--map-groups=all` (later util-linux): every id of our user namespace
/// onto itself; with -r, unshare's hole: 0 is the caller and 1… pass through.
#[test]
fn map_users_all_passes_every_id_through() {
    require_root!();
    let out = stdout(&mut lxns_run(&[
        "-f",
        "--map-users=all",
        "--map-groups=all",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ]));
    let ours = std::fs::read_to_string("/proc/self/uid_map").unwrap();
    assert_eq!(words(&out)[0], words(&ours)[0]);
    let out = stdout(&mut lxns_run(&[
        "-r",
        "--map-users=all",
        "cat",
        "/proc/self/uid_map",
    ]));
    assert_eq!(words(&out), [["0", "0", "1"], ["1", "1", "4294967294"]]);
}

/// A binfmt_misc format whose magic is `#LXNS-<tag>`, run by /bin/cat, and a file with it.
fn binfmt_probe(dir: &std::path::Path, tag: &str, flags: &str) -> (String, String) {
    let file = dir.join(format!("{tag}.lx"));
    std::fs::write(&file, format!("#LXNS-{tag}\nran by cat\n")).unwrap();
    let mut perm = std::fs::metadata(&file).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&file, perm).unwrap();
    (
        format!(":lxns{tag}:M::#LXNS-{tag}::/bin/cat:{flags}"),
        file.display().to_string(),
    )
}

/// `--mount-binfmt` and `-l/--load-interp` (later util-linux, Linux 6.7+): the new user
/// namespace's own binfmt_misc, the format registered there runs the file, and the host's
/// binfmt_misc never sees it.
#[test]
fn load_interp_registers_a_format_in_the_namespaces_own_binfmt_misc() {
    require_root!();
    if !lxns::kernel::Version::current().at_least(6, 7) {
        // Before 6.7 binfmt_misc is not per user namespace: the kernel refuses the mount.
        let (code, err) = fails(&mut lxns_run(&["-r", "-p", "--mount-binfmt", "true"]));
        assert_eq!(code, 1);
        assert!(err.contains("binfmt_misc"), "{err}");
        return;
    }
    let dir = TempDir::new("binfmt");
    let (format, file) = binfmt_probe(dir.path(), "a", "");
    let name = "/proc/sys/fs/binfmt_misc/lxnsa";
    let out = stdout(&mut lxns_run(&[
        "-r",
        "-p",
        "-l",
        &format,
        "sh",
        "-c",
        &format!("head -2 {name}; {file}"),
    ]));
    assert_eq!(
        out,
        format!("enabled\ninterpreter /bin/cat\n#LXNS-a\nran by cat\n")
    );
    assert!(!std::path::Path::new(name).exists());
    // --mount-binfmt alone: at /proc/sys/fs/binfmt_misc of a fresh proc, as unshare does.
    let out = stdout(&mut lxns_run(&[
        "-r",
        "-p",
        "--mount-binfmt",
        "ls",
        "/proc/sys/fs/binfmt_misc",
    ]));
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["register", "status"]
    );
    // --mount-binfmt=DIR alone: a binfmt_misc there, empty but for its two files.
    let at = dir.path().join("bf");
    std::fs::create_dir(&at).unwrap();
    let arg = format!("--mount-binfmt={}", at.display());
    let out = stdout(&mut lxns_run(&["-r", &arg, "ls", at.to_str().unwrap()]));
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["register", "status"]
    );
    // A malformed format: the kernel's EINVAL, at the step that wrote it.
    let (code, err) = fails(&mut lxns_run(&["-r", "-p", "-l", ":bad:", "true"]));
    assert_eq!(code, 1);
    assert!(err.contains("register") && err.contains("EINVAL"), "{err}");
}

/// `-l` with the F flag and `--root`: registered before the pivot, so the kernel opens the
/// interpreter in our tree — the new root has no /bin/cat, and the file still runs.
#[test]
fn a_fixed_format_with_root_opens_the_interpreter_in_the_callers_tree() {
    require_root!();
    if !lxns::kernel::Version::current().at_least(6, 7) {
        return; // The refusal is checked above.
    }
    let _serial = serial();
    let dir = TempDir::new("binfmt-root");
    minimal_root(dir.path());
    std::fs::create_dir_all(dir.path().join("proc")).unwrap();
    let (format, _) = binfmt_probe(dir.path(), "f", "F");
    assert!(!dir.path().join("bin/cat").exists());
    let out = stdout(&mut lxns_run(&[
        "-r",
        "-p",
        "-R",
        dir.path().to_str().unwrap(),
        "-l",
        &format,
        "/bin/sh",
        "-c",
        "/f.lx",
    ]));
    assert_eq!(out, "#LXNS-f\nran by cat\n");
}

/// `--map-auto` maps every subordinate block (unshare: the first only), one after another
/// from 0; `--map-subids` maps the first onto itself; a user with no line in /etc/subuid is
/// asked of getsubids(1) (an NSS subid provider answers there) — here a stand-in on PATH, as
/// no libsubid provider is installed.
#[test]
fn subordinate_ids_come_in_all_blocks_and_through_getsubids() {
    require_root!();
    if !std::path::Path::new("/usr/bin/newuidmap").exists() {
        skip!("newuidmap (the uidmap package) is not installed");
    }
    let _serial = serial();
    let probe = ["cat", "/proc/self/uid_map", "/proc/self/gid_map"];
    {
        let _u = FileLine::add("/etc/subuid", "nobody:231072:65536\nnobody:400000:1000");
        let _g = FileLine::add("/etc/subgid", "nobody:231072:65536\nnobody:400000:1000");
        // Shadow's own reader sees both blocks: so do we.
        let theirs = stdout(Command::new("getsubids").arg("nobody"));
        assert_eq!(
            words(&theirs),
            [
                ["0:", "nobody", "231072", "65536"],
                ["1:", "nobody", "400000", "1000"]
            ]
        );
        let mut args = vec!["--map-auto"];
        args.extend_from_slice(&probe);
        let out = stdout(as_nobody(&mut lxns_run(&args)));
        let blocks = [["0", "231072", "65536"], ["65536", "400000", "1000"]];
        assert_eq!(words(&out), [blocks, blocks].concat(), "{out}");
        let mut args = vec!["--map-subids"];
        args.extend_from_slice(&probe);
        let out = stdout(as_nobody(&mut lxns_run(&args)));
        assert_eq!(
            words(&out),
            [["231072", "231072", "65536"], ["231072", "231072", "65536"]]
        );
    }
    let bin = TempDir::new("getsubids");
    let stub = bin.path().join("getsubids");
    std::fs::write(
        &stub,
        "#!/bin/sh\n[ \"$1\" = -g ] && shift && echo \"0: $1 500000 100\" && exit 0\n\
         echo \"0: $1 300000 10\"; echo \"1: $1 310000 5\"\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&stub).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&stub, perm).unwrap();
    let path = format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin.path().display());
    let mut args = vec!["--map-auto"];
    args.extend_from_slice(&probe);
    // newuidmap checks the subordinate ids itself and refuses what only the stand-in
    // claims: the maps asked for are the stand-in's, as its error shows.
    let (code, err) = fails(as_nobody(&mut lxns_run(&args)).env("PATH", &path));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("0 300000 10 10 310000 5"), "{err}");
}
