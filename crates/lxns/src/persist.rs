//! Keeping a namespace alive without a process: a bind mount of its nsfs file onto a path.
//!
//! This is what `ip netns add`, `unshare --net=FILE` and vishvananda/netns `NewNamed` do. The
//! file is created with `O_CREAT|O_EXCL|O_NOFOLLOW` (never a symlink, never an existing
//! file), the namespace is mounted onto *that* file (through its fd, with `open_tree(2)` and
//! `move_mount(2)`, so a path swapped meanwhile cannot redirect the mount), and on any failure
//! the file is removed again.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno as RErrno;
use rustix::mount::{MoveMountFlags, OpenTreeFlags, UnmountFlags};

use crate::error::{Error, Op, Result, Target};
use crate::kind::Kind;
use crate::namespace::Namespace;

/// `NSFS_MAGIC` from linux/magic.h.
const NSFS_MAGIC: i64 = 0x6e73_6673;

fn target(path: &Path) -> Target {
    Target::Path(path.to_path_buf())
}

impl Namespace {
    /// Keeps this namespace alive by bind-mounting it onto a new file at `path`
    /// (`ip netns add`'s and `unshare --net=FILE`'s mechanism), for any kind.
    ///
    /// `path` must not exist (not even as a symlink); its directory must. For a pid or time
    /// namespace, persist the handle of the namespace itself (for example
    /// [`Namespace::current_for_children`] after an unshare).
    ///
    /// A mount namespace cannot be persisted on a mount that propagates into that namespace
    /// (the kernel refuses the loop with `EINVAL`): use a directory that is a private mount.
    ///
    /// ```no_run
    /// use lxns::{Kind, Namespace};
    /// let ns = Namespace::new(Kind::Net)?;
    /// ns.persist("/run/lxns-demo")?;       // survives `ns` being dropped
    /// drop(ns);
    /// let again = Namespace::open_as("/run/lxns-demo", Kind::Net)?;
    /// lxns::unpersist("/run/lxns-demo")?;
    /// # Ok::<(), lxns::Error>(())
    /// ```
    ///
    /// # Errors
    ///  - [`Reason::AlreadyExists`](crate::Reason::AlreadyExists) when `path` exists (file, directory or symlink); nothing
    ///    is changed.
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) when its directory does not exist.
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without `CAP_SYS_ADMIN` in the caller's mount
    ///    namespace's user namespace.
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for a mount namespace on a shared mount (see above).
    ///
    ///   On every error the file created for the mount is removed again.
    ///
    /// # References
    ///  - [open_tree(2)](https://man7.org/linux/man-pages/man2/open_tree.2.html),
    ///    [move_mount(2)](https://man7.org/linux/man-pages/man2/move_mount.2.html),
    ///    [ip-netns(8)](https://man7.org/linux/man-pages/man8/ip-netns.8.html)
    #[doc(alias = "bind mount")]
    pub fn persist(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let op = Op::Persist;
        let file = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o444),
        )
        .map_err(|e| path_error(op, Some(self.kind()), path, e))?;
        match self.mount_onto(&file) {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = match e {
                    RErrno::INVAL if self.kind() == Kind::Mnt => Error::invalid_argument(
                        op,
                        target(path),
                        "a mount namespace cannot be bind-mounted where the mount \
                                 would propagate back into it (EINVAL); persist it in a \
                                 directory that is a private mount (mount --bind DIR DIR; \
                                 mount --make-private DIR)"
                            .into(),
                    ),
                    other => path_error(op, Some(self.kind()), path, other),
                };
                remove_if_same(path, &file);
                Err(err)
            }
        }
    }

    /// Bind-mounts this namespace onto the **existing** file `path`, as `unshare --uts=FILE`
    /// and `mount --bind /proc/PID/ns/uts FILE` do: `path` must be a regular file (a final
    /// symlink is not followed) with no namespace mounted on it yet. The mount goes onto the
    /// very file opened, as with [`persist`](Namespace::persist); the file is not created,
    /// and [`unpersist`](crate::unpersist) removes it as it removes any persisted file.
    ///
    /// ```no_run
    /// use lxns::{Kind, Namespace};
    /// std::fs::File::create("/run/my-uts")?;   // unshare(1)'s recipe: touch FILE first
    /// Namespace::current(Kind::Uts)?.persist_onto_existing("/run/my-uts")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) when `path` does not exist; [`Reason::AlreadyExists`](crate::Reason::AlreadyExists) when a
    ///    namespace is mounted there already; [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for a symlink or
    ///    anything but a regular file.
    ///  - As for [`persist`](Namespace::persist) otherwise.
    pub fn persist_onto_existing(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let op = Op::Persist;
        let file = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            RErrno::LOOP => Error::invalid_argument(
                op,
                target(path),
                "the file is a symlink; lxns mounts only onto the file itself".into(),
            ),
            other => path_error(op, Some(self.kind()), path, other),
        })?;
        if on_nsfs(&file) {
            return Err(Error::already_exists(op, target(path)).with_errno(None));
        }
        let regular = rustix::fs::fstat(&file).is_ok_and(|m| {
            rustix::fs::FileType::from_raw_mode(m.st_mode) == rustix::fs::FileType::RegularFile
        });
        if !regular {
            return Err(Error::invalid_argument(
                op,
                target(path),
                "a namespace can be persisted only onto a regular file".into(),
            ));
        }
        self.mount_onto(&file)
            .map_err(|e| path_error(op, Some(self.kind()), path, e))
    }

    fn mount_onto(&self, file: &OwnedFd) -> rustix::io::Result<()> {
        match rustix::mount::open_tree(
            self,
            "",
            OpenTreeFlags::OPEN_TREE_CLONE
                | OpenTreeFlags::OPEN_TREE_CLOEXEC
                | OpenTreeFlags::AT_EMPTY_PATH,
        ) {
            Ok(tree) => rustix::mount::move_mount(
                &tree,
                "",
                file,
                "",
                MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
            ),
            // Kernels before 5.2: the classic bind mount, still onto our own file.
            Err(RErrno::NOSYS) => rustix::mount::mount_bind(
                format!("/proc/self/fd/{}", self.as_fd().as_raw_fd()).as_str(),
                format!("/proc/self/fd/{}", file.as_raw_fd()).as_str(),
            ),
            Err(e) => Err(e),
        }
    }
}

/// Removes `path` if it is still the file behind `file` (we created it).
fn remove_if_same(path: &Path, file: &OwnedFd) {
    let (Ok(a), Ok(b)) = (
        rustix::fs::fstat(file),
        rustix::fs::statat(rustix::fs::CWD, path, AtFlags::SYMLINK_NOFOLLOW),
    ) else {
        return;
    };
    if a.st_dev == b.st_dev && a.st_ino == b.st_ino {
        let _ = rustix::fs::unlink(path);
    }
}

pub(crate) fn path_error(op: Op, kind: Option<Kind>, path: &Path, e: RErrno) -> Error {
    // The one classifier (EEXIST, ENOENT, EPERM/EACCES, EBUSY, …), and ELOOP: a symlink.
    match e {
        RErrno::LOOP => Error::invalid_argument(
            op,
            target(path),
            "the path is a symlink, which lxns refuses to follow".into(),
        )
        .with_errno(Some(e.into())),
        other => Error::os(op, kind, target(path), other.into()),
    }
}

/// Whether `path` is a mounted namespace file (on nsfs), without following a final symlink.
///
/// ```
/// assert!(!lxns::is_persisted("/proc/self/status")); // a file, nothing mounted on it
/// assert!(!lxns::is_persisted("/nonexistent"));
/// ```
pub fn is_persisted(path: impl AsRef<Path>) -> bool {
    open_nofollow(path.as_ref()).is_ok_and(|fd| on_nsfs(&fd))
}

/// An `O_PATH` fd on `path` itself (a final symlink is not followed).
fn open_nofollow(path: &Path) -> rustix::io::Result<OwnedFd> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

fn on_nsfs(fd: &OwnedFd) -> bool {
    #[allow(clippy::useless_conversion)] // f_type's width differs between architectures.
    rustix::fs::fstatfs(fd).is_ok_and(|s| i64::from(s.f_type) == NSFS_MAGIC)
}

/// Undoes [`Namespace::persist`]: unmounts the namespace from `path` (lazily, so it also
/// works while something uses it) and removes the file. The namespace itself lives on while
/// any process or handle still uses it.
///
/// Refuses paths that are not a mounted namespace file, so it never unmounts or deletes
/// anything else.
///
/// # Errors
///  - [`Reason::NotFound`](crate::Reason::NotFound) when `path` does not exist.
///  - [`Reason::NotNamespace`](crate::Reason::NotNamespace) when it is not a mounted namespace (nothing is changed).
///  - [`Reason::Busy`](crate::Reason::Busy) when the file stays a mount point elsewhere (another mount namespace
///    holds a private copy of the mount).
///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without `CAP_SYS_ADMIN`.
///
/// # References
///  - [umount2(2)](https://man7.org/linux/man-pages/man2/umount2.2.html)
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
/// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
/// # let reg = lxns::netns::Registry::at(&tmp);
/// let ns = lxns::Namespace::new(lxns::Kind::Uts)?;
/// let file = tmp.join("uts");
/// ns.persist(&file)?;                 // outlives every handle and process now
/// assert!(lxns::is_persisted(&file));
/// lxns::unpersist(&file)?;            // unmounted and removed
/// assert!(!file.exists());
/// assert!(lxns::unpersist("/proc/self/status").is_err()); // refuses what is no nsfs mount
/// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn unpersist(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let op = Op::Unpersist;
    let fd = open_nofollow(path).map_err(|e| path_error(op, None, path, e))?;
    if !on_nsfs(&fd) {
        let found =
            match rustix::fs::fstat(&fd).map(|m| rustix::fs::FileType::from_raw_mode(m.st_mode)) {
                Ok(rustix::fs::FileType::RegularFile) => {
                    "a regular file with no namespace mounted on it"
                }
                Ok(rustix::fs::FileType::Directory) => "a directory",
                Ok(rustix::fs::FileType::Symlink) => "a symlink",
                _ => "not a namespace mount",
            };
        return Err(Error::not_namespace(op, target(path), found.into(), None));
    }
    drop(fd);
    rustix::mount::unmount(path, UnmountFlags::DETACH | UnmountFlags::NOFOLLOW)
        .map_err(|e| path_error(op, None, path, e))?;
    match rustix::fs::unlink(path) {
        Ok(()) => Ok(()),
        // Still a mount point: stacked mounts, or a copy that does not propagate. Detach
        // once more and retry, as ip netns delete does.
        Err(RErrno::BUSY) => {
            let _ = rustix::mount::unmount(path, UnmountFlags::DETACH | UnmountFlags::NOFOLLOW);
            rustix::fs::unlink(path).map_err(|e| path_error(op, None, path, e))
        }
        Err(e) => Err(path_error(op, None, path, e)),
    }
}
