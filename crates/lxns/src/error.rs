//! The one error type of lxns.
//!
//! Every error names the operation that failed ([`Op`]), the namespace kind and the pid, path,
//! fd or namespace involved ([`Target`]), and, where the kernel said no, the errno with its
//! symbol and text. [`Error::hint`] gives the remedy for the classic kernel traps; `{:#}`
//! prints it on a second line starting with `hint: ` (`Display` is one line).

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
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (28, "ENOSPC"),
    (30, "EROFS"),
    (32, "EPIPE"),
    (34, "ERANGE"),
    (36, "ENAMETOOLONG"),
    (38, "ENOSYS"),
    (40, "ELOOP"),
    (71, "EPROTO"),
    (75, "EOVERFLOW"),
    (87, "EUSERS"),
    (95, "EOPNOTSUPP"),
    (116, "ESTALE"),
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
    /// Reading `/proc/PID/uid_map` or `gid_map`.
    ReadIdMap,
    /// Spawning a program ([`Command`](crate::Command)); the step says where it stopped.
    Spawn(crate::SpawnStep),
    /// Checking the running kernel's version ([`kernel::require`](crate::kernel::require)).
    CheckKernel,
    /// Reading or assigning netnsids over rtnetlink (`RTM_GETNSID`, `RTM_NEWNSID`;
    /// [`netns::set_nsid`](crate::netns::set_nsid), [`netns::nsids`](crate::netns::nsids)).
    NetNsId,
    /// `open_tree(2)`: cloning a mount tree ([`mount::Tree`](crate::mount::Tree)).
    OpenTree,
    /// `move_mount(2)` (or `mount(2)` with `MS_BIND`): attaching a tree.
    MoveMount,
    /// `fsopen(2)`/`fsconfig(2)`/`fsmount(2)`: creating a filesystem.
    MountFilesystem,
    /// `mount_setattr(2)` (or `mount(2)` with `MS_REMOUNT`): changing a mount's attributes
    /// ([`mount::Attributes`](crate::mount::Attributes)).
    SetMountAttributes,
    /// `fcntl(F_DUPFD_CLOEXEC)` of an inherited descriptor ([`inherited_fd`](crate::inherited_fd)).
    DupFd,
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
            Op::ReadIdMap => "read id map",
            Op::NetNsId => "netnsid (rtnetlink RTM_GETNSID/RTM_NEWNSID)",
            Op::OpenTree => "clone mount tree (open_tree)",
            Op::MoveMount => "attach mount (move_mount)",
            Op::MountFilesystem => "create filesystem (fsopen/fsconfig/fsmount)",
            Op::SetMountAttributes => "set mount attributes (mount_setattr)",
            Op::DupFd => "duplicate inherited descriptor (fcntl F_DUPFD_CLOEXEC)",
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
    /// A piece of text being parsed (printed quoted).
    Text(String),
    /// A helper program run by lxns, with its arguments and what it said (`newuidmap 4242 0
    /// 100000 65536`; printed as it is).
    Command(String),
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
            Target::Command(c) => f.write_str(c),
        }
    }
}

/// Why an operation failed: the class of failure, with what only that class carries. The
/// operation, kind, target and errno every error has are on [`Error`] itself.
///
/// Match on [`Error::reason`] to react to a class of failure:
///
/// ```
/// let err = lxns::Namespace::open("/nonexistent").unwrap_err();
/// assert!(matches!(err.reason(), lxns::Reason::NotFound));
/// assert_eq!(err.raw_os_error(), Some(2)); // the kernel's ENOENT
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The path (or `/proc/PID/ns/*` entry, or namespace id) does not exist, including a
    /// dangling symlink.
    NotFound,
    /// The file exists but is not a namespace: a regular file, directory, socket, or a
    /// `/proc` file that is not an `ns` link.
    NotNamespace {
        /// What it is instead (`"a directory"`, `"a regular file on procfs"`).
        found: String,
    },
    /// A namespace of another kind than the one asked for ([`Error::kind`] is the one asked
    /// for).
    WrongKind {
        /// The kind it is.
        found: Kind,
    },
    /// The process exited (or never existed).
    ProcessGone {
        /// The process id.
        pid: i32,
    },
    /// The kernel refused for lack of privilege (`EPERM`/`EACCES`).
    PermissionDenied {
        /// The user namespace in which `CAP_SYS_ADMIN` is needed, when lxns could find it.
        owner: Option<NsId>,
    },
    /// A user namespace (or a time namespace, or a mount namespace's fs attributes) cannot
    /// be created or joined by a process with more than one thread (`EINVAL`/`EUSERS`).
    MultiThreaded {
        /// How many threads the process had when it failed.
        threads: usize,
    },
    /// A namespace limit was reached (`ENOSPC`): `/proc/sys/user/max_<kind>_namespaces`, or
    /// the nesting depth of 32 user or pid namespaces.
    LimitReached {
        /// The current value of the limit, when it could be read.
        limit: Option<u64>,
    },
    /// This kernel (or a filter in front of it) lacks the feature.
    Unsupported {
        /// What is missing and since which kernel it exists.
        what: String,
    },
    /// The caller passed something unusable (pid 0, an unknown kind name, an empty set, a
    /// namespace the call cannot take).
    InvalidArgument {
        /// Why it is unusable.
        why: String,
    },
    /// The path (or registry name) already exists (`EEXIST`).
    AlreadyExists,
    /// The path is busy (`EBUSY`): still a mount point, or in use.
    Busy,
    /// Any other failure from the kernel ([`Error::errno`] says which).
    Os,
}

/// Everything that can go wrong in lxns: one small value (a pointer; `Result<()>` is 8
/// bytes), with the step that failed ([`op`](Error::op)), the namespace kind
/// ([`kind`](Error::kind)), the pid, path, fd or namespace involved
/// ([`target`](Error::target)), the kernel's errno when a system call answered
/// ([`errno`](Error::errno), [`raw_os_error`](Error::raw_os_error); `None` when lxns
/// refused before asking the kernel), and the class of failure ([`reason`](Error::reason)).
///
/// `Display` is one line. The alternate form (`{:#}`) adds the remedy for the classic kernel
/// traps ([`hint`](Error::hint)) on a second line starting with `hint: `. `Debug` (what `?`
/// in `main` prints) is that same two-line text, so a program that ends with
/// `fn main() -> lxns::Result<()>` shows the message and the hint, not a struct dump.
///
/// ```
/// let err = "netns".parse::<lxns::Kind>().unwrap_err();
/// assert!(matches!(err.reason(), lxns::Reason::InvalidArgument { .. }));
/// assert_eq!(err.raw_os_error(), None); // no system call was made
/// assert!(!err.to_string().contains('\n'));
/// println!("{err:#}"); // the message, then its hint if it has one
/// ```
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    op: Op,
    kind: Option<Kind>,
    target: Target,
    errno: Option<Errno>,
    reason: Reason,
}

/// errno values by name, for the classifier.
mod nr {
    pub const PERM: i32 = 1;
    pub const NOENT: i32 = 2;
    pub const SRCH: i32 = 3;
    pub const EXIST: i32 = 17;
    pub const BUSY: i32 = 16;
    pub const ACCES: i32 = 13;
    pub const NOSPC: i32 = 28;
    pub const NOSYS: i32 = 38;
    pub const IO: i32 = 5;
}

impl Error {
    /// An error from its parts.
    pub(crate) fn new(
        op: Op,
        kind: Option<Kind>,
        target: Target,
        errno: Option<Errno>,
        reason: Reason,
    ) -> Error {
        Error(Box::new(Inner {
            op,
            kind,
            target,
            errno,
            reason,
        }))
    }

    /// THE errno classifier: the kernel said `errno` to `op` on `target`. `ENOENT` is
    /// [`Reason::NotFound`], `ESRCH` [`Reason::ProcessGone`], `EPERM`/`EACCES`
    /// [`Reason::PermissionDenied`], `ENOSPC` (creating a namespace)
    /// [`Reason::LimitReached`], `EEXIST` [`Reason::AlreadyExists`], `EBUSY`
    /// [`Reason::Busy`], `ENOSYS` [`Reason::Unsupported`]; anything else [`Reason::Os`]. The
    /// errno is kept in every case.
    pub(crate) fn os(op: Op, kind: Option<Kind>, target: Target, errno: Errno) -> Error {
        let reason = match errno.raw() {
            nr::NOENT => Reason::NotFound,
            nr::SRCH => Reason::ProcessGone {
                pid: match target {
                    Target::Pid(p) => p,
                    _ => -1,
                },
            },
            nr::PERM | nr::ACCES => Reason::PermissionDenied { owner: None },
            nr::NOSPC if matches!(op, Op::Unshare | Op::Spawn(crate::SpawnStep::Clone)) => {
                Reason::LimitReached { limit: None }
            }
            nr::EXIST => Reason::AlreadyExists,
            nr::BUSY => Reason::Busy,
            nr::NOSYS => Reason::Unsupported {
                what: format!("the system call behind \"{op}\" (ENOSYS)"),
            },
            _ => Reason::Os,
        };
        Error::new(op, kind, target, Some(errno), reason)
    }

    /// An error from a std I/O error, through [`os`](Error::os) (`EIO` when it carries no
    /// errno).
    pub(crate) fn from_io(op: Op, target: Target, e: &io::Error) -> Error {
        Error::os(
            op,
            None,
            target,
            Errno::from_io(e).unwrap_or(Errno::from_raw(nr::IO)),
        )
    }

    /// The kernel answered `ENOENT` (or lxns found nothing, with `errno` `None`).
    pub(crate) fn not_found(op: Op, kind: Option<Kind>, target: Target) -> Error {
        Error::new(op, kind, target, Some(Errno(nr::NOENT)), Reason::NotFound)
    }

    /// Not a namespace; `errno` is the kernel's answer where a call was made.
    pub(crate) fn not_namespace(
        op: Op,
        target: Target,
        found: String,
        errno: Option<Errno>,
    ) -> Error {
        Error::new(op, None, target, errno, Reason::NotNamespace { found })
    }

    /// `expected` was asked for, `found` is what it is; `errno` is the kernel's answer where
    /// a call was made (`EINVAL` from `setns`).
    pub(crate) fn wrong_kind(
        op: Op,
        target: Target,
        expected: Kind,
        found: Kind,
        errno: Option<Errno>,
    ) -> Error {
        Error::new(
            op,
            Some(expected),
            target,
            errno,
            Reason::WrongKind { found },
        )
    }

    /// The kernel answered `ESRCH` (or the process was seen to have exited).
    pub(crate) fn process_gone(op: Op, kind: Option<Kind>, pid: i32) -> Error {
        Error::new(
            op,
            kind,
            Target::Pid(pid),
            Some(Errno(nr::SRCH)),
            Reason::ProcessGone { pid },
        )
    }

    /// The kernel answered `EPERM`/`EACCES`.
    pub(crate) fn permission_denied(
        op: Op,
        kind: Option<Kind>,
        target: Target,
        errno: Errno,
        owner: Option<NsId>,
    ) -> Error {
        Error::new(
            op,
            kind,
            target,
            Some(errno),
            Reason::PermissionDenied { owner },
        )
    }

    /// The kernel refused a user (or time) namespace to a multithreaded process.
    pub(crate) fn multi_threaded(op: Op, kind: Kind, errno: Errno, threads: usize) -> Error {
        Error::new(
            op,
            Some(kind),
            Target::None,
            Some(errno),
            Reason::MultiThreaded { threads },
        )
    }

    /// The kernel answered `ENOSPC` creating a `kind` namespace.
    pub(crate) fn limit_reached(op: Op, kind: Kind, limit: Option<u64>) -> Error {
        Error::new(
            op,
            Some(kind),
            Target::None,
            Some(Errno(nr::NOSPC)),
            Reason::LimitReached { limit },
        )
    }

    /// The feature is missing; `errno` is the kernel's answer where a call was made.
    pub(crate) fn unsupported(
        op: Op,
        kind: Option<Kind>,
        what: String,
        errno: Option<Errno>,
    ) -> Error {
        Error::new(op, kind, Target::None, errno, Reason::Unsupported { what })
    }

    /// lxns refused the input before any system call (no errno).
    pub(crate) fn invalid_argument(op: Op, target: Target, why: String) -> Error {
        Error::new(op, None, target, None, Reason::InvalidArgument { why })
    }

    /// The kernel answered `EEXIST`.
    pub(crate) fn already_exists(op: Op, target: Target) -> Error {
        Error::new(
            op,
            None,
            target,
            Some(Errno(nr::EXIST)),
            Reason::AlreadyExists,
        )
    }

    /// The kernel answered `EBUSY`.
    pub(crate) fn busy(op: Op, target: Target) -> Error {
        Error::new(op, None, target, Some(Errno(nr::BUSY)), Reason::Busy)
    }

    /// The same error with another errno (`None`: no system call answered).
    pub(crate) fn with_errno(mut self, errno: Option<Errno>) -> Error {
        self.0.errno = errno;
        self
    }

    /// The same error as another step.
    pub(crate) fn with_op(mut self, op: Op) -> Error {
        self.0.op = op;
        self
    }

    /// The same error with another kind.
    pub(crate) fn with_kind(mut self, kind: Option<Kind>) -> Error {
        self.0.kind = kind;
        self
    }

    /// The class of failure.
    pub fn reason(&self) -> &Reason {
        &self.0.reason
    }

    /// The step that failed.
    pub fn op(&self) -> Op {
        self.0.op
    }

    /// The namespace kind involved, where there is one (for [`Reason::WrongKind`], the kind
    /// asked for).
    pub fn kind(&self) -> Option<Kind> {
        self.0.kind
    }

    /// The pid, path, fd or namespace involved ([`Target::None`] when nothing in
    /// particular).
    pub fn target(&self) -> &Target {
        &self.0.target
    }

    /// The kernel's errno, when a system call answered; `None` when lxns refused before
    /// asking the kernel (a malformed argument, a kind that could not match).
    pub fn errno(&self) -> Option<Errno> {
        self.0.errno
    }

    /// The raw errno value, like [`std::io::Error::raw_os_error`]: the kernel's answer when a
    /// system call was made, `None` when none was.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.errno().map(Errno::raw)
    }

    /// What to do about it, for the classic kernel traps (printed by `{:#}`).
    pub fn hint(&self) -> Option<String> {
        let Inner {
            op,
            kind,
            target,
            errno,
            reason,
        } = &*self.0;
        match reason {
            Reason::NotNamespace { .. } => Some(
                "namespace files are the /proc/PID/ns/* links or bind mounts of them \
                 (such as /run/netns/NAME)"
                    .into(),
            ),
            Reason::MultiThreaded { threads } => Some(format!(
                "the kernel refuses to {} a {} namespace in a process with more than one \
                 thread (this one has {threads}); do it in a single-threaded process (before \
                 any thread starts, or in a child process), or start the command that needs \
                 it as a new process in that namespace; lxns's own helper threads go with \
                 lxns::drain_helpers()",
                if *op == Op::Unshare { "create" } else { "join" },
                kind.map_or("", Kind::proc_name)
            )),
            Reason::PermissionDenied { owner } => Some(permission_hint(*op, *kind, owner.as_ref())),
            Reason::LimitReached { limit } => kind.map(|kind| {
                format!(
                    "raise {} (now {}) in the user namespace that counts it, e.g. with \
                     lxns::set_limit or `lxns limits {kind}=N`; ENOSPC also means the nesting \
                     limit of 32 user or pid namespaces was reached",
                    kind.limit_path(),
                    limit.map_or_else(|| "unreadable".to_owned(), |l| l.to_string())
                )
            }),
            Reason::ProcessGone { .. } => Some(
                "the process exited; lxns holds processes by pidfd, so a reused pid is never \
                 mistaken for it"
                    .into(),
            ),
            Reason::Busy => Some(
                "the file is still a mount point: another mount namespace may hold a copy of \
                 the mount that does not propagate; unmount it there (or keep registry \
                 directories shared mounts, as lxns and ip netns do)"
                    .into(),
            ),
            Reason::NotFound => match (kind, target) {
                (Some(Kind::Pid), Target::Path(p)) if p.ends_with("pid_for_children") => Some(
                    "a new pid namespace has no handle until its first process exists: \
                     create a child first"
                        .into(),
                ),
                _ => None,
            },
            Reason::Os => match errno.map(Errno::raw) {
                Some(9) if *op == Op::DupFd => Some(
                    "the descriptor is not open in this process: open it in the shell that \
                     starts the command (3<file, 4>file) and mind that a descriptor opened with \
                     O_CLOEXEC does not survive execve"
                        .into(),
                ),
                Some(22) if *op == Op::SetMountAttributes => Some(
                    "mount_setattr(2) answers EINVAL for an idmapped mount of a filesystem that \
                     does not support idmapping (tmpfs before Linux 6.3, proc, 9p, overlayfs), \
                     of a mount that is attached already (idmap a clone before attaching it), \
                     or with a user namespace fd that is not one (or is the caller's own \
                     initial namespace); and for an unknown attribute"
                        .into(),
                ),
                Some(24) => Some(
                    "this process has reached its limit of open files (EMFILE): raise it \
                     (ulimit -n, RLIMIT_NOFILE) or close descriptors; lxns needs a few fds per \
                     call"
                        .into(),
                ),
                Some(23) => Some(
                    "the system-wide limit of open files is reached (ENFILE, \
                     /proc/sys/fs/file-max)"
                        .into(),
                ),
                _ => None,
            },
            _ => None,
        }
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
        Op::Spawn(crate::SpawnStep::MountProc) => "in a new user namespace the kernel mounts a \
            fresh proc only for a new pid namespace too (add Kind::Pid; -p on the command line), \
            and only while another proc is fully visible"
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
    /// One line: `OP [KIND] for TARGET: WHAT (ERRNO)`. With `{:#}`, a second line `hint: …`
    /// where [`Error::hint`] has one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Inner {
            op,
            kind,
            target,
            errno,
            reason,
        } = &*self.0;
        write!(f, "{op}")?;
        if let Some(kind) = kind {
            write!(f, " [{kind}]")?;
        }
        if *target != Target::None {
            write!(f, " for {target}")?;
        }
        f.write_str(": ")?;
        match reason {
            Reason::NotFound if *op == Op::Spawn(crate::SpawnStep::Exec) => {
                f.write_str("command not found")?;
            }
            Reason::NotFound => f.write_str("no such file or namespace")?,
            Reason::NotNamespace { found } => write!(f, "not a namespace file: it is {found}")?,
            Reason::WrongKind { found } => write!(
                f,
                "wrong namespace kind: expected {}, found {found}",
                kind.map_or("?", Kind::proc_name)
            )?,
            Reason::ProcessGone { pid } => {
                write!(f, "process {pid} does not exist or has exited")?;
            }
            Reason::PermissionDenied { .. } => f.write_str("permission denied")?,
            Reason::MultiThreaded { threads } => {
                write!(f, "the process has {threads} threads")?;
            }
            Reason::LimitReached { .. } => write!(
                f,
                "limit on {} namespaces reached ({})",
                kind.map_or("", Kind::proc_name),
                kind.map(Kind::limit_path).unwrap_or_default()
            )?,
            Reason::Unsupported { what } => write!(f, "not supported here: {what}")?,
            Reason::InvalidArgument { why } => f.write_str(why)?,
            Reason::AlreadyExists => f.write_str("already exists")?,
            Reason::Busy => f.write_str("busy")?,
            Reason::Os => f.write_str("failed")?,
        }
        if let Some(e) = errno {
            write!(f, " ({e})")?;
        }
        if f.alternate() {
            if let Some(h) = self.hint() {
                write!(f, "\nhint: {h}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    /// The message and its hint (`{:#}`), so that `?` out of `main` prints what to do. The
    /// parts are in [`Error::reason`] and the accessors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#}")
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    /// Keeps the errno's [`io::ErrorKind`] and the whole lxns error as the payload, so
    /// `io_err.get_ref()` can be downcast back to [`Error`].
    fn from(e: Error) -> io::Error {
        let kind = match e.reason() {
            Reason::NotFound => io::ErrorKind::NotFound,
            Reason::AlreadyExists => io::ErrorKind::AlreadyExists,
            Reason::PermissionDenied { .. } => io::ErrorKind::PermissionDenied,
            Reason::InvalidArgument { .. } | Reason::WrongKind { .. } => {
                io::ErrorKind::InvalidInput
            }
            Reason::Unsupported { .. } => io::ErrorKind::Unsupported,
            _ => e.raw_os_error().map_or(io::ErrorKind::Other, |raw| {
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
        assert_eq!(Errno::from_raw(71).name(), Some("EPROTO"));
        assert!(Errno::from_raw(4000).to_string().starts_with("errno 4000"));
    }

    #[test]
    fn the_error_is_one_pointer() {
        assert!(size_of::<Result<()>>() <= 16);
        assert_eq!(size_of::<Error>(), size_of::<usize>());
    }

    #[test]
    fn display_is_one_line_and_the_hint_comes_with_the_alternate_form() {
        let e = Error::permission_denied(
            Op::Setns,
            Some(Kind::Net),
            Target::Path("/run/netns/x".into()),
            Errno::from_raw(1),
            None,
        );
        let s = e.to_string();
        assert!(!s.contains('\n'), "{s}");
        for part in [
            "setns",
            "[net]",
            "/run/netns/x",
            "EPERM: Operation not permitted",
        ] {
            assert!(s.contains(part), "{s}");
        }
        let long = format!("{e:#}");
        assert!(long.starts_with(&s) && long.contains("\nhint: "), "{long}");
        assert!(long.contains("CAP_SYS_ADMIN"), "{long}");
        assert_eq!(
            format!("{e:?}"),
            long,
            "Debug (what ? in main prints) is the long form"
        );
        assert_eq!(e.raw_os_error(), Some(1));
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::PermissionDenied);
        let back = io.get_ref().and_then(|r| r.downcast_ref::<Error>());
        assert!(back.is_some_and(|b| matches!(b.reason(), Reason::PermissionDenied { .. })));
    }

    #[test]
    fn one_classifier_keeps_the_errno_in_every_class() {
        for (raw, want) in [
            (2, Reason::NotFound),
            (3, Reason::ProcessGone { pid: 7 }),
            (1, Reason::PermissionDenied { owner: None }),
            (13, Reason::PermissionDenied { owner: None }),
            (17, Reason::AlreadyExists),
            (16, Reason::Busy),
            (71, Reason::Os),
        ] {
            let e = Error::os(Op::Setns, None, Target::Pid(7), Errno::from_raw(raw));
            assert_eq!(e.reason(), &want, "{raw}");
            assert_eq!(e.raw_os_error(), Some(raw));
        }
        let e = Error::os(
            Op::Unshare,
            Some(Kind::Net),
            Target::None,
            Errno::from_raw(28),
        );
        assert!(matches!(e.reason(), Reason::LimitReached { .. }));
        let e = Error::invalid_argument(Op::Parse, Target::Text("x".into()), "bad".into());
        assert_eq!(e.raw_os_error(), None, "no system call, no errno");
    }

    #[test]
    fn multithreaded_hint_says_what_to_do() {
        let e = Error::multi_threaded(Op::Unshare, Kind::User, Errno::from_raw(22), 3);
        let s = format!("{e:#}");
        assert!(s.contains("EINVAL"), "{s}");
        assert!(s.contains("3 threads"), "{s}");
        assert!(s.contains("single-threaded"), "{s}");
    }

    #[test]
    fn limit_hint_names_sysctl() {
        let e = Error::limit_reached(Op::Unshare, Kind::Net, Some(0));
        let s = format!("{e:#}");
        assert!(s.contains("/proc/sys/user/max_net_namespaces"), "{s}");
        assert!(s.contains("(now 0)"), "{s}");
        assert_eq!(e.raw_os_error(), Some(28));
    }
}
