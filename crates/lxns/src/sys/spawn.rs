//! `clone3(2)` and everything the new process does between `clone3` and `execve(2)`.
//!
//! The parent ([`crate::spawn`]) builds a [`ChildPlan`]: every path, string, argument vector
//! and file descriptor the child will need, allocated and opened *before* the clone. The
//! child then runs [`child_main`], which is written to be async-signal-safe: it makes raw
//! system calls (through `rustix`'s linux_raw backend, or the few `libc` calls below), never
//! allocates, never takes a lock, never panics (no indexing, no unwrap) and never returns —
//! it ends in `execve` or `_exit`. That is what makes a fork-like clone safe even when the
//! parent has other threads holding the allocator's locks.
//!
//! Reports travel to the parent as fixed-size [`Report`] records on a close-on-exec pipe:
//! end-of-file without a record means `execve` succeeded.

use std::ffi::{CStr, c_char};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use rustix::io::{Errno, Result};
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::process::Pid;

/// `struct clone_args` (linux/sched.h), `CLONE_ARGS_SIZE_VER2` (88 bytes, Linux 5.7+).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
const CLONE_NEWTIME: u64 = 0x80;
const SIGCHLD: u64 = 17;

/// The steps of [`child_main`], as reported to the parent. The numbers are the wire format
/// between parent and child of the same binary only.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Step {
    /// Not a failure: the intermediate process reports the pid of the final one.
    GrandchildPid = 0,
    ParentDeathSignal = 1,
    Signals = 2,
    WaitForParent = 3,
    Join = 4,
    Clone = 5,
    TimeUnshare = 6,
    TimeOffsets = 7,
    TimeEnter = 8,
    Hostname = 9,
    Domainname = 10,
    Propagation = 11,
    RootBind = 12,
    RootChdir = 13,
    PivotRoot = 14,
    DetachOldRoot = 15,
    MountProc = 16,
    Cwd = 17,
    Stdio = 18,
    Exec = 19,
}

impl Step {
    fn from_u32(v: u32) -> Option<Step> {
        const ALL: [Step; 20] = [
            Step::GrandchildPid,
            Step::ParentDeathSignal,
            Step::Signals,
            Step::WaitForParent,
            Step::Join,
            Step::Clone,
            Step::TimeUnshare,
            Step::TimeOffsets,
            Step::TimeEnter,
            Step::Hostname,
            Step::Domainname,
            Step::Propagation,
            Step::RootBind,
            Step::RootChdir,
            Step::PivotRoot,
            Step::DetachOldRoot,
            Step::MountProc,
            Step::Cwd,
            Step::Stdio,
            Step::Exec,
        ];
        ALL.into_iter().find(|s| *s as u32 == v)
    }
}

/// One record from child to parent: a failed step with its errno and an index (which join,
/// which exec candidate), or the grandchild's pid.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub step: Step,
    /// The errno, or the pid for [`Step::GrandchildPid`].
    pub value: i32,
    /// Which join failed (index into [`ChildPlan::joins`]), or which exec candidate.
    pub index: u32,
}

const REPORT_LEN: usize = 12;

impl Report {
    fn encode(step: Step, value: i32, index: u32) -> [u8; REPORT_LEN] {
        let mut out = [0u8; REPORT_LEN];
        let (a, rest) = out.split_at_mut(4);
        let (b, c) = rest.split_at_mut(4);
        a.copy_from_slice(&(step as u32).to_ne_bytes());
        b.copy_from_slice(&value.to_ne_bytes());
        c.copy_from_slice(&index.to_ne_bytes());
        out
    }

    fn decode(buf: &[u8; REPORT_LEN]) -> Option<Report> {
        let word = |i: usize| -> [u8; 4] {
            let mut w = [0u8; 4];
            if let Some(s) = buf.get(i..i + 4) {
                w.copy_from_slice(s);
            }
            w
        };
        Some(Report {
            step: Step::from_u32(u32::from_ne_bytes(word(0)))?,
            value: i32::from_ne_bytes(word(4)),
            index: u32::from_ne_bytes(word(8)),
        })
    }
}

/// Reads the next report, `Ok(None)` at end of file (every writer closed: `execve`
/// succeeded, or the child died without a word).
pub(crate) fn read_report(fd: BorrowedFd<'_>) -> Result<Option<Report>> {
    let mut buf = [0u8; REPORT_LEN];
    let mut got = 0;
    while got < REPORT_LEN {
        let Some(rest) = buf.get_mut(got..) else {
            break;
        };
        match rustix::io::read(fd, rest) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(Errno::PIPE),
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Report::decode(&buf).map(Some).ok_or(Errno::PROTO)
}

/// A namespace to join in the child with `setns(fd, nstype)`: a namespace fd (`nstype` its
/// `CLONE_NEW*` flag) or a pidfd (`nstype` the set of flags to join at once).
#[derive(Debug)]
pub(crate) struct Join<'a> {
    pub fd: BorrowedFd<'a>,
    pub nstype: u32,
}

/// At most this many joins (8 kinds and one pidfd, with room to spare).
pub(crate) const MAX_JOINS: usize = 16;

/// Everything the child needs, prepared by the parent.
#[derive(Debug)]
pub(crate) struct ChildPlan<'a> {
    /// Write end of the report pipe (close-on-exec). Raw, because the parent closes its
    /// copy right after the clone while the plan lives on.
    pub report: RawFd,
    /// Read end of the go pipe: the final process waits for a byte (the parent wrote the id
    /// maps) before doing anything that needs privilege in its new user namespace.
    pub go: Option<RawFd>,
    /// The parent's ends of the pipes, closed first thing in the child so that the child
    /// sees end-of-file when the parent dies.
    pub parent_ends: [Option<RawFd>; 2],
    /// `CLONE_NEW*` flags for the final process's clone.
    pub new_flags: u64,
    /// `CLONE_INTO_CGROUP` target.
    pub cgroup: Option<BorrowedFd<'a>>,
    /// Namespaces to join before creating new ones (two-stage spawn when non-empty).
    pub joins: &'a [Join<'a>],
    /// The intermediate must clone the final process (a pid namespace was joined, or new
    /// namespaces are wanted after joining).
    pub fork_after_join: bool,
    /// `timens_offsets` text: the final process unshares its time namespace itself, writes
    /// the offsets, then enters it (offsets can only be set before any process is inside).
    pub time_offsets: Option<&'a [u8]>,
    /// `PR_SET_PDEATHSIG` signal, and a pidfd of the parent to close the race with its death.
    pub parent_death: Option<(rustix::process::Signal, BorrowedFd<'a>)>,
    pub hostname: Option<&'a [u8]>,
    pub domainname: Option<&'a [u8]>,
    /// Recursive propagation to apply to `/` in a new mount namespace.
    pub propagation: Option<MountPropagationFlags>,
    /// New root directory (pivot_root).
    pub root: Option<&'a CStr>,
    /// Where to mount a fresh proc (resolved after pivot_root).
    pub proc_mount: Option<&'a CStr>,
    pub cwd: Option<&'a CStr>,
    /// File descriptors for 0, 1, 2 (`None`: inherit); raw like `report`.
    pub stdio: [Option<RawFd>; 3],
    /// Paths to try, in order (one for a program with a slash, `$PATH` entries otherwise).
    pub exec_paths: &'a [&'a CStr],
    /// Null-terminated `argv` and `envp`, pointing into strings the parent keeps alive.
    pub argv: &'a [*const c_char],
    pub envp: &'a [*const c_char],
}

/// Clones the child described by `plan` with `clone3(CLONE_PIDFD | CLONE_NEW* …)`, fork-like
/// (no `CLONE_VM`: a `posix_spawn`-style shared-memory clone measured no faster here, and a
/// process sharing memory cannot enter a time namespace).
///
/// Returns the pid and pidfd of the process the kernel created: the final process, or (for a
/// two-stage spawn with joins) the intermediate that reports the final pid on the pipe.
pub(crate) fn spawn(plan: &ChildPlan<'_>) -> Result<(Pid, OwnedFd)> {
    let two_stage = !plan.joins.is_empty();
    let mut flags = CLONE_PIDFD;
    if !two_stage {
        flags |= clone_ns_flags(plan);
    }
    let mut pidfd: i32 = -1;
    let mut args = CloneArgs {
        flags,
        pidfd: std::ptr::from_mut(&mut pidfd) as u64,
        exit_signal: SIGCHLD,
        ..CloneArgs::default()
    };
    if let Some(cg) = plan.cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = u64::from(cg.as_raw_fd().unsigned_abs());
    }
    match clone3(&args)? {
        0 => child_main(plan),
        pid => {
            // SAFETY: clone3 with CLONE_PIDFD succeeded, so the kernel stored a new pidfd
            // (close-on-exec) in `pidfd`; nothing else owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(pidfd) };
            Ok((Pid::from_raw(pid).ok_or(Errno::SRCH)?, fd))
        }
    }
}

/// The namespace flags the final process is cloned with (a new time namespace is made by
/// the process itself when offsets are to be written).
fn clone_ns_flags(plan: &ChildPlan<'_>) -> u64 {
    if plan.time_offsets.is_some() {
        plan.new_flags & !CLONE_NEWTIME
    } else {
        plan.new_flags
    }
}

/// `clone3(2)` without `CLONE_VM`: like `fork`, the child gets a copy of the address space
/// and returns 0.
fn clone3(args: &CloneArgs) -> Result<i32> {
    // SAFETY: `args` is a valid, initialised `struct clone_args` of the size passed, and its
    // `pidfd` field points to a live i32. Without CLONE_VM/CLONE_SETTLS/stack the child runs
    // on a private copy of the caller's memory, exactly as after fork(); the only code it runs
    // is `child_main`, which is async-signal-safe (see the module docs) and never returns
    // into the caller's frames.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            std::ptr::from_ref(args),
            size_of::<CloneArgs>(),
        )
    };
    if ret < 0 {
        return Err(Errno::from_raw_os_error(errno()));
    }
    i32::try_from(ret).map_err(|_| Errno::INVAL)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A descriptor of the child's own fd table, named in the plan by number.
fn child_fd(raw: RawFd) -> BorrowedFd<'static> {
    // SAFETY: the plan's raw fds were open in the parent at the clone, so they are open in
    // the child's copy of the fd table, which nothing else in the child closes; the child
    // ends in exec or _exit, so the borrow never outlives them.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

/// Ends the child: reports `step`/`err` (best effort) and exits with 127 for a missing
/// program, 126 for one that cannot run, and 125 for any other set-up failure.
fn fail(plan: &ChildPlan<'_>, step: Step, err: Errno, index: u32) -> ! {
    let code = match (step, err) {
        (Step::Exec, Errno::NOENT | Errno::NOTDIR) => 127,
        (Step::Exec, _) => 126,
        _ => 125,
    };
    let msg = Report::encode(step, err.raw_os_error(), index);
    let _ = rustix::io::write(child_fd(plan.report), &msg);
    exit(code)
}

fn exit(code: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and ends the process without running atexit
    // handlers or destructors, which belong to the parent's copy of this memory.
    unsafe { libc::_exit(code) }
}

/// The child after `clone3`. Async-signal-safe only (module docs); never returns.
fn child_main(plan: &ChildPlan<'_>) -> ! {
    for fd in plan.parent_ends.into_iter().flatten() {
        // SAFETY: these raw fds are the parent's pipe ends, duplicated into this process by
        // the clone; nothing in the child uses or owns them, and closing them is what lets
        // the child see end-of-file if the parent dies.
        unsafe { rustix::io::close(fd) };
    }
    if plan.joins.is_empty() {
        final_process(plan)
    }
    // Two-stage: join first (their owners grant the privilege), then create.
    join_all(plan);
    if !plan.fork_after_join {
        final_process(plan)
    }
    let args = CloneArgs {
        flags: CLONE_PARENT | clone_ns_flags(plan),
        // With CLONE_PARENT the exit signal is inherited and must be 0 here.
        exit_signal: 0,
        cgroup: plan
            .cgroup
            .map_or(0, |cg| u64::from(cg.as_raw_fd().unsigned_abs())),
        ..CloneArgs::default()
    };
    let args = CloneArgs {
        flags: args.flags
            | if plan.cgroup.is_some() {
                CLONE_INTO_CGROUP
            } else {
                0
            },
        ..args
    };
    match clone3(&args) {
        Ok(0) => final_process(plan),
        Ok(pid) => {
            let msg = Report::encode(Step::GrandchildPid, pid, 0);
            match rustix::io::write(child_fd(plan.report), &msg) {
                Ok(_) => exit(0),
                Err(_) => exit(125),
            }
        }
        Err(e) => fail(plan, Step::Clone, e, 0),
    }
}

/// Joins `plan.joins` as nsenter does: a pass in order, then a retry of whatever refused
/// with `EPERM` (it may need the user namespace joined later in the list).
fn join_all(plan: &ChildPlan<'_>) {
    let mut pending = [false; MAX_JOINS];
    let mut any_pending = false;
    for (i, (join, slot)) in plan.joins.iter().zip(pending.iter_mut()).enumerate() {
        match crate::sys::setns(join.fd, join.nstype) {
            Ok(()) => {}
            Err(Errno::PERM) => {
                *slot = true;
                any_pending = true;
            }
            Err(e) => fail(plan, Step::Join, e, index(i)),
        }
    }
    if any_pending {
        for (i, (join, slot)) in plan.joins.iter().zip(pending.iter()).enumerate() {
            if *slot {
                if let Err(e) = crate::sys::setns(join.fd, join.nstype) {
                    fail(plan, Step::Join, e, index(i));
                }
            }
        }
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The process that will exec the program: set-up in order, then `execve`.
fn final_process(plan: &ChildPlan<'_>) -> ! {
    if let Some((sig, parent)) = plan.parent_death {
        if let Err(e) = rustix::process::set_parent_process_death_signal(Some(sig)) {
            fail(plan, Step::ParentDeathSignal, e, 0);
        }
        // The parent may have died before the line above: its pidfd is readable then.
        let mut fds = [rustix::event::PollFd::new(
            &parent,
            rustix::event::PollFlags::IN,
        )];
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if matches!(rustix::event::poll(&mut fds, Some(&zero)), Ok(n) if n > 0) {
            exit(125);
        }
    }
    if let Err(e) = reset_signals() {
        fail(plan, Step::Signals, e, 0);
    }
    if let Some(go) = plan.go {
        let mut byte = [0u8; 1];
        loop {
            match rustix::io::read(child_fd(go), &mut byte) {
                Ok(1) => break,
                // The parent gave up (or died) without writing the maps: stop quietly.
                Ok(_) => exit(125),
                Err(Errno::INTR) => {}
                Err(e) => fail(plan, Step::WaitForParent, e, 0),
            }
        }
    }
    if let Err((step, e)) = setup(plan) {
        fail(plan, step, e, 0);
    }
    let (err, index) = exec(plan);
    fail(plan, Step::Exec, err, index)
}

/// A failed step and its errno.
type Failure = (Step, Errno);

/// Tags a step's error with the step.
fn at<T>(step: Step, r: Result<T>) -> std::result::Result<T, Failure> {
    r.map_err(|e| (step, e))
}

/// The set-up between the namespaces and `execve`, in order: time offsets, hostname and
/// domain name, mount propagation, new root, proc, working directory, standard streams.
/// Async-signal-safe (module docs).
fn setup(plan: &ChildPlan<'_>) -> std::result::Result<(), Failure> {
    if let Some(offsets) = plan.time_offsets {
        set_time_offsets(offsets)?;
    }
    if let Some(name) = plan.hostname {
        at(Step::Hostname, rustix::system::sethostname(name))?;
    }
    if let Some(name) = plan.domainname {
        at(Step::Domainname, rustix::system::setdomainname(name))?;
    }
    if let Some(flags) = plan.propagation {
        at(
            Step::Propagation,
            rustix::mount::mount_change(c"/", flags | MountPropagationFlags::REC),
        )?;
    }
    if let Some(root) = plan.root {
        // pivot_root needs a mount point: bind the directory onto itself. Then the "."/"."
        // dance: the old root ends up stacked under the new one and is detached.
        at(
            Step::RootBind,
            rustix::mount::mount_bind_recursive(root, root),
        )?;
        at(Step::RootChdir, rustix::process::chdir(root))?;
        at(Step::PivotRoot, rustix::process::pivot_root(c".", c"."))?;
        at(
            Step::DetachOldRoot,
            rustix::mount::unmount(c".", UnmountFlags::DETACH),
        )?;
        at(Step::RootChdir, rustix::process::chdir(c"/"))?;
    }
    if let Some(target) = plan.proc_mount {
        at(
            Step::MountProc,
            rustix::mount::mount(
                c"proc",
                target,
                c"proc",
                MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
                None,
            ),
        )?;
    }
    if let Some(dir) = plan.cwd {
        at(Step::Cwd, rustix::process::chdir(dir))?;
    }
    at(Step::Stdio, setup_stdio(plan))
}

/// A new time namespace with `offsets` for the calling (single-threaded, unshared-memory)
/// process: offsets can be written only before any process is in it, so it is created for
/// children, given its offsets, then entered.
fn set_time_offsets(offsets: &[u8]) -> std::result::Result<(), Failure> {
    use rustix::fs::{Mode, OFlags};
    at(Step::TimeUnshare, crate::sys::unshare(0x80))?;
    if !offsets.is_empty() {
        let file = at(
            Step::TimeOffsets,
            rustix::fs::open(
                c"/proc/self/timens_offsets",
                OFlags::WRONLY | OFlags::CLOEXEC,
                Mode::empty(),
            ),
        )?;
        match rustix::io::write(&file, offsets) {
            Ok(n) if n == offsets.len() => {}
            Ok(_) => return Err((Step::TimeOffsets, Errno::IO)),
            Err(e) => return Err((Step::TimeOffsets, e)),
        }
    }
    let ns = at(
        Step::TimeEnter,
        rustix::fs::open(
            c"/proc/self/ns/time_for_children",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ),
    )?;
    at(Step::TimeEnter, crate::sys::setns(ns.as_fd(), 0x80))
}

/// Runs the set-up and `execve` in the calling process itself, for a caller that is about
/// to be replaced by the program (`Command::exec_replacing_current_process`): the same steps
/// a child runs after its namespaces exist. Returns only on failure.
pub(crate) fn exec_in_place(plan: &ChildPlan<'_>) -> Report {
    let failure = match reset_signals()
        .map_err(|e| (Step::Signals, e))
        .and_then(|()| setup(plan))
    {
        Err(f) => f,
        Ok(()) => {
            let (err, index) = exec(plan);
            return Report {
                step: Step::Exec,
                value: err.raw_os_error(),
                index,
            };
        }
    };
    Report {
        step: failure.0,
        value: failure.1.raw_os_error(),
        index: 0,
    }
}

/// An empty signal mask and `SIGPIPE` back to its default (Rust ignores it at start-up, and
/// ignored dispositions survive `execve`).
fn reset_signals() -> Result<()> {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; it is async-signal-safe.
    if unsafe { libc::sigemptyset(set.as_mut_ptr()) } != 0 {
        return Err(Errno::INVAL);
    }
    // SAFETY: `set` was initialised by sigemptyset just above; sigprocmask is
    // async-signal-safe and the old-set pointer may be null.
    if unsafe { libc::sigprocmask(libc::SIG_SETMASK, set.as_ptr(), std::ptr::null_mut()) } != 0 {
        return Err(Errno::from_raw_os_error(errno()));
    }
    // SAFETY: resetting a disposition to SIG_DFL installs no handler; signal() is
    // async-signal-safe.
    if unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) } == libc::SIG_ERR {
        return Err(Errno::from_raw_os_error(errno()));
    }
    Ok(())
}

fn setup_stdio(plan: &ChildPlan<'_>) -> Result<()> {
    use rustix::io::{FdFlags, fcntl_dupfd_cloexec, fcntl_setfd};
    // A source that sits on another standard fd would be overwritten by an earlier dup2:
    // move such sources above 2 first.
    let mut moved: [Option<OwnedFd>; 3] = [None, None, None];
    for (target, (src, slot)) in plan.stdio.iter().zip(moved.iter_mut()).enumerate() {
        if let Some(raw) = *src {
            let fd = child_fd(raw);
            let raw = fd.as_raw_fd();
            if (0..3).contains(&raw) && usize::try_from(raw).ok() != Some(target) {
                *slot = Some(fcntl_dupfd_cloexec(fd, 3)?);
            }
        }
    }
    for (target, (src, moved)) in plan.stdio.iter().zip(moved.iter()).enumerate() {
        let Some(fd) = moved.as_ref().map(AsFd::as_fd).or(src.map(child_fd)) else {
            continue;
        };
        if usize::try_from(fd.as_raw_fd()).ok() == Some(target) {
            // Already in place: only make sure it survives exec.
            fcntl_setfd(fd, FdFlags::empty())?;
            continue;
        }
        match target {
            0 => rustix::stdio::dup2_stdin(fd)?,
            1 => rustix::stdio::dup2_stdout(fd)?,
            _ => rustix::stdio::dup2_stderr(fd)?,
        }
    }
    Ok(())
}

/// Tries each candidate path as `execvp` does: a missing file moves on to the next, a
/// permission error is remembered, anything else stops. Returns the error that matters and
/// the index of its candidate (it returns at all only when every candidate failed).
fn exec(plan: &ChildPlan<'_>) -> (Errno, u32) {
    let mut saved: Option<(Errno, u32)> = None;
    for (i, path) in plan.exec_paths.iter().enumerate() {
        let err = execve(path, plan.argv, plan.envp);
        match err {
            Errno::NOENT | Errno::NOTDIR => {
                if saved.is_none() {
                    saved = Some((err, index(i)));
                }
            }
            Errno::ACCESS => saved = Some((err, index(i))),
            other => return (other, index(i)),
        }
    }
    saved.unwrap_or((Errno::NOENT, 0))
}

/// `execve(2)`; returns only on failure.
fn execve(path: &CStr, argv: &[*const c_char], envp: &[*const c_char]) -> Errno {
    // The vectors must be null-terminated, or the kernel would read past them.
    if argv.last().is_none_or(|p| !p.is_null()) || envp.last().is_none_or(|p| !p.is_null()) {
        return Errno::INVAL;
    }
    // SAFETY: `path` is a valid C string; `argv` and `envp` are null-terminated arrays
    // (checked above) of pointers to C strings that the parent keeps alive across the clone
    // (the child has a copy of them). execve is async-signal-safe.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    Errno::from_raw_os_error(errno())
}

/// Blocks `signals` for the calling thread and returns a close-on-exec `signalfd` that
/// reads them, plus the previous mask to restore.
pub(crate) fn block_signals(signals: &[i32]) -> Result<(OwnedFd, SigMask)> {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises `set`.
    if unsafe { libc::sigemptyset(set.as_mut_ptr()) } != 0 {
        return Err(Errno::INVAL);
    }
    for &sig in signals {
        // SAFETY: `set` is initialised; an invalid signal number is reported as -1.
        if unsafe { libc::sigaddset(set.as_mut_ptr(), sig) } != 0 {
            return Err(Errno::INVAL);
        }
    }
    // SAFETY: `set` is initialised, `old` is written by the call on success.
    if unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), old.as_mut_ptr()) } != 0 {
        return Err(Errno::INVAL);
    }
    // SAFETY: pthread_sigmask succeeded and wrote the previous mask into `old`.
    let old = SigMask(unsafe { old.assume_init() });
    // SAFETY: `set` is initialised; signalfd(-1, …) creates a new fd.
    let fd = unsafe { libc::signalfd(-1, set.as_ptr(), libc::SFD_CLOEXEC) };
    if fd < 0 {
        let e = errno();
        restore_signals(&old);
        return Err(Errno::from_raw_os_error(e));
    }
    // SAFETY: signalfd returned a new descriptor that nothing else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(fd) }, old))
}

/// A saved signal mask (from [`block_signals`]).
#[derive(Copy, Clone)]
pub(crate) struct SigMask(libc::sigset_t);

impl std::fmt::Debug for SigMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigMask")
    }
}

/// Restores a mask saved by [`block_signals`].
pub(crate) fn restore_signals(old: &SigMask) {
    // SAFETY: `old.0` is a mask previously returned by pthread_sigmask.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old.0, std::ptr::null_mut()) };
}

/// Reads one `struct signalfd_siginfo` and returns its signal number and whether the kernel
/// itself sent it (`ssi_code == SI_KERNEL`: a terminal's ^C or ^\\, which the whole
/// foreground process group receives anyway) rather than a process (`kill`, `sigqueue`).
pub(crate) fn read_signal(fd: BorrowedFd<'_>) -> Result<(i32, bool)> {
    const SI_KERNEL: i32 = 0x80;
    let mut buf = [0u8; 128];
    loop {
        match rustix::io::read(fd, &mut buf) {
            Ok(128) => break,
            Ok(_) => return Err(Errno::IO),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    // struct signalfd_siginfo: u32 ssi_signo, i32 ssi_errno, i32 ssi_code, ...
    let field = |at: usize| -> Result<i32> {
        let mut word = [0u8; 4];
        word.copy_from_slice(buf.get(at..at + 4).ok_or(Errno::IO)?);
        Ok(i32::from_ne_bytes(word))
    };
    Ok((field(0)?, field(8)? == SI_KERNEL))
}
