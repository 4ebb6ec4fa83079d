//! Entering (`setns(2)`) and creating (`unshare(2)`) namespaces.
//!
//! Namespaces belong to **threads**. Every function here whose name ends in
//! `_current_thread` changes the namespaces of the thread that calls it, and leaves them
//! changed. That is what you want in a thread you own and will discard, or in a
//! single-threaded program that is about to `exec`. It is what you do not want on a thread
//! of a pool (tokio's, rayon's, a web server's), which will later run unrelated code in the
//! wrong namespace. [`Namespace::new`] creates a namespace without touching the caller.

use std::os::fd::{AsFd, BorrowedFd};

use rustix::io::Errno as RErrno;
use rustix::thread::ThreadNameSpaceType;

use crate::error::{Errno, Error, Op, Reason, Result, Target};
use crate::kind::{Kind, KindSet};
use crate::namespace::Namespace;
use crate::process::Process;
use crate::sys;

/// `CLONE_FS` from linux/sched.h.
const CLONE_FS: u32 = 0x0000_0200;

thread_local! {
    /// Set whenever an lxns function changes (or tries to change) this thread's namespaces,
    /// so helper threads that ran user code know they must re-verify themselves.
    static MUTATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub(crate) fn mark_mutated() {
    MUTATED.with(|m| m.set(true));
}

/// Whether lxns ever changed this thread's namespaces (since the last [`take_mutated`]),
/// without clearing the mark.
pub(crate) fn was_mutated() -> bool {
    MUTATED.with(std::cell::Cell::get)
}

/// Whether lxns changed this thread's namespaces since the last call; clears the mark.
pub(crate) fn take_mutated() -> bool {
    MUTATED.with(|m| m.replace(false))
}

impl Namespace {
    /// Moves the **calling thread** into this namespace (`setns(2)` with the kind checked by
    /// the kernel too).
    ///
    /// The thread stays there. To run code in a namespace without changing any thread of
    /// yours, do it on a thread you create for the purpose and then let end.
    /// For a mount namespace the thread first stops sharing its filesystem attributes (cwd,
    /// root, umask) with the other threads (`unshare(CLONE_FS)`), as the kernel requires.
    /// [`Kind::Pid`] and [`Kind::Time`] only change the namespace of children created
    /// afterwards.
    ///
    /// ```no_run
    /// use lxns::{Kind, Namespace};
    /// let target = Namespace::open_as("/run/netns/blue", Kind::Net)?;
    /// std::thread::spawn(move || -> lxns::Result<()> {
    ///     target.enter_current_thread()?;
    ///     // ... this thread now sees blue's interfaces; it ends here.
    ///     Ok(())
    /// }).join().expect("thread panicked")?;
    /// # Ok::<(), lxns::Error>(())
    /// ```
    ///
    /// # Errors
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) (`EPERM`) without `CAP_SYS_ADMIN` in the namespace's
    ///    owning user namespace (named in the error) and in the caller's.
    ///  - [`Reason::MultiThreaded`](crate::Reason::MultiThreaded) (`EINVAL`) for a user namespace when the process has
    ///    more than one thread, and (`EUSERS`) for a time namespace likewise.
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) (`EINVAL`) for the user namespace the caller is
    ///    already in.
    ///
    /// # References
    ///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
    #[doc(alias = "setns")]
    pub fn enter_current_thread(&self) -> Result<()> {
        mark_mutated();
        let kind = self.kind();
        if kind == Kind::Mnt {
            sys::unshare(CLONE_FS).map_err(|e| {
                Error::os(
                    Op::Setns,
                    Some(kind),
                    Target::Namespace(self.id()),
                    e.into(),
                )
            })?;
        }
        rustix::thread::move_into_link_name_space(self.as_fd(), Some(link_type(kind)))
            .map_err(|e| setns_error(e, Some(self), kind, Target::Namespace(self.id())))
    }

    /// Creates a new namespace of `kind` with the **calling thread** in it
    /// (`unshare(2)`), and returns a handle on it.
    ///
    /// For [`Kind::Time`] the handle is the new `time_for_children` namespace. For
    /// [`Kind::Pid`] there is none to return until a child exists: that is refused before
    /// anything changes; use [`unshare_current_thread`] and create the child.
    ///
    /// # Errors
    /// As for [`unshare_current_thread`]; [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for [`Kind::Pid`],
    /// refused before anything changes (a new pid namespace has no handle before its first
    /// process: use [`unshare_current_thread`], then create the child).
    #[doc(alias = "unshare")]
    pub fn unshare_current_thread(kind: Kind) -> Result<Namespace> {
        if kind == Kind::Pid {
            return Err(Error::invalid_argument(
                Op::Unshare,
                Target::CurrentThread,
                "a new pid namespace has no handle before its first process; call \
                         lxns::unshare_current_thread(Kind::Pid) and create the child, or \
                         spawn with Command::unshare(Kind::Pid)"
                    .into(),
            ));
        }
        unshare_current_thread(kind)?;
        Namespace::current_for_children(kind)
    }

    /// Creates a new namespace of `kind` and returns a handle on it **without** changing
    /// any of the caller's threads: the `unshare(2)` happens on a short-lived helper thread
    /// that ends right after. Useful for a scratch network namespace, a private IPC or UTS
    /// namespace to hand to a child, or a test fixture.
    ///
    /// The new namespace is owned by the caller's user namespace. The creating thread is
    /// gone, so the namespace lives exactly as long as the handle (and whatever joins it).
    ///
    /// ```no_run
    /// use lxns::{Kind, Namespace};
    /// let scratch = Namespace::new(Kind::Net)?;
    /// assert_ne!(scratch, Namespace::current(Kind::Net)?); // we did not move
    /// # Ok::<(), lxns::Error>(())
    /// ```
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for [`Kind::User`] (the kernel refuses a user
    ///    namespace to a multithreaded process, and the helper thread makes the process
    ///    multithreaded) and [`Kind::Pid`] (it has no handle before its first process).
    ///  - As for [`unshare_current_thread`] otherwise.
    pub fn new(kind: Kind) -> Result<Namespace> {
        if matches!(kind, Kind::User | Kind::Pid) {
            return Err(Error::invalid_argument(
                Op::Unshare,
                Target::None,
                format!(
                    "a new {kind} namespace cannot be made on a helper thread: {}; create it \
                     with a new process instead",
                    if kind == Kind::User {
                        "the kernel refuses user namespaces to multithreaded processes"
                    } else {
                        "a pid namespace has no handle before its first process"
                    }
                ),
            ));
        }
        on_helper_thread(move || Namespace::unshare_current_thread(kind))
    }
}

/// Runs `f` on a fresh thread that ends when `f` returns; `f`'s namespace changes die with
/// it: this returns only once the kernel has released the thread (`ThreadExit`).
pub(crate) fn on_helper_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let handle = std::thread::Builder::new()
        .name("lxns-helper".into())
        .spawn(move || (crate::run::ThreadExit::current(), f()))
        .map_err(|e| {
            Error::os(
                Op::SpawnThread,
                None,
                Target::None,
                Errno::from_io(&e).unwrap_or(Errno::from_raw(11)),
            )
        })?;
    match handle.join() {
        Ok((exit, r)) => {
            // Not gone until the kernel released the thread and the namespaces it made.
            exit.wait();
            r
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Moves the **calling thread** into the namespace behind any fd, without validating it
/// first: the kernel's `setns(2)` does the checking. `kind`, when given, must match.
///
/// This is the entry point for fds you did not get from lxns (received over a socket,
/// inherited). Prefer [`Namespace::from_fd`] and [`Namespace::enter_current_thread`], which
/// report a bad fd before anything is attempted.
///
/// # Errors
///  - [`Reason::NotNamespace`](crate::Reason::NotNamespace) with `EINVAL` when `fd` is not a namespace (a regular file, a
///    socket, …) or not of `kind`; the errno stays readable with
///    [`Error::raw_os_error`].
///  - Otherwise as for [`Namespace::enter_current_thread`].
///
/// # References
///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
#[doc(alias = "setns")]
pub fn setns_current_thread(fd: BorrowedFd<'_>, kind: Option<Kind>) -> Result<()> {
    use std::os::fd::AsRawFd;
    mark_mutated();
    let target = Target::Fd(fd.as_raw_fd());
    if kind == Some(Kind::Mnt) {
        sys::unshare(CLONE_FS).map_err(|e| Error::os(Op::Setns, kind, target.clone(), e.into()))?;
    }
    match rustix::thread::move_into_link_name_space(fd, kind.map(link_type)) {
        Ok(()) => Ok(()),
        Err(RErrno::INVAL) => match Namespace::from_fd(fd.try_clone_to_owned().map_err(|e| {
            Error::os(
                Op::Setns,
                kind,
                target.clone(),
                Errno::from_io(&e).unwrap_or(Errno::from_raw(24)),
            )
        })?) {
            Err(e) if matches!(e.reason(), Reason::NotNamespace { .. }) => {
                let found = match e.reason() {
                    Reason::NotNamespace { found } => found.clone(),
                    _ => String::new(),
                };
                Err(Error::not_namespace(
                    Op::Setns,
                    target,
                    found,
                    Some(Errno::from_raw(22)),
                ))
            }
            Err(other) => Err(other),
            Ok(ns) => match kind {
                // setns(2) answered EINVAL: keep it, with the kind that explains it.
                Some(expected) if expected != ns.kind() => Err(Error::wrong_kind(
                    Op::Setns,
                    target,
                    expected,
                    ns.kind(),
                    Some(Errno::from_raw(22)),
                )),
                _ => Err(setns_error(RErrno::INVAL, Some(&ns), ns.kind(), target)),
            },
        },
        Err(e) => Err(setns_error(e, None, kind.unwrap_or(Kind::Net), target)),
    }
}

/// Creates new namespaces of every kind in `kinds` with the **calling thread** in them
/// (`unshare(2)`).
///
/// Safe, unlike `rustix::thread::unshare_unsafe`: a [`KindSet`] holds only `CLONE_NEW*`
/// flags, never `CLONE_FILES` (which would split the fd table under live borrowed fds) or
/// `CLONE_VM`.
///
/// - A user namespace (`Kind::User`) is created first by the kernel; the others are then
///   owned by it, so an unprivileged single-threaded process can create any set that
///   includes `User`.
/// - `Kind::Mnt` also unshares the thread's filesystem attributes. The new mount namespace
///   is a copy whose mounts may still propagate to and from the old one if `/` is shared;
///   remount `/` as `MS_REC|MS_PRIVATE` when that matters (spawning does it for you).
/// - `Kind::Pid` and `Kind::Time` only affect children created afterwards.
///
/// ```no_run
/// // In a single-threaded process, before any thread starts:
/// use lxns::{Kind, unshare_current_thread};
/// unshare_current_thread(Kind::User | Kind::Net)?;
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
///  - [`Reason::MultiThreaded`](crate::Reason::MultiThreaded) (`EINVAL`) when `kinds` contains `User` and the process has
///    more than one thread.
///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) (`EPERM`) without `CAP_SYS_ADMIN` (and no `User` in the
///    set), or when user namespaces are disabled for unprivileged users.
///  - [`Reason::LimitReached`](crate::Reason::LimitReached) (`ENOSPC`) at `/proc/sys/user/max_<kind>_namespaces` or the
///    nesting limit.
///
/// # References
///  - [unshare(2)](https://man7.org/linux/man-pages/man2/unshare.2.html),
///    [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html)
#[doc(alias = "unshare")]
pub fn unshare_current_thread(kinds: impl Into<KindSet>) -> Result<()> {
    let kinds = kinds.into();
    mark_mutated();
    sys::unshare(kinds.bits()).map_err(|e| unshare_error(e, kinds))
}

fn unshare_error(e: RErrno, kinds: KindSet) -> Error {
    match e {
        RErrno::INVAL if kinds.contains(Kind::User) && thread_count() > 1 => {
            Error::multi_threaded(Op::Unshare, Kind::User, e.into(), thread_count())
        }
        e => creation_error(Op::Unshare, e, kinds, Target::CurrentThread),
    }
}

/// The typed error for a failed creation of `kinds` namespaces (`unshare(2)`, `clone3(2)`):
/// EPERM names the user namespace whose privilege is missing, ENOSPC the limit that ran out,
/// EINVAL a kind this kernel lacks.
pub(crate) fn creation_error(op: Op, e: RErrno, kinds: KindSet, target: Target) -> Error {
    let first = kinds.iter().next();
    match e {
        RErrno::PERM | RErrno::ACCESS => Error::permission_denied(
            op,
            if kinds.contains(Kind::User) {
                Some(Kind::User)
            } else {
                first
            },
            target,
            e.into(),
            Namespace::current(Kind::User).ok().map(|n| n.id()),
        ),
        RErrno::NOSPC | RErrno::USERS => {
            // Name the kind whose limit is lowest: with several kinds the kernel does not
            // say which one ran out.
            let kind = kinds
                .iter()
                .min_by_key(|k| crate::inspect::limit(*k).unwrap_or(u64::MAX))
                .unwrap_or(Kind::User);
            Error::limit_reached(op, kind, crate::inspect::limit(kind).ok())
        }
        RErrno::INVAL if !kinds.is_empty() => Error::unsupported(
            op,
            first,
            format!("creating {kinds} namespaces (missing from this kernel's build?)"),
            Some(e.into()),
        ),
        other => Error::os(op, first, target, other.into()),
    }
}

/// Moves the **calling thread** into every namespace in `namespaces`, one `setns(2)` at a
/// time, by lxns's one join rule ([`JoinPlan`](crate::JoinPlan)): namespaces the caller is
/// already in are skipped; the others are entered in the order given with mount and then
/// user last (keeping the caller's own capabilities), and whatever was refused (`EPERM`) is
/// retried after the user namespace has been entered, as nsenter(1) does.
///
/// Returns the kinds actually entered. To join all namespaces of a process at once, prefer
/// [`Process::enter_current_thread`], which is atomic.
///
/// # Errors
/// As for [`Namespace::enter_current_thread`]. On error the thread may already be in some of
/// the namespaces: the error names the one that failed. Do this on a thread you will
/// discard.
pub fn enter_all_current_thread(namespaces: &[&Namespace]) -> Result<KindSet> {
    let steps = crate::join::plan(
        namespaces
            .iter()
            .map(|ns| crate::join::SourceRef::Namespace(ns)),
    )?;
    crate::join::enter_current_thread(&steps)
}

impl Process {
    /// Moves the **calling thread** into this process's namespaces of the kinds in `kinds`,
    /// all at once (`setns(pidfd, flags)`, Linux 5.8+): either every one is entered or none
    /// is. Where the kernel refuses `setns` on a pidfd (Linux 5.3–5.7, or a seccomp filter
    /// answering `EINVAL`), the kinds are opened from the process and joined one by one in
    /// the [`JoinPlan`](crate::JoinPlan) order, as nsenter does; a failure then can leave
    /// the thread in the kinds joined before it. The kernel orders the steps itself (user namespace first), so this works for
    /// unprivileged callers joining a process in a user namespace they own.
    ///
    /// A mount namespace in `kinds` makes the thread stop sharing its filesystem
    /// attributes first, as for [`Namespace::enter_current_thread`].
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) (`EINVAL`) when `kinds` includes the user namespace and
    ///    the process is already in the caller's; use
    ///    [`enter_all_current_thread`](Process::enter_all_current_thread), which leaves out
    ///    the kinds already shared.
    ///  - [`Reason::MultiThreaded`](crate::Reason::MultiThreaded), [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) as for
    ///    [`Namespace::enter_current_thread`]; [`Reason::ProcessGone`](crate::Reason::ProcessGone) (`ESRCH`).
    ///  - [`Reason::Os`](crate::Reason::Os) with `EINVAL` for an empty `kinds`: the kernel's answer, not a
    ///    silent success.
    ///
    /// # References
    ///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
    #[doc(alias = "setns")]
    pub fn enter_current_thread(&self, kinds: impl Into<KindSet>) -> Result<()> {
        // An empty set goes to the kernel too, which answers EINVAL (as CPython's os.setns
        // reports it).
        let kinds = kinds.into();
        mark_mutated();
        let target = Target::Pid(self.pid());
        if kinds.contains(Kind::Mnt) {
            sys::unshare(CLONE_FS).map_err(|e| {
                Error::os(Op::SetnsProcess, Some(Kind::Mnt), target.clone(), e.into())
            })?;
        }
        let flags = ThreadNameSpaceType::from_bits_retain(kinds.bits());
        match rustix::thread::move_into_thread_name_spaces(self.as_fd(), flags) {
            Ok(()) => Ok(()),
            Err(RErrno::SRCH) => Err(Error::process_gone(Op::SetnsProcess, None, self.pid())),
            // Linux 5.3–5.7 (or a seccomp filter) refuse setns on a pidfd: join kind by kind.
            Err(RErrno::INVAL) if !kinds.is_empty() && !crate::join::pidfd_setns_supported() => {
                let mut steps = crate::join::per_kind(self, kinds)?;
                steps.sort_by_key(crate::join::Step::rank);
                crate::join::enter_current_thread(&steps).map(|_| ())
            }
            Err(e) => Err(setns_process_error(self, kinds, e)),
        }
    }

    /// Moves the **calling thread** into every namespace of this process that differs from
    /// the caller's, atomically (nsenter's `-a`), skipping what is shared by the rule of
    /// [`JoinPlan`](crate::JoinPlan). Returns the kinds entered.
    ///
    /// # Errors
    /// As for [`enter_current_thread`](Process::enter_current_thread).
    pub fn enter_all_current_thread(&self) -> Result<KindSet> {
        let mut kinds = KindSet::EMPTY;
        for kind in Kind::ALL {
            match self.namespace(kind) {
                Ok(_) => kinds.insert(kind),
                Err(e) if matches!(e.reason(), Reason::Unsupported { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let steps = crate::join::plan([crate::join::SourceRef::Process(self, kinds)])?;
        crate::join::enter_current_thread(&steps)
    }
}

/// The typed error for a refused `setns(pidfd, kinds)`.
pub(crate) fn setns_process_error(p: &Process, kinds: KindSet, e: RErrno) -> Error {
    if e == RErrno::SRCH {
        return Error::process_gone(Op::SetnsProcess, None, p.pid());
    }
    // Find the kind to blame: user (thread count, already-there) first.
    let kind = if kinds.contains(Kind::User) && e == RErrno::INVAL {
        Kind::User
    } else if kinds.contains(Kind::Time) && e == RErrno::USERS {
        Kind::Time
    } else {
        kinds.iter().next().unwrap_or(Kind::Net)
    };
    let ns = p.namespace(kind).ok();
    let err = setns_error(e, ns.as_ref(), kind, Target::Pid(p.pid()));
    if matches!(
        err.reason(),
        Reason::Os | Reason::PermissionDenied { .. } | Reason::MultiThreaded { .. }
    ) {
        err.with_op(Op::SetnsProcess)
    } else {
        err
    }
}

fn link_type(kind: Kind) -> rustix::thread::LinkNameSpaceType {
    use rustix::thread::LinkNameSpaceType as L;
    match kind {
        Kind::Cgroup => L::ControlGroup,
        Kind::Ipc => L::InterProcessCommunication,
        Kind::Mnt => L::Mount,
        Kind::Net => L::Network,
        Kind::Pid => L::ProcessID,
        Kind::Time => L::Time,
        Kind::User => L::User,
        Kind::Uts => L::HostNameAndNISDomainName,
    }
}

/// Maps a `setns` errno to the typed error, naming the owning user namespace on `EPERM`.
pub(crate) fn setns_error(e: RErrno, ns: Option<&Namespace>, kind: Kind, target: Target) -> Error {
    let op = Op::Setns;
    match e {
        RErrno::PERM | RErrno::ACCESS => Error::permission_denied(
            op,
            Some(kind),
            target,
            e.into(),
            ns.and_then(|n| n.user_namespace().ok()).map(|u| u.id()),
        ),
        // userns_install checks "already in it" before the thread count.
        RErrno::INVAL
            if kind == Kind::User
                && ns
                    .is_some_and(|n| Namespace::current(Kind::User).is_ok_and(|cur| cur == *n)) =>
        {
            // The kernel's EINVAL, kept, with why.
            Error::invalid_argument(
                op,
                target,
                "the calling thread is already in this user namespace (the kernel \
                         refuses to re-enter it)"
                    .into(),
            )
            .with_kind(Some(kind))
            .with_errno(Some(e.into()))
        }
        RErrno::INVAL if kind == Kind::User && thread_count() > 1 => {
            Error::multi_threaded(op, kind, e.into(), thread_count())
        }
        RErrno::USERS if kind == Kind::Time => {
            Error::multi_threaded(op, kind, e.into(), thread_count())
        }
        other => Error::os(op, Some(kind), target, other.into()),
    }
}

/// The number of threads in the calling process (entries of `/proc/self/task`).
pub(crate) fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// Keeps the **calling thread's** capabilities across `execve` (`nsenter --keep-caps`,
/// [`Command::keep_capabilities`](crate::Command::keep_capabilities) for a spawned program):
/// its permitted set becomes inheritable (`capset(2)`) and each permitted capability is
/// raised into the ambient set (`prctl(PR_CAP_AMBIENT_RAISE)`), so a program run as a uid
/// other than 0 in a user namespace keeps what the namespace grants. Call it after changing
/// uid and gid; see capabilities(7).
///
/// # Errors
/// [`Reason::Os`](crate::Reason::Os) with the errno of `capset` or `prctl` (`EPERM` for a capability the bounding
/// set lacks).
///
/// # Examples
///
/// ```
/// lxns::keep_capabilities_current_thread()?;
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn keep_capabilities_current_thread() -> Result<()> {
    sys::spawn::keep_capabilities().map_err(|e| {
        Error::os(
            Op::Spawn(crate::SpawnStep::KeepCapabilities),
            Some(Kind::User),
            Target::CurrentThread,
            e.into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_types_match_the_table() {
        for kind in Kind::ALL {
            assert_eq!(link_type(kind) as u32, kind.clone_flag(), "{kind}");
        }
    }
}
