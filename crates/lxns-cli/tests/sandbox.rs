//! `lxns sandbox` (and the `bwrap` multi-call name): each filesystem operation and hardening
//! option checked from inside (mountinfo, `/proc/self/status`, stat, EROFS), as root and as
//! `nobody`; the same sandboxes built by Debian's bwrap compared line by line; bad input.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[macro_use]
mod common;

use std::process::{Command, Output, Stdio};

use common::{NOBODY, TempDir, as_nobody, have_tool};

/// The tree every sandbox below starts from: `/usr` read-only, and the usual links into it.
const BASE: &[&str] = &[
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--symlink",
    "usr/bin",
    "/bin",
];

/// What the kernel shows inside: the mount table without mount ids and device numbers, and
/// the credential lines of `/proc/self/status`.
const VIEW: &str = r#"cut -d" " -f4- /proc/self/mountinfo; grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp)" /proc/self/status"#;

fn lxns(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lxns"));
    c.arg("sandbox").args(args);
    c
}

fn bwrap(args: &[&str]) -> Command {
    let mut c = Command::new("bwrap");
    c.args(args);
    c
}

fn with_base(args: &[&str]) -> Vec<String> {
    BASE.iter().chain(args).map(|s| (*s).to_owned()).collect()
}

fn output(c: &mut Command, nobody: bool) -> Output {
    if nobody {
        as_nobody(c);
    } else {
        c.current_dir("/");
    }
    c.stdin(Stdio::null()).output().expect("spawn")
}

fn ok(c: &mut Command, nobody: bool) -> String {
    let out = output(c, nobody);
    assert!(
        out.status.success(),
        "{c:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `sh -c SCRIPT` in the sandbox `args` (after [`BASE`]).
fn inside(args: &[&str], script: &str, nobody: bool) -> String {
    let mut all = with_base(args);
    all.extend(["--".into(), "/bin/sh".into(), "-c".into(), script.into()]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    ok(&mut lxns(&all), nobody)
}

/// The ten-plus command lines compared with bwrap.
fn representative(scratch: &str) -> Vec<Vec<String>> {
    let lines: Vec<Vec<&str>> = vec![
        vec![
            "--unshare-all",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
        ],
        vec!["--unshare-pid", "--proc", "/proc"],
        vec![
            "--unshare-user",
            "--uid",
            "0",
            "--gid",
            "0",
            "--tmpfs",
            "/tmp",
        ],
        vec![
            "--unshare-user",
            "--uid",
            "1234",
            "--gid",
            "4321",
            "--dir",
            "/home/u",
        ],
        vec![
            "--size", "1048576", "--perms", "0700", "--tmpfs", "/scratch",
        ],
        vec!["--bind", scratch, "/data", "--remount-ro", "/data"],
        // Not /dev itself: its over-mounted (hidden) mounts get nosuid from lxns (mount_setattr
        // reaches every mount of the tree) and keep their flags with bwrap (which remounts by
        // path), a deliberate difference.
        vec![
            "--dev-bind",
            "/dev/null",
            "/dev/null",
            "--ro-bind",
            "/etc",
            "/etc",
        ],
        vec![
            "--dir",
            "/var/x",
            "--perms",
            "0700",
            "--dir",
            "/y",
            "--symlink",
            "../tmp",
            "/var/tmp",
        ],
        vec!["--unshare-ipc", "--mqueue", "/dev/mqueue"],
        vec![
            "--bind-try",
            "/nonexistent",
            "/x",
            "--ro-bind-try",
            "/etc",
            "/etc",
        ],
        vec![
            "--unshare-all",
            "--share-net",
            "--cap-drop",
            "ALL",
            "--new-session",
        ],
        vec![
            "--unshare-user",
            "--cap-add",
            "CAP_NET_ADMIN",
            "--cap-add",
            "cap_sys_time",
        ],
        vec!["--tmpfs", "/t", "--chmod", "1777", "/t", "--dev", "/dev"],
        vec![
            "--unshare-net",
            "--unshare-uts",
            "--hostname",
            "box",
            "--proc",
            "/proc",
        ],
    ];
    lines
        .into_iter()
        .map(|l| l.into_iter().map(str::to_owned).collect())
        .collect()
}

fn compare_with_bwrap(nobody: bool) {
    if !have_tool("bwrap", &["--version"]) {
        return;
    }
    let scratch = TempDir::new("sandbox-cmp");
    std::fs::set_permissions(
        scratch.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let scratch_path = scratch.path().to_str().unwrap().to_owned();
    let mut compared = 0;
    for line in representative(&scratch_path) {
        let mut line = line;
        if !line.iter().any(|a| a == "--proc") {
            line.extend(["--unshare-pid", "--proc", "/proc"].map(str::to_owned));
        }
        let mut args = with_base(&line.iter().map(String::as_str).collect::<Vec<_>>());
        args.extend(["--".into(), "/bin/sh".into(), "-c".into(), VIEW.into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let theirs = output(&mut bwrap(&args), nobody);
        let ours = output(&mut lxns(&args), nobody);
        let text = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{line:?} as {}: exit status\nbwrap: {}\nlxns: {}",
            if nobody { "nobody" } else { "root" },
            String::from_utf8_lossy(&theirs.stderr),
            String::from_utf8_lossy(&ours.stderr),
        );
        assert_eq!(
            text(&ours),
            text(&theirs),
            "{line:?} as {}: mount table and credentials differ from bwrap's",
            if nobody { "nobody" } else { "root" }
        );
        assert!(text(&ours).contains("NoNewPrivs:\t1"), "{line:?}");
        compared += 1;
    }
    assert!(compared >= 10);
}

#[test]
fn the_same_sandbox_as_bwrap_as_root() {
    compare_with_bwrap(false);
}

#[test]
fn the_same_sandbox_as_bwrap_as_nobody() {
    compare_with_bwrap(true);
}

/// `sh -c SCRIPT` as root, from `/`, in a mount namespace of its own made by unshare(1)
/// with `propagation`: what it mounts goes with it.
fn in_mount_namespace(propagation: &str, script: &str) -> Output {
    Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            propagation,
            "/bin/sh",
            "-c",
            script,
        ])
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Where the caller's mounts are shared (a systemd host), they stay visible inside as
/// slaves (`master:N` in mountinfo), as with bwrap's `MS_SLAVE | MS_REC`, and a mount made
/// inside does not propagate out. Both tools run in one `unshare --propagation shared`
/// namespace, so that the peer group numbers are the same for both.
#[test]
fn shared_mounts_of_the_caller_are_slaves_inside_as_with_bwrap() {
    if !have_tool("bwrap", &["--version"]) || !have_tool("unshare", &["--version"]) {
        return;
    }
    let scratch = TempDir::new("sandbox-shared");
    let dir = scratch.path().to_str().unwrap();
    let sandbox = format!(
        "--ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
         --symlink usr/bin /bin --bind {dir} /s --unshare-pid --proc /proc -- \
         /bin/sh -c 'mkdir /s/m && mount -t tmpfs none /s/m; cut -d\" \" -f4- /proc/self/mountinfo'"
    );
    let lxns_bin = env!("CARGO_BIN_EXE_lxns");
    let script = format!(
        "set -e; mount --bind {dir} {dir}; bwrap {sandbox}; echo ===; grep -c ' {dir}/m ' /proc/self/mountinfo || true; \
         rmdir {dir}/m; echo ===; {lxns_bin} sandbox {sandbox}; echo ===; grep -c ' {dir}/m ' /proc/self/mountinfo || true"
    );
    let out = in_mount_namespace("shared", &script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<&str> = text.split("===\n").collect();
    assert_eq!(parts.len(), 4, "{text}");
    assert!(
        parts[0].contains(" /s rw,nosuid,nodev,relatime master:"),
        "{text}"
    );
    assert_eq!(parts[2], parts[0], "the mount table differs from bwrap's");
    assert_eq!(
        parts[3].trim(),
        "0",
        "a mount inside propagated out: {text}"
    );
    assert_eq!(parts[1].trim(), "0", "{text}");
}

#[test]
fn each_filesystem_operation_as_the_kernel_shows_it() {
    for nobody in [false, true] {
        let view = inside(
            &[
                "--unshare-pid",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--size",
                "1048576",
                "--perms",
                "0710",
                "--tmpfs",
                "/small",
                "--dir",
                "/d/e",
                "--symlink",
                "d/e",
                "/link",
            ],
            r#"grep -E " /(small|usr|proc|dev) " /proc/self/mountinfo
               touch /usr/lxns-sandbox-test 2>&1; echo "rc=$?"
               stat -c "%n %a %F" /small /d/e /link
               ls -A /dev | tr "\n" " ""#,
            nobody,
        );
        let who = if nobody { "nobody" } else { "root" };
        let line = |mp: &str| {
            view.lines()
                .find(|l| l.split(' ').nth(4) == Some(mp))
                .unwrap_or_else(|| panic!("{mp} not mounted as {who}:\n{view}"))
                .to_owned()
        };
        let small = line("/small");
        assert!(
            small.contains(" - tmpfs tmpfs ") && small.contains("size=1024k"),
            "{small}"
        );
        assert!(small.contains("mode=710"), "{small}");
        assert!(small.contains("nosuid,nodev"), "{small}");
        assert!(
            line("/usr").split(' ').nth(5).unwrap().starts_with("ro,"),
            "{view}"
        );
        assert!(line("/proc").contains(" - proc proc "), "{view}");
        assert!(line("/dev").contains(" - tmpfs tmpfs "), "{view}");
        assert!(
            view.contains("touch: cannot touch '/usr/lxns-sandbox-test': Read-only file system"),
            "{view}"
        );
        assert!(view.contains("rc=1"), "{view}");
        assert!(view.contains("/small 710 directory"), "{view}");
        assert!(view.contains("/d/e 755 directory"), "{view}");
        assert!(view.contains("/link 777 symbolic link"), "{view}");
        let dev = view.lines().last().unwrap().trim();
        assert_eq!(
            dev, "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero",
            "as {who}"
        );
    }
}

#[test]
fn data_files_and_bound_data_hold_their_bytes() {
    let dir = TempDir::new("sandbox-data");
    let data = dir.path().join("data");
    std::fs::write(&data, b"hello\0bytes\n").unwrap();
    for (option, ro) in [
        ("--file", false),
        ("--bind-data", false),
        ("--ro-bind-data", true),
    ] {
        let mut args = with_base(&[option, "0", "/etc/greeting"]);
        args.extend(
            [
                "--",
                "/bin/sh",
                "-c",
                "od -c /etc/greeting | head -1; echo x >> /etc/greeting 2>&1; echo rc=$?",
            ]
            .map(str::to_owned),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = lxns(&args);
        c.current_dir("/")
            .stdin(std::fs::File::open(&data).unwrap());
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("h   e   l   l   o  \\0   b   y   t   e   s  \\n"),
            "{option}: {text}"
        );
        assert_eq!(text.contains("rc=0"), !ro, "{option}: {text}");
    }
}

#[test]
fn capabilities_no_new_privs_and_session_as_the_kernel_shows_them() {
    let status = |args: &[&str], nobody: bool| {
        inside(
            args,
            r#"grep -E "^(Cap|NoNewPrivs)" /proc/self/status; echo "pid=$$ sid=$(cut -d" " -f6 /proc/self/stat)""#,
            nobody,
        )
    };
    // Root with a user namespace of its own: every set empty, the bounding set too.
    let dropped = status(
        &[
            "--unshare-user",
            "--unshare-pid",
            "--proc",
            "/proc",
            "--cap-drop",
            "ALL",
        ],
        false,
    );
    for set in ["CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"] {
        assert!(
            dropped.contains(&format!("{set}:\t0000000000000000")),
            "{dropped}"
        );
    }
    assert!(dropped.contains("NoNewPrivs:\t1"), "{dropped}");
    // Root without one: bwrap leaves the bounding set as it was (the caller's).
    let held = std::fs::read_to_string("/proc/self/status").unwrap();
    let bnd = held.lines().find(|l| l.starts_with("CapBnd:")).unwrap();
    let kept = status(
        &["--unshare-pid", "--proc", "/proc", "--cap-drop", "ALL"],
        false,
    );
    assert!(kept.contains(bnd), "{kept}");
    assert!(kept.contains("CapEff:\t0000000000000000"), "{kept}");
    // CAP_NET_ADMIN is bit 12: 0x1000, ambient for a uid other than 0.
    let added = status(
        &[
            "--unshare-user",
            "--unshare-pid",
            "--proc",
            "/proc",
            "--cap-add",
            "CAP_NET_ADMIN",
        ],
        true,
    );
    for set in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
        assert!(
            added.contains(&format!("{set}:\t0000000000001000")),
            "{added}"
        );
    }
    let session = status(&["--proc", "/proc", "--new-session"], false);
    let ids = session.lines().last().unwrap();
    let (pid, sid) = ids.split_once(' ').unwrap();
    assert_eq!(
        pid.trim_start_matches("pid="),
        sid.trim_start_matches("sid="),
        "{ids}"
    );
    let pid1 = inside(&["--unshare-pid", "--as-pid-1"], "echo $$", true);
    assert_eq!(pid1.trim(), "1");
}

/// A seccomp program (classic BPF, native order) that makes `mkdirat` (and `mkdir`) fail
/// with EPERM and allows everything else.
fn deny_mkdir_program() -> Vec<u8> {
    let ins = |code: u16, jt: u8, jf: u8, k: u32| {
        let mut v = code.to_ne_bytes().to_vec();
        v.extend([jt, jf]);
        v.extend(k.to_ne_bytes());
        v
    };
    let nr = |n: libc::c_long| u32::try_from(n).unwrap();
    #[cfg(target_arch = "x86_64")]
    let mkdir = nr(libc::SYS_mkdir);
    #[cfg(not(target_arch = "x86_64"))]
    let mkdir = nr(libc::SYS_mkdirat);
    [
        ins(0x20, 0, 0, 0),                                // ld [nr]
        ins(0x15, 2, 0, nr(libc::SYS_mkdirat)),            // jeq mkdirat → deny
        ins(0x15, 1, 0, mkdir),                            // jeq mkdir → deny
        ins(0x06, 0, 0, 0x7fff_0000),                      // ret ALLOW
        ins(0x06, 0, 0, 0x0005_0000 | libc::EPERM as u32), // ret ERRNO(EPERM)
    ]
    .concat()
}

#[test]
fn a_seccomp_program_makes_one_call_fail_with_eperm() {
    let dir = TempDir::new("sandbox-seccomp");
    let program = dir.path().join("bpf");
    std::fs::write(&program, deny_mkdir_program()).unwrap();
    for nobody in [false, true] {
        let mut args = with_base(&[
            "--unshare-pid",
            "--proc",
            "/proc",
            "--tmpfs",
            "/tmp",
            "--seccomp",
            "0",
        ]);
        args.extend(
            [
                "--",
                "/bin/sh",
                "-c",
                "mkdir /tmp/x 2>&1; echo rc=$?; touch /tmp/y && echo touched; grep Seccomp: /proc/self/status",
            ]
            .map(str::to_owned),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = lxns(&args);
        if nobody {
            as_nobody(&mut c);
        }
        c.stdin(std::fs::File::open(&program).unwrap());
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("Operation not permitted") && text.contains("rc=1"),
            "{text}"
        );
        assert!(
            text.contains("touched") && text.contains("Seccomp:\t2"),
            "{text}"
        );
    }
}

#[test]
fn info_and_json_status_as_bwrap_writes_them() {
    let dir = TempDir::new("sandbox-info");
    let (info, json) = (dir.path().join("info"), dir.path().join("json"));
    let mut args = vec![
        "-c".to_owned(),
        r#"exec "$0" "$@" 3>"$INFO" 4>"$JSON""#.to_owned(),
    ];
    args.push(env!("CARGO_BIN_EXE_lxns").to_owned());
    args.push("sandbox".to_owned());
    args.extend(with_base(&[
        "--unshare-all",
        "--info-fd",
        "3",
        "--json-status-fd",
        "4",
        "--",
        "/bin/sh",
        "-c",
        "exit 3",
    ]));
    let out = Command::new("/bin/sh")
        .args(&args)
        .env("INFO", &info)
        .env("JSON", &json)
        .current_dir("/")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = std::fs::read_to_string(&info).unwrap();
    let json = std::fs::read_to_string(&json).unwrap();
    for key in [
        "child-pid",
        "cgroup-namespace",
        "ipc-namespace",
        "mnt-namespace",
        "net-namespace",
        "pid-namespace",
        "uts-namespace",
    ] {
        assert!(info.contains(&format!("    \"{key}\": ")), "{info}");
        assert!(
            json.lines()
                .next()
                .unwrap()
                .contains(&format!("\"{key}\": ")),
            "{json}"
        );
    }
    assert_eq!(json.lines().nth(1), Some("{ \"exit-code\": 3 }"), "{json}");
    // The record names the namespaces made for the sandbox, and only those, as bwrap's does.
    let keys = |c: &mut Command| -> Vec<String> {
        let out = output(c, false);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let args = with_base(&["--unshare-net", "--info-fd", "1", "--", "/bin/true"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ours = keys(&mut lxns(&args));
    assert_eq!(ours, ["child-pid", "mnt-namespace", "net-namespace"]);
    if have_tool("bwrap", &["--version"]) {
        assert_eq!(ours, keys(&mut bwrap(&args)));
    }
}

#[test]
fn invoked_as_bwrap_it_is_lxns_sandbox() {
    let dir = TempDir::new("sandbox-multicall");
    let link = dir.path().join("bwrap");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lxns"), &link).unwrap();
    let out = Command::new(&link).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]")
    );
    let mut args = with_base(&[
        "--unshare-uts",
        "--hostname",
        "multi",
        "--",
        "/bin/sh",
        "-c",
        "hostname",
    ]);
    args.insert(0, "--unshare-pid".into());
    let out = Command::new(&link)
        .args(&args)
        .current_dir("/")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "multi",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&link).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "bwrap: Unknown option --bogus"
    );
}

fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

/// A bad command line: exit status 1, `bwrap: ` and the words expected, the program not run
/// (it would print), and the caller's mount table unchanged.
fn refused(args: &[&str], words: &str, nobody: bool) {
    let before = host_mounts();
    let mut all = with_base(args);
    all.extend(["--", "/bin/echo", "RAN"].map(str::to_owned));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = output(&mut lxns(&all), nobody);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.starts_with("bwrap: ") && err.contains(words),
        "{args:?}: {err}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("RAN"),
        "{args:?}"
    );
    assert_eq!(
        host_mounts(),
        before,
        "{args:?} changed the caller's mounts"
    );
}

#[test]
fn bad_input_is_refused_before_the_program_runs() {
    for nobody in [false, true] {
        refused(
            &["--ro-bind", "/nonexistent-lxns", "/x"],
            "Can't find source path /nonexistent-lxns: No such file or directory",
            nobody,
        );
        // The -try form skips it and runs.
        let text = inside(
            &["--ro-bind-try", "/nonexistent-lxns", "/x"],
            "echo ran; ls /x 2>&1; true",
            nobody,
        );
        assert!(text.starts_with("ran"), "{text}");
        refused(&["--bind", "/tmp", "/../../escape"], "sandbox root", nobody);
        refused(
            &["--symlink", "/", "/esc", "--bind", "/tmp", "/esc/x"],
            "sandbox root",
            nobody,
        );
        refused(
            &["--symlink", "../../..", "/up", "--dir", "/up/etc"],
            "sandbox root",
            nobody,
        );
        refused(
            &["--cap-add", "CAP_BOGUS"],
            "unknown cap: CAP_BOGUS",
            nobody,
        );
        refused(
            &["--seccomp", "97"],
            "Can't read seccomp data: Bad file descriptor",
            nobody,
        );
        refused(&["--block-fd", "98"], "Bad file descriptor", nobody);
        refused(
            &["--chmod", "99999", "/x"],
            "--chmod takes a permissions argument",
            nobody,
        );
        refused(
            &["--lock-file", "/x"],
            "--lock-file is not supported by lxns sandbox",
            nobody,
        );
        refused(
            &["--hostname", "x"],
            "Specifying --hostname requires --unshare-uts",
            nobody,
        );
    }
    let dir = TempDir::new("sandbox-bad-bpf");
    for (bytes, words) in [
        (vec![0u8; 5], "8-byte BPF instructions"),
        (vec![0xffu8; 8], "seccomp"),
    ] {
        let program = dir.path().join("bpf");
        std::fs::write(&program, &bytes).unwrap();
        let mut all = with_base(&["--seccomp", "0", "--", "/bin/echo", "RAN"]);
        all.truncate(all.len());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = lxns(&all)
            .current_dir("/")
            .stdin(std::fs::File::open(&program).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(words), "{err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("RAN"));
    }
    let _ = NOBODY;
}

/// A process that is not ours to wait for, held by pidfd: `exited` polls it (no sleeps).
struct Foreign(std::os::fd::OwnedFd, i32);

impl Foreign {
    fn open(pid: i32) -> Foreign {
        use std::os::fd::FromRawFd;
        // SAFETY: pidfd_open takes a pid and flags; a non-negative result is a new fd we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        assert!(
            fd >= 0,
            "pidfd_open {pid}: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: fd was just returned by pidfd_open and is owned by nobody else.
        Foreign(
            unsafe { std::os::fd::OwnedFd::from_raw_fd(i32::try_from(fd).unwrap()) },
            pid,
        )
    }

    /// Whether the process exited within `ms` (a pidfd is readable once it has).
    fn exited(&self, ms: i32) -> bool {
        use std::os::fd::AsRawFd;
        let mut p = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&raw mut p, 1, ms) == 1 }
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: signalling through our pidfd; the process cannot be a reused pid.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                libc::SIGKILL,
                0,
                0,
            );
        }
        let _ = self.1;
    }
}

/// `--info-fd 1` read from the sandbox's stdout: the sandboxed program's pid.
fn child_pid(stdout: &mut impl std::io::Read) -> i32 {
    let mut text = String::new();
    let mut byte = [0u8; 1];
    while !text.ends_with("}\n") {
        assert_eq!(
            stdout.read(&mut byte).unwrap(),
            1,
            "info ended early: {text}"
        );
        text.push(char::from(byte[0]));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    i32::try_from(v["child-pid"].as_i64().unwrap()).unwrap()
}

#[test]
fn die_with_parent_kills_the_program_when_the_sandbox_dies() {
    for nobody in [false, true] {
        let mut args = with_base(&["--unshare-pid", "--die-with-parent", "--info-fd", "1"]);
        // The program holds stdout open: it never writes, and is killed by the test.
        args.extend(["--", "/bin/sh", "-c", "read x"].map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = lxns(&args);
        if nobody {
            as_nobody(&mut c);
        } else {
            c.current_dir("/");
        }
        // stdin is a pipe whose write end the test holds (in `sandbox.stdin`): `read` blocks.
        let mut sandbox = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let program = Foreign::open(child_pid(sandbox.stdout.as_mut().unwrap()));
        assert!(!program.exited(0), "the program runs");
        sandbox.kill().unwrap();
        sandbox.wait().unwrap();
        assert!(
            program.exited(20_000),
            "the program outlived its sandbox (as {})",
            if nobody { "nobody" } else { "root" }
        );
    }
}

#[test]
fn as_pid_1_the_program_is_pid_1_as_with_bwrap() {
    for nobody in [false, true] {
        let script = r#"echo "$$"; tr "\0" " " </proc/1/cmdline; echo; grep PPid /proc/1/status"#;
        let args = with_base(&[
            "--unshare-pid",
            "--as-pid-1",
            "--proc",
            "/proc",
            "--",
            "/bin/sh",
            "-c",
            script,
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ours = ok(&mut lxns(&args), nobody);
        assert!(ours.starts_with("1\n/bin/sh -c "), "{ours}");
        if have_tool("bwrap", &["--version"]) {
            let theirs = ok(&mut bwrap(&args), nobody);
            assert_eq!(
                ours,
                theirs,
                "as {}",
                if nobody { "nobody" } else { "root" }
            );
        }
    }
}

/// `--disable-userns`: the program cannot create a user namespace (`unshare -U` fails)
/// where it could without the option; it runs in a nested user namespace of its own ids,
/// and the credentials and capabilities are bwrap's, as root and as nobody (with a custom
/// uid). `--assert-userns-disabled` fails the sandbox before the program when they are
/// not disabled, and passes when they are. Without `--unshare-user` it is refused.
#[test]
fn disable_userns_as_with_bwrap() {
    let script = r#"unshare -U true 2>/dev/null; echo "unshare $?"; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; grep -E "^(Uid|Gid|Cap)" /proc/self/status"#;
    for (nobody, extra) in [(false, &[][..]), (true, &["--uid", "5"][..])] {
        let who = if nobody { "nobody" } else { "root" };
        let mut free = vec![
            "--unshare-user",
            "--unshare-pid",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
        ];
        free.extend(extra);
        let allowed = inside(&free, script, nobody);
        assert!(allowed.starts_with("unshare 0\n"), "{who}: {allowed}");
        let mut disabled = free.clone();
        disabled.push("--disable-userns");
        let ours = inside(&disabled, script, nobody);
        assert!(ours.starts_with("unshare 1\n"), "{who}: {ours}");
        if have_tool("bwrap", &["--version"]) {
            let mut all = with_base(&disabled);
            all.extend(["--", "/bin/sh", "-c", script].map(str::to_owned));
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            let theirs = ok(&mut bwrap(&all), nobody);
            // The nested maps map the ids onto themselves; bwrap's first level maps an
            // unprivileged caller to 0 when it mounts devpts (so its nested maps point at
            // 0): the map lines are compared apart.
            let maps = |t: &str| -> Vec<Vec<String>> {
                t.lines()
                    .skip(1)
                    .take(2)
                    .map(|l| l.split_whitespace().map(str::to_owned).collect())
                    .collect()
            };
            let rest = |t: &str| {
                t.lines()
                    .enumerate()
                    .filter(|(i, _)| !(1..=2).contains(i))
                    .map(|(_, l)| l.to_owned())
                    .collect::<Vec<_>>()
            };
            assert_eq!(rest(&ours), rest(&theirs), "{who}: differs from bwrap");
            for (o, t) in maps(&ours).iter().zip(maps(&theirs)) {
                assert_eq!(o.first(), t.first(), "{who}: {ours}");
                assert_eq!(o.first(), o.get(1), "{who}: not an identity map: {ours}");
            }
        }
        let mut checked = disabled.clone();
        checked.push("--assert-userns-disabled");
        assert!(inside(&checked, "echo ran", nobody).starts_with("ran"));
        let mut unchecked = free.clone();
        unchecked.push("--assert-userns-disabled");
        refused(
            &unchecked,
            "creation of new user namespaces was not disabled as requested",
            nobody,
        );
        refused(
            &["--unshare-all", "--disable-userns"],
            "--disable-userns requires --unshare-user",
            nobody,
        );
    }
}

/// The overlay options, as root and as nobody: `--tmp-overlay` merges the layers (the last
/// `--overlay-src` on top), takes writes and leaves the layers untouched; `--overlay` writes
/// to its upper directory on the host; `--ro-overlay` refuses writes (EROFS) and shows `ro`
/// in mountinfo; each is an overlay mount with the layers top first. Misuse is refused
/// before the program runs.
#[test]
fn overlays_as_the_kernel_shows_them() {
    use std::os::unix::fs::PermissionsExt;
    for nobody in [false, true] {
        let who = if nobody { "nobody" } else { "root" };
        let scratch = TempDir::new("sandbox-overlay");
        let p = |n: &str| scratch.path().join(n).to_str().unwrap().to_owned();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for d in ["l1", "l2"] {
            std::fs::create_dir(p(d)).unwrap();
        }
        std::fs::write(p("l1/a"), "a1\n").unwrap();
        std::fs::write(p("l1/b"), "b1\n").unwrap();
        std::fs::write(p("l2/b"), "b2\n").unwrap();
        let (l1, l2) = (p("l1"), p("l2"));
        let line = r#"grep " /m " /proc/self/mountinfo | cut -d" " -f5-"#;
        let pid = ["--unshare-pid", "--proc", "/proc"];
        let mut args = vec![
            "--overlay-src",
            &l1,
            "--overlay-src",
            &l2,
            "--tmp-overlay",
            "/m",
        ];
        args.extend(pid);
        let text = inside(
            &args,
            &format!("cat /m/a /m/b; echo n > /m/new && cat /m/new; {line}"),
            nobody,
        );
        let lower = format!("lowerdir={l2}:{l1},");
        assert!(
            text.starts_with("a1\nb2\nn\n/m rw,relatime - overlay overlay rw,")
                && text.contains(&lower)
                && text.contains("userxattr"),
            "{who}: {text}"
        );
        assert!(!scratch.path().join("l1/new").exists() && !scratch.path().join("l2/new").exists());
        // The upper layer on a tmpfs of a private mount namespace (unshare -m): a filesystem
        // that can be one, whatever the test directory is on (a VM's 9p share cannot), and
        // gone with that namespace.
        let fs = p("fs");
        std::fs::create_dir(&fs).unwrap();
        let drop_to = if nobody {
            format!(
                "chown {NOBODY}:{NOBODY} {fs}/up {fs}/work && setpriv --reuid {NOBODY} --regid {NOBODY} --clear-groups"
            )
        } else {
            String::new()
        };
        let base = with_base(&[]).join(" ");
        let script = format!(
            "mount -t tmpfs lxns-test {fs} && mkdir {fs}/up {fs}/work && {drop_to} {} sandbox {base} \
             --overlay-src {l1} --overlay {fs}/up {fs}/work /m --unshare-pid --proc /proc -- \
             /bin/sh -c 'echo w > /m/w && cat /m/b' && cat {fs}/up/w",
            env!("CARGO_BIN_EXE_lxns")
        );
        let out = in_mount_namespace("private", &script);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "b1\nw\n",
            "{who}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut args = vec![
            "--overlay-src",
            &l1,
            "--overlay-src",
            &l2,
            "--ro-overlay",
            "/m",
        ];
        args.extend(pid);
        let text = inside(
            &args,
            &format!("cat /m/b; if echo x > /m/x; then echo wrote; fi 2>/dev/null; {line}"),
            nobody,
        );
        assert!(
            text.starts_with("b2\n/m rw,relatime - overlay overlay ro,") && !text.contains("wrote"),
            "{who}: {text}"
        );
        refused(
            &["--overlay-src", &l1, "--ro-overlay", "/m"],
            "--ro-overlay requires at least two --overlay-src",
            nobody,
        );
        refused(
            &["--tmp-overlay", "/m"],
            "--tmp-overlay requires at least one --overlay-src",
            nobody,
        );
        refused(
            &["--overlay-src", &l1, "--tmpfs", "/t"],
            "--overlay-src must be followed by",
            nobody,
        );
    }
}

/// `--userns-block-fd`: the caller reads the child's pid from `--info-fd`, writes the user
/// namespace's maps itself, then a byte; the program runs with those maps (and no map of
/// lxns's), as with bwrap, as root and as nobody. The descriptors are FIFOs the shell opens
/// as 3 and 4. Without `--info-fd` it is refused.
#[test]
fn userns_block_fd_lets_the_caller_write_the_maps_as_with_bwrap() {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    let script = "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g";
    let run = |tool: &str, nobody: bool| -> String {
        let dir = TempDir::new("sandbox-userns-block");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (info, block) = (dir.path().join("info"), dir.path().join("block"));
        for fifo in [&info, &block] {
            assert!(
                Command::new("mkfifo")
                    .arg("-m")
                    .arg("666")
                    .arg(fifo)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let exe = if tool == "bwrap" {
            "bwrap".to_owned()
        } else {
            format!("{} sandbox", env!("CARGO_BIN_EXE_lxns"))
        };
        let base = with_base(&[]).join(" ");
        let line = format!(
            "exec {exe} {base} --unshare-user --unshare-pid --proc /proc --info-fd 3 \
             --userns-block-fd 4 -- /bin/sh -c '{script}' 3>{} 4<{}",
            info.display(),
            block.display()
        );
        let mut c = Command::new("/bin/sh");
        c.args(["-c", &line]);
        if nobody {
            as_nobody(&mut c);
        } else {
            c.current_dir("/");
        }
        let sandbox = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // In the shell's order: its `3>info` waits for this reader, its `4<block` for the
        // writer.
        let mut info = std::fs::File::open(&info).unwrap();
        let mut block = std::fs::OpenOptions::new()
            .write(true)
            .open(&block)
            .unwrap();
        let pid = child_pid(&mut info);
        let outer = if nobody { NOBODY } else { 0 };
        std::fs::write(format!("/proc/{pid}/setgroups"), "deny").unwrap();
        std::fs::write(format!("/proc/{pid}/uid_map"), format!("7 {outer} 1")).unwrap();
        std::fs::write(format!("/proc/{pid}/gid_map"), format!("8 {outer} 1")).unwrap();
        block.write_all(b"x").unwrap();
        drop(block);
        let mut rest = String::new();
        info.read_to_string(&mut rest).unwrap();
        let out = sandbox.wait_with_output().unwrap();
        assert!(out.status.success(), "{tool}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    for nobody in [false, true] {
        let who = if nobody { "nobody" } else { "root" };
        let ours = run("lxns", nobody);
        let words: Vec<&str> = ours.split_whitespace().collect();
        let outer = if nobody { NOBODY } else { 0 }.to_string();
        assert_eq!(
            words,
            ["7", outer.as_str(), "1", "8", outer.as_str(), "1", "7", "8"],
            "{who}: {ours}"
        );
        if have_tool("bwrap", &["--version"]) {
            assert_eq!(ours, run("bwrap", nobody), "{who}: differs from bwrap");
        }
        refused(
            &["--unshare-user", "--userns-block-fd", "0"],
            "--userns-block-fd requires --info-fd",
            nobody,
        );
    }
}

/// Without `--chdir` the program starts where bwrap's does: the caller's directory if the
/// sandbox has it, else `$HOME`, else `/`; as root and as nobody.
#[test]
fn the_working_directory_is_chosen_as_bwrap_chooses_it() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = TempDir::new("sandbox-cwd");
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = scratch.path().to_str().unwrap().to_owned();
    for nobody in [false, true] {
        let who = if nobody { "nobody" } else { "root" };
        let cases: [(&[&str], &str, &str); 3] = [
            (&["--bind", &dir, &dir], "/usr", dir.as_str()),
            (&[], "/usr", "/usr"),
            (&[], "/nonexistent-lxns", "/"),
        ];
        for (extra, home, expected) in cases {
            let mut args = with_base(extra);
            args.extend(["--", "/bin/sh", "-c", "pwd -P"].map(str::to_owned));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = |c: &mut Command| {
                if nobody {
                    as_nobody(c);
                }
                let out = c
                    .current_dir(&dir)
                    .env("HOME", home)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{who}: {out:?}");
                String::from_utf8(out.stdout).unwrap()
            };
            let ours = run(&mut lxns(&args));
            assert_eq!(ours.trim_end(), expected, "{who}, HOME={home}");
            if have_tool("bwrap", &["--version"]) {
                assert_eq!(
                    ours,
                    run(&mut bwrap(&args)),
                    "{who}, HOME={home}: differs from bwrap"
                );
            }
        }
    }
}
