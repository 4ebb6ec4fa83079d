//! Helpers shared by the integration tests: strict-mode skips, guards that clean up even when
//! a test panics, unique names, and the kernel's view of namespaces (`/proc`).
#![allow(dead_code)] // Each test crate uses a different subset of these helpers.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use lxns::Kind;

/// Whether skips must fail: in CI (`CI=true`) or with `LXNS_TEST_STRICT=1`.
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("LXNS_TEST_STRICT").is_ok_and(|v| v == "1")
}

/// Skips the current test with a printed reason, or fails it in strict mode.
#[macro_export]
macro_rules! skip {
    ($($arg:tt)*) => {{
        let reason = format!($($arg)*);
        if $crate::common::strict() {
            panic!("would skip, and skips are failures in CI: {reason}");
        }
        eprintln!("SKIPPED: {reason}");
        return;
    }};
}

/// Skips unless running as root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !rustix::process::geteuid().is_root() {
            $crate::skip!("needs root");
        }
    };
}

/// The inode of a `/proc/.../ns/*` link, as the kernel shows it (`stat -L`).
pub fn ns_inode(path: impl AsRef<Path>) -> u64 {
    let path = path.as_ref();
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .ino()
}

/// `readlink /proc/.../ns/*`: `net:[4026531840]`.
pub fn ns_link(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_link(path)
        .unwrap_or_else(|e| panic!("readlink {}: {e}", path.display()))
        .to_string_lossy()
        .into_owned()
}

pub fn thread_ns(kind: Kind) -> u64 {
    ns_inode(format!("/proc/thread-self/ns/{}", kind.proc_name()))
}

pub fn pid_ns(pid: i32, kind: Kind) -> u64 {
    ns_inode(format!("/proc/{pid}/ns/{}", kind.proc_name()))
}

/// Every namespace link of the process and of the calling thread, for before/after checks.
fn snapshot() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for base in ["/proc/self/ns", "/proc/thread-self/ns"] {
        for kind in Kind::ALL {
            let mut names = vec![kind.proc_name()];
            names.extend(kind.for_children_name());
            for name in names {
                let p = format!("{base}/{name}");
                out.push((p.clone(), ns_inode(&p)));
            }
        }
    }
    out
}

/// Checks, when dropped, that neither the test process nor the calling thread changed any
/// namespace (all 8 kinds plus the `*_for_children` links).
#[derive(Debug)]
pub struct NsGuard {
    before: Vec<(String, u64)>,
}

impl NsGuard {
    pub fn new() -> NsGuard {
        NsGuard { before: snapshot() }
    }
}

impl Default for NsGuard {
    fn default() -> NsGuard {
        NsGuard::new()
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let after = snapshot();
        for (b, a) in self.before.iter().zip(&after) {
            assert_eq!(
                b, a,
                "the test process's namespace changed: {} was {} now {}",
                b.0, b.1, a.1
            );
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `lxns-test-<pid>-<n>-<what>`: unique across parallel tests and leftover runs.
pub fn unique_name(what: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("lxns-test-{}-{n}-{what}", std::process::id())
}

/// A temporary directory removed (recursively) on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let p = std::env::temp_dir().join(unique_name(what));
        std::fs::create_dir(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed and reaped on drop.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).expect("pids fit in i32")
    }
}

/// Every descendant of `pid` (children, grandchildren, …), from `/proc/PID/task/*/children`.
fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let kids = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for k in kids
                .split_whitespace()
                .filter_map(|k| k.parse::<i32>().ok())
            {
                if !out.contains(&k) {
                    out.push(k);
                    queue.push(k);
                }
            }
        }
    }
    out
}

impl Drop for ChildGuard {
    /// Kills the processes at the bottom of the child's tree first, so that every parent
    /// (an `unshare --fork`, a shell) reaps its child and exits by itself, and nothing is
    /// orphaned (pid 1 here does not reap orphans). A `--kill-child` chain alone is not
    /// enough: a process that changes credentials (entering a user namespace) loses its
    /// parent-death signal. If the child still lives after that, it is killed directly.
    fn drop(&mut self) {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        use rustix::process::{Pid, PidfdFlags, Signal, kill_process, pidfd_open};
        let pid = self.pid();
        let pidfd = Pid::from_raw(pid).and_then(|p| pidfd_open(p, PidfdFlags::empty()).ok());
        let tree = descendants(pid);
        let leaves: Vec<i32> = tree
            .iter()
            .copied()
            .filter(|d| descendants(*d).is_empty())
            .collect();
        if leaves.is_empty() {
            let _ = self.0.kill();
        }
        for leaf in leaves {
            if let Some(p) = Pid::from_raw(leaf) {
                let _ = kill_process(p, Signal::KILL);
            }
        }
        // Bounded wait for the chain to unwind by itself (a fallback, not synchronisation).
        if let Some(fd) = &pidfd {
            let mut fds = [PollFd::new(fd, PollFlags::IN)];
            let limit = Timespec {
                tv_sec: 5,
                tv_nsec: 0,
            };
            if !matches!(poll(&mut fds, Some(&limit)), Ok(n) if n > 0) {
                let _ = self.0.kill();
                for d in &tree {
                    if let Some(p) = Pid::from_raw(*d) {
                        let _ = kill_process(p, Signal::KILL);
                    }
                }
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `unshare <flags> sh -c 'echo ready; exec sleep 3600'` and returns once the shell
/// has said `ready`, i.e. after the unshare happened (a pipe read, no sleeping).
pub fn target_with(flags: &[&str]) -> ChildGuard {
    target_as(flags, None)
}

/// [`target_with`], run as `uid`/`gid` when given.
pub fn target_as(flags: &[&str], uid: Option<u32>) -> ChildGuard {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("unshare");
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid).current_dir("/");
    }
    if flags.contains(&"--fork") {
        // Killing unshare(1) must take its forked child (the pid-namespace init) with it.
        cmd.arg("--kill-child");
    }
    cmd.args(flags)
        .args(["sh", "-c", "echo ready; exec sleep 3600"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = ChildGuard(cmd.spawn().expect("spawn unshare(1) (util-linux)"));
    let out = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("read ready");
    assert_eq!(line.trim(), "ready", "target did not start: {flags:?}");
    child
}

/// Starts a plain `sleep` in our namespaces.
pub fn sleeper() -> ChildGuard {
    ChildGuard(
        Command::new("sleep")
            .arg("3600")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep"),
    )
}

/// The number of open fds of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// A pid that no process has: above `pid_max`.
pub fn free_pid() -> i32 {
    let max: i64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .expect("pid_max")
        .trim()
        .parse()
        .expect("pid_max number");
    i32::try_from(max + 1).unwrap_or(i32::MAX)
}

/// Whether `tool` runs (`tool ARGS` exits 0). A missing tool fails the test in strict mode.
pub fn have_tool(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok || !strict(), "{tool} is needed, and skips fail in CI");
    if !ok {
        eprintln!("SKIPPED: {tool} not installed");
    }
    ok
}

/// nsfs mount points under `dir` (itself excluded), from the kernel's mount table.
pub fn nsfs_mounts_under(dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .filter(|l| l.contains(" - nsfs "))
        .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
        .filter(|m| m.starts_with(&prefix))
        .collect()
}

/// Whether `dir` is a mount point.
pub fn is_mount_point(dir: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(&dir.display().to_string()))
}

/// The inodes of the `kind` namespace of every thread of this process (threads that end
/// meanwhile are skipped).
pub fn all_threads_ns(kind: Kind) -> Vec<u64> {
    std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .filter_map(|e| std::fs::metadata(e.ok()?.path().join("ns").join(kind.proc_name())).ok())
        .map(|m| m.ino())
        .collect()
}

/// Serialises the tests of one binary that look at (or change) system-wide state.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `unshare(1)` flags for new namespaces of all eight kinds in one process (the pid namespace
/// is its forked child's), for [`target_with`].
pub const EVERY_KIND: &[&str] = &[
    "--user",
    "--map-root-user",
    "--mount",
    "--net",
    "--pid",
    "--fork",
    "--ipc",
    "--uts",
    "--cgroup",
    "--time",
];

/// Runs `cmd` and returns its output, failing the test (with its stderr) unless it exits 0.
pub fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The unprivileged uid and gid tests drop to (`nobody`/`nogroup` on Debian).
pub const NOBODY: u32 = 65534;

/// Makes `cmd` run as [`NOBODY`], from `/` (which every user may enter).
pub fn as_nobody(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    cmd.uid(NOBODY).gid(NOBODY).current_dir("/")
}

/// A seccomp filter that makes each listed system call fail with its errno, for emulating a
/// kernel or a container profile that lacks or blocks them (`clone3` → `ENOSYS`, as Docker's
/// default profile answers). Everything else is allowed.
#[derive(Clone, Debug)]
pub struct SyscallFilter(Vec<libc::sock_filter>);

impl SyscallFilter {
    /// `rules`: (syscall number, errno).
    pub fn errno(rules: &[(libc::c_long, i32)]) -> SyscallFilter {
        rules
            .iter()
            .fold(SyscallFilter::allow_all(), |f, &(nr, errno)| {
                f.fail(nr, errno)
            })
    }

    /// A filter that allows everything; add rules with the `fail*` methods.
    pub fn allow_all() -> SyscallFilter {
        SyscallFilter(Vec::new())
    }

    /// `nr` fails with `errno`.
    pub fn fail(mut self, nr: libc::c_long, errno: i32) -> SyscallFilter {
        self.0.extend([
            Self::load(0),
            Self::jeq(Self::nr(nr), 0, 1),
            Self::ret_errno(errno),
        ]);
        self
    }

    /// `ioctl(fd, request, …)` fails with `errno` for every `request` of this `_IOC` type
    /// byte (0xff: the pidfd ioctls `PIDFD_GET_*`; 0xb7: nsfs's `NS_GET_*`).
    pub fn fail_ioctl_type(mut self, type_byte: u8, errno: i32) -> SyscallFilter {
        self.0.extend([
            Self::load(0),
            Self::jeq(Self::nr(libc::SYS_ioctl), 0, 4),
            Self::load(Self::ARG1),
            Self::alu(libc::BPF_AND, 0xff00),
            Self::jeq(u32::from(type_byte) << 8, 0, 1),
            Self::ret_errno(errno),
        ]);
        self
    }

    /// `nr` fails with `errno` when the low 32 bits of its argument `arg` (0–5) equal
    /// `value`: `pidfd_open(tid, PIDFD_THREAD)` refused with EINVAL, as before Linux 6.9.
    pub fn fail_with_arg(
        mut self,
        nr: libc::c_long,
        arg: u32,
        value: u32,
        errno: i32,
    ) -> SyscallFilter {
        self.0.extend([
            Self::load(0),
            Self::jeq(Self::nr(nr), 0, 3),
            Self::load(16 + 8 * arg),
            Self::jeq(value, 0, 1),
            Self::ret_errno(errno),
        ]);
        self
    }

    /// What Linux before 6.9 answers to `pidfd_open(tid, PIDFD_THREAD)`: EINVAL.
    pub fn no_pidfd_thread() -> SyscallFilter {
        SyscallFilter::allow_all().fail_with_arg(libc::SYS_pidfd_open, 1, 0x80, libc::EINVAL)
    }

    /// `ioctl(fd, request, …)` fails with `errno` for this one `request`.
    pub fn fail_ioctl(mut self, request: u32, errno: i32) -> SyscallFilter {
        self.0.extend([
            Self::load(0),
            Self::jeq(Self::nr(libc::SYS_ioctl), 0, 3),
            Self::load(Self::ARG1),
            Self::jeq(request, 0, 1),
            Self::ret_errno(errno),
        ]);
        self
    }

    /// `setns(fd, nstype)` fails with `errno` when `nstype` has more than one bit: what
    /// Linux 5.3–5.7 answer to the pidfd form `setns(pidfd, CLONE_NEWNET | CLONE_NEWUTS)`
    /// (only nsfs fds could be joined, one kind at a time, before 5.8).
    pub fn fail_setns_several(mut self, errno: i32) -> SyscallFilter {
        let x = libc::BPF_MISC | libc::BPF_TAX;
        self.0.extend([
            Self::load(0),
            Self::jeq(Self::nr(libc::SYS_setns), 0, 6),
            Self::load(Self::ARG1),
            Self::stmt(x, 0),
            Self::alu(libc::BPF_SUB, 1),
            Self::stmt(libc::BPF_ALU | libc::BPF_AND | libc::BPF_X, 0),
            // (n & (n - 1)) == 0: at most one bit, allowed.
            Self::jeq(0, 1, 0),
            Self::ret_errno(errno),
        ]);
        self
    }

    /// `clone3` failing with `errno` (what container seccomp profiles do).
    pub fn clone3(errno: i32) -> SyscallFilter {
        SyscallFilter::errno(&[(libc::SYS_clone3, errno)])
    }

    /// Offset of the low 32 bits of `args[1]` in `struct seccomp_data` (little-endian).
    const ARG1: u32 = 16 + 8;

    fn stmt(code: u32, k: u32) -> libc::sock_filter {
        libc::sock_filter {
            code: u16::try_from(code).expect("a BPF opcode"),
            jt: 0,
            jf: 0,
            k,
        }
    }

    fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
        libc::sock_filter {
            jt,
            jf,
            ..Self::stmt(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, k)
        }
    }

    fn load(offset: u32) -> libc::sock_filter {
        Self::stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset)
    }

    fn alu(op: u32, k: u32) -> libc::sock_filter {
        Self::stmt(libc::BPF_ALU | op | libc::BPF_K, k)
    }

    fn ret_errno(errno: i32) -> libc::sock_filter {
        Self::stmt(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | (u32::try_from(errno).expect("an errno") & 0xffff),
        )
    }

    fn nr(nr: libc::c_long) -> u32 {
        u32::try_from(nr).expect("a syscall number")
    }

    /// The whole program: the architecture check, the rules, then allow.
    fn program(&self) -> Vec<libc::sock_filter> {
        #[cfg(target_arch = "x86_64")]
        const ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
        #[cfg(target_arch = "aarch64")]
        const ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
        let ret = libc::BPF_RET | libc::BPF_K;
        // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
        let mut prog = vec![
            Self::load(4),
            Self::jeq(ARCH, 1, 0),
            Self::stmt(ret, libc::SECCOMP_RET_ALLOW),
        ];
        prog.extend_from_slice(&self.0);
        prog.push(Self::stmt(ret, libc::SECCOMP_RET_ALLOW));
        prog
    }

    /// Installs the filter on the **calling thread** only (no `TSYNC`): it and the processes
    /// it creates from then on are filtered; the thread should end after use. As root no
    /// `no_new_privs` is set (setuid helpers keep working); otherwise the kernel requires it.
    pub fn install_on_this_thread(&self) -> std::io::Result<()> {
        Self::install(&self.program())
    }

    fn install(program: &[libc::sock_filter]) -> std::io::Result<()> {
        if rustix::process::geteuid().as_raw() != 0 {
            rustix::thread::set_no_new_privs(true)?;
        }
        let prog = libc::sock_fprog {
            len: u16::try_from(program.len()).expect("a short program"),
            filter: program.as_ptr().cast_mut(),
        };
        // SAFETY: `prog` points to a valid BPF program that lives for the call; the kernel
        // copies it. No flags: only the calling thread is filtered.
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &raw const prog,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Makes `cmd`'s process install the filter just before it execs (so a program runs
    /// filtered from its first instruction).
    pub fn apply_to(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        let program = self.program();
        // SAFETY: the closure runs in the forked child before exec; it only builds a
        // struct on the stack and makes one system call (async-signal-safe), reading the
        // program built before the fork (no allocation in the child).
        unsafe {
            cmd.pre_exec(move || SyscallFilter::install(&program));
        }
    }
}

/// A new cgroup v2 directory, removed on drop (after its processes have gone).
#[derive(Debug)]
pub struct CgroupDir {
    pub path: PathBuf,
    /// Its path relative to the cgroup2 root, as `/proc/PID/cgroup` shows it.
    pub name: String,
}

impl CgroupDir {
    /// `None` without a cgroup2 mount.
    pub fn new() -> Option<CgroupDir> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let root = mountinfo
            .lines()
            .find(|l| l.contains(" - cgroup2 "))
            .and_then(|l| l.split(' ').nth(4))?
            .to_owned();
        let name = unique_name("cg");
        let path = Path::new(&root).join(&name);
        std::fs::create_dir(&path).ok()?;
        Some(CgroupDir {
            path,
            name: format!("/{name}"),
        })
    }
}

impl Drop for CgroupDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Makes `cmd`'s process start with `signals` at their default action, whatever this test
/// process inherited (a background job ignores SIGINT and SIGQUIT, nohup SIGHUP): for tests
/// that send those signals and expect them to act.
pub fn default_signals(cmd: &mut Command, signals: &[i32]) {
    use std::os::unix::process::CommandExt;
    let signals = signals.to_vec();
    let reset = move || {
        for &sig in &signals {
            // SAFETY: signal(2) with SIG_DFL installs no handler; it is async-signal-safe.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
        Ok(())
    };
    // SAFETY: `reset` runs in the forked child before exec and only calls signal(2).
    unsafe {
        cmd.pre_exec(reset);
    }
}

/// A `sh`, spawned with lxns, that says `ready` and then blocks reading stdin, in new
/// namespaces of `kinds` (mapped to root when they include a user namespace).
pub fn holder(kinds: lxns::KindSet) -> lxns::Child {
    use std::io::{BufRead, BufReader};
    let mut c = lxns::Command::new("sh");
    c.args(["-c", "echo ready; read x"])
        .unshare(kinds)
        .stdin(lxns::Stdio::piped())
        .stdout(lxns::Stdio::piped());
    if kinds.contains(Kind::User) {
        c.map_root();
    }
    let mut child = c.spawn().expect("spawn the holder");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped"))
        .read_line(&mut line)
        .expect("read the holder's ready line");
    assert_eq!(line.trim(), "ready");
    child
}

/// Ends a [`holder`]: newline on stdin, then wait.
pub fn release(mut child: lxns::Child) {
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"\n")
        .expect("write to the holder");
    assert!(child.wait().expect("wait for the holder").success());
}

/// Rounds for a loop that hunts rare races or leaks: `n` here, a twentieth of it (at least 10)
/// in the VMs of `tests/vm/run.sh` (`LXNS_TEST_VM=1`), where qemu's software emulation makes
/// every process start some twenty times slower. The VM run confirms each loop's property on
/// that kernel; the full count runs on the host.
pub fn rounds(n: usize) -> usize {
    if std::env::var_os("LXNS_TEST_VM").is_some_and(|v| v == "1") {
        (n / 20).max(10.min(n))
    } else {
        n
    }
}
