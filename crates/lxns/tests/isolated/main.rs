//! Tests that need a process of their own: a single thread (the kernel refuses user
//! namespaces, and joining time namespaces, to multithreaded processes), an unprivileged uid,
//! or an fd count no other test disturbs.
//!
//! This is a `harness = false` test: `main` re-executes this binary once per case with
//! `LXNS_ISOLATED_CASE=<name>`, so each case runs on the main thread of a fresh,
//! single-threaded process (as root, or as uid/gid 65534 for the rootless cases). Cases may
//! start helper processes the same way. Helpers talk over pipes: they print `key=value`
//! lines, then `ready`, and wait for stdin to close — no sleeps. The runner checks its own
//! namespaces around every case and prints libtest's summary line.
//!
//! Arguments: substrings to filter cases by; libtest flags (`--nocapture`, `-q`,
//! `--test-threads N`) are accepted and ignored.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use common::{ChildGuard, NsGuard, TempDir};
use lxns::Reason;
use lxns::{Kind, KindSet, Namespace, Process};

const CASE_ENV: &str = "LXNS_ISOLATED_CASE";
const EXE_ENV: &str = "LXNS_ISOLATED_EXE";
const NOBODY: u32 = 65534;

type CaseResult = Result<(), String>;

struct Case {
    name: &'static str,
    /// Run as this uid/gid instead of root.
    uid: Option<u32>,
    run: CaseFn,
}

const CASES: &[Case] = &[
    Case {
        name: "rootless_user_namespace_tree_and_limits",
        uid: None,
        run: rootless_user_namespace_tree_and_limits,
    },
    Case {
        name: "rootless_join_orders_user_first",
        uid: None,
        run: rootless_join_orders_user_first,
    },
    Case {
        name: "rootless_errors_name_the_missing_privilege",
        uid: Some(NOBODY),
        run: rootless_errors_name_the_missing_privilege,
    },
    Case {
        name: "single_threaded_root_unshares_every_kind",
        uid: None,
        run: single_threaded_root_unshares_every_kind,
    },
    Case {
        name: "single_threaded_enters_time_and_user_namespaces",
        uid: None,
        run: single_threaded_enters_time_and_user_namespaces,
    },
    Case {
        name: "unprivileged_id_maps_need_setgroups_deny_and_own_ids",
        uid: Some(NOBODY),
        run: unprivileged_id_maps_need_setgroups_deny_and_own_ids,
    },
    Case {
        name: "failing_spawns_leave_no_zombie_child_or_fd",
        uid: None,
        run: failing_spawns_leave_no_zombie_child_or_fd,
    },
    Case {
        name: "signals_before_exec_never_reach_the_parents_handlers",
        uid: None,
        run: signals_before_exec_never_reach_the_parents_handlers,
    },
    Case {
        name: "where_setns_on_a_pidfd_is_refused_kinds_are_joined_one_by_one",
        uid: None,
        run: where_setns_on_a_pidfd_is_refused_kinds_are_joined_one_by_one,
    },
    Case {
        name: "no_fd_leaks_over_10000_iterations",
        uid: None,
        run: no_fd_leaks_over_10000_iterations,
    },
    Case {
        name: "the_pool_drains_and_idles_out_so_the_process_is_single_threaded_again",
        uid: None,
        run: the_pool_drains_and_idles_out_so_the_process_is_single_threaded_again,
    },
];

/// Helper processes that cases start (not run on their own).
type CaseFn = fn() -> CaseResult;

const HELPERS: &[(&str, CaseFn)] = &[
    ("helper_userns_tree", helper_userns_tree),
    ("helper_userns_holder", helper_userns_holder),
    ("helper_join_pidfd", helper_join_pidfd),
    ("helper_join_handles", helper_join_handles),
    ("helper_signal_window", helper_signal_window),
];

macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!("{}:{}: {}", file!(), line!(), format!($($arg)*)));
        }
    };
}

macro_rules! ok {
    ($e:expr) => {
        $e.map_err(|e| format!("{}:{}: {}: {e}", file!(), line!(), stringify!($e)))?
    };
}

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(CASE_ENV) {
        return run_in_this_process(&name);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for c in CASES {
            println!("{}: test", c.name);
        }
        return ExitCode::SUCCESS;
    }
    let mut filters = Vec::new();
    let mut skip_next = false;
    for a in &args {
        if skip_next {
            skip_next = false;
        } else if a == "--test-threads" || a == "--skip" || a == "--format" {
            skip_next = true;
        } else if !a.starts_with('-') {
            filters.push(a.clone());
        }
    }
    let selected: Vec<&Case> = CASES
        .iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect();
    let filtered_out = CASES.len() - selected.len();
    println!("\nrunning {} tests", selected.len());
    let start = Instant::now();
    if !rustix::process::geteuid().is_root() {
        if common::strict() {
            println!("these tests need root (to drop to uid {NOBODY} and create namespaces)");
            println!("test result: FAILED. 0 passed; {} failed", selected.len());
            return ExitCode::FAILURE;
        }
        println!("SKIPPED: these tests need root");
        println!(
            "test result: ok. 0 passed; 0 failed; {} ignored; 0 measured; {filtered_out} filtered out; finished in 0.00s",
            selected.len()
        );
        return ExitCode::SUCCESS;
    }
    // A copy of this binary that uid 65534 can execute wherever the checkout lives.
    let exe_dir = TempDir::new("isolated-exe");
    let exe = match copy_self(exe_dir.path()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot copy the test binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = Vec::new();
    for case in &selected {
        let guard = NsGuard::new();
        let fds_before = common::fd_count();
        let out = run_case_process(&exe, case.name, case.uid);
        let fds_after = common::fd_count();
        drop(guard);
        match out {
            Ok(()) if fds_before == fds_after => println!("test {} ... ok", case.name),
            Ok(()) => {
                println!("test {} ... FAILED", case.name);
                failed.push((case.name, format!("runner fds {fds_before} -> {fds_after}")));
            }
            Err(text) => {
                println!("test {} ... FAILED", case.name);
                failed.push((case.name, text));
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for (name, text) in &failed {
            println!("\n---- {name} ----\n{text}");
        }
    }
    let passed = selected.len() - failed.len();
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {filtered_out} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        start.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn copy_self(dir: &Path) -> std::io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dst = dir.join("lxns-isolated-tests");
    std::fs::copy(me, &dst)?;
    Ok(dst)
}

/// Runs one case in a fresh process and returns its combined output on failure.
fn run_case_process(exe: &Path, name: &str, uid: Option<u32>) -> CaseResult {
    let mut cmd = Command::new(exe);
    cmd.env(CASE_ENV, name)
        .env(EXE_ENV, exe)
        .current_dir("/")
        .stdin(Stdio::null());
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("spawn {}: {e}", exe.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn run_in_this_process(name: &str) -> ExitCode {
    let f = CASES
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.run)
        .or_else(|| HELPERS.iter().find(|h| h.0 == name).map(|h| h.1));
    let Some(f) = f else {
        eprintln!("no case named {name}");
        return ExitCode::from(2);
    };
    match f() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{name}: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// A helper process: reports `key=value` lines up to `ready`, then waits for stdin to close.
struct Helper {
    child: ChildGuard,
    stdin: Option<std::process::ChildStdin>,
    values: HashMap<String, String>,
}

impl Helper {
    fn start(name: &str, uid: Option<u32>, env: &[(&str, String)]) -> Result<Helper, String> {
        let exe = std::env::var(EXE_ENV).map_err(|_| "LXNS_ISOLATED_EXE unset".to_owned())?;
        let mut cmd = Command::new(&exe);
        cmd.env(CASE_ENV, name)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        let mut child = ChildGuard(
            cmd.spawn()
                .map_err(|e| format!("spawn helper {name}: {e}"))?,
        );
        let stdin = child.0.stdin.take();
        let stdout = child.0.stdout.take().ok_or("no stdout")?;
        let mut values = HashMap::new();
        let mut ready = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("{e:#}"))?;
            if line == "ready" {
                ready = true;
                break;
            }
            if let Some((k, v)) = line.split_once('=') {
                values.insert(k.to_owned(), v.to_owned());
            }
        }
        if !ready {
            let mut err = String::new();
            if let Some(mut e) = child.0.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let status = child.0.wait().map_err(|e| format!("{e:#}"))?;
            return Err(format!("helper {name} did not get ready ({status}): {err}"));
        }
        Ok(Helper {
            child,
            stdin,
            values,
        })
    }

    fn get(&self, key: &str) -> Result<&str, String> {
        self.values
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("helper did not report {key}: {:?}", self.values))
    }

    fn pid(&self) -> i32 {
        self.child.pid()
    }

    /// Closes stdin and checks that the helper exits 0.
    fn finish(mut self) -> CaseResult {
        drop(self.stdin.take());
        let status = self.child.0.wait().map_err(|e| format!("{e:#}"))?;
        let mut err = String::new();
        if let Some(mut e) = self.child.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        check!(status.success(), "helper failed ({status}): {err}");
        Ok(())
    }
}

/// In a helper: report values, say ready, wait for the parent to close stdin.
fn report_and_wait(values: &[(&str, String)]) -> CaseResult {
    let mut out = std::io::stdout().lock();
    for (k, v) in values {
        writeln!(out, "{k}={v}").map_err(|e| format!("{e:#}"))?;
    }
    writeln!(out, "ready").map_err(|e| format!("{e:#}"))?;
    out.flush().map_err(|e| format!("{e:#}"))?;
    drop(out);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

fn inode(path: &str) -> Result<u64, String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .map(|m| m.ino())
        .map_err(|e| format!("stat {path}: {e}"))
}

// ---------------------------------------------------------------------------------------
// Cases

/// As uid 65534: create a user namespace and net/uts/ipc/mnt inside it; the owner and parent
/// relations hold from inside and from outside; a limit of 0 reads back and stops the next
/// unshare with the limit error.
fn rootless_user_namespace_tree_and_limits() -> CaseResult {
    let helper = Helper::start("helper_userns_tree", Some(NOBODY), &[])?;
    let pid = helper.pid();
    let p = ok!(Process::open(pid));
    let user = ok!(p.namespace(Kind::User));
    let ours = ok!(Namespace::current(Kind::User));
    check!(user != ours, "helper is still in our user namespace");
    check!(
        user.id().ino().to_string() == helper.get("user")?,
        "user ns mismatch"
    );
    // From outside: parent is ours, owner uid is 65534 (mapped here).
    check!(
        ok!(user.parent()) == ours,
        "parent of the helper's user ns is not ours"
    );
    check!(
        ok!(user.user_namespace()) == ours,
        "owner of the helper's user ns is not ours"
    );
    check!(
        ok!(user.owner_uid()) == NOBODY,
        "owner uid seen from outside"
    );
    for kind in [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Mnt] {
        let ns = ok!(p.namespace(kind));
        check!(ns != ok!(Namespace::current(kind)), "{kind} not unshared");
        check!(
            ok!(ns.user_namespace()) == user,
            "{kind} not owned by the new user ns"
        );
        check!(
            ns.id().ino().to_string() == helper.get(kind.proc_name())?,
            "{kind} inode mismatch"
        );
    }
    helper.finish()
}

fn helper_userns_tree() -> CaseResult {
    check!(threads() == 1, "helper must be single-threaded");
    check!(
        !rustix::process::geteuid().is_root(),
        "must run unprivileged"
    );
    let outer = ok!(Namespace::current(Kind::User));
    ok!(lxns::unshare_current_thread(KindSet::of(Kind::User)));
    let user = ok!(Namespace::current(Kind::User));
    check!(user != outer, "user namespace did not change");
    check!(
        user.id().ino() == inode("/proc/self/ns/user")?,
        "handle vs /proc"
    );
    // No uid_map yet: our creator's uid has no mapping here, so the kernel shows overflowuid.
    let overflow: u32 = ok!(std::fs::read_to_string("/proc/sys/kernel/overflowuid"))
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))?;
    check!(
        ok!(user.owner_uid()) == overflow,
        "owner uid inside is not overflowuid"
    );
    // The parent is outside our scope now: EPERM, typed.
    match user.parent() {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {}
        other => return Err(format!("parent from inside: {other:?}")),
    }
    ok!(lxns::unshare_current_thread(
        Kind::Net | Kind::Uts | Kind::Ipc | Kind::Mnt
    ));
    let mut values = vec![("user", user.id().ino().to_string())];
    for kind in [Kind::Net, Kind::Uts, Kind::Ipc, Kind::Mnt] {
        let ns = ok!(Namespace::current(kind));
        check!(
            ns.id().ino() == inode(&format!("/proc/self/ns/{}", kind.proc_name()))?,
            "{kind} handle vs /proc"
        );
        check!(ok!(ns.user_namespace()) == user, "{kind} owner from inside");
        values.push((kind.proc_name(), ns.id().ino().to_string()));
    }
    // Limits: we own this user namespace, so we may set its sysctls.
    ok!(lxns::set_limit(Kind::Net, 0));
    check!(
        ok!(lxns::limit(Kind::Net)) == 0,
        "limit did not read back 0"
    );
    check!(
        ok!(std::fs::read_to_string("/proc/sys/user/max_net_namespaces")).trim() == "0",
        "kernel view of the limit"
    );
    let before = inode("/proc/self/ns/net")?;
    match lxns::unshare_current_thread(KindSet::of(Kind::Net)) {
        Err(e) if matches!(e.reason(), Reason::LimitReached { .. }) => {
            check!(
                e.kind() == Some(Kind::Net),
                "limit error kind {:?}",
                e.kind()
            );
            check!(e.raw_os_error() == Some(28), "errno {:?}", e.raw_os_error());
            let text = format!("{e:#}");
            check!(text.contains("/proc/sys/user/max_net_namespaces"), "{text}");
            check!(text.contains("(now 0)"), "{text}");
        }
        other => return Err(format!("unshare at the limit: {other:?}")),
    }
    check!(
        inode("/proc/self/ns/net")? == before,
        "failed unshare changed the namespace"
    );
    // Other kinds are not limited.
    ok!(lxns::unshare_current_thread(KindSet::of(Kind::Cgroup)));
    report_and_wait(&values)
}

/// Unprivileged joins: a helper (uid 65534) makes user+net+uts namespaces; two other
/// unprivileged helpers join them, one through the pidfd (atomic) and one through handles
/// (two passes: EPERM before the user namespace, success after).
fn rootless_join_orders_user_first() -> CaseResult {
    let holder = Helper::start("helper_userns_holder", Some(NOBODY), &[])?;
    let env = [("TARGET_PID", holder.pid().to_string())];
    for joiner in ["helper_join_pidfd", "helper_join_handles"] {
        let j = Helper::start(joiner, Some(NOBODY), &env)?;
        for kind in [Kind::User, Kind::Net, Kind::Uts] {
            check!(
                j.get(kind.proc_name())? == holder.get(kind.proc_name())?,
                "{joiner}: {kind} differs"
            );
        }
        check!(
            j.get("entered")? == "net,user,uts",
            "{joiner}: entered {}",
            j.get("entered")?
        );
        j.finish()?;
    }
    holder.finish()
}

fn helper_userns_holder() -> CaseResult {
    ok!(lxns::unshare_current_thread(
        Kind::User | Kind::Net | Kind::Uts
    ));
    let mut values = Vec::new();
    for kind in [Kind::User, Kind::Net, Kind::Uts] {
        values.push((
            kind.proc_name(),
            ok!(Namespace::current(kind)).id().ino().to_string(),
        ));
    }
    report_and_wait(&values)
}

fn target_pid() -> Result<i32, String> {
    std::env::var("TARGET_PID")
        .map_err(|e| format!("{e:#}"))?
        .parse()
        .map_err(|e| format!("{e}"))
}

fn report_joined(entered: KindSet) -> CaseResult {
    let mut values = vec![("entered", entered.to_string())];
    for kind in [Kind::User, Kind::Net, Kind::Uts] {
        values.push((
            kind.proc_name(),
            inode(&format!("/proc/thread-self/ns/{}", kind.proc_name()))?.to_string(),
        ));
    }
    report_and_wait(&values)
}

fn helper_join_pidfd() -> CaseResult {
    let p = ok!(Process::open(target_pid()?));
    let entered = ok!(p.enter_all_current_thread());
    report_joined(entered)
}

fn helper_join_handles() -> CaseResult {
    let p = ok!(Process::open(target_pid()?));
    let handles: Vec<Namespace> = [Kind::Net, Kind::Uts, Kind::User]
        .iter()
        .map(|k| p.namespace(*k))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{e:#}"))?;
    // Joining net alone first must fail: no CAP_SYS_ADMIN in our own user namespace.
    match handles[0]
        .try_clone()
        .map_err(|e| format!("{e:#}"))?
        .enter_current_thread()
    {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            let text = format!("{e:#}");
            check!(
                text.contains("EPERM") && text.contains("CAP_SYS_ADMIN"),
                "{text}"
            );
            check!(
                text.contains(&format!("user:[{}]", handles[2].id().ino())),
                "the hint must name the owning user namespace: {text}"
            );
        }
        other => return Err(format!("unprivileged setns net: {other:?}")),
    }
    let refs: Vec<&Namespace> = handles.iter().collect();
    let entered = ok!(lxns::enter_all_current_thread(&refs));
    report_joined(entered)
}

/// As uid 65534 with no user namespace: each refusal is `PermissionDenied` with a hint that
/// names what is missing.
fn rootless_errors_name_the_missing_privilege() -> CaseResult {
    // Creating a namespace without CAP_SYS_ADMIN.
    match lxns::unshare_current_thread(KindSet::of(Kind::Net)) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            let text = format!("{e:#}");
            check!(
                text.contains("CAP_SYS_ADMIN") && text.contains("Kind::User"),
                "{text}"
            );
        }
        other => return Err(format!("unshare net unprivileged: {other:?}")),
    }
    match Namespace::new(Kind::Uts) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {}
        other => return Err(format!("Namespace::new unprivileged: {other:?}")),
    }
    // Entering even our own network namespace needs CAP_SYS_ADMIN.
    let net = ok!(Namespace::current(Kind::Net));
    match net.enter_current_thread() {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            check!(e.raw_os_error() == Some(1), "errno");
        }
        other => return Err(format!("setns unprivileged: {other:?}")),
    }
    // Another user's process (pid 1 of our pid namespace belongs to root).
    match Namespace::of_process(1, Kind::Net) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            check!(format!("{e:#}").contains("ptrace"), "{e}");
        }
        other => return Err(format!("root's namespace as nobody: {other:?}")),
    }
    // The same through the /proc fallback (PIDFD_GET_*_NAMESPACE fails with ENOTTY before
    // Linux 6.11): the open of /proc/1/ns/net is refused for lack of ptrace access.
    ok!(common::SyscallFilter::allow_all()
        .fail_ioctl_type(0xff, libc::ENOTTY)
        .install_on_this_thread());
    match Namespace::of_process(1, Kind::Net) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            let text = format!("{e:#}");
            check!(
                text.contains("ptrace") && !text.contains("CAP_SYS_ADMIN"),
                "{text}"
            );
        }
        other => return Err(format!("root's namespace as nobody (fallback): {other:?}")),
    }
    // Limits need CAP_SYS_RESOURCE.
    match lxns::set_limit(Kind::Net, 10) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            check!(format!("{e:#}").contains("CAP_SYS_RESOURCE"), "{e}");
        }
        other => return Err(format!("set_limit unprivileged: {other:?}")),
    }
    // But a user namespace, single-threaded, is allowed — and inside it, the rest.
    ok!(lxns::unshare_current_thread(Kind::User | Kind::Net));
    Ok(())
}

/// Root, single-threaded: one unshare of all eight kinds, checked against /proc.
fn single_threaded_root_unshares_every_kind() -> CaseResult {
    check!(threads() == 1, "must be single-threaded");
    let mut before = HashMap::new();
    for kind in Kind::ALL {
        let name = kind.for_children_name().unwrap_or(kind.proc_name());
        before.insert(kind, inode(&format!("/proc/self/ns/{name}"))?);
    }
    ok!(lxns::unshare_current_thread(KindSet::ALL));
    // The kernel shows no pid_for_children link until the new pid namespace has a process.
    check!(
        std::fs::metadata("/proc/self/ns/pid_for_children").is_err(),
        "pid_for_children exists before any child"
    );
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Pid) {
        let name = kind.for_children_name().unwrap_or(kind.proc_name());
        let now = inode(&format!("/proc/self/ns/{name}"))?;
        check!(now != before[&kind], "{kind} did not change");
        check!(
            ok!(Namespace::current_for_children(kind)).id().ino() == now,
            "{kind} handle vs /proc"
        );
    }
    // pid: no handle until the first child exists; the error says so.
    match Namespace::current_for_children(Kind::Pid) {
        Err(e) if matches!(e.reason(), Reason::NotFound) => {
            check!(format!("{e:#}").contains("first process"), "{e}");
        }
        other => return Err(format!("pid_for_children before a child: {other:?}")),
    }
    // A child makes the new pid namespace visible: it is that namespace's pid 1. It is
    // spawned with lxns::Command (fork-like): on some kernels (seen on Linux 6.1; 6.18
    // allows it) a process whose time_for_children differs from its own time namespace
    // cannot vfork (CLONE_VM is EINVAL), so std's posix_spawn fails there.
    let child = ok!(lxns::Command::new("grep")
        .args(["^NSpid:", "/proc/self/status"])
        .output());
    let nspid = String::from_utf8_lossy(&child.stdout).into_owned();
    check!(
        nspid.split_whitespace().last() == Some("1"),
        "the first child is pid 1 of the new pid namespace: {nspid}"
    );
    // Now the pid namespace has had a process, it has a handle.
    let pidns = ok!(Namespace::current_for_children(Kind::Pid));
    check!(
        pidns.id().ino() == inode("/proc/self/ns/pid_for_children")?,
        "pid handle vs /proc"
    );
    check!(pidns.id().ino() != before[&Kind::Pid], "pid did not change");
    Ok(())
}

/// Root, single-threaded: joining a time namespace and a user namespace works here (and is
/// refused with `MultiThreaded` in the threaded tests).
fn single_threaded_enters_time_and_user_namespaces() -> CaseResult {
    check!(threads() == 1, "must be single-threaded");
    let home = ok!(Namespace::current(Kind::Time));
    let time = ok!(Namespace::unshare_current_thread(Kind::Time));
    check!(time != home, "new time namespace");
    check!(
        inode("/proc/self/ns/time")? == home.id().ino(),
        "unshare moves only time_for_children"
    );
    ok!(time.enter_current_thread());
    check!(
        inode("/proc/self/ns/time")? == time.id().ino(),
        "setns time moved us"
    );
    // A user namespace held by a child process (util-linux unshare, user+net).
    let holder = common::target_with(&["--user", "--net"]);
    let p = ok!(Process::open(holder.pid()));
    let user = ok!(p.namespace(Kind::User));
    ok!(user.enter_current_thread());
    check!(
        inode("/proc/self/ns/user")? == user.id().ino(),
        "setns user"
    );
    // Re-entering the user namespace we are in is EINVAL: typed as InvalidArgument.
    match user.enter_current_thread() {
        Err(e) if matches!(e.reason(), Reason::InvalidArgument { .. }) => {}
        other => return Err(format!("re-enter own user ns: {other:?}")),
    }
    Ok(())
}

/// Linux 5.3–5.7 refuse `setns(pidfd, kinds)` with EINVAL (a seccomp filter answers so
/// here, for several kinds at once): `Process::enter_current_thread`,
/// `Process::enter_all_current_thread` and `Command::join_process` still join, kind by kind.
fn where_setns_on_a_pidfd_is_refused_kinds_are_joined_one_by_one() -> CaseResult {
    let target = common::target_with(&["--net", "--uts", "--ipc"]);
    let pid = target.pid();
    let p = ok!(Process::open(pid));
    let kinds = [Kind::Net, Kind::Uts, Kind::Ipc];
    let want: Vec<u64> = kinds
        .iter()
        .map(|k| inode(&format!("/proc/{pid}/ns/{}", k.proc_name())))
        .collect::<Result<_, _>>()?;
    let home = kinds
        .iter()
        .map(|k| Namespace::current(*k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{e:#}"))?;
    ok!(common::SyscallFilter::allow_all()
        .fail_setns_several(libc::EINVAL)
        .install_on_this_thread());
    // The filter really refuses the atomic form.
    check!(
        rustix::thread::move_into_thread_name_spaces(
            p.as_fd(),
            rustix::thread::ThreadNameSpaceType::NETWORK
                | rustix::thread::ThreadNameSpaceType::HOST_NAME_AND_NIS_DOMAIN_NAME
        ) == Err(rustix::io::Errno::INVAL),
        "the filter lets setns(pidfd, net|uts) through"
    );
    // A child joins through per-kind handles (the plan is made before the clone).
    let out = ok!(lxns::Command::new("readlink")
        .args([
            "/proc/self/ns/net",
            "/proc/self/ns/uts",
            "/proc/self/ns/ipc"
        ])
        .join_process(&p, Kind::Net | Kind::Uts | Kind::Ipc)
        .output());
    let links = String::from_utf8_lossy(&out.stdout).into_owned();
    for (kind, ino) in kinds.iter().zip(&want) {
        check!(
            links.contains(&format!("{}:[{ino}]", kind.proc_name())),
            "child: {kind} not joined: {links}"
        );
    }
    // The thread itself.
    ok!(p.enter_current_thread(Kind::Net | Kind::Uts | Kind::Ipc));
    for (kind, ino) in kinds.iter().zip(&want) {
        let now = inode(&format!("/proc/thread-self/ns/{}", kind.proc_name()))?;
        check!(now == *ino, "{kind}: thread at {now}, target at {ino}");
    }
    for ns in &home {
        ok!(ns.enter_current_thread());
    }
    let entered = ok!(p.enter_all_current_thread());
    check!(
        entered == Kind::Net | Kind::Uts | Kind::Ipc,
        "enter_all entered {entered:?}"
    );
    check!(
        inode("/proc/thread-self/ns/net")? == want[0],
        "enter_all: not in the target's net"
    );
    // The kernel's own refusals keep their errno: an empty set is EINVAL.
    match p.enter_current_thread(KindSet::EMPTY) {
        Err(e) => check!(e.raw_os_error() == Some(libc::EINVAL), "{e:?}"),
        Ok(()) => return Err("an empty set was accepted".into()),
    }
    Ok(())
}

/// Every operation 10,000 times; `/proc/self/fd` must hold the same number of entries.
fn no_fd_leaks_over_10000_iterations() -> CaseResult {
    let n_rounds = common::rounds(10_000);
    check!(threads() == 1, "must be single-threaded");
    let dir = TempDir::new("fdleak");
    let regular = dir.path().join("regular");
    ok!(std::fs::write(&regular, b"x"));
    let target = common::target_with(&["--net", "--uts", "--user", "--pid", "--fork"]);
    let tpid = target.pid();
    let tnet_path = format!("/proc/{tpid}/ns/net");
    let home_net = ok!(Namespace::current(Kind::Net));
    // The target's user namespace is foreign; we leave it alone, so compare with our own.
    let missing = common::free_pid();
    let before = common::fd_count();
    let kernel = lxns::kernel::Version::current();
    let has_ns_id = kernel.at_least(6, 18);
    let started = Instant::now();
    let mut ops = 0usize;
    for _ in 0..n_rounds {
        for kind in Kind::ALL {
            let _ = ok!(Namespace::current(kind));
            let _ = ok!(Namespace::current_for_children(kind));
        }
        let p = ok!(Process::open(tpid));
        for kind in Kind::ALL {
            let ns = ok!(p.namespace(kind));
            let _ = ok!(ns.user_namespace());
            // NS_GET_ID exists from Linux 6.18; before, the documented answer.
            match ns.ns_id() {
                Ok(_) => check!(has_ns_id, "NS_GET_ID answered on Linux {kernel}"),
                Err(e) if matches!(e.reason(), Reason::Unsupported { .. }) && !has_ns_id => {}
                Err(e) => return Err(format!("ns_id on Linux {kernel}: {e}")),
            }
            let _ = ok!(ns.try_clone());
            if kind == Kind::User {
                let _ = ok!(ns.owner_uid());
                let _ = ok!(ns.parent());
            }
            if kind == Kind::Net {
                // Enter and return, on this (only) thread.
                ok!(ns.enter_current_thread());
                ok!(home_net.enter_current_thread());
            }
        }
        let _ = ok!(Namespace::of_process(tpid, Kind::Net));
        let _ = ok!(Namespace::of_pidfd(p.as_fd(), Kind::Uts));
        let _ = ok!(Namespace::open(&tnet_path));
        let _ = ok!(Namespace::open_as(&tnet_path, Kind::Net));
        // Error paths.
        check!(
            Namespace::open_as(&tnet_path, Kind::Uts).is_err(),
            "wrong kind"
        );
        check!(Namespace::open(&regular).is_err(), "regular");
        check!(Namespace::open(dir.path()).is_err(), "dir");
        check!(
            Namespace::open(dir.path().join("missing")).is_err(),
            "missing"
        );
        check!(
            Namespace::of_process(missing, Kind::Net).is_err(),
            "missing pid"
        );
        check!(Process::open(0).is_err(), "pid 0");
        check!(
            ok!(Namespace::current(Kind::Net)).parent().is_err(),
            "net parent"
        );
        check!(
            ok!(Namespace::current(Kind::User)).parent().is_err(),
            "init parent"
        );
        let file = ok!(std::fs::File::open(&regular));
        check!(
            lxns::setns_current_thread(file.as_fd(), None).is_err(),
            "setns regular"
        );
        drop(file);
        // Enter several at once through the pidfd, and come back.
        ok!(p.enter_current_thread(KindSet::of(Kind::Net)));
        ok!(home_net.enter_current_thread());
        // Create: on this thread, and on a helper thread.
        ok!(lxns::unshare_current_thread(KindSet::of(Kind::Uts)));
        let _ = ok!(Namespace::new(Kind::Ipc));
        let _ = ok!(lxns::limit(Kind::Net));
        check!(
            lxns::set_limit(Kind::Net, u64::MAX).is_err(),
            "limit too large"
        );
        // The rest of the API surface.
        let me = ok!(Process::current());
        let _ = ok!(me.namespace_for_children(Kind::Time));
        let fd: std::os::fd::OwnedFd = ok!(Process::open(tpid)).into();
        let again = ok!(Process::from_pidfd(fd));
        let inner = ok!(again.namespace(Kind::Pid));
        let _ = ok!(inner.pid_from_caller(tpid));
        let file: std::os::fd::OwnedFd = ok!(std::fs::File::open(&regular)).into();
        check!(Process::from_pidfd(file).is_err(), "not a pidfd");
        let file: std::os::fd::OwnedFd = ok!(std::fs::File::open(&regular)).into();
        check!(Namespace::from_fd(file).is_err(), "from_fd regular");
        let tnet = ok!(p.namespace(Kind::Net));
        let tuts = ok!(p.namespace(Kind::Uts));
        let entered = ok!(lxns::enter_all_current_thread(&[&tnet, &tuts]));
        check!(entered == Kind::Net | Kind::Uts, "entered {entered}");
        ok!(home_net.enter_current_thread());
        ops += 1;
    }
    let after = common::fd_count();
    eprintln!(
        "{ops} iterations in {:.2}s, fds {before} -> {after}",
        started.elapsed().as_secs_f64()
    );
    check!(before == after, "fd count changed: {before} -> {after}");
    check!(
        inode("/proc/self/ns/net")? == home_net.id().ino(),
        "did not come back to our network namespace"
    );
    Ok(())
}

/// As uid 65534, in a user namespace of its own (unshare -U, no map yet): gid_map before
/// setgroups=deny is refused with the hint; ids it does not own are refused with the
/// newuidmap hint; its own id maps, and the kernel reads back exactly that.
fn unprivileged_id_maps_need_setgroups_deny_and_own_ids() -> CaseResult {
    use lxns::{IdMap, MapKind, Setgroups, write_id_map, write_setgroups};
    let target = common::target_with(&["--user"]);
    let pid = target.pid();
    match write_id_map(pid, MapKind::Gid, &IdMap::single(0, NOBODY)) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            check!(format!("{e:#}").contains("setgroups"), "{e}");
        }
        other => return Err(format!("gid_map before setgroups deny: {other:?}")),
    }
    match write_id_map(pid, MapKind::Uid, &IdMap::single(0, 0)) {
        Err(e) if matches!(e.reason(), Reason::PermissionDenied { .. }) => {
            check!(format!("{e:#}").contains("newuidmap"), "{e}");
        }
        other => return Err(format!("mapping root as nobody: {other:?}")),
    }
    ok!(write_setgroups(pid, Setgroups::Deny));
    ok!(write_id_map(pid, MapKind::Gid, &IdMap::single(0, NOBODY)));
    ok!(write_id_map(pid, MapKind::Uid, &IdMap::single(0, NOBODY)));
    for file in ["uid_map", "gid_map"] {
        let text = ok!(std::fs::read_to_string(format!("/proc/{pid}/{file}")));
        let back: IdMap = ok!(text.parse());
        check!(back == IdMap::single(0, NOBODY), "{file}: {text}");
    }
    check!(
        ok!(std::fs::read_to_string(format!("/proc/{pid}/setgroups"))).trim() == "deny",
        "setgroups"
    );
    Ok(())
}

/// Any child of this process, exited or not, without reaping it (`waitid(P_ALL,
/// WEXITED|WSTOPPED|WCONTINUED|WNOHANG|WNOWAIT)`): `None` when there is none (`ECHILD`) or
/// none has changed state.
fn any_child() -> Result<Option<String>, String> {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    let options = WaitIdOptions::EXITED
        | WaitIdOptions::STOPPED
        | WaitIdOptions::CONTINUED
        | WaitIdOptions::NOHANG
        | WaitIdOptions::NOWAIT;
    match waitid(WaitId::All, options) {
        Ok(None) | Err(rustix::io::Errno::CHILD) => {}
        Ok(Some(st)) => return Ok(Some(format!("{st:?}"))),
        Err(e) => return Err(format!("{e:#}")),
    }
    // A running child does not show in waitid: list them.
    let me = std::process::id().to_string();
    let children = std::fs::read_to_string(format!("/proc/{me}/task/{me}/children"))
        .map_err(|e| format!("{e:#}"))?;
    Ok((!children.trim().is_empty()).then(|| format!("running: {children}")))
}

/// 10,000 spawns that join a namespace and then fail at exec (the case that left zombies:
/// the final process's report was taken for the intermediate's), and 1,000 failing at each
/// other step, joined and not: afterwards no child at all, exited or running, and no fd
/// more than before.
fn failing_spawns_leave_no_zombie_child_or_fd() -> CaseResult {
    use lxns::{Command, Propagation, SpawnStep};
    let net = ok!(Namespace::new(Kind::Net));
    let dir = TempDir::new("spawnfail");
    let long_name = "h".repeat(65);
    let not_a_cgroup = dir.path().to_owned();
    check!(
        any_child()?.is_none(),
        "a child before the test: {:?}",
        any_child()
    );
    let before = common::fd_count();
    type Setup = fn(&mut Command, &Path, &str);
    let cases: [(&str, usize, SpawnStep, Setup); 7] = [
        ("exec", 10_000, SpawnStep::Exec, |_, _, _| {}),
        ("maps", 1_000, SpawnStep::Maps, |c, _, _| {
            // newuidmap refuses root, who has no subordinate ids... unless it has: then
            // the kernel refuses the gid map written with setgroups allowed by no one.
            c.uid_map(lxns::IdMap::single(0, 0))
                .map_writer(lxns::MapWriter::Helper);
        }),
        // Refused before the clone now (the kernel's 64-byte limit), so no process at all.
        ("hostname", 1_000, SpawnStep::Hostname, |c, _, name| {
            c.hostname(name);
        }),
        ("cwd", 1_000, SpawnStep::Cwd, |c, d, _| {
            c.current_dir(d.join("missing"));
        }),
        ("mount", 1_000, SpawnStep::MountProc, |c, d, _| {
            c.mount_proc_at(d.join("missing"));
        }),
        ("pivot_root", 1_000, SpawnStep::PivotRoot, |c, d, _| {
            c.root(d).propagation(Propagation::Shared);
        }),
        ("cgroup", 1_000, SpawnStep::Clone, |c, d, _| {
            c.cgroup(d);
        }),
    ];
    let started = Instant::now();
    for (what, n, step, setup) in cases {
        for i in 0..common::rounds(n) {
            let mut c = Command::new("/nonexistent/lxns-program");
            // Every other spawn of each step also joins (the two-stage path).
            if i % 2 == 0 || step == SpawnStep::Exec {
                c.join(&net);
            }
            c.unshare(Kind::Uts | Kind::Mnt);
            setup(&mut c, dir.path(), &long_name);
            let _ = &not_a_cgroup;
            match c.spawn() {
                Ok(mut child) => {
                    let _ = child.wait();
                    return Err(format!("{what}: spawn {i} succeeded"));
                }
                Err(e) if e.op() == lxns::Op::Spawn(step) || step == SpawnStep::Maps => {}
                Err(e) => return Err(format!("{what}: spawn {i} failed elsewhere: {e}")),
            }
        }
        check!(
            any_child()?.is_none(),
            "{what}: a child is left: {:?}",
            any_child()
        );
    }
    // A Child dropped while running is reaped when it ends (here: cat, at end of input).
    {
        use std::os::fd::AsFd;
        let child = ok!(Command::new("cat").stdin(lxns::Stdio::piped()).spawn());
        let handle = ok!(child.process());
        drop(child);
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            use rustix::process::{WaitId, WaitIdOptions, waitid};
            let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
            match waitid(WaitId::PidFd(handle.as_fd()), opts) {
                // Reaped, and the reaper thread (which held a pidfd) gone.
                Err(rustix::io::Errno::CHILD) if threads() == 1 => break,
                Ok(_) | Err(rustix::io::Errno::CHILD) => {}
                Err(e) => return Err(format!("waitid: {e}")),
            }
            check!(Instant::now() < deadline, "a dropped Child was not reaped");
            std::thread::yield_now();
        }
    }
    check!(
        any_child()?.is_none(),
        "dropped: a child is left: {:?}",
        any_child()
    );
    let after = common::fd_count();
    check!(after == before, "fds: {before} before, {after} after");
    eprintln!(
        "16,000 failing spawns in {:.1} s; no child left, fds {before} -> {after}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

static HANDLER_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

extern "C" fn on_usr1(_: libc::c_int) {
    let fd = HANDLER_PIPE.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: write(2) is async-signal-safe; the buffer is a static byte.
    unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
}

/// A signal sent to the child while it waits for its go byte (the fake `newuidmap` on `PATH`
/// sends it, then writes the map) must not run the parent's handler in the child; the
/// program starts with the caller's mask and default dispositions.
fn signals_before_exec_never_reach_the_parents_handlers() -> CaseResult {
    let dir = TempDir::new("sigwindow");
    let fake = dir.path().join("newuidmap");
    ok!(std::fs::write(
        &fake,
        "#!/bin/sh\nkill -USR1 \"$1\"\nkill -USR1 \"$1\"\necho \"$2 $3 $4\" > /proc/$1/uid_map\n"
    ));
    ok!(std::fs::set_permissions(
        &fake,
        std::os::unix::fs::PermissionsExt::from_mode(0o755)
    ));
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let h = Helper::start("helper_signal_window", None, &[("PATH", path)])?;
    check!(
        h.get("handler_ran")? == "0",
        "the parent's handler ran in the child {} times",
        h.get("handler_ran")?
    );
    check!(
        h.get("signalled")? == "true",
        "the program did not die of SIGUSR1: {}",
        h.get("status")?
    );
    // SIGUSR2 (12) blocked by the caller: bit 11.
    check!(
        h.get("SigBlk")? == "0000000000000800",
        "SigBlk {}",
        h.get("SigBlk")?
    );
    check!(
        h.get("SigCgt")? == "0000000000000000",
        "SigCgt {}",
        h.get("SigCgt")?
    );
    // Ignored signals stay ignored, as with posix_spawn (a background job's shell ignores
    // SIGINT and SIGQUIT, say), except Rust's own SIGPIPE and glibc's internal 32/33.
    let caller = u64::from_str_radix(h.get("caller_SigIgn")?, 16).map_err(|e| format!("{e:#}"))?;
    let want = caller & !(1 << (libc::SIGPIPE - 1)) & !(0b11 << 31);
    check!(
        h.get("SigIgn")? == format!("{want:016x}"),
        "SigIgn {} (the caller ignores {caller:016x})",
        h.get("SigIgn")?
    );
    h.finish()
}

fn helper_signal_window() -> CaseResult {
    use lxns::{Command, MapWriter};
    use std::os::unix::process::ExitStatusExt;
    let (r, w) = ok!(rustix::pipe::pipe_with(
        rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK
    ));
    HANDLER_PIPE.store(
        std::os::fd::AsRawFd::as_raw_fd(&w),
        std::sync::atomic::Ordering::Relaxed,
    );
    let mut action: libc::sigaction = unsafe_zeroed_sigaction();
    action.sa_sigaction = on_usr1 as *const () as usize;
    check!(
        // SAFETY: `action` is a valid sigaction naming an async-signal-safe handler.
        unsafe { libc::sigaction(libc::SIGUSR1, &raw const action, std::ptr::null_mut()) } == 0,
        "sigaction"
    );
    let mut set = unsafe_zeroed_sigset();
    // SAFETY: `set` is a valid sigset_t; SIGUSR2 is a valid signal.
    unsafe { libc::sigaddset(&raw mut set, libc::SIGUSR2) };
    // SAFETY: `set` is initialised; the old-set pointer may be null.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut()) };
    let status = ok!(Command::new("true")
        .unshare(Kind::User)
        .uid_map(lxns::IdMap::single(0, 0))
        .map_writer(MapWriter::Helper)
        .status());
    let mut buf = [0u8; 16];
    let ran = rustix::io::read(&r, &mut buf).unwrap_or(0);
    // sed catches no signal (GNU grep catches SIGUSR1).
    let out = ok!(Command::new("sed")
        .args(["-n", "/^Sig[BCI]/p", "/proc/self/status"])
        .output());
    let caller_ignored = ok!(std::fs::read_to_string("/proc/self/status"))
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    let mut values = vec![
        ("caller_SigIgn", caller_ignored),
        ("handler_ran", ran.to_string()),
        (
            "signalled",
            (status.signal() == Some(libc::SIGUSR1)).to_string(),
        ),
        ("status", format!("{status:?}")),
    ];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.split_once(':') {
            values.push((
                if k == "SigBlk" {
                    "SigBlk"
                } else if k == "SigCgt" {
                    "SigCgt"
                } else {
                    "SigIgn"
                },
                v.trim().to_owned(),
            ));
        }
    }
    report_and_wait(&values)
}

fn unsafe_zeroed_sigaction() -> libc::sigaction {
    // SAFETY: an all-zero sigaction is valid (SIG_DFL, empty mask, no flags).
    unsafe { std::mem::zeroed() }
}

fn unsafe_zeroed_sigset() -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is the empty set on Linux.
    unsafe { std::mem::zeroed() }
}

/// The threads of this process (entries of /proc/self/task).
fn task_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// After `run` (and a retired helper, whose value the reaper delivers), lxns's threads stay
/// until [`lxns::drain_helpers`] ends them — then the process is single-threaded and may
/// create a user namespace (before: MultiThreaded for good). Without a drain they exit on
/// their own after `HELPER_IDLE_EXIT` (watched with a deadline of 5 times that, not slept).
fn the_pool_drains_and_idles_out_so_the_process_is_single_threaded_again() -> CaseResult {
    check!(task_count() == 1, "starts with {} threads", task_count());
    let net = ok!(Namespace::new(Kind::Net));
    let mnt = ok!(Namespace::new(Kind::Mnt));
    // Several at once: more than one helper; one entering a mount namespace is retired
    // (through the reaper).
    let a = ok!(net.try_clone());
    let many: Vec<_> = (0..4)
        .map(|_| {
            let n = a.try_clone().map_err(|e| e.to_string())?;
            Ok(std::thread::spawn(move || lxns::run(&[&n], || 1)))
        })
        .collect::<Result<_, String>>()?;
    for t in many {
        check!(matches!(t.join(), Ok(Ok(1))), "run on a thread");
    }
    ok!(lxns::run(&[&mnt], || ()));
    check!(task_count() > 1, "the pool keeps its helpers");
    match lxns::unshare_current_thread(KindSet::of(Kind::User)) {
        Err(e) if matches!(e.reason(), Reason::MultiThreaded { .. }) => {
            check!(format!("{e:#}").contains("drain_helpers"), "{e:#}");
        }
        other => {
            return Err(format!(
                "expected MultiThreaded with helpers alive: {other:?}"
            ));
        }
    }
    let ended = lxns::drain_helpers();
    check!(ended >= 1, "drained {ended}");
    check!(task_count() == 1, "{} threads after drain", task_count());
    // Single-threaded again: the kernel gives it a user namespace.
    let before = common::thread_ns(Kind::User);
    ok!(lxns::unshare_current_thread(KindSet::of(Kind::User)));
    check!(
        common::thread_ns(Kind::User) != before,
        "a new user namespace"
    );
    // Idle exit, without a drain (in the new user namespace we own everything below).
    let net2 = ok!(Namespace::new(Kind::Net));
    ok!(lxns::run(&[&net2], || ()));
    check!(task_count() > 1, "a helper waits");
    let deadline = Instant::now() + lxns::HELPER_IDLE_EXIT * 5;
    while task_count() > 1 {
        check!(Instant::now() < deadline, "helpers did not exit when idle");
        std::thread::yield_now();
    }
    Ok(())
}
