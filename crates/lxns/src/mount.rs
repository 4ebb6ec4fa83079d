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
//! Kernels without the new API (before 5.2, or a seccomp filter answering `ENOSYS`) get the
//! same result from `mount(2)` at [`attach`](Tree::attach) time: the tree then remembers
//! what to mount instead of holding a detached mount ([`Tree::is_detached`] tells which).
//!
//! python-lxns's `lxns.mount.ClonedTree(path)` is `Tree::clone_of(path, false)` and its
//! `mount(path)` is [`Tree::attach`]; its `lxns.os.open_tree`/`move_mount` are the system
//! calls underneath ([`porting`](crate::porting)).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::CWD;
use rustix::io::Errno as RErrno;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags, OpenTreeFlags,
};

use crate::error::{Error, Op, Result, Target};

/// A mount that is not attached yet (see the [module](self) docs).
pub struct Tree {
    inner: Inner,
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
            }),
            Err(RErrno::NOSYS) => {
                // Check now what the new API would have checked now.
                rustix::fs::stat(path).map_err(|e| path_error(Op::OpenTree, path, e))?;
                Ok(Tree {
                    inner: Inner::Bind {
                        source: path.to_path_buf(),
                        recursive,
                    },
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
        })
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
