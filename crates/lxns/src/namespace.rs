//! [`Namespace`]: an owned, validated handle on one namespace, and [`NsId`], its identity.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno as RErrno;

use crate::error::{Errno, Error, Op, Result, Target};
use crate::kind::Kind;
use crate::process::Process;
use crate::sys;

/// `NSFS_MAGIC` from linux/magic.h: the filesystem type of namespace files.
const NSFS_MAGIC: i64 = 0x6e73_6673;

/// The identity of a namespace: the device and inode of its nsfs file, plus its kind.
///
/// Two handles refer to the same namespace exactly when their `NsId`s are equal. `Display`
/// prints it the way the kernel prints `/proc/PID/ns/*` links: `net:[4026531840]`.
///
/// ```
/// let (kind, ino) = lxns::NsId::parse_link("net:[4026531840]").unwrap();
/// assert_eq!((kind, ino), (lxns::Kind::Net, 4026531840));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NsId {
    kind: Kind,
    dev: u64,
    ino: u64,
}

impl NsId {
    /// An id from its parts (for example from `stat` of a `/proc/PID/ns/*` link).
    pub const fn new(kind: Kind, dev: u64, ino: u64) -> NsId {
        NsId { kind, dev, ino }
    }

    /// The namespace's kind.
    pub const fn kind(&self) -> Kind {
        self.kind
    }

    /// The nsfs device number (`st_dev`).
    pub const fn dev(&self) -> u64 {
        self.dev
    }

    /// The namespace's inode number (`st_ino`), the number `lsns` shows in its NS column.
    pub const fn ino(&self) -> u64 {
        self.ino
    }

    /// Parses the target of a `/proc/PID/ns/*` link, `net:[4026531840]`, into its kind and
    /// inode number. Returns `None` for anything else.
    pub fn parse_link(text: &str) -> Option<(Kind, u64)> {
        let (name, rest) = text.split_once(":[")?;
        let ino = rest.strip_suffix(']')?;
        if ino.is_empty() || !ino.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let kind = crate::kind::TABLE
            .iter()
            .find(|row| row.proc_name == name)?
            .kind;
        Some((kind, ino.parse().ok()?))
    }
}

impl fmt::Display for NsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[{}]", self.kind.proc_name(), self.ino)
    }
}

/// An open handle on one namespace: an `O_CLOEXEC` nsfs file descriptor and its kind.
///
/// A `Namespace` keeps its namespace alive while it exists, even after every process in it
/// has exited; it does **not** keep any process alive. It can be entered
/// ([`enter_current_thread`](Namespace::enter_current_thread)), inspected
/// ([`user_namespace`](Namespace::user_namespace), [`parent`](Namespace::parent), …),
/// compared (`==` compares identity, [`NsId`]) and passed to other processes as an fd
/// ([`AsFd`]). Dropping it closes the fd.
///
/// Every constructor checks what it opened: a file that is not a namespace, or a namespace of
/// another kind than asked for, is an error, never a handle.
///
/// ```no_run
/// use lxns::{Kind, Namespace};
/// let mine = Namespace::current(Kind::Net)?;
/// let init = Namespace::of_process(1, Kind::Net)?;
/// println!("{} {}", mine.id(), if mine == init { "is init's" } else { "is not init's" });
/// # Ok::<(), lxns::Error>(())
/// ```
pub struct Namespace {
    fd: OwnedFd,
    id: NsId,
    /// The path it was opened from ([`Namespace::open`], [`Namespace::open_as`]).
    path: Option<Box<Path>>,
}

impl Namespace {
    /// The calling thread's namespace of `kind` (`/proc/thread-self/ns/<kind>`). The
    /// *process's* (python-lxns's `from_self()`, Haskell's `Nothing`, `/proc/self`) is
    /// [`Process::current`]`()?.`[`namespace`](Process::namespace)`(kind)`; in a
    /// single-threaded program they are the same.
    ///
    /// For [`Kind::Pid`] and [`Kind::Time`] this is the namespace the thread itself is in;
    /// see [`current_for_children`](Namespace::current_for_children) for the one its
    /// children will get.
    ///
    /// # Errors
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) when `/proc` is not mounted or this kernel lacks `kind`.
    ///
    /// # References
    ///  - [namespaces(7)](https://man7.org/linux/man-pages/man7/namespaces.7.html)
    pub fn current(kind: Kind) -> Result<Namespace> {
        let path = format!("/proc/thread-self/ns/{}", kind.proc_name());
        Self::open_checked(Path::new(&path), Some(kind), Op::OpenCurrent)
    }

    /// The namespace of `kind` that the calling thread's next children will be created in:
    /// `/proc/thread-self/ns/pid_for_children` or `time_for_children`. For the other kinds,
    /// the same as [`current`](Namespace::current).
    ///
    /// # Errors
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) after `unshare(CLONE_NEWPID)` and before the first child: the
    ///    kernel gives a new pid namespace no handle until a process lives in it.
    pub fn current_for_children(kind: Kind) -> Result<Namespace> {
        let Some(name) = kind.for_children_name() else {
            return Self::current(kind);
        };
        let path = format!("/proc/thread-self/ns/{name}");
        Self::open_checked(Path::new(&path), Some(kind), Op::OpenCurrent)
    }

    /// The namespace of `kind` of the process `pid`, opened race-free through a pidfd.
    ///
    /// The process is pinned with `pidfd_open(2)` first and the namespace taken from the
    /// pidfd (`PIDFD_GET_<KIND>_NAMESPACE`, Linux 6.11+; on older kernels `/proc/PID/ns`
    /// with a liveness check through the pidfd afterwards), so a pid reused by another
    /// process can never hand back that process's namespace. See [`Process`] to open several
    /// kinds of one process.
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for `pid <= 0`.
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when no such process exists or it exits meanwhile.
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without ptrace read access to the process.
    ///
    /// # References
    ///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[doc(alias = "pidfd_open")]
    pub fn of_process(pid: i32, kind: Kind) -> Result<Namespace> {
        Process::open(pid)?.namespace(kind)
    }

    /// The namespace of `kind` of the process that `pidfd` refers to.
    ///
    /// # Errors
    /// As for [`of_process`](Namespace::of_process); [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when `pidfd`
    /// is not a pidfd.
    pub fn of_pidfd(pidfd: BorrowedFd<'_>, kind: Kind) -> Result<Namespace> {
        Process::namespace_of_pidfd(pidfd, None, kind, false)
    }

    /// Opens a namespace file by path and detects its kind: `/proc/PID/ns/net`,
    /// `/run/netns/NAME`, or any bind mount of an nsfs file. Symlinks are followed (the
    /// `/proc` links are symlinks).
    ///
    /// Validation: the path must exist ([`Reason::NotFound`](crate::Reason::NotFound), also for a dangling symlink), be
    /// a regular file, not a directory, socket, fifo or device, and live on nsfs
    /// ([`Reason::NotNamespace`](crate::Reason::NotNamespace), which says what it is instead). Devices and fifos are
    /// rejected before they are opened.
    ///
    /// # Errors
    ///  - [`Reason::NotFound`](crate::Reason::NotFound), [`Reason::NotNamespace`](crate::Reason::NotNamespace) as above.
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) when the file cannot be opened (another user's
    ///    `/proc/PID/ns`).
    ///
    /// # References
    ///  - [ioctl_ns(2)](https://man7.org/linux/man-pages/man2/ioctl_ns.2.html)
    ///    (`NS_GET_NSTYPE`), [statfs(2)](https://man7.org/linux/man-pages/man2/statfs.2.html)
    pub fn open(path: impl AsRef<Path>) -> Result<Namespace> {
        Self::open_checked(path.as_ref(), None, Op::OpenPath)
    }

    /// Like [`open`](Namespace::open), and checks the kind.
    ///
    /// # Errors
    /// As for [`open`](Namespace::open), plus [`Reason::WrongKind`](crate::Reason::WrongKind) naming the expected and
    /// the found kind.
    pub fn open_as(path: impl AsRef<Path>, kind: Kind) -> Result<Namespace> {
        Self::open_checked(path.as_ref(), Some(kind), Op::OpenPath)
    }

    /// Takes ownership of an fd (received over a socket, inherited, …) after checking that
    /// it is a namespace, and detects its kind.
    ///
    /// # Errors
    ///  - [`Reason::NotNamespace`](crate::Reason::NotNamespace) when `fd` is not on nsfs (the fd is closed).
    pub fn from_fd(fd: OwnedFd) -> Result<Namespace> {
        Self::validate(fd, None, Target::Fd(-1), Op::Validate)
    }

    /// Checks that a borrowed fd (one the caller keeps: an fd from a C library, a socket
    /// message, `/proc/self/fd`) is a namespace, of `kind` when one is given, and returns a
    /// handle of its own on it (a close-on-exec duplicate, `F_DUPFD_CLOEXEC`); `fd` is left
    /// as it is.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// let file = std::fs::File::open("/proc/self/ns/net")?;
    /// let ns = lxns::Namespace::from_borrowed_fd(file.as_fd(), Some(lxns::Kind::Net))?;
    /// assert_eq!(ns, lxns::Namespace::open("/proc/self/ns/net")?);
    /// let not = std::fs::File::open("/proc/self/status")?;
    /// assert!(lxns::Namespace::from_borrowed_fd(not.as_fd(), None).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As for [`from_fd_as`](Namespace::from_fd_as); [`Reason::Os`](crate::Reason::Os) with
    /// `EMFILE` when no fd is left for the duplicate.
    pub fn from_borrowed_fd(fd: BorrowedFd<'_>, kind: Option<Kind>) -> Result<Namespace> {
        let target = Target::Fd(fd.as_raw_fd());
        let own = rustix::io::fcntl_dupfd_cloexec(fd, 0)
            .map_err(|e| Error::os(Op::Validate, kind, target.clone(), e.into()))?;
        Self::validate(own, kind, target, Op::Validate)
    }

    /// Like [`from_fd`](Namespace::from_fd), and checks the kind.
    ///
    /// # Errors
    /// As for [`from_fd`](Namespace::from_fd), plus [`Reason::WrongKind`](crate::Reason::WrongKind).
    pub fn from_fd_as(fd: OwnedFd, kind: Kind) -> Result<Namespace> {
        Self::validate(fd, Some(kind), Target::Fd(-1), Op::Validate)
    }

    /// Opens the namespace whose 64-bit id ([`ns_id`](Namespace::ns_id), `NS_GET_ID`) is
    /// `id` — `nsenter --net=:ID` — through an nsfs file handle (`open_by_handle_at(2)`,
    /// Linux 6.18+), checked to be a `kind` namespace when one is given. The id is unique
    /// for the boot and never reused, so unlike a pid or an inode it cannot name another
    /// namespace later.
    ///
    /// # Errors
    ///  - [`Reason::Unsupported`](crate::Reason::Unsupported) before Linux 6.18 (no nsfs file handles).
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) when no namespace has that id (any more).
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without the privilege over it that the kernel asks
    ///    (`CAP_SYS_ADMIN` in its owning user namespace, or being in it).
    ///  - [`Reason::WrongKind`](crate::Reason::WrongKind) when it is not a `kind` namespace.
    ///
    /// # Examples
    ///
    /// ```
    /// use lxns::{Kind, Namespace};
    /// let net = Namespace::current(Kind::Net)?;
    /// if lxns::kernel::Version::current().at_least(6, 18) {
    ///     let again = Namespace::open_by_id(net.ns_id()?, Some(Kind::Net))?;
    ///     assert_eq!(again, net);
    /// }
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn open_by_id(id: u64, kind: Option<Kind>) -> Result<Namespace> {
        let op = Op::OpenPath;
        let target = Target::Text(format!(":{id}"));
        // Namespace ids (NS_GET_ID) and nsfs file handles came in 6.18. Before, older
        // kernels hand out generic inode handles for nsfs that open nothing: say so.
        if !crate::kernel::Version::current().at_least(6, 18) {
            return Err(Error::unsupported(
                op,
                kind,
                "opening a namespace by its id (NS_GET_ID and nsfs file handles, Linux 6.18)"
                    .into(),
                None,
            ));
        }
        let ours = Namespace::current(kind.unwrap_or(Kind::Mnt))?;
        let ns_type = kind.map_or(0, Kind::clone_flag);
        let fd = match sys::open_ns_by_id(ours.fd.as_fd(), id, ns_type) {
            // Linux 6.18 opens a handle only with its inode too: find the namespace among
            // those a listing reaches (processes, bind mounts, open fds) instead.
            Err(RErrno::STALE) => return Self::find_by_id(id, kind, target),
            other => other,
        };
        let fd = fd.map_err(|e| match e {
            RErrno::OPNOTSUPP | RErrno::INVAL | RErrno::NOSYS => Error::unsupported(
                op,
                kind,
                "opening a namespace by its id (nsfs file handles, Linux 6.18)".into(),
                Some(e.into()),
            ),
            RErrno::NOENT | RErrno::STALE | RErrno::SRCH => {
                Error::not_found(op, kind, target.clone())
            }
            e @ (RErrno::PERM | RErrno::ACCESS) => {
                Error::permission_denied(op, kind, target.clone(), e.into(), None)
            }
            other => Error::os(op, kind, target.clone(), other.into()),
        })?;
        Self::validate(fd, kind, target, op)
    }

    /// The namespace with id `id` among those [`list`](crate::list) finds.
    fn find_by_id(id: u64, kind: Option<Kind>, target: Target) -> Result<Namespace> {
        let kinds = kind.map_or(crate::KindSet::ALL, crate::KindSet::from);
        let listing = crate::list(&crate::ListOptions::new().kinds(kinds).fds(true))?;
        for info in &listing.namespaces {
            if let Ok(ns) = info.open() {
                if ns.ns_id().ok() == Some(id) {
                    return Ok(ns);
                }
            }
        }
        Err(Error::not_found(Op::OpenPath, kind, target).with_errno(None))
    }

    /// Wraps an fd already known to be an nsfs fd of `kind` (from a pidfd or nsfs ioctl):
    /// only its identity is read.
    pub(crate) fn from_trusted_fd(
        fd: OwnedFd,
        kind: Kind,
        op: Op,
        target: Target,
    ) -> Result<Namespace> {
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::os(op, Some(kind), target, e.into()))?;
        Ok(Namespace {
            id: NsId::new(kind, st.st_dev, st.st_ino),
            fd,
            path: None,
        })
    }

    /// The path this handle was opened from ([`open`](Namespace::open),
    /// [`open_as`](Namespace::open_as), [`cni::get_netns`](crate::cni::get_netns): CNI's
    /// `NetNS.Path()`), as given; `None` for a handle from a pid, an fd, a helper thread or
    /// an id. The path may name something else by now; the handle does not.
    ///
    /// ```
    /// let ns = lxns::Namespace::open("/proc/self/ns/uts")?;
    /// assert_eq!(ns.path(), Some(std::path::Path::new("/proc/self/ns/uts")));
    /// assert_eq!(lxns::Namespace::current(lxns::Kind::Uts)?.path(), None);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The namespace's kind.
    pub fn kind(&self) -> Kind {
        self.id.kind
    }

    /// The namespace's identity (device and inode of its nsfs file).
    pub fn id(&self) -> NsId {
        self.id
    }

    /// Whether `self` and `other` are the same namespace (same as `==`).
    pub fn same_as(&self, other: &Namespace) -> bool {
        self.id == other.id
    }

    /// A second handle on the same namespace (`F_DUPFD_CLOEXEC`).
    ///
    /// # Errors
    ///  - [`Reason::Os`](crate::Reason::Os) with `EMFILE` when the process is out of fds.
    pub fn try_clone(&self) -> Result<Namespace> {
        let fd = self.fd.try_clone().map_err(|e| {
            Error::os(
                Op::Validate,
                Some(self.kind()),
                Target::Namespace(self.id),
                Errno::from_io(&e).unwrap_or(Errno::from_raw(24)),
            )
        })?;
        Ok(Namespace {
            fd,
            id: self.id,
            path: self.path.clone(),
        })
    }

    /// Gives up the handle and returns its fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    fn open_checked(path: &Path, kind: Option<Kind>, op: Op) -> Result<Namespace> {
        let target = || Target::Path(path.to_path_buf());
        // The one classifier (ENOENT, EPERM/EACCES, …), and ENXIO: opening a socket.
        let map_open_err = |e: RErrno| match e {
            RErrno::NXIO => Error::not_namespace(op, target(), "a socket".into(), Some(e.into())),
            other => Error::os(op, kind, target(), other.into()),
        };
        // Refuse what is not a regular file before opening it: opening a fifo blocks and
        // opening a device can have side effects. nsfs files (and the /proc links to them)
        // stat as regular files.
        let st = rustix::fs::stat(path).map_err(map_open_err)?;
        let ft = FileType::from_raw_mode(st.st_mode);
        if ft != FileType::RegularFile {
            return Err(Error::not_namespace(
                op,
                target(),
                describe_file_type(ft).into(),
                None,
            ));
        }
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map_err(map_open_err)?;
        let mut ns = Self::validate(fd, kind, target(), op)?;
        // Only a path the caller gave: /proc/thread-self would mean another thread later.
        if op == Op::OpenPath {
            ns.path = Some(path.into());
        }
        Ok(ns)
    }

    fn validate(fd: OwnedFd, kind: Option<Kind>, target: Target, op: Op) -> Result<Namespace> {
        let target = match target {
            Target::Fd(_) => Target::Fd(fd.as_raw_fd()),
            t => t,
        };
        let id = Self::check(fd.as_fd(), kind, target, op)?;
        Ok(Namespace { id, fd, path: None })
    }

    /// What a borrowed fd refers to, checked as [`from_fd`](Namespace::from_fd) checks it,
    /// without taking or duplicating the fd: for code that keeps raw fds of its own (a C
    /// library's, python-lxns's `BaseNamespace(fd)`).
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// let file = std::fs::File::open("/proc/self/ns/uts")?;
    /// let id = lxns::Namespace::identify_fd(file.as_fd())?;
    /// assert_eq!(id, lxns::Namespace::current(lxns::Kind::Uts)?.id());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As for [`from_fd`](Namespace::from_fd): [`Reason::NotNamespace`](crate::Reason::NotNamespace)
    /// (with `ENOTTY` for a regular file, the kernel's own answer), `EBADF` for an fd that is
    /// not open.
    pub fn identify_fd(fd: BorrowedFd<'_>) -> Result<NsId> {
        Self::check(fd, None, Target::Fd(fd.as_raw_fd()), Op::Validate)
    }

    fn check(fd: BorrowedFd<'_>, kind: Option<Kind>, target: Target, op: Op) -> Result<NsId> {
        // One fstat: its device is nsfs's (known after the first call) for every namespace
        // file, which spares the fstatfs; anything else is looked at closely.
        let st =
            rustix::fs::fstat(fd).map_err(|e| Error::os(op, kind, target.clone(), e.into()))?;
        let on_nsfs = nsfs_dev() == Some(st.st_dev) || {
            let sfs = rustix::fs::fstatfs(fd)
                .map_err(|e| Error::os(op, kind, target.clone(), e.into()))?;
            #[allow(clippy::useless_conversion)] // f_type's width differs between architectures.
            let fs_type = i64::from(sfs.f_type);
            fs_type == NSFS_MAGIC
        };
        if !on_nsfs {
            let sfs = rustix::fs::fstatfs(fd).ok();
            #[allow(clippy::useless_conversion)]
            let fs_type = sfs.map_or(0, |s| i64::from(s.f_type));
            let st = rustix::fs::fstat(fd).ok();
            let ft = st.map(|s| FileType::from_raw_mode(s.st_mode));
            let (found, errno) = match ft {
                Some(FileType::RegularFile) => {
                    // Ask the kernel too, so callers see its answer (ENOTTY) as python-lxns
                    // users do. Only for regular files: a device could act on the request.
                    let errno = sys::ns_get_nstype(fd).err().map(Errno::from);
                    (format!("a regular file on {}", describe_fs(fs_type)), errno)
                }
                Some(ft) => (describe_file_type(ft).to_owned(), None),
                None => (format!("a file on {}", describe_fs(fs_type)), None),
            };
            return Err(Error::not_namespace(op, target, found, errno));
        }
        let flag = sys::ns_get_nstype(fd).map_err(|e| match e {
            RErrno::NOTTY => Error::unsupported(
                op,
                kind,
                "NS_GET_NSTYPE (Linux 4.11)".into(),
                Some(e.into()),
            ),
            other => Error::os(op, kind, target.clone(), other.into()),
        })?;
        let found = Kind::from_clone_flag(flag).ok_or_else(|| {
            Error::unsupported(
                op,
                kind,
                format!("a namespace kind lxns does not know (CLONE flag {flag:#x})"),
                None,
            )
        })?;
        match kind {
            Some(expected) if expected != found => {
                return Err(Error::wrong_kind(op, target, expected, found, None));
            }
            _ => {}
        }
        Ok(NsId::new(found, st.st_dev, st.st_ino))
    }
}

/// The device number of nsfs, which every namespace file has (one superblock for the whole
/// kernel), read once.
pub(crate) fn nsfs_dev() -> Option<u64> {
    static DEV: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *DEV.get_or_init(|| {
        rustix::fs::stat("/proc/self/ns/net")
            .ok()
            .map(|st| st.st_dev)
    })
}

fn describe_file_type(ft: FileType) -> &'static str {
    match ft {
        FileType::Directory => "a directory",
        FileType::Socket => "a socket",
        FileType::Fifo => "a fifo",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Symlink => "a symlink",
        FileType::RegularFile => "a regular file",
        _ => "not a regular file",
    }
}

fn describe_fs(magic: i64) -> String {
    let name = match magic {
        0x9fa0 => "procfs (a /proc file that is not a namespace link)",
        0x6265_6572 => "sysfs",
        0x0102_1994 => "tmpfs",
        0xef53 => "ext2/3/4",
        0x5846_5342 => "xfs",
        0x9123_683e => "btrfs",
        0x794c_7630 => "overlayfs",
        0x5049_5045 => "pipefs",
        0x534f_434b => "sockfs",
        0x0904_1934 => "anon_inode_fs",
        0x6365_7467 => "devpts",
        0x2468_1357 | 0x1373 => "devtmpfs/devfs",
        _ => return format!("a filesystem of type {magic:#x}"),
    };
    name.to_owned()
}

impl AsFd for Namespace {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<Namespace> for OwnedFd {
    fn from(ns: Namespace) -> OwnedFd {
        ns.fd
    }
}

impl PartialEq for Namespace {
    fn eq(&self, other: &Namespace) -> bool {
        self.id == other.id
    }
}

impl Eq for Namespace {}

impl Hash for Namespace {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("id", &format_args!("{}", self.id))
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.id, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_link_accepts_only_kernel_format() {
        assert_eq!(
            NsId::parse_link("mnt:[4026531832]"),
            Some((Kind::Mnt, 4026531832))
        );
        for bad in [
            "",
            "net",
            "net:[]",
            "net:[12a]",
            "net:[-1]",
            "nets:[1]",
            "net:[1",
            "net:[99999999999999999999999]",
        ] {
            assert_eq!(NsId::parse_link(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_like_kernel() {
        assert_eq!(
            NsId::new(Kind::Net, 4, 4026531840).to_string(),
            "net:[4026531840]"
        );
    }
}
