//! Mounts by file descriptor: the kernel's new mount API (Linux 5.2), with the classic
//! `mount(2)` where it is missing.
//!
//! A [`Tree`] is a mount that is not attached anywhere yet: a clone of an existing tree
//! ([`Tree::clone_of`], `open_tree(2)` with `OPEN_TREE_CLONE`: a bind mount in waiting) or
//! a new filesystem ([`Tree::filesystem`], `fsopen(2)`/`fsconfig(2)`/`fsmount(2)`). It is
//! made in the caller's mount namespace and [attached](Tree::attach) with `move_mount(2)`,
//! possibly after the caller has entered another mount namespace — which is what makes the
//! new API suit namespaces: "clone here, attach there".
//!
//! ```no_run
//! // Bind /srv/data over /mnt/data, as `mount --bind` does.
//! let tree = lxns::mount::Tree::clone_of("/srv/data", false)?;
//! tree.attach("/mnt/data")?;
//! // A 16 MiB tmpfs on /mnt/scratch.
//! lxns::mount::Tree::filesystem("tmpfs", &[("size", "16m"), ("mode", "0700")])?
//!     .attach("/mnt/scratch")?;
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! A mount's attributes — read-only, `nosuid`, `nodev`, `noexec`, propagation, and an
//! **idmapping** (Linux 5.12+: the files' owners seen through a user namespace's maps) — are
//! [`Attributes`], set with `mount_setattr(2)` on a tree before it is attached
//! ([`Tree::set_attributes`]) or on a mount already in place ([`set_attributes`]):
//!
//! ```no_run
//! use lxns::mount::{Attributes, Tree};
//! // A read-only, nosuid bind of /usr, as `mount --bind -o ro,nosuid` (and bwrap's --ro-bind).
//! let mut usr = Tree::clone_of("/usr", true)?;
//! usr.set_attributes(&Attributes::new().read_only(true).nosuid(true), true)?;
//! usr.attach("/mnt/root/usr")?;
//! // The same home directory, its files owned by uid 0 inside a container whose user
//! // namespace maps 0 to the directory's owner.
//! # let pid = 1;
//! let userns = lxns::Namespace::of_process(pid, lxns::Kind::User)?;
//! let mut home = Tree::clone_of("/home/alice", false)?;
//! home.set_attributes(&Attributes::new().idmap(&userns), false)?;
//! home.attach("/mnt/root/root")?;
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! Kernels without the new API (before 5.2, or a seccomp filter answering `ENOSYS`) get the
//! same result from `mount(2)` at [`attach`](Tree::attach) time: the tree then remembers
//! what to mount instead of holding a detached mount ([`Tree::is_detached`] tells which),
//! and attributes are applied with `mount(MS_REMOUNT | MS_BIND)` right after it is attached
//! (kernels before 5.12 lack `mount_setattr(2)`; an idmapping has no `mount(2)` form and is
//! [`Reason::Unsupported`](crate::Reason::Unsupported) there).
//!
//! python-lxns's `lxns.mount.ClonedTree(path)` is `Tree::clone_of(path, false)` and its
//! `mount(path)` is [`Tree::attach`]; its `lxns.os.open_tree`/`move_mount` are the system
//! calls underneath ([`porting`](crate::porting)). util-linux's `mount -o
//! X-mount.idmap=/proc/PID/ns/user` is [`Attributes::idmap`] on a clone.

use std::ffi::{CStr, OsStr, OsString};
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::CWD;
use rustix::io::Errno as RErrno;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MountPropagationFlags, MoveMountFlags,
    OpenTreeFlags,
};

use crate::error::{Error, Op, Result, Target};
use crate::{Kind, Namespace, Propagation};

/// A mount that is not attached yet (see the [module](self) docs).
pub struct Tree {
    inner: Inner,
    /// Attributes to apply with `mount(2)` once attached (no `mount_setattr(2)`).
    pending: Vec<(Change, bool)>,
}

/// What [`set_attributes`] changes on a mount: each attribute is set, cleared, or left as it
/// is (the default), as `mount_setattr(2)`'s `attr_set`/`attr_clr` do; plus the propagation
/// and an idmapping.
///
/// ```
/// use lxns::mount::Attributes;
/// let ro_nosuid = Attributes::new().read_only(true).nosuid(true);
/// let writable_again = Attributes::new().read_only(false);
/// # let _ = (ro_nosuid, writable_again);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Attributes<'a> {
    change: Change,
    idmap: Option<&'a Namespace>,
}

impl Default for Change {
    fn default() -> Change {
        Change {
            set: MountAttrFlags::empty(),
            clear: MountAttrFlags::empty(),
            propagation: None,
        }
    }
}

/// The part of [`Attributes`] that `mount(2)` can express too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Change {
    set: MountAttrFlags,
    clear: MountAttrFlags,
    propagation: Option<Propagation>,
}

impl<'a> Attributes<'a> {
    /// Changes nothing (yet).
    pub fn new() -> Attributes<'a> {
        Attributes::default()
    }

    fn flag(mut self, flag: MountAttrFlags, on: bool) -> Attributes<'a> {
        if on {
            self.change.set |= flag;
            self.change.clear -= flag;
        } else {
            self.change.clear |= flag;
            self.change.set -= flag;
        }
        self
    }

    /// `MOUNT_ATTR_RDONLY` (`ro`): writes fail with `EROFS`. `false` makes it writable.
    pub fn read_only(self, on: bool) -> Attributes<'a> {
        self.flag(MountAttrFlags::MOUNT_ATTR_RDONLY, on)
    }

    /// `MOUNT_ATTR_NOSUID` (`nosuid`): set-user-ID bits and file capabilities are ignored.
    pub fn nosuid(self, on: bool) -> Attributes<'a> {
        self.flag(MountAttrFlags::MOUNT_ATTR_NOSUID, on)
    }

    /// `MOUNT_ATTR_NODEV` (`nodev`): device nodes cannot be opened.
    pub fn nodev(self, on: bool) -> Attributes<'a> {
        self.flag(MountAttrFlags::MOUNT_ATTR_NODEV, on)
    }

    /// `MOUNT_ATTR_NOEXEC` (`noexec`): nothing on it can be executed.
    pub fn noexec(self, on: bool) -> Attributes<'a> {
        self.flag(MountAttrFlags::MOUNT_ATTR_NOEXEC, on)
    }

    /// The propagation type ([mount_namespaces(7)](https://man7.org/linux/man-pages/man7/mount_namespaces.7.html));
    /// [`Propagation::Unchanged`] leaves it.
    pub fn propagation(mut self, propagation: Propagation) -> Attributes<'a> {
        self.change.propagation = match propagation {
            Propagation::Unchanged => None,
            p => Some(p),
        };
        self
    }

    /// `MOUNT_ATTR_IDMAP`: the mount shows (and creates) files with owners translated by
    /// the maps of the user namespace `userns` (Linux 5.12+): a file owned on disk by the id
    /// that `userns` maps to 0 shows as owned by 0. Only a tree not yet attached (a
    /// [`Tree`]) can be idmapped, once; the filesystem must support it (ext4, xfs, btrfs;
    /// tmpfs from Linux 6.3).
    pub fn idmap(mut self, userns: &'a Namespace) -> Attributes<'a> {
        self.idmap = Some(userns);
        self
    }
}

fn propagation_bits(p: Propagation) -> MountPropagationFlags {
    match p {
        Propagation::Private | Propagation::Unchanged => MountPropagationFlags::PRIVATE,
        Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
        Propagation::Shared => MountPropagationFlags::SHARED,
    }
}

/// `mount_setattr(dirfd, path, flags, attrs)`; `Ok(false)` when the kernel lacks it.
fn setattr(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    empty_path: bool,
    attrs: &Attributes<'_>,
    recursive: bool,
    target: &dyn Fn() -> Target,
) -> Result<bool> {
    let err = |e: RErrno| Error::os(Op::SetMountAttributes, None, target(), e.into());
    let mut raw = crate::sys::MountAttr {
        attr_set: u64::from(attrs.change.set.bits()),
        attr_clr: u64::from(attrs.change.clear.bits()),
        propagation: attrs
            .change
            .propagation
            .map_or(0, |p| u64::from(propagation_bits(p).bits())),
        userns_fd: 0,
    };
    let userns = match attrs.idmap {
        Some(ns) if ns.kind() != Kind::User => {
            return Err(Error::wrong_kind(
                Op::SetMountAttributes,
                Target::Namespace(ns.id()),
                Kind::User,
                ns.kind(),
                None,
            ));
        }
        Some(ns) => {
            raw.attr_set |= u64::from(MountAttrFlags::MOUNT_ATTR_IDMAP.bits());
            Some(ns.as_fd())
        }
        None => None,
    };
    let mut flags = 0;
    if empty_path {
        flags |= rustix::fs::AtFlags::EMPTY_PATH.bits();
    }
    if recursive {
        flags |= OpenTreeFlags::AT_RECURSIVE.bits();
    }
    match crate::sys::mount_setattr(dirfd, path, flags, raw, userns) {
        Ok(()) => Ok(true),
        Err(RErrno::NOSYS) if attrs.idmap.is_some() => Err(Error::unsupported(
            Op::SetMountAttributes,
            None,
            format!(
                "idmapped mounts (mount_setattr(2), Linux 5.12), for {}",
                target()
            ),
            Some(RErrno::NOSYS.into()),
        )),
        Err(RErrno::NOSYS) => Ok(false),
        Err(e) => Err(err(e)),
    }
}

/// Applies `change` with `mount(2)` to the mount at `path` (and, when `recursive`, every
/// mount below it, from `/proc/thread-self/mountinfo`).
fn remount(path: &Path, change: Change, recursive: bool) -> Result<()> {
    let err = |p: &Path, e: RErrno| path_error(Op::SetMountAttributes, p, e);
    if let Some(p) = change.propagation {
        let mut flags = propagation_bits(p);
        if recursive {
            flags |= MountPropagationFlags::REC;
        }
        rustix::mount::mount_change(path, flags).map_err(|e| err(path, e))?;
    }
    if change.set.is_empty() && change.clear.is_empty() {
        return Ok(());
    }
    let mut paths = vec![path.to_path_buf()];
    if recursive {
        paths.extend(mounts_below(path));
    }
    for p in &paths {
        // MS_REMOUNT|MS_BIND replaces the per-mount flags: start from the current ones.
        let now = rustix::fs::statvfs(p.as_path())
            .map_err(|e| err(p, e))?
            .f_flag;
        let pairs = [
            (
                rustix::fs::StatVfsMountFlags::RDONLY,
                MountAttrFlags::MOUNT_ATTR_RDONLY,
                MountFlags::RDONLY,
            ),
            (
                rustix::fs::StatVfsMountFlags::NOSUID,
                MountAttrFlags::MOUNT_ATTR_NOSUID,
                MountFlags::NOSUID,
            ),
            (
                rustix::fs::StatVfsMountFlags::NODEV,
                MountAttrFlags::MOUNT_ATTR_NODEV,
                MountFlags::NODEV,
            ),
            (
                rustix::fs::StatVfsMountFlags::NOEXEC,
                MountAttrFlags::MOUNT_ATTR_NOEXEC,
                MountFlags::NOEXEC,
            ),
            (
                rustix::fs::StatVfsMountFlags::NOATIME,
                MountAttrFlags::MOUNT_ATTR_NOATIME,
                MountFlags::NOATIME,
            ),
            (
                rustix::fs::StatVfsMountFlags::NODIRATIME,
                MountAttrFlags::MOUNT_ATTR_NODIRATIME,
                MountFlags::NODIRATIME,
            ),
        ];
        let mut flags = MountFlags::BIND;
        for (st, attr, ms) in pairs {
            let on =
                (now.contains(st) || change.set.contains(attr)) && !change.clear.contains(attr);
            if on {
                flags |= ms;
            }
        }
        rustix::mount::mount_remount(p.as_path(), flags, c"").map_err(|e| err(p, e))?;
    }
    Ok(())
}

/// The mount points strictly below `path`, from `/proc/thread-self/mountinfo` (the calling
/// thread's mount namespace, which may not be the process's).
fn mounts_below(path: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read("/proc/thread-self/mountinfo") else {
        return Vec::new();
    };
    text.split(|b| *b == b'\n')
        .filter_map(|line| line.split(|b| *b == b' ').nth(4))
        .map(|m| PathBuf::from(crate::list::unescape_octal(m)))
        .filter(|m| m != path && m.starts_with(path))
        .collect()
}

/// Changes the attributes of the mount at `path` (with every mount below it when
/// `recursive`): `mount_setattr(AT_FDCWD, path, [AT_RECURSIVE], attrs)`, or
/// `mount(MS_REMOUNT | MS_BIND)` (and `mount(MS_PRIVATE…)`) where the kernel lacks it. An
/// idmapping cannot be given to a mount in place: idmap a [`Tree`].
///
/// # Errors
/// [`Op::SetMountAttributes`] naming `path`: [`Reason::NotFound`](crate::Reason::NotFound);
/// [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without `CAP_SYS_ADMIN`
/// over the mount namespace, or for clearing `ro`/`nosuid`/`nodev`/`noexec` that a less
/// privileged mount namespace inherited locked; `EINVAL` when `path` is not a mount point
/// (`mount_setattr(2)` acts on the mount at `path`, which must be its root) or for an idmap
/// (see the hint).
///
/// # References
/// [mount_setattr(2)](https://man7.org/linux/man-pages/man2/mount_setattr.2.html),
/// [mount(2)](https://man7.org/linux/man-pages/man2/mount.2.html) (`MS_REMOUNT`)
pub fn set_attributes(
    path: impl AsRef<Path>,
    attrs: &Attributes<'_>,
    recursive: bool,
) -> Result<()> {
    let path = path.as_ref();
    let target = || Target::Path(path.to_path_buf());
    if attrs.idmap.is_some() {
        return Err(Error::invalid_argument(
            Op::SetMountAttributes,
            target(),
            "an idmapping can only be given to a mount that is not attached yet: \
             idmap a mount::Tree (a clone) and attach it"
                .into(),
        ));
    }
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
        Error::invalid_argument(
            Op::SetMountAttributes,
            target(),
            "the path holds a NUL byte".into(),
        )
    })?;
    if setattr(CWD, &c, false, attrs, recursive, &target)? {
        return Ok(());
    }
    remount(path, attrs.change, recursive)
}

enum Inner {
    /// A detached mount (new API).
    Detached {
        fd: OwnedFd,
        what: OsString,
    },
    /// What `mount(2)` mounts at attach time (no new API).
    Bind {
        source: PathBuf,
        recursive: bool,
    },
    Filesystem {
        fstype: OsString,
        data: OsString,
    },
}

fn path_error(op: Op, path: &Path, e: RErrno) -> Error {
    Error::os(op, None, Target::Path(path.to_path_buf()), e.into())
}

impl Tree {
    /// Clones the mount at `path` (with the mounts below it when `recursive`, as
    /// `mount --rbind`): `open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
    /// [| AT_RECURSIVE])`. Needs `CAP_SYS_ADMIN` in the user namespace owning the caller's
    /// mount namespace.
    ///
    /// # Errors
    /// [`Reason::NotFound`](crate::Reason::NotFound) when `path` does not exist;
    /// [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without the capability;
    /// `EINVAL` when `path` is in a mount namespace the caller does not own. Each names the
    /// path and [`Op::OpenTree`].
    ///
    /// # References
    /// [open_tree(2)](https://man7.org/linux/man-pages/man2/open_tree.2.html)
    pub fn clone_of(path: impl AsRef<Path>, recursive: bool) -> Result<Tree> {
        let path = path.as_ref();
        let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
        if recursive {
            flags |= OpenTreeFlags::AT_RECURSIVE;
        }
        match rustix::mount::open_tree(CWD, path, flags) {
            Ok(fd) => Ok(Tree {
                inner: Inner::Detached {
                    fd,
                    what: path.as_os_str().to_owned(),
                },
                pending: Vec::new(),
            }),
            Err(RErrno::NOSYS) => {
                // Check now what the new API would have checked now.
                rustix::fs::stat(path).map_err(|e| path_error(Op::OpenTree, path, e))?;
                Ok(Tree {
                    inner: Inner::Bind {
                        source: path.to_path_buf(),
                        recursive,
                    },
                    pending: Vec::new(),
                })
            }
            Err(e) => Err(path_error(Op::OpenTree, path, e)),
        }
    }

    /// A new filesystem of type `fstype` ("tmpfs", "proc", "mqueue", "devpts", …)
    /// configured with `options` (`("size", "16m")`; a key with an empty value is a flag,
    /// as `("ro", "")`): `fsopen`, one `fsconfig(FSCONFIG_SET_STRING|SET_FLAG)` each,
    /// `FSCONFIG_CMD_CREATE`, then `fsmount`.
    ///
    /// # Errors
    /// [`Op::MountFilesystem`] with the kernel's errno, naming the type and, for a refused
    /// option, the option (`EINVAL` for an unknown key or a bad value; `ENODEV` for an
    /// unknown type; `EPERM` without `CAP_SYS_ADMIN` over the mount namespace).
    ///
    /// # References
    /// [fsopen(2)](https://man7.org/linux/man-pages/man2/fsopen.2.html),
    /// [fsconfig(2)](https://man7.org/linux/man-pages/man2/fsconfig.2.html),
    /// [fsmount(2)](https://man7.org/linux/man-pages/man2/fsmount.2.html)
    pub fn filesystem(fstype: impl AsRef<OsStr>, options: &[(&str, &str)]) -> Result<Tree> {
        let fstype = fstype.as_ref();
        let shown = |extra: Option<&str>| {
            let mut t = fstype.to_string_lossy().into_owned();
            if let Some(x) = extra {
                t.push_str(" option ");
                t.push_str(x);
            }
            Target::Text(t)
        };
        let err = |extra: Option<&str>, e: RErrno| {
            Error::os(Op::MountFilesystem, None, shown(extra), e.into())
        };
        let fs = match rustix::mount::fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC) {
            Ok(fs) => fs,
            Err(RErrno::NOSYS) => {
                let data = options
                    .iter()
                    .map(|(k, v)| {
                        if v.is_empty() {
                            (*k).to_owned()
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",");
                return Ok(Tree {
                    inner: Inner::Filesystem {
                        fstype: fstype.to_owned(),
                        data: data.into(),
                    },
                    pending: Vec::new(),
                });
            }
            Err(e) => return Err(err(None, e)),
        };
        for (key, value) in options {
            let set = if value.is_empty() {
                rustix::mount::fsconfig_set_flag(&fs, *key)
            } else {
                rustix::mount::fsconfig_set_string(&fs, *key, *value)
            };
            set.map_err(|e| err(Some(&format!("{key}={value}")), e))?;
        }
        rustix::mount::fsconfig_create(&fs).map_err(|e| err(None, e))?;
        let fd =
            rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty())
                .map_err(|e| err(None, e))?;
        Ok(Tree {
            inner: Inner::Detached {
                fd,
                what: fstype.to_owned(),
            },
            pending: Vec::new(),
        })
    }

    /// Changes the tree's attributes before it is attached (with the mounts below its top
    /// when `recursive`): `mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], attrs)`.
    /// This is the only way to give a mount an [idmapping](Attributes::idmap). Without
    /// `mount_setattr(2)` (or the new API at all) the changes are made with `mount(2)` right
    /// after [`attach`](Tree::attach).
    ///
    /// # Errors
    /// [`Op::SetMountAttributes`] naming the tree's source: `EINVAL` for an idmapping the
    /// filesystem does not support, a second idmapping, or this tree attached already (see
    /// the hint); [`Reason::WrongKind`](crate::Reason::WrongKind) when the idmap namespace is
    /// not a user namespace; [`Reason::Unsupported`](crate::Reason::Unsupported) for an
    /// idmapping on a kernel without `mount_setattr(2)`.
    ///
    /// # References
    /// [mount_setattr(2)](https://man7.org/linux/man-pages/man2/mount_setattr.2.html)
    pub fn set_attributes(&mut self, attrs: &Attributes<'_>, recursive: bool) -> Result<()> {
        let what = format!("{self:?}");
        let target = || Target::Text(what.clone());
        if let Inner::Detached { fd, .. } = &self.inner {
            if setattr(fd.as_fd(), c"", true, attrs, recursive, &target)? {
                return Ok(());
            }
        } else if attrs.idmap.is_some() {
            return Err(Error::unsupported(
                Op::SetMountAttributes,
                None,
                format!("idmapped mounts (the new mount API, Linux 5.12), for {what}"),
                Some(RErrno::NOSYS.into()),
            ));
        }
        self.pending.push((attrs.change, recursive));
        Ok(())
    }

    /// Attaches the tree at `target` (a directory, or a file for a file's bind mount):
    /// `move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)`, or `mount(2)` without
    /// the new API. The target is resolved in the caller's current mount namespace.
    ///
    /// # Errors
    /// [`Op::MoveMount`] naming `target`: [`Reason::NotFound`](crate::Reason::NotFound) for a
    /// missing target; `EINVAL` when this tree was attached already.
    ///
    /// # References
    /// [move_mount(2)](https://man7.org/linux/man-pages/man2/move_mount.2.html),
    /// [mount(2)](https://man7.org/linux/man-pages/man2/mount.2.html)
    pub fn attach(&self, target: impl AsRef<Path>) -> Result<()> {
        let target = target.as_ref();
        self.attach_only(target)?;
        for (change, recursive) in &self.pending {
            remount(target, *change, *recursive)?;
        }
        Ok(())
    }

    fn attach_only(&self, target: &Path) -> Result<()> {
        let err = |e| path_error(Op::MoveMount, target, e);
        match &self.inner {
            Inner::Detached { fd, .. } => rustix::mount::move_mount(
                fd,
                c"",
                CWD,
                target,
                MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
            )
            .map_err(err),
            Inner::Bind { source, recursive } => if *recursive {
                rustix::mount::mount_bind_recursive(source, target)
            } else {
                rustix::mount::mount_bind(source, target)
            }
            .map_err(err),
            Inner::Filesystem { fstype, data } => {
                let data = std::ffi::CString::new(data.as_encoded_bytes())
                    .map_err(|_| err(RErrno::INVAL))?;
                rustix::mount::mount(fstype, target, fstype, MountFlags::empty(), data.as_c_str())
                    .map_err(err)
            }
        }
    }

    /// Whether this is a detached mount of the new API (else `mount(2)` runs at attach).
    pub fn is_detached(&self) -> bool {
        matches!(self.inner, Inner::Detached { .. })
    }

    /// The detached mount's fd (for `move_mount(2)` relative to a directory fd, or to pass
    /// to another process), if [`is_detached`](Tree::is_detached).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.inner {
            Inner::Detached { fd, .. } => Some(fd.as_fd()),
            _ => None,
        }
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Detached { what, .. } => write!(f, "Tree(detached {})", what.to_string_lossy()),
            Inner::Bind { source, .. } => write!(f, "Tree(bind {})", source.display()),
            Inner::Filesystem { fstype, .. } => {
                write!(f, "Tree({} by mount(2))", fstype.to_string_lossy())
            }
        }
    }
}
