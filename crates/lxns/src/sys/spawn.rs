//! Process creation (`clone3(2)`, or `clone(2)` where `clone3` is blocked) and everything a
//! new process does between its creation and `execve(2)`.
//!
//! The parent ([`crate::spawn`]) builds a [`ChildPlan`]: every path, string, argument vector
//! and file descriptor the child will need, allocated and opened *before* the clone and
//! *borrowed* by the plan. The child then runs [`child_main`], which is written to be
//! async-signal-safe: it makes raw system calls (through `rustix`'s linux_raw backend, or
//! the few `libc` calls below), never allocates, never takes a lock, never panics (no
//! indexing, no unwrap) and never returns — it ends in `execve` or `_exit`. That is what
//! makes a fork-like clone safe even when the parent has other threads holding the
//! allocator's locks.
//!
//! # Channels
//!
//! Each stage has its own channel, so a record can never be taken for another stage's:
//!  - the **report pipe** (close-on-exec) is written only by the process that will exec the
//!    program: one [`Report`] for a failed step, or end-of-file when `execve` succeeded;
//!  - the **stage socket** (`SOCK_SEQPACKET`, two-stage spawns only) is written only by the
//!    intermediate process that joins existing namespaces: either a failure, or the final
//!    process's pidfd itself (`SCM_RIGHTS`), taken from `CLONE_PIDFD` at its creation — the
//!    parent never looks a process up by number.
//!
//! # Signals
//!
//! As glibc's `posix_spawn` does: the parent blocks every signal around the clone
//! ([`block_all_signals`]), so no handler of the caller's can run in the child; the child
//! resets every caught signal to `SIG_DFL` first thing, and restores the caller's mask
//! ([`ChildPlan::exec_mask`]) only immediately before `execve`.

use std::ffi::{CStr, CString, c_char};
use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::io::{Errno, Result};
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use rustix::process::Pid;

use crate::kind::{Kind, KindSet};
use crate::spawn::SpawnStep as Step;

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
const SIGCHLD: u64 = 17;

/// How processes are created.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CloneApi {
    /// `clone3(2)` (Linux 5.3+; `CLONE_INTO_CGROUP` 5.7+).
    Clone3,
    /// `clone(2)` with `CLONE_PIDFD` (Linux 5.2+), for where `clone3` is blocked (the
    /// default seccomp profiles of Docker and Podman, gVisor, Chromium's sandbox make it
    /// fail with `ENOSYS` or `EPERM` so that glibc falls back to `clone`). It cannot express
    /// `CLONE_NEWTIME` (the child makes its time namespace itself) or `CLONE_INTO_CGROUP`
    /// (the parent writes the child's pid to `cgroup.procs`, and the child creates its
    /// cgroup namespace after that).
    Clone,
}

/// Which clone the calling thread may use: `clone3(NULL, 0)` is refused by the kernel
/// itself with `EINVAL` (a size below `CLONE_ARGS_SIZE_VER0`) before it looks at anything,
/// while a seccomp filter answers `ENOSYS` or `EPERM` before the kernel sees the call. Per
/// call, not cached: seccomp filters belong to threads.
pub(crate) fn clone_api() -> CloneApi {
    // clone3 exists from 5.3, but CLONE_INTO_CGROUP only from 5.7: before that, clone(2)
    // with the parent writing cgroup.procs does everything the same way.
    if !crate::kernel::Version::current().at_least(5, 7) {
        return CloneApi::Clone;
    }
    // SAFETY: clone3 with a null pointer and size 0 reads no memory: the kernel rejects the
    // size before copying anything, and creates no process.
    let ret = unsafe { libc::syscall(libc::SYS_clone3, std::ptr::null::<CloneArgs>(), 0usize) };
    match (ret, errno()) {
        (-1, libc::ENOSYS | libc::EPERM) => CloneApi::Clone,
        _ => CloneApi::Clone3,
    }
}

/// A namespace to join with `setns(fd, nstype)`: a namespace fd (`nstype` its `CLONE_NEW*`
/// flag) or a pidfd (`nstype` the set of flags to join at once).
#[derive(Debug, Copy, Clone)]
pub(crate) struct Join<'a> {
    pub fd: BorrowedFd<'a>,
    pub nstype: KindSet,
}

/// At most this many joins (8 kinds and one pidfd, with room to spare).
pub(crate) const MAX_JOINS: usize = 16;

/// `CLONE_FS` (linux/sched.h).
const CLONE_FS: u32 = 0x200;

/// Joins `joins` in their order, then retries whatever refused with `EPERM` (it may need a
/// user namespace joined later in the list), as nsenter(1) does. A mount namespace is
/// preceded by `unshare(CLONE_FS)`, which the kernel requires of a thread sharing its
/// filesystem attributes (a no-op in a new process). On failure, returns the index of the
/// join that failed and its errno. Async-signal-safe: used by the child after a clone and by
/// a thread entering namespaces alike ([`crate::join`]).
pub(crate) fn join_all(joins: &[Join<'_>]) -> std::result::Result<(), (usize, Errno)> {
    let one = |join: &Join<'_>| -> Result<()> {
        if join.nstype.contains(Kind::Mnt) {
            super::unshare(CLONE_FS)?;
        }
        super::setns(join.fd, join.nstype.bits())
    };
    let mut pending = [false; MAX_JOINS];
    let mut any_pending = false;
    for (i, join) in joins.iter().enumerate() {
        match one(join) {
            Ok(()) => {}
            Err(Errno::PERM) if i < MAX_JOINS => {
                if let Some(slot) = pending.get_mut(i) {
                    *slot = true;
                }
                any_pending = true;
            }
            Err(e) => return Err((i, e)),
        }
    }
    if any_pending {
        for (i, (join, retry)) in joins.iter().zip(pending).enumerate() {
            if retry {
                one(join).map_err(|e| (i, e))?;
            }
        }
    }
    Ok(())
}

/// One record from the final process to the parent: the failed step, its errno and an index
/// (which join, which exec candidate).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub step: Step,
    pub errno: Errno,
    pub index: u32,
}

const REPORT_LEN: usize = 12;

/// A record: the step, the errno (raw: 0 for a handover, which is no failure) and an index.
fn encode(step: Step, errno: i32, index: u32) -> [u8; REPORT_LEN] {
    let mut out = [0u8; REPORT_LEN];
    let (a, rest) = out.split_at_mut(4);
    let (b, c) = rest.split_at_mut(4);
    a.copy_from_slice(&(step as u32).to_ne_bytes());
    b.copy_from_slice(&errno.to_ne_bytes());
    c.copy_from_slice(&index.to_ne_bytes());
    out
}

/// The step, raw errno and index of a record.
fn decode(buf: &[u8]) -> Option<(Step, i32, u32)> {
    let word = |i: usize| -> Option<[u8; 4]> { buf.get(i..i + 4)?.try_into().ok() };
    Some((
        Step::from_wire(u32::from_ne_bytes(word(0)?))?,
        i32::from_ne_bytes(word(4)?),
        u32::from_ne_bytes(word(8)?),
    ))
}

/// A failure record as a [`Report`] (a zero errno is no failure: `None`).
fn failure(buf: &[u8]) -> Option<Report> {
    let (step, raw, index) = decode(buf)?;
    (raw != 0).then(|| Report {
        step,
        errno: Errno::from_raw_os_error(raw),
        index,
    })
}

/// Reads the final process's report, `Ok(None)` at end of file (every writer closed:
/// `execve` succeeded, or the process died without a word).
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
    failure(&buf).map(Some).ok_or(Errno::PROTO)
}

/// What the intermediate process of a two-stage spawn says on the stage socket.
#[derive(Debug)]
pub(crate) enum StageRecord {
    /// The final process exists: its pidfd, and its pid (for `cgroup.procs` and messages).
    HandedOver { pidfd: OwnedFd, pid: i32 },
    /// A step of the intermediate failed. For [`Step::Handover`] the final process existed,
    /// was killed, and has the pid given (it is the caller's unreaped child: reap it).
    Failed { report: Report, pid: i32 },
}

const STAGE_LEN: usize = 16;

/// Reads the intermediate's record; `Ok(None)` when it died without one.
pub(crate) fn read_stage(fd: BorrowedFd<'_>) -> Result<Option<StageRecord>> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let mut buf = [0u8; STAGE_LEN];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = loop {
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        match recvmsg(fd, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Ok(msg) => break msg.bytes,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    };
    let mut pidfd = None;
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = msg {
            pidfd = fds.into_iter().next().or(pidfd);
        }
    }
    if got == 0 {
        return Ok(None);
    }
    let pid = buf
        .get(12..16)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, i32::from_ne_bytes);
    let record = buf.get(..REPORT_LEN).unwrap_or_default();
    match (decode(record), pidfd) {
        (Some((Step::Handover, 0, _)), Some(pidfd)) => {
            Ok(Some(StageRecord::HandedOver { pidfd, pid }))
        }
        _ => {
            let report = failure(record).ok_or(Errno::PROTO)?;
            Ok(Some(StageRecord::Failed { report, pid }))
        }
    }
}

/// A signal mask.
#[derive(Copy, Clone)]
pub(crate) struct SigMask(libc::sigset_t);

impl std::fmt::Debug for SigMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigMask")
    }
}

impl SigMask {
    /// This mask without `signals` (invalid numbers are ignored).
    pub(crate) fn without(mut self, signals: impl IntoIterator<Item = i32>) -> SigMask {
        for sig in signals {
            // SAFETY: `self.0` is an initialised sigset_t (from pthread_sigmask or
            // sigemptyset); sigdelset only clears a bit and reports an invalid number.
            unsafe { libc::sigdelset(&raw mut self.0, sig) };
        }
        self
    }

    /// Whether `sig` is in the mask.
    pub(crate) fn contains(&self, sig: i32) -> bool {
        // SAFETY: `self.0` is an initialised sigset_t; sigismember only reads it.
        unsafe { libc::sigismember(&raw const self.0, sig) == 1 }
    }
}

/// Blocks every signal on the calling thread and returns the previous mask, to restore with
/// [`set_signal_mask`]. (`SIGKILL` and `SIGSTOP` cannot be blocked.)
pub(crate) fn block_all_signals() -> SigMask {
    let mut all = MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises the set it is given.
    unsafe { libc::sigfillset(all.as_mut_ptr()) };
    // SAFETY: `all` was initialised just above; `old` is written by the call, which cannot
    // fail with a valid `how` and valid pointers.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), old.as_mut_ptr()) };
    // SAFETY: pthread_sigmask wrote the previous mask into `old`.
    SigMask(unsafe { old.assume_init() })
}

/// The calling thread's signal mask.
pub(crate) fn current_signal_mask() -> SigMask {
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: with a null new set, pthread_sigmask only writes the current mask into `old`
    // (it cannot fail with a valid `how`).
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), old.as_mut_ptr()) };
    // SAFETY: pthread_sigmask wrote the current mask into `old`.
    SigMask(unsafe { old.assume_init() })
}

/// Sets the calling thread's signal mask (async-signal-safe).
pub(crate) fn set_signal_mask(mask: &SigMask) {
    // SAFETY: `mask.0` is an initialised sigset_t; the old-set pointer may be null.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &raw const mask.0, std::ptr::null_mut()) };
}

/// The set-up between the namespaces and `execve`, shared by a spawned child and a process
/// replacing itself ([`exec_in_place`]).
#[derive(Debug)]
pub(crate) struct Setup<'a> {
    /// A new time namespace made by the process itself (`unshare` for children, offsets,
    /// `setns`): offsets can only be written before any process is inside, and `clone(2)`
    /// cannot express `CLONE_NEWTIME`. `Some(b"")` makes one without offsets.
    pub time_offsets: Option<&'a [u8]>,
    pub hostname: Option<&'a [u8]>,
    pub domainname: Option<&'a [u8]>,
    /// Recursive propagation to apply to `/` in a new mount namespace.
    pub propagation: Option<MountPropagationFlags>,
    /// New root directory (pivot_root).
    pub root: Option<&'a CStr>,
    /// Where to mount a fresh proc (resolved after pivot_root).
    pub proc_mount: Option<&'a CStr>,
    /// Where to mount `binfmt_misc` (after proc).
    pub binfmt_mount: Option<&'a CStr>,
    /// The `register` file and the format to write into it.
    pub binfmt_register: Option<(&'a CStr, &'a [u8])>,
    /// A fixed (`F`) format with a new root: mount `binfmt_misc` here and register before the
    /// pivot, so that the kernel opens the interpreter in the caller's tree.
    pub binfmt_early: Option<(&'a CStr, &'a CStr)>,
    pub cwd: Option<&'a CStr>,
    /// Working directories to try when `cwd` is not given; none entered is no error.
    pub cwd_candidates: &'a [CString],
    /// Credentials the program runs as (set after everything else but stdio).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Raise the permitted capabilities into the ambient set after the credentials.
    pub keep_caps: bool,
    /// The new root's filesystem operations (a sandbox), applied before `proc_mount`.
    pub fs: &'a [crate::spawn::sandbox::Step],
    /// The bounding set (bits), dropped to this before the credentials change.
    pub bounding: Option<u64>,
    /// Exactly these capabilities (bits): permitted, effective, inheritable and ambient.
    pub capabilities: Option<u64>,
    /// `setsid(2)`.
    pub new_session: bool,
    /// Bring up `lo` in the (new) network namespace.
    pub loopback_up: bool,
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    pub no_new_privs: bool,
    /// bwrap's `--disable-userns`: `user.max_user_namespaces` = 1, then a nested user
    /// namespace of the process's own ids after the credentials.
    pub disable_userns: bool,
    /// bwrap's `--assert-userns-disabled` (implied by `disable_userns`): a user namespace
    /// must not be creatable.
    pub assert_userns_disabled: bool,
    /// Wait for a byte or end-of-file on each of these before the seccomp programs.
    pub block: &'a [OwnedFd],
    /// Seccomp programs installed last, just before `execve`.
    pub seccomp: &'a [crate::spawn::sandbox::SeccompProgram],
    /// Descriptors for 0, 1, 2 (`None`: inherit).
    pub stdio: [Option<BorrowedFd<'a>>; 3],
    /// Paths to try, in order (one for a program with a slash, `$PATH` entries otherwise).
    pub exec_paths: &'a [&'a CStr],
    /// Null-terminated `argv` and `envp`, pointing into strings the parent keeps alive.
    pub argv: &'a [*const c_char],
    pub envp: &'a [*const c_char],
    /// Per candidate path, the null-terminated `argv` of `/bin/sh PATH ARGS…`, run when the
    /// kernel answers `ENOEXEC` (a script without `#!`), as execvp(3) does.
    pub script_argv: &'a [Vec<*const c_char>],
    /// The signal mask the program starts with.
    pub exec_mask: SigMask,
}

/// Everything a spawned child needs, prepared (and kept alive) by the parent.
#[derive(Debug)]
pub(crate) struct ChildPlan<'a> {
    /// How to create processes (decided by the parent with [`clone_api`]).
    pub api: CloneApi,
    /// Write end of the report pipe (close-on-exec), for the final process only.
    pub report: BorrowedFd<'a>,
    /// The intermediate's end of the stage socket: present exactly for a two-stage spawn
    /// (joins, then a new process).
    pub stage: Option<BorrowedFd<'a>>,
    /// Read end of the go pipe: the final process waits for a byte (the parent wrote the id
    /// maps, persisted, placed it in its cgroup) before anything that needs them.
    pub go: Option<BorrowedFd<'a>>,
    /// The parent's ends of the channels, closed first thing in the child so that it sees
    /// end-of-file when the parent dies.
    pub parent_ends: [Option<BorrowedFd<'a>>; 3],
    /// New namespaces for the final process.
    pub new: KindSet,
    /// `CLONE_INTO_CGROUP` target (with [`CloneApi::Clone3`] only).
    pub cgroup: Option<BorrowedFd<'a>>,
    /// The parent places the process in its cgroup (`cgroup.procs`, with
    /// [`CloneApi::Clone`]): a new cgroup namespace is then made by the process itself after
    /// the go byte, so that it is rooted at that cgroup.
    pub cgroup_by_parent: bool,
    /// Namespaces to join before creating new ones, in the join plan's order.
    pub joins: &'a [Join<'a>],
    /// `PR_SET_PDEATHSIG` signal, and a pidfd of the parent to close the race with its death.
    pub parent_death: Option<(rustix::process::Signal, BorrowedFd<'a>)>,
    /// uid and gid the intermediate becomes before creating the final process, so that
    /// they own its new user namespace (two-stage only).
    pub owner: Option<(u32, u32)>,
    /// The id maps the final process writes for itself, in order: `setgroups`, `uid_map`,
    /// `gid_map` (one line of its own ids each: user_namespaces(7)).
    pub own_maps: Option<[Option<&'a [u8]>; 3]>,
    pub setup: Setup<'a>,
}

impl ChildPlan<'_> {
    /// The `CLONE_NEW*` flags the final process is created with: less a new time namespace
    /// that the process makes itself, and less a cgroup namespace it must make after the
    /// parent placed it.
    fn clone_flags(&self) -> u64 {
        let mut new = self.new;
        if self.setup.time_offsets.is_some() {
            new.remove(Kind::Time);
        }
        if self.cgroup_by_parent {
            new.remove(Kind::Cgroup);
        }
        u64::from(new.bits())
    }

    /// Whether the final process makes its cgroup namespace itself after the go byte.
    fn deferred_cgroup_ns(&self) -> bool {
        self.cgroup_by_parent && self.new.contains(Kind::Cgroup)
    }
}

/// Creates the child described by `plan`, fork-like (no `CLONE_VM`: a `posix_spawn`-style
/// shared-memory clone measured no faster here, and a process sharing memory cannot enter a
/// time namespace). The parent must have blocked all signals ([`block_all_signals`]).
///
/// Returns the pid and pidfd of the process the kernel created: the final process, or (for a
/// two-stage spawn) the intermediate, which hands the final one over on the stage socket.
pub(crate) fn spawn(plan: &ChildPlan<'_>) -> Result<(Pid, OwnedFd)> {
    let flags = if plan.stage.is_some() {
        0
    } else {
        plan.clone_flags()
    };
    match clone_process(plan.api, flags, plan.cgroup)? {
        None => child_main(plan),
        Some(created) => Ok(created),
    }
}

/// Creates a process with `CLONE_PIDFD | flags`; `None` in the new process.
fn clone_process(
    api: CloneApi,
    flags: u64,
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Option<(Pid, OwnedFd)>> {
    let mut pidfd: i32 = -1;
    let exit_signal = if flags & CLONE_PARENT != 0 {
        0
    } else {
        SIGCHLD
    };
    let ret = match api {
        CloneApi::Clone3 => {
            let mut args = CloneArgs {
                flags: flags | CLONE_PIDFD,
                pidfd: std::ptr::from_mut(&mut pidfd) as u64,
                exit_signal,
                ..CloneArgs::default()
            };
            if let Some(cg) = cgroup {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = u64::from(cg.as_raw_fd().unsigned_abs());
            }
            // SAFETY: `args` is a valid, initialised `struct clone_args` of the size passed,
            // and its `pidfd` field points to a live i32. Without CLONE_VM/CLONE_SETTLS/stack
            // the child runs on a private copy of the caller's memory, exactly as after
            // fork(); the only code it runs is `child_main`, which is async-signal-safe (see
            // the module docs) and never returns into the caller's frames.
            unsafe {
                libc::syscall(
                    libc::SYS_clone3,
                    std::ptr::from_ref(&args),
                    size_of::<CloneArgs>(),
                )
            }
        }
        CloneApi::Clone => {
            let flags = flags | CLONE_PIDFD | exit_signal;
            let ptid = std::ptr::from_mut(&mut pidfd);
            // SAFETY: as for clone3 above: no CLONE_VM, no stack (0: the child continues on
            // its copy of this one, like fork), no TLS or child tid (0); the kernel stores
            // the pidfd through `ptid`, a live i32 (CLONE_PIDFD uses the parent_tid slot).
            // The argument order differs between architectures only in the last two,
            // which are both 0 here (s390x swaps the first two).
            #[cfg(not(target_arch = "s390x"))]
            let ret =
                unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, ptid, 0usize, 0usize) };
            // SAFETY: as above, in s390x's argument order.
            #[cfg(target_arch = "s390x")]
            let ret =
                unsafe { libc::syscall(libc::SYS_clone, 0usize, flags, ptid, 0usize, 0usize) };
            ret
        }
    };
    match ret {
        r if r < 0 => Err(Errno::from_raw_os_error(errno())),
        0 => Ok(None),
        pid => {
            // SAFETY: the clone succeeded with CLONE_PIDFD, so the kernel stored a new pidfd
            // (close-on-exec) in `pidfd`; nothing else owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(pidfd) };
            let pid = i32::try_from(pid).ok().and_then(Pid::from_raw);
            Ok(Some((pid.ok_or(Errno::SRCH)?, fd)))
        }
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn exit(code: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and ends the process without running atexit
    // handlers or destructors, which belong to the parent's copy of this memory.
    unsafe { libc::_exit(code) }
}

/// The exit status for a failed step: 127 for a missing program, 126 for one that cannot
/// run, and 125 for any other set-up failure (as `env`, `nsenter` and shells do).
fn exit_code(step: Step, err: Errno) -> i32 {
    match (step, err) {
        (Step::Exec, Errno::NOENT | Errno::NOTDIR) => 127,
        (Step::Exec, _) => 126,
        _ => 125,
    }
}

/// Ends the final process: reports `step`/`err` (best effort) and exits.
fn fail(plan: &ChildPlan<'_>, step: Step, err: Errno, index: u32) -> ! {
    let _ = rustix::io::write(plan.report, &encode(step, err.raw_os_error(), index));
    exit(exit_code(step, err))
}

/// Sends one stage record (`pidfd` attached for a handover).
fn send_stage(
    stage: BorrowedFd<'_>,
    report: [u8; REPORT_LEN],
    pid: i32,
    pidfd: Option<BorrowedFd<'_>>,
) -> Result<()> {
    let mut msg = [0u8; STAGE_LEN];
    let (head, tail) = msg.split_at_mut(REPORT_LEN);
    head.copy_from_slice(&report);
    tail.copy_from_slice(&pid.to_ne_bytes());
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds;
    if let Some(fd) = pidfd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(Errno::NOBUFS);
        }
    }
    loop {
        match rustix::net::sendmsg(
            stage,
            &[IoSlice::new(&msg)],
            &mut control,
            SendFlags::NOSIGNAL,
        ) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The child after the clone. Async-signal-safe only (module docs); never returns.
fn child_main(plan: &ChildPlan<'_>) -> ! {
    for fd in plan.parent_ends.into_iter().flatten() {
        // SAFETY: these are this process's copies (made by the clone) of the parent's
        // channel ends; nothing in the child uses or owns them, and closing them is what
        // lets the child see end-of-file if the parent dies.
        unsafe { rustix::io::close(fd.as_raw_fd()) };
    }
    default_caught_signals();
    let Some(stage) = plan.stage else {
        if let Err((i, e)) = join_all(plan.joins) {
            fail(plan, Step::Join, e, index(i));
        }
        final_process(plan)
    };
    // Two-stage: join first (their owners grant the privilege), then create the final
    // process as the caller's child (CLONE_PARENT), and hand its pidfd over.
    let stage_fail = |step: Step, e: Errno, i: u32, pid: i32| -> ! {
        let _ = send_stage(stage, encode(step, e.raw_os_error(), i), pid, None);
        exit(125)
    };
    if let Err((i, e)) = join_all(plan.joins) {
        stage_fail(Step::Join, e, index(i), 0);
    }
    if let Some((uid, gid)) = plan.owner {
        if let Err(e) = set_credentials(uid, gid) {
            stage_fail(Step::Owner, e, 0, 0);
        }
    }
    match clone_process(plan.api, CLONE_PARENT | plan.clone_flags(), plan.cgroup) {
        Ok(None) => {
            // SAFETY: this process's copy of the intermediate's stage socket; the final
            // process never uses it, and holding it would keep the parent from seeing
            // end-of-file should the intermediate die before its record.
            unsafe { rustix::io::close(stage.as_raw_fd()) };
            final_process(plan)
        }
        Ok(Some((pid, pidfd))) => {
            let pid = pid.as_raw_nonzero().get();
            let ok = encode(Step::Handover, 0, 0);
            if let Err(e) = send_stage(stage, ok, pid, Some(pidfd.as_fd())) {
                // The parent cannot get the pidfd: end the final process; the parent reaps
                // it by pid (an unreaped child's pid cannot be reused).
                let _ = rustix::process::pidfd_send_signal(&pidfd, rustix::process::Signal::KILL);
                stage_fail(Step::Handover, e, 0, pid);
            }
            exit(0)
        }
        Err(e) => stage_fail(Step::Clone, e, 0, 0),
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Sets every signal that has a handler (the caller's, copied by the clone) back to
/// `SIG_DFL`, and `SIGPIPE` too (Rust ignores it at start-up, and an ignored disposition
/// survives `execve`). Other ignored signals stay ignored, as with `posix_spawn`.
/// Async-signal-safe. glibc's own internal signals (32, 33), which its `sigaction` refuses
/// to touch and which glibc's `posix_spawn` leaves *ignored* in the processes it starts, are
/// set to `SIG_DFL` with the raw system call: they are no choice of the caller's.
fn default_caught_signals() {
    for sig in [32usize, 33] {
        // An all-zero kernel `struct sigaction` is SIG_DFL, no flags, empty mask, whatever
        // the architecture's field order.
        let dfl = [0u64; 4];
        // SAFETY: rt_sigaction reads a kernel sigaction (32 bytes here, at least the size of
        // the kernel's on every Linux architecture) for `sig` and writes nothing (null old
        // action); 8 is the kernel's sigset size. It is async-signal-safe.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                dfl.as_ptr(),
                std::ptr::null::<u64>(),
                8usize,
            )
        };
    }
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        let mut old = MaybeUninit::<libc::sigaction>::uninit();
        // SAFETY: querying (null new action) writes the current action into `old` on
        // success; sigaction is async-signal-safe.
        if unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) } != 0 {
            continue;
        }
        // SAFETY: sigaction succeeded and initialised `old`.
        let handler = unsafe { old.assume_init() }.sa_sigaction;
        let caught = handler != libc::SIG_DFL && handler != libc::SIG_IGN;
        if caught || (sig == libc::SIGPIPE && handler == libc::SIG_IGN) {
            // SAFETY: installing SIG_DFL runs no code of ours; signal() is
            // async-signal-safe.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
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
    if let Some(texts) = plan.own_maps {
        let files = [
            c"/proc/self/setgroups",
            c"/proc/self/uid_map",
            c"/proc/self/gid_map",
        ];
        // The index names the file in the report (0 setgroups, 1 uid_map, 2 gid_map).
        for ((file, text), index) in files.into_iter().zip(texts).zip(0u32..) {
            if let Some(text) = text {
                if let Err(e) = write_file(file, text) {
                    fail(plan, Step::Maps, e, index);
                }
            }
        }
    }
    if let Some(go) = plan.go {
        let mut byte = [0u8; 1];
        loop {
            match rustix::io::read(go, &mut byte) {
                Ok(1) => break,
                // The parent gave up (or died) without finishing its part: stop quietly.
                Ok(_) => exit(125),
                Err(Errno::INTR) => {}
                Err(e) => fail(plan, Step::WaitForParent, e, 0),
            }
        }
    }
    if plan.deferred_cgroup_ns() {
        if let Err(e) = super::unshare(Kind::Cgroup.clone_flag()) {
            fail(plan, Step::CgroupNamespace, e, 0);
        }
    }
    if let Err((step, e, index)) = setup(&plan.setup) {
        fail(plan, step, e, index);
    }
    let (err, index) = exec(&plan.setup);
    fail(plan, Step::Exec, err, index)
}

/// A failed step, its errno and the index of the failed item (a sandbox operation).
type Failure = (Step, Errno, u32);

/// Tags a step's error with the step.
fn at<T>(step: Step, r: Result<T>) -> std::result::Result<T, Failure> {
    r.map_err(|e| (step, e, 0))
}

/// The set-up between the namespaces and `execve`, in order: time namespace, hostname and
/// domain name, mount propagation, new root, proc, working directory, standard streams.
/// Async-signal-safe (module docs).
fn setup(plan: &Setup<'_>) -> std::result::Result<(), Failure> {
    if plan.disable_userns {
        // While the host's /proc is still reachable (before a new root); the file is the
        // new user namespace's own limit, written with its CAP_SYS_RESOURCE.
        write_file(c"/proc/sys/user/max_user_namespaces", b"1")
            .map_err(|e| (Step::DisableUserNamespaces, e, 0))?;
    }
    if let Some(offsets) = plan.time_offsets {
        set_time_offsets(offsets)?;
    }
    if let Some(name) = plan.hostname {
        at(Step::Hostname, rustix::system::sethostname(name))?;
    }
    if let Some(name) = plan.domainname {
        at(Step::Domainname, rustix::system::setdomainname(name))?;
    }
    if plan.loopback_up {
        at(Step::Loopback, crate::spawn::sandbox::loopback_up())?;
    }
    if let Some(flags) = plan.propagation {
        at(
            Step::Propagation,
            rustix::mount::mount_change(c"/", flags | MountPropagationFlags::REC),
        )?;
    }
    if let Some((mount, register)) = plan.binfmt_early {
        at(Step::MountBinfmt, mount_binfmt(mount))?;
        if let Some((_, spec)) = plan.binfmt_register {
            at(Step::RegisterBinfmt, write_file(register, spec))?;
        }
    }
    if !plan.fs.is_empty() {
        crate::spawn::sandbox::build_root(plan.fs).map_err(|(step, (i, e))| (step, e, i))?;
        if let Some(target) = plan.proc_mount {
            at(Step::MountProc, mount_proc(relative(target)))?;
        }
        if let Some(target) = plan.binfmt_mount {
            at(Step::MountBinfmt, mount_binfmt(relative(target)))?;
        }
        crate::spawn::sandbox::pivot().map_err(|(step, e)| (step, e, 0))?;
    } else if let Some(root) = plan.root {
        pivot_into(root, plan.proc_mount, plan.binfmt_mount)?;
    } else {
        if let Some(target) = plan.proc_mount {
            at(Step::MountProc, mount_proc(target))?;
        }
        if let Some(target) = plan.binfmt_mount {
            at(Step::MountBinfmt, mount_binfmt(target))?;
        }
    }
    if let (Some((register, spec)), None) = (plan.binfmt_register, plan.binfmt_early) {
        at(Step::RegisterBinfmt, write_file(register, spec))?;
    }
    if let Some(dir) = plan.cwd {
        at(Step::Cwd, rustix::process::chdir(dir))?;
    } else {
        for dir in plan.cwd_candidates {
            if rustix::process::chdir(dir.as_c_str()).is_ok() {
                break;
            }
        }
    }
    if let Some(bounding) = plan.bounding {
        at(Step::Capabilities, drop_bounding(bounding))?;
    }
    if let Some(caps) = plan.capabilities {
        if caps != 0 && plan.uid.is_some_and(|u| u != 0) {
            at(
                Step::Capabilities,
                rustix::thread::set_keep_capabilities(true),
            )?;
        }
    }
    if let Some(gid) = plan.gid {
        // Supplementary groups go where the namespace allows it (not after "deny").
        match rustix::thread::set_thread_groups(&[]) {
            Ok(()) | Err(Errno::PERM) => {}
            Err(e) => return Err((Step::Credentials, e, 0)),
        }
        let g = rustix::process::Gid::from_raw(gid);
        at(
            Step::Credentials,
            rustix::thread::set_thread_res_gid(g, g, g),
        )?;
    }
    if let Some(uid) = plan.uid {
        let u = rustix::process::Uid::from_raw(uid);
        at(
            Step::Credentials,
            rustix::thread::set_thread_res_uid(u, u, u),
        )?;
    }
    if plan.disable_userns {
        nested_user_namespace()?;
        // A new user namespace gives its creator a full bounding set again.
        if let Some(bounding) = plan.bounding {
            at(Step::Capabilities, drop_bounding(bounding))?;
        }
    }
    // The check's failure has no errno (the kernel refused nothing): EEXIST on the wire.
    if (plan.disable_userns || plan.assert_userns_disabled)
        && super::unshare(Kind::User.clone_flag()).is_ok()
    {
        return Err((Step::AssertUserNamespacesDisabled, Errno::EXIST, 0));
    }
    if let Some(caps) = plan.capabilities {
        at(Step::Capabilities, limit_capabilities(caps))?;
    }
    if plan.keep_caps {
        at(Step::KeepCapabilities, keep_capabilities())?;
    }
    if plan.new_session {
        at(Step::Session, rustix::process::setsid().map(drop))?;
    }
    if plan.no_new_privs {
        at(Step::NoNewPrivs, rustix::thread::set_no_new_privs(true))?;
    }
    at(Step::Stdio, setup_stdio(plan))?;
    for fd in plan.block {
        at(Step::Block, block_on(fd.as_fd()))?;
    }
    for (i, program) in plan.seccomp.iter().enumerate() {
        super::install_seccomp(&program.0).map_err(|e| (Step::Seccomp, e, index(i)))?;
    }
    Ok(())
}

/// The nested user namespace of [`Setup::disable_userns`]: it uses up the limit of 1 set in
/// the sandbox's user namespace, which the program then cannot raise. Maps the process's
/// current uid and gid onto themselves (one line each of its own ids, as the kernel lets
/// it write: user_namespaces(7)).
fn nested_user_namespace() -> std::result::Result<(), Failure> {
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    let step = |i: u32| move |e| (Step::DisableUserNamespaces, e, i);
    super::unshare(Kind::User.clone_flag()).map_err(step(1))?;
    write_file(c"/proc/self/setgroups", b"deny").map_err(step(2))?;
    let mut line = [0u8; 40];
    write_file(c"/proc/self/uid_map", identity_line(&mut line, uid)).map_err(step(3))?;
    write_file(c"/proc/self/gid_map", identity_line(&mut line, gid)).map_err(step(4))?;
    Ok(())
}

/// `"ID ID 1\n"` in `buf`, without allocating (the child may not).
fn identity_line(buf: &mut [u8; 40], id: u32) -> &[u8] {
    let mut digits = [0u8; 10];
    let mut n = id;
    let mut len = 0;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut at = 0;
    let mut put = |b: u8| {
        if let Some(slot) = buf.get_mut(at) {
            *slot = b;
        }
        at += 1;
    };
    for _ in 0..2 {
        for i in (0..len).rev() {
            put(digits.get(i).copied().unwrap_or(b'0'));
        }
        put(b' ');
    }
    put(b'1');
    put(b'\n');
    buf.get(..at).unwrap_or_default()
}

/// Waits until `fd` has a byte to read or is at end-of-file (bwrap's `--block-fd`).
pub(crate) fn block_on(fd: BorrowedFd<'_>) -> Result<()> {
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(fd, &mut byte) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Drops from the bounding set every capability not in `keep` (bits, capabilities(7)).
fn drop_bounding(keep: u64) -> Result<()> {
    use rustix::thread::CapabilitySet;
    for bit in 0..64 {
        if keep & (1 << bit) != 0 {
            continue;
        }
        match rustix::thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(
            1 << bit,
        )) {
            Ok(()) => {}
            // Past the kernel's last capability (they are numbered without gaps).
            Err(Errno::INVAL) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The permitted, effective, inheritable and ambient sets become `keep` (as far as
/// permitted), so that they survive `execve` whatever the program's uid (capabilities(7)).
fn limit_capabilities(keep: u64) -> Result<()> {
    use rustix::thread::CapabilitySet;
    let _ = rustix::thread::set_keep_capabilities(false);
    let mut sets = rustix::thread::capabilities(None)?;
    let kept = sets.permitted & CapabilitySet::from_bits_retain(keep);
    sets.permitted = kept;
    sets.effective = kept;
    // Ambient capabilities must be inheritable.
    sets.inheritable = kept;
    rustix::thread::set_capabilities(None, sets)?;
    {
        for bit in 0..64 {
            let cap = CapabilitySet::from_bits_retain(1 << bit);
            if kept.contains(cap) {
                rustix::thread::configure_capability_in_ambient_set(cap, true)?;
            }
        }
    }
    Ok(())
}

/// `mount -t proc proc TARGET` (nosuid, nodev, noexec).
fn mount_proc(target: &CStr) -> Result<()> {
    mount_fresh(c"proc", target)
}

/// `mount -t FS FS TARGET`, nosuid, nodev, noexec: a new instance of a pseudo file system.
fn mount_fresh(fs: &CStr, target: &CStr) -> Result<()> {
    rustix::mount::mount(
        fs,
        target,
        fs,
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    )
}

/// `path` without its leading slashes (`.` for `/`): the same place, from the new root as the
/// working directory. No allocation.
fn relative(path: &CStr) -> &CStr {
    let bytes = path.to_bytes_with_nul();
    let skip = bytes.iter().take_while(|&&b| b == b'/').count();
    match bytes.get(skip..).map(CStr::from_bytes_with_nul) {
        Some(Ok(rest)) if !rest.is_empty() => rest,
        _ => c".",
    }
}

/// `mount -t binfmt_misc binfmt_misc TARGET` (nosuid, nodev, noexec, as unshare mounts it).
fn mount_binfmt(target: &CStr) -> Result<()> {
    mount_fresh(c"binfmt_misc", target)
}

/// Writes `bytes` to the existing file `path` in one `write(2)` (binfmt_misc's `register`
/// takes a whole format per write).
fn write_file(path: &CStr, bytes: &[u8]) -> Result<()> {
    let fd = rustix::fs::open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    loop {
        match rustix::io::write(&fd, bytes) {
            Ok(n) if n == bytes.len() => return Ok(()),
            Ok(_) => return Err(Errno::IO),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Drops supplementary groups and becomes `uid`:`gid` (real, effective and saved).
fn set_credentials(uid: u32, gid: u32) -> Result<()> {
    rustix::thread::set_thread_groups(&[])?;
    let g = rustix::process::Gid::from_raw(gid);
    rustix::thread::set_thread_res_gid(g, g, g)?;
    let u = rustix::process::Uid::from_raw(uid);
    rustix::thread::set_thread_res_uid(u, u, u)
}

/// `unshare --keep-caps`/`nsenter --keep-caps`: the permitted capabilities become
/// inheritable and ambient, so that they survive `execve` for a program that is not uid 0
/// (capabilities(7)). Async-signal-safe (system calls only).
pub(crate) fn keep_capabilities() -> Result<()> {
    use rustix::thread::CapabilitySet;
    let mut sets = rustix::thread::capabilities(None)?;
    sets.inheritable = sets.permitted;
    rustix::thread::set_capabilities(None, sets)?;
    for bit in 0..64 {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        if sets.permitted.contains(cap) {
            rustix::thread::configure_capability_in_ambient_set(cap, true)?;
        }
    }
    Ok(())
}

/// pivot_root needs a mount point: bind the directory onto itself. Then the "."/"." dance:
/// the old root ends up stacked under the new one and is detached.
///
/// A fresh proc and binfmt_misc (`proc`, `binfmt`: paths inside the new root) are mounted
/// before the pivot, from inside the new root: in a user namespace the kernel mounts proc only
/// while another proc is fully visible in the mount namespace (`mount_too_revealing`), which
/// the old root's is until it is detached; and a binfmt_misc registered before the pivot
/// (`F` formats) lives only as long as one of its mounts does.
fn pivot_into(
    root: &CStr,
    proc: Option<&CStr>,
    binfmt: Option<&CStr>,
) -> std::result::Result<(), Failure> {
    at(
        Step::RootBind,
        rustix::mount::mount_bind_recursive(root, root),
    )?;
    at(Step::RootChdir, rustix::process::chdir(root))?;
    if let Some(target) = proc {
        at(Step::MountProc, mount_proc(relative(target)))?;
    }
    if let Some(target) = binfmt {
        at(Step::MountBinfmt, mount_binfmt(relative(target)))?;
    }
    at(Step::PivotRoot, rustix::process::pivot_root(c".", c"."))?;
    at(
        Step::DetachOldRoot,
        rustix::mount::unmount(c".", UnmountFlags::DETACH),
    )?;
    at(Step::RootChdir, rustix::process::chdir(c"/"))
}

/// A new time namespace with `offsets` for the calling (single-threaded, unshared-memory)
/// process: offsets can be written only before any process is in it, so it is created for
/// children, given its offsets, then entered.
fn set_time_offsets(offsets: &[u8]) -> std::result::Result<(), Failure> {
    at(Step::TimeNamespace, super::unshare(Kind::Time.clone_flag()))?;
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
            Ok(_) => return Err((Step::TimeOffsets, Errno::IO, 0)),
            Err(e) => return Err((Step::TimeOffsets, e, 0)),
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
    at(
        Step::TimeEnter,
        super::setns(ns.as_fd(), Kind::Time.clone_flag()),
    )
}

/// Runs the set-up and `execve` in the calling process itself, for a caller that is about
/// to be replaced by the program (`Command::exec_replacing_current_process`): the same steps
/// a child runs after its namespaces exist. Returns only on failure.
pub(crate) fn exec_in_place(plan: &Setup<'_>) -> Report {
    default_caught_signals();
    let (step, errno, index) = match setup(plan) {
        Err((step, e, index)) => (step, e, index),
        Ok(()) => {
            let (e, i) = exec(plan);
            (Step::Exec, e, i)
        }
    };
    Report { step, errno, index }
}

fn setup_stdio(plan: &Setup<'_>) -> Result<()> {
    use rustix::io::{FdFlags, fcntl_dupfd_cloexec, fcntl_setfd};
    // A source that sits on another standard fd would be overwritten by an earlier dup2:
    // move such sources above 2 first.
    let mut moved: [Option<OwnedFd>; 3] = [None, None, None];
    for (target, (src, slot)) in plan.stdio.iter().zip(moved.iter_mut()).enumerate() {
        if let Some(fd) = *src {
            let raw = fd.as_raw_fd();
            if (0..3).contains(&raw) && usize::try_from(raw).ok() != Some(target) {
                *slot = Some(fcntl_dupfd_cloexec(fd, 3)?);
            }
        }
    }
    for (target, (src, moved)) in plan.stdio.iter().zip(moved.iter()).enumerate() {
        let Some(fd) = moved.as_ref().map(AsFd::as_fd).or(*src) else {
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

/// Restores the program's signal mask, then tries each candidate path as `execvp` does: a
/// missing file moves on to the next, a permission error is remembered, anything else
/// stops. Returns the error that matters and the index of its candidate (it returns at all
/// only when every candidate failed).
fn exec(plan: &Setup<'_>) -> (Errno, u32) {
    set_signal_mask(&plan.exec_mask);
    let mut saved: Option<(Errno, u32)> = None;
    for (i, path) in plan.exec_paths.iter().enumerate() {
        let err = execve(path, plan.argv, plan.envp);
        if err == Errno::NOEXEC {
            // A file the kernel does not know how to run: the shell runs it (execvp(3),
            // nsenter and unshare do the same). Its failure is the file's ENOEXEC.
            if let Some(script) = plan.script_argv.get(i) {
                let _ = execve(SHELL, script, plan.envp);
            }
            return (err, index(i));
        }
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

/// The shell that runs a file without `#!` (execvp(3)'s `_PATH_BSHELL`).
pub(crate) const SHELL: &CStr = c"/bin/sh";

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

/// Whether the process ignores `sig` (`SIG_IGN`, as under nohup(1) or in a background job).
pub(crate) fn is_ignored(sig: i32) -> bool {
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: querying (null new action) writes the current action into `old` on success.
    if unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: sigaction succeeded and initialised `old`.
    unsafe { old.assume_init() }.sa_sigaction == libc::SIG_IGN
}

/// Blocks `signals` for the calling thread and returns a close-on-exec `signalfd` that
/// reads them, plus the previous mask to restore.
pub(crate) fn block_signals(signals: &[i32]) -> Result<(OwnedFd, SigMask)> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
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
        set_signal_mask(&old);
        return Err(Errno::from_raw_os_error(e));
    }
    // SAFETY: signalfd returned a new descriptor that nothing else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(fd) }, old))
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
        let word: [u8; 4] = buf
            .get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .ok_or(Errno::IO)?;
        Ok(i32::from_ne_bytes(word))
    };
    Ok((field(0)?, field(8)? == SI_KERNEL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_and_unknown_steps_are_refused() {
        let bytes = encode(Step::PivotRoot, Errno::INVAL.raw_os_error(), 3);
        let r = failure(&bytes).unwrap();
        assert_eq!(
            (r.step, r.errno, r.index),
            (Step::PivotRoot, Errno::INVAL, 3)
        );
        assert!(
            failure(&encode(Step::Handover, 0, 0)).is_none(),
            "a handover is no failure"
        );
        let mut bad = bytes;
        bad[..4].copy_from_slice(&999u32.to_ne_bytes());
        assert!(decode(&bad).is_none());
        assert!(decode(&bytes[..8]).is_none());
    }

    #[test]
    fn clone3_is_found_usable_here() {
        // This machine's kernel has clone3 and no filter is installed on test threads.
        assert_eq!(clone_api(), CloneApi::Clone3);
    }
}
