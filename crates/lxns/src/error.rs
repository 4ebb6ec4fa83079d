//! The one error type of lxns.
//!
//! Every error names the operation that failed ([`Op`]), the namespace kind and the pid, path,
//! fd or namespace involved ([`Target`]), and, where the kernel said no, the errno with its
//! symbol and text. [`Error::hint`] gives the remedy for the classic kernel traps; `Display`
//! prints it on a second line starting with `hint: `.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::kind::Kind;
use crate::namespace::NsId;

/// A `Result` whose error is [`lxns::Error`](Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An errno value returned by the kernel, printed as `EPERM: Operation not permitted`.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Errno(i32);

impl Errno {
    /// The raw errno value (`libc::EPERM` is 1).
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// An `Errno` from a raw value.
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The symbolic name (`"EPERM"`), or `None` for values lxns has no name for.
    pub fn name(self) -> Option<&'static str> {
        ERRNO_NAMES
            .iter()
            .find(|(n, _)| *n == self.0)
            .map(|(_, name)| *name)
    }

    pub(crate) fn from_io(e: &io::Error) -> Option<Errno> {
        e.raw_os_error().map(Errno)
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        Errno(e.raw_os_error())
    }
}

const ERRNO_NAMES: &[(i32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (6, "ENXIO"),
    (7, "E2BIG"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (28, "ENOSPC"),
    (30, "EROFS"),
    (34, "ERANGE"),
    (36, "ENAMETOOLONG"),
    (38, "ENOSYS"),
    (40, "ELOOP"),
    (75, "EOVERFLOW"),
    (87, "EUSERS"),
    (95, "EOPNOTSUPP"),
];

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = io::Error::from_raw_os_error(self.0).to_string();
        let text = text
            .split(" (os error")
            .next()
            .unwrap_or(text.as_str())
            .to_owned();
        match self.name() {
            Some(name) => write!(f, "{name}: {text}"),
            None => write!(f, "errno {}: {text}", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

/// The step that failed. Named after the kernel call or the lxns step, so a multi-step
/// operation reports where it stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `pidfd_open(2)`: getting a stable handle on a process.
    OpenProcess,
    /// Getting a process's namespace through its pidfd (`PIDFD_GET_*_NAMESPACE`) or
    /// `/proc/PID/ns`.
    OpenProcessNamespace,
    /// Opening the calling thread's namespace (`/proc/thread-self/ns/*`).
    OpenCurrent,
    /// Opening a namespace file by path.
    OpenPath,
    /// Checking that an fd is a namespace (`fstatfs`, `NS_GET_NSTYPE`).
    Validate,
    /// `NS_GET_USERNS`.
    GetUserNamespace,
    /// `NS_GET_PARENT`.
    GetParent,
    /// `NS_GET_OWNER_UID`.
    GetOwnerUid,
    /// `NS_GET_ID`.
    GetNsId,
    /// `NS_GET_PID_FROM_PIDNS` / `NS_GET_PID_IN_PIDNS`.
    TranslatePid,
    /// `setns(2)` with a namespace fd.
    Setns,
    /// `setns(2)` with a pidfd and several `CLONE_NEW*` flags.
    SetnsProcess,
    /// `unshare(2)`.
    Unshare,
    /// Reading `/proc/sys/user/max_*_namespaces`.
    ReadLimit,
    /// Writing `/proc/sys/user/max_*_namespaces`.
    WriteLimit,
    /// Parsing text (a kind, a pid, a limit).
    Parse,
    /// Starting the helper thread that does work in other namespaces.
    SpawnThread,
    /// Running code inside namespaces ([`run`](crate::run), [`Worker`](crate::Worker)).
    Run,
    /// Bind-mounting a namespace onto a file ([`Namespace::persist`](crate::Namespace::persist)).
    Persist,
    /// Unmounting and removing a persisted namespace ([`unpersist`](crate::unpersist)).
    Unpersist,
    /// Preparing or locking a named-namespace registry directory (`/run/netns`).
    Registry,
    /// Listing namespaces ([`list`](crate::list)).
    List,
    /// Parsing or validating an id map ([`IdMap`](crate::IdMap)).
    IdMap,
    /// Writing `/proc/PID/uid_map`, `gid_map` or `setgroups`.
    WriteIdMap,
    /// Spawning a program ([`Command`](crate::Command)); the step says where it stopped.
    Spawn(crate::SpawnStep),
    /// Checking the running kernel's version ([`kernel::require`](crate::kernel::require)).
    CheckKernel,
    /// Reading or assigning netnsids over rtnetlink (`RTM_GETNSID`, `RTM_NEWNSID`;
    /// [`netns::set_nsid`](crate::netns::set_nsid), [`netns::nsids`](crate::netns::nsids)).
    NetNsId,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::OpenProcess => "open process (pidfd_open)",
            Op::OpenProcessNamespace => "open namespace of process",
            Op::OpenCurrent => "open namespace of the calling thread",
            Op::OpenPath => "open namespace file",
            Op::Validate => "check namespace fd",
            Op::GetUserNamespace => "get owning user namespace (NS_GET_USERNS)",
            Op::GetParent => "get parent namespace (NS_GET_PARENT)",
            Op::GetOwnerUid => "get owner uid (NS_GET_OWNER_UID)",
            Op::GetNsId => "get namespace id (NS_GET_ID)",
            Op::TranslatePid => "translate pid between pid namespaces",
            Op::Setns => "enter namespace (setns)",
            Op::SetnsProcess => "enter namespaces of process (setns on a pidfd)",
            Op::Unshare => "create namespace (unshare)",
            Op::ReadLimit => "read namespace limit",
            Op::WriteLimit => "set namespace limit",
            Op::Parse => "parse",
            Op::SpawnThread => "start helper thread",
            Op::Run => "run code in namespaces",
            Op::Persist => "persist namespace (bind mount)",
            Op::Unpersist => "remove persisted namespace",
            Op::Registry => "prepare namespace registry",
            Op::List => "list namespaces",
            Op::IdMap => "id map",
            Op::WriteIdMap => "write id map",
            Op::Spawn(step) => return write!(f, "spawn: {step}"),
            Op::CheckKernel => "check kernel version",
            Op::NetNsId => "netnsid (rtnetlink RTM_GETNSID/RTM_NEWNSID)",
        })
    }
}

/// What an operation was applied to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Nothing in particular (the calling thread's own state).
    None,
    /// The calling thread.
    CurrentThread,
    /// A process id.
    Pid(i32),
    /// A filesystem path.
    Path(PathBuf),
    /// A file descriptor number (for messages only; lxns never takes raw fds).
    Fd(i32),
    /// A namespace, by identity.
    Namespace(NsId),
    /// A piece of text being parsed.
    Text(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::None => Ok(()),
            Target::CurrentThread => f.write_str("the calling thread"),
            Target::Pid(pid) => write!(f, "pid {pid}"),
            Target::Path(p) => write!(f, "{}", p.display()),
            Target::Fd(fd) => write!(f, "fd {fd}"),
            Target::Namespace(id) => write!(f, "{id}"),
            Target::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Everything that can go wrong in lxns.
///
/// Match on the variant to react to a class of failure; use [`Error::raw_os_error`] to get the
/// kernel's errno whatever the variant. `Display` names the operation, the kind and the
/// pid/path involved and the errno, and adds a `hint:` line where [`Error::hint`] has a remedy.
///
/// ```
/// let err = "netns".parse::<lxns::Kind>().unwrap_err();
/// assert!(matches!(err, lxns::Error::InvalidArgument { .. }));
/// assert_eq!(err.raw_os_error(), None);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The path (or `/proc/PID/ns/*` entry) does not exist (`ENOENT`), including a dangling
    /// symlink.
    NotFound {
        /// The failed step.
        op: Op,
        /// The expected kind, if one was asked for.
        kind: Option<Kind>,
        /// What was looked up.
        target: Target,
    },
    /// The file exists but is not a namespace: a regular file, directory, socket, or a
    /// `/proc` file that is not an `ns` link.
    NotNamespace {
        /// The failed step.
        op: Op,
        /// What was opened.
        target: Target,
        /// What it is instead (`"a directory"`, `"a regular file on procfs"`).
        found: String,
        /// The kernel's answer, where a call was made (`EINVAL` from `setns`, `ENOTTY` from an
        /// `NS_GET_*` ioctl).
        errno: Option<Errno>,
    },
    /// A namespace of another kind than the one asked for.
    WrongKind {
        /// The failed step.
        op: Op,
        /// What was opened.
        target: Target,
        /// The kind that was asked for.
        expected: Kind,
        /// The kind it is.
        found: Kind,
    },
    /// The process exited (or never existed) (`ESRCH`).
    ProcessGone {
        /// The failed step.
        op: Op,
        /// The kind being looked up, if any.
        kind: Option<Kind>,
        /// The process id.
        pid: i32,
    },
    /// The kernel refused for lack of privilege (`EPERM`/`EACCES`).
    PermissionDenied {
        /// The failed step.
        op: Op,
        /// The namespace kind involved.
        kind: Option<Kind>,
        /// The pid, path or namespace involved.
        target: Target,
        /// `EPERM` or `EACCES`.
        errno: Errno,
        /// The user namespace in which `CAP_SYS_ADMIN` is needed, when lxns could find it.
        owner: Option<NsId>,
    },
    /// A user namespace (or a time namespace) cannot be created or joined by a process with
    /// more than one thread (`EINVAL`/`EUSERS`).
    MultiThreaded {
        /// The failed step.
        op: Op,
        /// The kind involved.
        kind: Kind,
        /// The kernel's errno.
        errno: Errno,
        /// How many threads the process had when it failed.
        threads: usize,
    },
    /// A namespace limit was reached (`ENOSPC`): `/proc/sys/user/max_<kind>_namespaces`, or
    /// the nesting depth of 32 user or pid namespaces.
    LimitReached {
        /// The failed step.
        op: Op,
        /// The kind being created.
        kind: Kind,
        /// The current value of the limit, when it could be read.
        limit: Option<u64>,
    },
    /// This kernel lacks the feature (`ENOSYS`, `ENOTTY` on an nsfs fd, a missing
    /// `/proc/PID/ns` entry for a kind).
    Unsupported {
        /// The failed step.
        op: Op,
        /// The kind involved.
        kind: Option<Kind>,
        /// What is missing and since which kernel it exists.
        what: String,
        /// The kernel's errno.
        errno: Option<Errno>,
    },
    /// The caller passed something unusable (pid 0, a negative pid, an unknown kind name,
    /// a non-numeric limit, a namespace whose parent does not exist).
    InvalidArgument {
        /// The failed step.
        op: Op,
        /// The value at fault.
        target: Target,
        /// Why it is unusable.
        reason: String,
    },
    /// The path (or registry name) already exists (`EEXIST`).
    AlreadyExists {
        /// The failed step.
        op: Op,
        /// What exists.
        target: Target,
    },
    /// The path is busy (`EBUSY`): still a mount point, or in use.
    Busy {
        /// The failed step.
        op: Op,
        /// What is busy.
        target: Target,
    },
    /// Any other failure from the kernel.
    Os {
        /// The failed step.
        op: Op,
        /// The kind involved.
        kind: Option<Kind>,
        /// The pid, path or namespace involved.
        target: Target,
        /// The kernel's errno.
        errno: Errno,
    },
}

impl Error {
    /// The step that failed.
    pub fn op(&self) -> Op {
        match self {
            Error::NotFound { op, .. }
            | Error::NotNamespace { op, .. }
            | Error::WrongKind { op, .. }
            | Error::ProcessGone { op, .. }
            | Error::PermissionDenied { op, .. }
            | Error::MultiThreaded { op, .. }
            | Error::LimitReached { op, .. }
            | Error::Unsupported { op, .. }
            | Error::InvalidArgument { op, .. }
            | Error::AlreadyExists { op, .. }
            | Error::Busy { op, .. }
            | Error::Os { op, .. } => *op,
        }
    }

    /// The namespace kind involved, where there is one.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Error::NotFound { kind, .. }
            | Error::ProcessGone { kind, .. }
            | Error::PermissionDenied { kind, .. }
            | Error::Unsupported { kind, .. }
            | Error::Os { kind, .. } => *kind,
            Error::WrongKind { expected, .. } => Some(*expected),
            Error::MultiThreaded { kind, .. } | Error::LimitReached { kind, .. } => Some(*kind),
            Error::NotNamespace { .. }
            | Error::InvalidArgument { .. }
            | Error::AlreadyExists { .. }
            | Error::Busy { .. } => None,
        }
    }

    /// The kernel's errno behind this error, if the kernel was asked.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::NotFound { .. } => Some(Errno(2)),
            Error::ProcessGone { .. } => Some(Errno(3)),
            Error::LimitReached { .. } => Some(Errno(28)),
            Error::AlreadyExists { .. } => Some(Errno(17)),
            Error::Busy { .. } => Some(Errno(16)),
            Error::NotNamespace { errno, .. } | Error::Unsupported { errno, .. } => *errno,
            Error::PermissionDenied { errno, .. }
            | Error::MultiThreaded { errno, .. }
            | Error::Os { errno, .. } => Some(*errno),
            Error::WrongKind { .. } | Error::InvalidArgument { .. } => None,
        }
    }

    /// The raw errno value, like [`std::io::Error::raw_os_error`].
    pub fn raw_os_error(&self) -> Option<i32> {
        self.errno().map(Errno::raw)
    }

    /// What to do about it, for the classic kernel traps.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NotNamespace { .. } => Some(
                "namespace files are the /proc/PID/ns/* links or bind mounts of them \
                 (such as /run/netns/NAME)"
                    .into(),
            ),
            Error::MultiThreaded {
                op, kind, threads, ..
            } => Some(format!(
                "the kernel refuses to {} a {kind} namespace in a process with more than one \
                 thread (this one has {threads}); do it in a single-threaded process (before \
                 any thread starts, or in a child process), or start the command that needs \
                 it as a new process in that namespace",
                if *op == Op::Unshare { "create" } else { "join" }
            )),
            Error::PermissionDenied {
                op, kind, owner, ..
            } => Some(permission_hint(*op, *kind, owner.as_ref())),
            Error::LimitReached { kind, limit, .. } => Some(format!(
                "raise {} (now {}) in the user namespace that counts it, e.g. with \
                 lxns::set_limit or `lxns limits {kind}=N`; ENOSPC also means the nesting \
                 limit of 32 user or pid namespaces was reached",
                kind.limit_path(),
                limit.map_or_else(|| "unreadable".to_owned(), |l| l.to_string())
            )),
            Error::ProcessGone { .. } => Some(
                "the process exited; lxns holds processes by pidfd, so a reused pid is never \
                 mistaken for it"
                    .into(),
            ),
            Error::Busy { .. } => Some(
                "the file is still a mount point: another mount namespace may hold a copy of \
                 the mount that does not propagate; unmount it there (or keep registry \
                 directories shared mounts, as lxns and ip netns do)"
                    .into(),
            ),
            Error::NotFound {
                kind: Some(Kind::Pid),
                target: Target::Path(p),
                ..
            } if p.ends_with("pid_for_children") => Some(
                "a new pid namespace has no handle until its first process exists: \
                     create a child first"
                    .into(),
            ),
            Error::Os { errno, .. } if errno.raw() == 24 => Some(
                "this process has reached its limit of open files (EMFILE): raise it (ulimit \
                 -n, RLIMIT_NOFILE) or close descriptors; lxns needs a few fds per call"
                    .into(),
            ),
            Error::Os { errno, .. } if errno.raw() == 23 => Some(
                "the system-wide limit of open files is reached (ENFILE, /proc/sys/fs/file-max)"
                    .into(),
            ),
            _ => None,
        }
    }

    pub(crate) fn os(op: Op, kind: Option<Kind>, target: Target, errno: Errno) -> Error {
        Error::Os {
            op,
            kind,
            target,
            errno,
        }
    }

    /// An [`Error::Os`] from a std I/O error (`EIO` when it carries no errno).
    pub(crate) fn from_io(op: Op, target: Target, e: &io::Error) -> Error {
        Error::os(
            op,
            None,
            target,
            Errno::from_io(e).unwrap_or(Errno::from_raw(5)),
        )
    }
}

fn permission_hint(op: Op, kind: Option<Kind>, owner: Option<&NsId>) -> String {
    let owner_text = owner.map_or_else(
        || "the user namespace that owns it".to_owned(),
        |o| format!("its owning user namespace {o}"),
    );
    match op {
        Op::Setns | Op::SetnsProcess => format!(
            "joining a namespace needs CAP_SYS_ADMIN in {owner_text} and in your own user \
             namespace; run as root, or (unprivileged) join the owning user namespace first \
             (Process::enter_all_current_thread orders it so)"
        ),
        Op::Spawn(crate::SpawnStep::Exec) => "the file exists but cannot be executed: it needs \
            execute permission (chmod +x), must not be a directory or on a noexec mount, and a \
            script needs an interpreter (#!) that exists"
            .into(),
        Op::Spawn(crate::SpawnStep::Clone) => format!(
            "creating a {} namespace needs CAP_SYS_ADMIN in your user namespace; without \
             root, create a user namespace too (Kind::User with map_root; -U -r on the \
             command line)",
            kind.map_or("", Kind::proc_name)
        ),
        Op::Unshare => format!(
            "creating a {} namespace needs CAP_SYS_ADMIN in your user namespace; without \
             root, create a user namespace in the same call (add Kind::User, from a \
             single-threaded process; -U -r on the command line)",
            kind.map_or("", Kind::proc_name)
        ),
        Op::OpenProcess | Op::OpenProcessNamespace => "reading another process's namespaces \
            needs ptrace read access to it: the same uid (and a dumpable process) or \
            CAP_SYS_PTRACE"
            .into(),
        Op::WriteLimit => "setting a namespace limit needs CAP_SYS_RESOURCE in the user \
            namespace the sysctl belongs to (root, or the owner of a user namespace inside it)"
            .into(),
        Op::GetParent | Op::GetUserNamespace => "the kernel does not hand out namespaces \
            outside (above) the caller's own user namespace"
            .into(),
        Op::WriteIdMap => "an id map can be written once; without CAP_SETUID/CAP_SETGID in the \
            parent user namespace a process may map only its own id, and gid_map only after \
            writing deny to /proc/PID/setgroups; to map other ids use newuidmap/newgidmap with \
            ranges from /etc/subuid and /etc/subgid"
            .into(),
        _ => format!("this needs CAP_SYS_ADMIN in {owner_text}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.op();
        write!(f, "{op}")?;
        let (kind, target) = match self {
            Error::NotFound { kind, target, .. }
            | Error::PermissionDenied { kind, target, .. }
            | Error::Os { kind, target, .. } => (*kind, Some(target)),
            Error::NotNamespace { target, .. }
            | Error::InvalidArgument { target, .. }
            | Error::AlreadyExists { target, .. }
            | Error::Busy { target, .. } => (None, Some(target)),
            Error::WrongKind { target, .. } => (None, Some(target)),
            Error::ProcessGone { kind, .. } | Error::Unsupported { kind, .. } => (*kind, None),
            Error::MultiThreaded { kind, .. } | Error::LimitReached { kind, .. } => {
                (Some(*kind), None)
            }
        };
        if let Some(kind) = kind {
            write!(f, " [{kind}]")?;
        }
        match (self, target) {
            (Error::ProcessGone { pid, .. }, _) => write!(f, " for pid {pid}")?,
            (_, Some(t)) if *t != Target::None => write!(f, " for {t}")?,
            _ => {}
        }
        f.write_str(": ")?;
        match self {
            Error::NotFound {
                op: Op::Spawn(crate::SpawnStep::Exec),
                ..
            } => f.write_str("command not found (ENOENT)")?,
            Error::NotFound { .. } => f.write_str("no such file or namespace (ENOENT)")?,
            Error::NotNamespace { found, errno, .. } => {
                write!(f, "not a namespace file: it is {found}")?;
                if let Some(e) = errno {
                    write!(f, " ({e})")?;
                }
            }
            Error::WrongKind {
                expected, found, ..
            } => write!(
                f,
                "wrong namespace kind: expected {expected}, found {found}"
            )?,
            Error::ProcessGone { pid, .. } => {
                write!(f, "process {pid} does not exist or has exited (ESRCH)")?
            }
            Error::PermissionDenied { errno, .. } => write!(f, "{errno}")?,
            Error::MultiThreaded { errno, threads, .. } => {
                write!(f, "{errno} (the process has {threads} threads)")?
            }
            Error::LimitReached { kind, .. } => write!(
                f,
                "ENOSPC: limit on {kind} namespaces reached ({})",
                kind.limit_path()
            )?,
            Error::Unsupported { what, errno, .. } => {
                write!(f, "not supported by this kernel: {what}")?;
                if let Some(e) = errno {
                    write!(f, " ({e})")?;
                }
            }
            Error::InvalidArgument { reason, .. } => f.write_str(reason)?,
            Error::AlreadyExists { .. } => f.write_str("already exists (EEXIST)")?,
            Error::Busy { .. } => f.write_str("busy (EBUSY)")?,
            Error::Os { errno, .. } => write!(f, "{errno}")?,
        }
        if let Some(h) = self.hint() {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    /// Keeps the errno's [`io::ErrorKind`] and the whole lxns error as the payload, so
    /// `io_err.get_ref()` can be downcast back to [`Error`].
    fn from(e: Error) -> io::Error {
        let kind = match &e {
            Error::NotFound { .. } => io::ErrorKind::NotFound,
            Error::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
            Error::PermissionDenied { .. } => io::ErrorKind::PermissionDenied,
            Error::InvalidArgument { .. } | Error::WrongKind { .. } => io::ErrorKind::InvalidInput,
            Error::Unsupported { .. } => io::ErrorKind::Unsupported,
            other => other.raw_os_error().map_or(io::ErrorKind::Other, |raw| {
                io::Error::from_raw_os_error(raw).kind()
            }),
        };
        io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_display_has_symbol_and_text() {
        assert_eq!(
            Errno::from_raw(1).to_string(),
            "EPERM: Operation not permitted"
        );
        assert_eq!(Errno::from_raw(25).name(), Some("ENOTTY"));
        assert!(Errno::from_raw(4000).to_string().starts_with("errno 4000"));
    }

    #[test]
    fn display_names_everything() {
        let e = Error::PermissionDenied {
            op: Op::Setns,
            kind: Some(Kind::Net),
            target: Target::Path("/run/netns/x".into()),
            errno: Errno::from_raw(1),
            owner: None,
        };
        let s = e.to_string();
        assert!(s.contains("setns"), "{s}");
        assert!(s.contains("[net]"), "{s}");
        assert!(s.contains("/run/netns/x"), "{s}");
        assert!(s.contains("EPERM: Operation not permitted"), "{s}");
        assert!(s.contains("\nhint: "), "{s}");
        assert!(s.contains("CAP_SYS_ADMIN"), "{s}");
        assert_eq!(e.raw_os_error(), Some(1));
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::PermissionDenied);
        let back = io.get_ref().and_then(|r| r.downcast_ref::<Error>());
        assert!(matches!(back, Some(Error::PermissionDenied { .. })));
    }

    #[test]
    fn multithreaded_hint_says_what_to_do() {
        let e = Error::MultiThreaded {
            op: Op::Unshare,
            kind: Kind::User,
            errno: Errno::from_raw(22),
            threads: 3,
        };
        let s = e.to_string();
        assert!(s.contains("EINVAL"), "{s}");
        assert!(s.contains("3 threads"), "{s}");
        assert!(s.contains("single-threaded"), "{s}");
    }

    #[test]
    fn limit_hint_names_sysctl() {
        let e = Error::LimitReached {
            op: Op::Unshare,
            kind: Kind::Net,
            limit: Some(0),
        };
        let s = e.to_string();
        assert!(s.contains("/proc/sys/user/max_net_namespaces"), "{s}");
        assert!(s.contains("(now 0)"), "{s}");
        assert_eq!(e.raw_os_error(), Some(28));
    }
}
