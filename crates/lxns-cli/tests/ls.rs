//! `lxns ls` against `lsns` (util-linux) on the same machine state, and on its own for what
//! lsns 2.38 cannot see (namespaces kept only by a bind mount or an open fd).
//!
//! The tests of this binary look at the whole system, so they run one at a time (`SERIAL`).
//! Between two listings other processes may start or exit; a comparison that differs is
//! retried (listing again with both tools) a few times before it fails.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[allow(unused_macros)]
#[macro_use]
mod common;

use serde_json::Value;

use common::serial;

fn have_lsns() -> bool {
    common::have_tool("lsns", &["-V"])
}

use common::run_ok as run;

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn lxns(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lxns"));
    c.arg("ls").args(args);
    c
}

fn lsns(args: &[&str]) -> Command {
    let mut c = Command::new("lsns");
    c.args(args);
    c
}

/// Flattens a (possibly nested) `{"namespaces": [...]}` document into ns -> object without
/// its "children".
fn flatten(doc: &Value) -> BTreeMap<u64, Value> {
    fn walk(list: &Value, out: &mut BTreeMap<u64, Value>) {
        for n in list.as_array().into_iter().flatten() {
            let mut obj = n.clone();
            if let Some(kids) = obj.as_object_mut().and_then(|o| o.remove("children")) {
                walk(&kids, out);
            }
            out.insert(obj["ns"].as_u64().expect("ns"), obj);
        }
    }
    let mut out = BTreeMap::new();
    walk(&doc["namespaces"], &mut out);
    out
}

/// A file a namespace is bind-mounted on (by `unshare --KIND=FILE true`), unmounted and
/// removed on drop.
struct Persisted(std::path::PathBuf);

impl Persisted {
    fn new(kind_flag: &str) -> Persisted {
        let path = std::env::temp_dir().join(format!(
            "lxns-test-{}-persist-{}",
            std::process::id(),
            kind_flag.trim_start_matches('-')
        ));
        std::fs::write(&path, b"").unwrap();
        let me = Persisted(path);
        run(Command::new("unshare")
            .arg(format!("{kind_flag}={}", me.0.display()))
            .arg("true"));
        me
    }

    fn ino(&self) -> u64 {
        std::fs::metadata(&self.0).unwrap().ino()
    }
}

impl Drop for Persisted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Compares every namespace lsns reports with ours on `keys`; retries when the system
/// changed between the two listings.
fn compare_with_lsns(
    args: &[&str],
    extra: &[&str],
    keys: &[&str],
) -> (BTreeMap<u64, Value>, BTreeMap<u64, Value>) {
    let mut ours_args = args.to_vec();
    ours_args.extend_from_slice(extra);
    let mut last = String::new();
    for _ in 0..5 {
        let theirs = flatten(&json(&run(&mut lsns(args))));
        let ours = flatten(&json(&run(&mut lxns(&ours_args))));
        let mut diffs = Vec::new();
        for (ns, t) in &theirs {
            match ours.get(ns) {
                None => diffs.push(format!("missing {t}")),
                Some(o) => {
                    for k in keys {
                        if o.get(*k) != t.get(*k) {
                            diffs.push(format!(
                                "{ns} {k}: ours {:?} lsns {:?}",
                                o.get(*k),
                                t.get(*k)
                            ));
                        }
                    }
                }
            }
        }
        // Whatever we list beyond lsns must be something lsns 2.38 cannot see: no process.
        for (ns, o) in &ours {
            if !theirs.contains_key(ns) && o.get("nprocs").and_then(Value::as_u64) != Some(0) {
                diffs.push(format!("extra {o}"));
            }
        }
        if diffs.is_empty() {
            return (ours, theirs);
        }
        last = diffs.join("\n");
    }
    panic!("lxns ls {args:?} differs from lsns:\n{last}");
}

#[test]
fn same_namespaces_as_lsns_with_every_kind_a_bind_mount_and_an_open_fd() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    // Every kind, in one process (a pid-namespace init under unshare --fork)...
    let all = common::target_with(common::EVERY_KIND);
    // ...a few more processes sharing some of them...
    let _net2 = common::target_with(&["--net", "--uts"]);
    // ...a namespace kept only by a bind mount...
    let persisted = Persisted::new("--net");
    // ...and one kept only by an open fd (ours).
    let fd_held: OwnedFd = lxns::Namespace::new(lxns::Kind::Ipc).unwrap().into();
    let fd_ino = std::fs::metadata(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&fd_held)
    ))
    .unwrap()
    .ino();
    let _ = all.pid();

    let keys = ["ns", "type", "nprocs", "pid", "user", "command"];
    let (ours, _) = compare_with_lsns(&["-J", "-l"], &["--fds"], &keys);
    let (ours_tree, _) = compare_with_lsns(&["-J"], &[], &keys);
    // Without --fds the fd-only namespace is not looked for; everything else is the same.
    let mut with_fds = ours.keys().copied().collect::<BTreeSet<u64>>();
    with_fds.remove(&fd_ino);
    assert_eq!(
        with_fds,
        ours_tree.keys().copied().collect::<BTreeSet<u64>>()
    );
    let kinds: BTreeSet<&str> = ours.values().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(kinds.len(), 8, "{kinds:?}");
    // The two lsns 2.38 misses.
    let p = &ours[&persisted.ino()];
    assert_eq!(p["nprocs"], 0);
    assert_eq!(p["type"], "net");
    assert!(p["pid"].is_null());
    let f = &ours[&fd_ino];
    assert_eq!(f["nprocs"], 0);
    assert_eq!(f["type"], "ipc");
    // And --persistent lists exactly those without processes.
    let persistent = flatten(&json(&run(&mut lxns(&["-J", "-l", "--persistent"]))));
    assert!(persistent.contains_key(&persisted.ino()) && persistent.contains_key(&fd_ino));
    assert!(persistent.values().all(|v| v["nprocs"] == 0));
    // The NSFS column names the bind mount.
    let with_nsfs = flatten(&json(&run(&mut lxns(&["-J", "-l", "-o", "NS,NSFS,PATH"]))));
    assert_eq!(
        with_nsfs[&persisted.ino()]["nsfs"],
        persisted.0.display().to_string()
    );
    drop(fd_held);
}

#[test]
fn type_filter_and_task_filter_match_lsns() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let t = common::target_with(&["--net", "--uts", "--ipc"]);
    let keys = [
        "ns", "type", "nprocs", "pid", "user", "command", "netnsid", "nsfs",
    ];
    compare_with_lsns(&["-J", "-l", "-t", "net"], &[], &keys);
    compare_with_lsns(&["-J", "-l", "-t", "uts", "-t", "ipc"], &[], &keys);
    let pid = t.pid().to_string();
    let (ours, theirs) = compare_with_lsns(&["-J", "-l", "-p", &pid], &[], &keys);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    assert_eq!(ours.len(), 8);
    // Text output, too: same rows as lsns -l (sorted: COMMAND may differ in width only).
    let args = ["-l", "-n", "-t", "net", "-o", "NS,TYPE,NPROCS"];
    let text = |c: &mut Command| String::from_utf8(run(c).stdout).unwrap();
    let norm = |s: &str| -> Vec<Vec<String>> {
        s.lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    // Processes of other programs come and go between the two listings (NPROCS moves):
    // retried until one pair agrees, as compare_with_lsns does.
    let mut last = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let (a, b) = (norm(&text(&mut lxns(&args))), norm(&text(&mut lsns(&args))));
        if a == b {
            return;
        }
        last = (a, b);
    }
    panic!(
        "lxns ls {args:?} differs from lsns: {:?} vs {:?}",
        last.0, last.1
    );
}

#[test]
fn parent_and_owner_match_lsns_for_a_nested_user_namespace_and_its_pid_namespace() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    // A user namespace two deep, with a pid namespace owned by it.
    let mut outer = Command::new("unshare");
    outer
        .args(["--user", "--map-root-user", "--kill-child", "--fork"])
        .args([
            "unshare",
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--kill-child",
            "sh",
            "-c",
            "echo ready; exec sleep 3600",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = outer.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let guard = common::ChildGuard(child);
    let keys = ["ns", "type", "pns", "ons"];
    let (ours, _) = compare_with_lsns(
        &["-J", "-l", "-o", "NS,TYPE,NPROCS,PID,PNS,ONS"],
        &[],
        &keys,
    );
    // There is a user namespace whose parent has a parent, and a pid namespace it owns.
    let users: Vec<&Value> = ours.values().filter(|v| v["type"] == "user").collect();
    let deep = users
        .iter()
        .find(|u| {
            let p = u["pns"].as_u64().unwrap_or(0);
            ours.get(&p)
                .is_some_and(|pp| pp["pns"].as_u64().unwrap_or(0) != 0)
        })
        .expect("a user namespace two deep");
    let deep_ns = deep["ns"].as_u64().unwrap();
    assert!(
        ours.values()
            .any(|v| v["type"] == "pid" && v["ons"].as_u64() == Some(deep_ns)),
        "its pid namespace"
    );
    // The owner tree puts them under each other.
    let tree = json(&run(&mut lxns(&["-J", "-T", "-o", "NS,TYPE"])));
    fn depth_of(list: &Value, ns: u64, d: usize) -> Option<usize> {
        for n in list.as_array()? {
            if n["ns"].as_u64() == Some(ns) {
                return Some(d);
            }
            if let Some(found) = depth_of(&n["children"], ns, d + 1) {
                return Some(found);
            }
        }
        None
    }
    assert_eq!(depth_of(&tree["namespaces"], deep_ns, 0), Some(2), "{tree}");
    let parent_tree = json(&run(&mut lxns(&["-J", "--tree=parent", "-t", "user"])));
    assert_eq!(depth_of(&parent_tree["namespaces"], deep_ns, 0), Some(2));
    drop(guard);
}

#[test]
fn unprivileged_sees_what_it_may_and_nothing_false() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    use common::NOBODY;
    // A process of nobody's own, in its own user and network namespaces.
    let mine = common::target_as(&["--user", "--map-root-user", "--net"], Some(NOBODY));
    let as_nobody = |cmd: &mut Command| -> Value { json(&run(common::as_nobody(cmd))) };
    let root_view = flatten(&json(&run(&mut lxns(&["-J", "-l"]))));
    let mut ok = false;
    for _ in 0..5 {
        let ours = flatten(&as_nobody(&mut lxns(&["-J", "-l"])));
        let theirs = flatten(&as_nobody(&mut lsns(&["-J", "-l"])));
        // Both list the namespaces of nobody's processes: the sleeper's net and user ns.
        let sleeper_net = std::fs::metadata(format!("/proc/{}/ns/net", mine.pid()))
            .unwrap()
            .ino();
        let sleeper_user = std::fs::metadata(format!("/proc/{}/ns/user", mine.pid()))
            .unwrap()
            .ino();
        assert!(ours.contains_key(&sleeper_net) && ours.contains_key(&sleeper_user));
        // Nothing false: every namespace we report exists (root sees it) and we never count
        // more processes than root does.
        for (ns, v) in &ours {
            let Some(r) = root_view.get(ns) else {
                // Our own lxns process's namespaces are the root view's too, except when the
                // listing raced: only the namespaces nobody can see exist for us.
                panic!("nobody sees {v} which root does not");
            };
            assert!(v["nprocs"].as_u64() <= r["nprocs"].as_u64().map(|n| n + 2));
        }
        // Same set as lsns, except the lister processes themselves.
        let a: BTreeSet<u64> = ours.keys().copied().collect();
        let b: BTreeSet<u64> = theirs.keys().copied().collect();
        if a == b {
            ok = true;
            break;
        }
    }
    assert!(ok, "lxns and lsns as nobody list different namespaces");
}

#[test]
fn a_broken_pipe_is_not_an_error() {
    let _s = serial();
    let mut child = lxns(&["--output-all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before lxns writes
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_arguments_are_clear() {
    let _s = serial();
    let out = lxns(&["-t", "bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a namespace kind"));
    let out = lxns(&["-o", "NS,FOO"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column: FOO"));
    // The same words for pid 0 as lxns enter -t 0 (a usage error: exit 1, as util-linux's).
    for args in [&["-p", "0"][..], &["-p", "+5"]] {
        let out = lxns(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is not a process id"),
            "{args:?}"
        );
    }
    let out = lxns(&["-J", "-r"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn output_is_byte_identical_to_lsns() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let _t = common::target_with(&["--user", "--map-root-user", "--net", "--pid", "--fork"]);
    for args in [
        &["-J"][..],
        &[],
        &["-l"],
        &["-r"],
        &["-n", "-t", "net"],
        &["-T"],
        &["-J", "-T=parent"],
        // getopt's attached optional argument (it was read as -T -o wner).
        &["-Towner"],
        &[
            "-J",
            "-l",
            "-o",
            "NS,TYPE,PATH,NPROCS,PID,PPID,UID,USER,PNS,ONS,COMMAND",
        ],
    ] {
        // Trees are drawn in UTF-8 only in a UTF-8 locale, in ASCII in the C locale.
        same_as_lsns(args);
    }
}

/// A mount point that is not UTF-8, anywhere in the mount table, must not hide the persisted
/// namespaces (mountinfo is bytes). All of it in a private mount namespace of its own.
#[test]
fn a_non_utf8_mount_point_hides_nothing() {
    require_root!();
    let dir = common::TempDir::new("nonutf8");
    let script = format!(
        "set -e; d='{dir}'; odd=\"$d/$(printf 'x\\377')\"; mkdir \"$odd\"; \
         mount -t tmpfs none \"$odd\"; touch \"$d/keep\"; unshare --net=\"$d/keep\" true; \
         \"$LXNS\" ls --persistent -n -o NS,NSFS -t net",
        dir = dir.path().display()
    );
    let out = run(Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("LXNS", env!("CARGO_BIN_EXE_lxns")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{}/keep", dir.path().display())),
        "the persisted namespace is listed: {text}"
    );
}

/// `ls -p TID` for a live thread that is not a process says so and names its process
/// (before: "the process exited"); under `ulimit -n 4` the error is EMFILE with the way out
/// (before: "open namespace file for /proc").
#[test]
fn a_thread_id_and_too_few_fds_are_named_as_such() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(rustix::thread::gettid().as_raw_nonzero().get())
            .unwrap();
        let _ = done_rx.recv();
    });
    let tid = rx.recv().unwrap();
    let out = lxns(&["-p", &tid.to_string()]).output().unwrap();
    drop(done_tx);
    t.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is a thread id, not a process")
            && err.contains(&format!("its process is {}", std::process::id())),
        "{err}"
    );
    // Only 0, 1 and 2 open (whatever the harness passed down is closed), and room for one
    // more: the dynamic loader needs that one, lxns ls more.
    let mut c = Command::new(env!("CARGO_BIN_EXE_lxns"));
    c.arg("ls");
    let limit = || {
        // SAFETY: close_range(3, ~0, 0) closes only descriptors above stderr.
        let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let lim = libc::rlimit {
            rlim_cur: 4,
            rlim_max: 4,
        };
        // SAFETY: `lim` is a valid rlimit for the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: `limit` runs in the forked child before exec: two system calls, no allocation.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut c, limit);
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("EMFILE") && err.contains("ulimit -n"), "{err}");
    assert!(!err.contains("open namespace file"), "{err}");
}

/// A command line is bytes: one that is not UTF-8 is shown as lsns shows it — `\xHH` in
/// the table (in the C and the UTF-8 locale), the kernel's bytes escaped with -r — and, in
/// JSON, which must be UTF-8, with U+FFFD (lsns writes the raw byte there).
#[test]
fn a_non_utf8_command_line_is_shown_as_lsns_shows_it() {
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    use std::os::unix::ffi::OsStringExt;
    // `read` keeps sh (and its non-UTF-8 $0) alive until stdin closes.
    let child = Command::new("unshare")
        .args(["--uts", "sh", "-c", "read x"])
        .arg(std::ffi::OsString::from_vec(b"x\xffy\\xq".to_vec()))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let guard = common::ChildGuard(child);
    let pid = guard.pid();
    // Wait until sh runs in its own uts namespace (unshare has exec'd it).
    wait_for_cmdline(pid, b"sh\0-c\0");
    let p = pid.to_string();
    for locale in ["C", "C.UTF-8"] {
        for flags in [&["-o", "NS,COMMAND"][..], &["-r", "-o", "NS,COMMAND"]] {
            let mut args = vec!["-p", p.as_str(), "-t", "uts"];
            args.extend(flags);
            let ours = run(lxns(&args).env("LC_ALL", locale)).stdout;
            let theirs = run(lsns(&args).env("LC_ALL", locale)).stdout;
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{locale} {flags:?}"
            );
            assert!(ours.windows(4).any(|w| w == b"\\xff"), "{locale} {flags:?}");
        }
    }
    let doc = json(&run(&mut lxns(&[
        "-J", "-p", &p, "-t", "uts", "-o", "COMMAND",
    ])));
    assert_eq!(
        doc["namespaces"][0]["command"],
        "sh -c read x x\u{fffd}y\\xq"
    );
    drop(guard);
}

/// A user known only through NSS (not in /etc/passwd) is named as `id` and `getent` name it:
/// lxns asks getent(1) for the uids the file lacks (a stand-in getent on PATH plays the NSS
/// module here). Before, `lxns ls` showed the number.
#[test]
fn users_missing_from_etc_passwd_are_asked_of_getent() {
    require_root!();
    let _s = serial();
    let dir = common::TempDir::new("nss");
    let getent = dir.path().join("getent");
    std::fs::write(
        &getent,
        "#!/bin/sh\n[ \"$1\" = passwd ] || exit 2\nshift\nfor k; do case $k in \
         4242|nssonly) echo nssonly:x:4242:4242::/:/bin/sh;; esac; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&getent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let child = Command::new("unshare")
        .args([
            "--uts",
            "setpriv",
            "--reuid=4242",
            "--regid=4242",
            "--clear-groups",
            "sh",
            "-c",
            "read x",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let guard = common::ChildGuard(child);
    let pid = guard.pid();
    wait_for_cmdline(pid, b"sh\0");
    let out = run(
        lxns(&["-p", &pid.to_string(), "-t", "uts", "-n", "-o", "UID,USER"]).env("PATH", &path),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4242 nssonly");
    // --map-user=NAME resolves the same way.
    let out = run(Command::new(env!("CARGO_BIN_EXE_lxns"))
        .args(["run", "--map-user=nssonly", "--", "id", "-u"])
        .env("PATH", &path));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4242");
    drop(guard);
}

/// A namespace bind-mounted in two places shows both NSFS paths as lsns does: one per line
/// in a table (a multi-line cell), joined with ',' with -W and -r, a list in JSON; and an
/// empty last cell keeps its separator (before: always comma-joined, trailing space cut).
#[test]
fn several_nsfs_paths_are_laid_out_as_lsns_lays_them_out() {
    require_root!();
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let dir = common::TempDir::new("nsfs2");
    let _u = private_tmpfs(dir.path());
    let target = common::target_with(&["--uts"]);
    let ns = lxns::Namespace::of_process(target.pid(), lxns::Kind::Uts).unwrap();
    for name in ["a", "b"] {
        ns.persist(dir.path().join(name)).unwrap();
    }
    for flags in [&[][..], &["-W"], &["-r"], &["-J"]] {
        let mut args = flags.to_vec();
        args.extend(["-t", "uts", "-o", "NS,NSFS"]);
        let ours = run(&mut lxns(&args)).stdout;
        let theirs = run(&mut lsns(&args)).stdout;
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{flags:?}"
        );
    }
}

/// `-H/--list-columns` (later lsns) prints each column with lsns's description: the
/// same lines as the "Available output columns" of `lsns --help`.
#[test]
fn list_columns_prints_lsns_column_help() {
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let ours = String::from_utf8(run(&mut lxns(&["-H"])).stdout).unwrap();
    let help = String::from_utf8(run(&mut lsns(&["--help"])).stdout).unwrap();
    let theirs: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Available output columns"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(ours.lines().collect::<Vec<_>>(), theirs);
}

/// `--fds` finds a namespace kept only by an fd that was opened through a bind-mount path
/// (its /proc/PID/fd link is a path, not `net:[…]`), and shows the holder's user, as
/// current lsns does (before: missed; and USER blank for fd-only namespaces).
#[test]
fn fds_opened_through_a_bind_mount_path_are_found_with_their_holders_user() {
    require_root!();
    let _s = serial();
    let dir = common::TempDir::new("fdpath");
    let _u = private_tmpfs(dir.path());
    let file = dir.path().join("n");
    let ino = {
        let ns = lxns::Namespace::new(lxns::Kind::Net).unwrap();
        ns.persist(&file).unwrap();
        ns.id().ino()
    };
    // nobody holds it open through the path; then only that fd keeps it.
    let holder = common::ChildGuard(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "sh",
                "-c",
            ])
            .arg("exec 7<\"$0\"; echo open; read x")
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut holder = holder;
    let mut line = String::new();
    BufReader::new(holder.0.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "open");
    lxns::unpersist(&file).unwrap();
    let doc = json(&run(&mut lxns(&["--fds", "-J", "-t", "net"])));
    let row = flatten(&doc).remove(&ino);
    let row = row.unwrap_or_else(|| panic!("net:[{ino}] kept by an fd is missing: {doc}"));
    assert_eq!(row["nprocs"], 0);
    assert_eq!(row["user"], "nobody", "{row}");
    drop(holder);
}

/// `--fds` also sees a network namespace that only a socket references (the socket was
/// made there by a thread that then left), through SIOCGSKNS, as later lsns does (before:
/// never listed).
#[test]
fn a_netns_only_a_socket_references_is_listed_with_fds() {
    require_root!();
    let _s = serial();
    let ns = lxns::Namespace::new(lxns::Kind::Net).unwrap();
    let ino = ns.id().ino();
    let socket = std::thread::spawn(move || {
        ns.enter_current_thread().unwrap();
        // The namespace's lo is down; an unbound UDP socket is enough to pin it.
        std::net::UdpSocket::bind("0.0.0.0:0").unwrap()
    })
    .join()
    .unwrap();
    let doc = json(&run(&mut lxns(&["--fds", "-J", "-t", "net"])));
    let row = flatten(&doc).remove(&ino);
    let row = row.unwrap_or_else(|| panic!("net:[{ino}] held by a socket is missing: {doc}"));
    assert_eq!(row["nprocs"], 0);
    assert_eq!(row["user"], "root");
    drop(socket);
}

/// A user that exists only through NSS (libnss-extrausers, its files and nsswitch.conf bound
/// in a private mount namespace, so the host is untouched): `lxns ls` shows the same USER as
/// lsns, `lxns run --map-user=NAME` maps it, and `--map-auto` run as that user finds its
/// subordinate ids (newuidmap resolves the name through NSS too).
#[test]
fn an_nss_only_user_is_named_and_mapped_as_lsns_and_unshare_do() {
    require_root!();
    let _s = serial();
    if !Path::new("/usr/lib/libnss_extrausers.so.2").exists()
        && !Path::new("/lib/x86_64-linux-gnu/libnss_extrausers.so.2").exists()
    {
        assert!(
            !common::strict(),
            "libnss-extrausers is needed, and skips fail in CI"
        );
        return;
    }
    let dir = common::TempDir::new("extrausers");
    let d = dir.path();
    let nsswitch = std::fs::read_to_string("/etc/nsswitch.conf").unwrap();
    let nsswitch: String = nsswitch
        .lines()
        .map(|l| {
            if l.starts_with("passwd:") || l.starts_with("group:") {
                format!("{l} extrausers\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(d.join("nsswitch.conf"), nsswitch).unwrap();
    std::fs::write(d.join("passwd"), "nssonly:x:4243:4243:NSS only:/:/bin/sh\n").unwrap();
    std::fs::write(d.join("group"), "nssonly:x:4243:\n").unwrap();
    for f in ["subuid", "subgid"] {
        let mut text = std::fs::read_to_string(format!("/etc/{f}")).unwrap_or_default();
        text.push_str("nssonly:300000:65536\n");
        std::fs::write(d.join(f), text).unwrap();
    }
    let lxns_bin = env!("CARGO_BIN_EXE_lxns");
    let script = format!(
        "set -e
         mount --bind {d}/nsswitch.conf /etc/nsswitch.conf
         mkdir -p /var/lib/extrausers
         mount --bind {d} /var/lib/extrausers
         mount --bind {d}/subuid /etc/subuid
         mount --bind {d}/subgid /etc/subgid
         getent passwd nssonly >/dev/null
         unshare --uts setpriv --reuid=4243 --regid=4243 --clear-groups sleep 120 &
         P=$!
         while [ \"$(stat -c %u /proc/$P)\" != 4243 ] || \
               [ \"$(readlink /proc/$P/ns/uts)\" = \"$(readlink /proc/self/ns/uts)\" ]; do :; done
         echo \"lsns $(lsns -p $P -t uts -n -o USER)\"
         echo \"lxns $({lxns_bin} ls -p $P -t uts -n -o USER)\"
         echo \"map-user $({lxns_bin} run --map-user=nssonly -- id -u)\"
         cd /
         echo \"map-auto $(setpriv --reuid=4243 --regid=4243 --clear-groups {lxns_bin} run --map-auto -- cat /proc/self/uid_map 2>&1 | tr -s ' ' | tr '\\n' ';')\"
         echo \"unshare-map-auto $(setpriv --reuid=4243 --regid=4243 --clear-groups unshare --map-auto -- cat /proc/self/uid_map 2>&1 | tr -s ' ' | tr '\\n' ';')\"
         echo \"root-map-auto $(setpriv --reuid=4243 --regid=4243 --clear-groups {lxns_bin} run -r --map-auto -- cat /proc/self/uid_map 2>&1 | tr -s ' ' | tr '\\n' ';')\"
         echo \"unshare-root-map-auto $(setpriv --reuid=4243 --regid=4243 --clear-groups unshare -r --map-auto -- cat /proc/self/uid_map 2>&1 | tr -s ' ' | tr '\\n' ';')\"
         kill $P",
        d = d.display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).map(str::trim))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(field("lsns "), "nssonly", "{text}");
    assert_eq!(field("lxns "), field("lsns "), "{text}");
    assert_eq!(field("map-user "), "4243", "{text}");
    // Its 65536 subordinate ids from 0 inside, as unshare --map-auto maps them.
    let maps = field("map-auto ");
    assert!(maps.contains("0 300000 65536"), "{text}");
    assert_eq!(maps, field("unshare-map-auto "), "{text}");
    // With -r, root is the user and the subordinate ids follow from 1, as unshare maps them
    // (before: an overlap error).
    assert_eq!(
        field("root-map-auto "),
        field("unshare-root-map-auto "),
        "{text}"
    );
    assert!(field("root-map-auto ").contains("0 4243 1"), "{text}");
}

/// Unmounts (recursively, lazily) on drop.
struct Unmount(String);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").args(["-R", "-l", &self.0]).status();
    }
}

/// A private tmpfs on `dir` (bind mounts made under it stay in it), unmounted on drop.
fn private_tmpfs(dir: &Path) -> Unmount {
    let d = dir.display().to_string();
    run(Command::new("mount").args(["-t", "tmpfs", "lxns-test-private", &d]));
    let guard = Unmount(d.clone());
    run(Command::new("mount").args(["--make-private", &d]));
    guard
}

/// Waits until process `pid`'s command line starts with `prefix` (it has exec'd that far).
fn wait_for_cmdline(pid: i32, prefix: &[u8]) {
    while !std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .starts_with(prefix)
    {
        std::thread::yield_now();
    }
}

/// `unshare -Ur -n --pid --fork --kill-child sh -c 'sleep & sleep & …'`: four processes in a
/// new network namespace (unshare, its sh, two sleeps), in new user and pid namespaces.
/// Returns the guard and the sh's pid.
fn family() -> (common::ChildGuard, i32) {
    let mut child = common::ChildGuard(
        Command::new("unshare")
            .args(["-Ur", "-n", "--pid", "--fork", "--kill-child", "sh", "-c"])
            .arg("sleep 3600 & sleep 3600 & echo ready; wait")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let pid = child.pid();
    let sh: i32 = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, sh)
}

/// lxns's and lsns's output for `args` are the same bytes (five tries: other processes may
/// come and go between the two runs), in the C and a UTF-8 locale.
fn same_as_lsns(args: &[&str]) {
    for locale in ["C", "C.UTF-8"] {
        let mut last = (Vec::new(), Vec::new());
        let same = (0..5).any(|_| {
            let a = run(lxns(args).env("LC_ALL", locale)).stdout;
            let b = run(lsns(args).env("LC_ALL", locale)).stdout;
            let same = a == b;
            last = (a, b);
            same
        });
        assert!(
            same,
            "lxns ls {args:?} (LC_ALL={locale}) differs from lsns:\n--- lxns\n{}\n--- lsns\n{}",
            String::from_utf8_lossy(&last.0),
            String::from_utf8_lossy(&last.1)
        );
    }
}

/// `lsns NAMESPACE`: the processes in that namespace (PID, PPID, USER, COMMAND, a process
/// tree unless -l), byte for byte; a missing or malformed one is lsns's error.
#[test]
fn a_namespace_argument_lists_its_processes_as_lsns_does() {
    require_root!();
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let (_family, sh) = family();
    let net = common::pid_ns(sh, lxns::Kind::Net).to_string();
    for args in [
        &[][..],
        &["-l"],
        &["-J"],
        &["-r"],
        &["-o", "NS,TYPE,PATH,NPROCS,PID,PPID,UID,COMMAND"],
    ] {
        let mut a = args.to_vec();
        a.push(&net);
        same_as_lsns(&a);
    }
    let rows = String::from_utf8(run(&mut lxns(&["-n", "-l", "-o", "PID", &net])).stdout).unwrap();
    assert_eq!(rows.lines().count(), 4, "{rows}");
    for (args, want) in [
        (vec!["12345"], "not found namespace: 12345"),
        (vec!["abc"], "invalid namespace argument: 'abc'"),
        (vec!["-p", "1", "4026531840"], "cannot be used with"),
    ] {
        let out = lxns(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// `lsns -p PID -T`: the owner (or parent) tree of the process's namespaces starts at the
/// namespaces above them — our user namespace (here the init one) is the root line — placed as lsns places
/// them (an ancestor just before its first descendant).
#[test]
fn task_with_a_tree_shows_the_namespaces_above_as_lsns_does() {
    require_root!();
    let _s = serial();
    assert!(have_lsns(), "lsns (util-linux) is needed");
    let (_family, sh) = family();
    let pid = sh.to_string();
    for tree in [
        &["-T"][..],
        &["-T=parent"],
        &["-J", "-T"],
        &["-J", "-T=parent"],
        &["-r", "-T=parent"],
    ] {
        let mut a = tree.to_vec();
        a.extend(["-p", &pid]);
        same_as_lsns(&a);
    }
    let init_user = common::ns_inode("/proc/self/ns/user").to_string();
    let out = String::from_utf8(run(&mut lxns(&["-T", "-p", &pid, "-o", "NS"])).stdout).unwrap();
    assert_eq!(
        out.lines().nth(1).map(str::trim),
        Some(init_user.as_str()),
        "{out}"
    );
}

/// `-Q/--filter` (later lsns; libsmartcols' expressions): the rows the expression is true
/// for, the same rows the plain listing has, whatever columns are shown.
#[test]
fn filter_keeps_the_rows_the_expression_is_true_for() {
    require_root!();
    let _s = serial();
    let (_family, sh) = family();
    let net = common::pid_ns(sh, lxns::Kind::Net);
    let rows = |args: &[&str]| -> Vec<Vec<String>> {
        let out = String::from_utf8(run(&mut lxns(args)).stdout).unwrap();
        out.lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    // The filtered listing and the plain one, each taken until two runs agree (processes of
    // other tests come and go between them).
    let agree = |filter: &[&str], keep: &dyn Fn(&[String]) -> bool| -> Vec<Vec<String>> {
        let mut last = (Vec::new(), Vec::new());
        for _ in 0..10 {
            let all = rows(&["-n", "-l", "-o", "NS,TYPE,NPROCS"]);
            let mut args = vec!["-n", "-l", "-o", "NS,TYPE,NPROCS"];
            args.extend_from_slice(filter);
            let got = rows(&args);
            let want: Vec<Vec<String>> = all.iter().filter(|r| keep(r)).cloned().collect();
            if got == want {
                return got;
            }
            last = (got, want);
        }
        panic!("{filter:?}: {:?} vs {:?}", last.0, last.1);
    };
    agree(&["-Q", r#"TYPE == "net""#], &|r| r[1] == "net");
    let got = agree(&["--filter", "TYPE eq 'net' AND NPROCS >= 4"], &|r| {
        r[1] == "net" && r[2].parse::<u64>().unwrap() >= 4
    });
    assert!(got.iter().any(|r| r[0] == net.to_string()), "{got:?}");
    agree(&["-Q", r#"!(TYPE != "net")"#], &|r| r[1] == "net");
    // A column not shown, a regular expression, negation.
    let got = rows(&[
        "-n",
        "-l",
        "-o",
        "NS",
        "-Q",
        r#"COMMAND =~ "^unshare -Ur" && TYPE == "net""#,
    ]);
    assert_eq!(got, [[net.to_string()]]);

    // Bad expressions: named, exit 1.
    for (expr, want) in [
        ("BOGUS", "unknown column"),
        ("TYPE == \"x", "unterminated"),
        ("(", "end of expression"),
    ] {
        let out = lxns(&["-Q", expr]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{expr}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("failed to parse filter") && err.contains(want),
            "{expr}: {err}"
        );
    }
}
