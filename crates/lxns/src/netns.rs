//! Named network namespaces, interoperable with `ip netns` (iproute2).
//!
//! iproute2 keeps a named network namespace as a file in `/run/netns` (falling back to
//! `/var/run/netns`) with the namespace bind-mounted onto it, and makes that directory a
//! shared mount (binding it onto itself first when it is not a mount point) so that adding
//! or deleting a name is seen in every mount namespace. [`Registry`] follows the same
//! protocol, so `ip netns list` sees what lxns adds and lxns opens, lists and deletes what
//! `ip netns add` made. lxns also takes an `flock` on the directory around every change, and
//! repairs what a killed process can leave behind (a name file with nothing mounted on it).
//!
//! ```no_run
//! use lxns::netns::Registry;
//! let reg = Registry::new();
//! let blue = reg.add("blue")?;            // like `ip netns add blue`
//! assert!(reg.list()?.iter().any(|e| e.name == "blue"));
//! reg.delete("blue")?;                     // like `ip netns delete blue`
//! # drop(blue);
//! # Ok::<(), lxns::Error>(())
//! ```

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};
use rustix::io::Errno as RErrno;
use rustix::mount::MountPropagationFlags;

use crate::error::{Error, Op, Reason, Result, Target};
use crate::kind::Kind;
use crate::list::{ListOptions, NetNsId};
use crate::namespace::Namespace;
use crate::persist::{is_persisted, path_error, unpersist};
use crate::process::Process;

/// iproute2's directory for named network namespaces.
///
/// ```
/// assert_eq!(lxns::netns::Registry::new().dir(), std::path::Path::new(lxns::netns::RUN_DIR));
/// ```
pub const RUN_DIR: &str = "/run/netns";
/// The older spelling, used when `/run` does not exist.
///
/// ```
/// assert!(lxns::netns::VAR_RUN_DIR.ends_with("/netns"));
/// ```
pub const VAR_RUN_DIR: &str = "/var/run/netns";

/// A directory of named network namespaces (`/run/netns` by default).
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
/// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
/// # let reg = lxns::netns::Registry::at(&tmp);
/// let blue = reg.add("blue")?;                       // ip netns add blue
/// assert_eq!(reg.open("blue")?, blue);                // ip netns exec blue … opens this
/// assert_eq!(reg.identify(std::process::id() as i32)?.len(), 0); // we are not in it
/// reg.delete("blue")?;                               // ip netns delete blue
/// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Registry {
    dir: PathBuf,
}

/// One named namespace, from [`Registry::list`].
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
/// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
/// # let reg = lxns::netns::Registry::at(&tmp);
/// let _blue = reg.add("blue")?;
/// let entry = reg.list()?.into_iter().find(|e| e.name == "blue").unwrap();
/// assert!(entry.id.is_some()); // a namespace is mounted on the file
/// # reg.delete("blue")?;
/// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The name (the file name in the registry): bytes, as iproute2 allows any but `/` and
    /// NUL.
    pub name: OsString,
    /// The namespace's identity, when the file has one mounted.
    pub id: Option<crate::NsId>,
    /// Its id in the caller's network namespace, as `ip netns list` shows `(id: N)`.
    pub nsid: Option<NetNsId>,
}

/// Checks a namespace name as iproute2 does: not empty, not `.` or `..`, no `/`, no NUL,
/// at most `NAME_MAX` (255) bytes. Any other bytes (UTF-8 or not) are allowed.
///
/// ```
/// assert!(lxns::netns::validate_name("blue").is_ok());
/// assert!(lxns::netns::validate_name(&"x".repeat(255)).is_ok()); // ip netns add takes it
/// for bad in ["", ".", "..", "a/b", &"x".repeat(256)] {
///     assert!(lxns::netns::validate_name(bad).is_err());
/// }
/// ```
///
/// # Errors
/// [`Reason::InvalidArgument`] saying which rule the name breaks.
pub fn validate_name(name: impl AsRef<OsStr>) -> Result<()> {
    let name = name.as_ref();
    let bytes = name.as_bytes();
    let why = if bytes.is_empty() {
        Some("a name cannot be empty")
    } else if bytes == b"." || bytes == b".." {
        Some("a name cannot be . or ..")
    } else if bytes.contains(&b'/') {
        Some("a name cannot contain '/'")
    } else if bytes.contains(&0) {
        Some("a name cannot contain NUL")
    } else if bytes.len() > 255 {
        Some("a name must be at most 255 bytes (NAME_MAX)")
    } else {
        None
    };
    match why {
        Some(reason) => Err(Error::invalid_argument(
            Op::Registry,
            Target::Text(name.to_string_lossy().into_owned()),
            format!("invalid network namespace name: {reason}"),
        )),
        None => Ok(()),
    }
}

/// Sets up the **calling thread** (and, through a new mount namespace, the process it will
/// `exec`) the way `ip netns exec NAME` does, without running anything:
///
/// 1. enters the network namespace registered as `name`;
/// 2. creates a new mount namespace and makes `/` a recursive slave, so nothing mounted here
///    leaks out while mounts from outside still arrive;
/// 3. replaces `/sys` with a fresh sysfs, which shows the new namespace's devices (read-only
///    if the old one was);
/// 4. bind-mounts every file in `/etc/netns/NAME/` over its namesake in `/etc` (for
///    `resolv.conf` and the like).
///
/// Call it in a single-threaded process right before `exec`, as `lxns netns exec` does.
///
/// # Errors
/// As for [`Registry::open`], [`Namespace::enter_current_thread`] and
/// [`unshare_current_thread`](crate::unshare_current_thread); mounting errors name the step.
///
/// ```no_run
/// use std::os::unix::process::CommandExt;
/// // In a single-threaded program about to exec: `ip netns exec blue ip link`.
/// let reg = lxns::netns::Registry::new();
/// lxns::netns::prepare_exec_current_thread(&reg, "blue")?;
/// let err = std::process::Command::new("ip").arg("link").exec();
/// # let _ = err;
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn prepare_exec_current_thread(registry: &Registry, name: impl AsRef<OsStr>) -> Result<()> {
    let name = name.as_ref();
    let ns = registry.open(name)?;
    ns.enter_current_thread()?;
    crate::unshare_current_thread(Kind::Mnt)?;
    let op = Op::Registry;
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
    )
    .map_err(|e| path_error(op, Some(Kind::Mnt), Path::new("/"), e))?;
    let read_only = rustix::fs::statvfs("/sys")
        .is_ok_and(|v| v.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY));
    rustix::mount::unmount("/sys", rustix::mount::UnmountFlags::DETACH)
        .map_err(|e| path_error(op, Some(Kind::Mnt), Path::new("/sys"), e))?;
    let flags = if read_only {
        rustix::mount::MountFlags::RDONLY
    } else {
        rustix::mount::MountFlags::empty()
    };
    rustix::mount::mount(name, "/sys", "sysfs", flags, None)
        .map_err(|e| path_error(op, Some(Kind::Net), Path::new("/sys"), e))?;
    let etc = Path::new("/etc/netns").join(name);
    if let Ok(rd) = std::fs::read_dir(&etc) {
        for entry in rd.flatten() {
            let target = Path::new("/etc").join(entry.file_name());
            // ip warns and goes on when one of them cannot be bound; so do we (silently:
            // the library does not print).
            let _ = rustix::mount::mount_bind(entry.path(), &target);
        }
    }
    Ok(())
}

/// The locked, prepared registry directory.
struct Locked {
    dir: OwnedFd,
}

/// How long a name file must have been empty, with nothing mounted on it, before lxns takes
/// it for the leftover of an interrupted add or delete and removes it.
///
/// iproute2 takes no lock: `ip netns add` creates the empty file and mounts onto it a few
/// milliseconds later. A file younger than this may be exactly that, so it is never removed
/// (an `add` of its name reports it taken, with this reason). Its age is its modification
/// time, which only the registry's owner (root) can change: `touch -d '-1 min' FILE` ages a
/// file on purpose.
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
/// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
/// # let reg = lxns::netns::Registry::at(&tmp);
/// // What `ip netns add` looks like before its mount (or a killed add leaves): an empty file.
/// std::fs::write(tmp.join("half"), b"").unwrap();
/// assert!(reg.repair()?.is_empty()); // young: left alone
/// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
/// # Ok::<(), lxns::Error>(())
/// ```
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

impl Default for Registry {
    fn default() -> Registry {
        Registry::new()
    }
}

impl Registry {
    /// The registry `ip netns` uses: `/run/netns`, or `/var/run/netns` where `/run` does not
    /// exist.
    ///
    /// ```
    /// let reg = lxns::netns::Registry::new();
    /// let names = reg.list()?; // what `ip netns list` shows
    /// # let _ = names;
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn new() -> Registry {
        let dir = if Path::new("/run").is_dir() {
            RUN_DIR
        } else {
            VAR_RUN_DIR
        };
        Registry { dir: dir.into() }
    }

    /// A registry in another directory (tests, or a private namespace store).
    ///
    /// Like `ip netns`, the first [`add`](Registry::add) (or [`attach`](Registry::attach))
    /// creates the directory (0755) if it is missing and, when it is not a mount point yet,
    /// bind-mounts it onto itself and makes that mount **shared**, so that names added later
    /// propagate to every mount namespace that has a copy of it. That mount stays after the
    /// registry is empty (as `/run/netns`'s does); [`unmount_dir`](Registry::unmount_dir)
    /// undoes it.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-reg-{}", std::process::id()));
    /// # let _ = rustix::mount::unmount(&tmp, rustix::mount::UnmountFlags::DETACH);
    /// # std::fs::create_dir_all(&tmp).unwrap();
    /// let reg = lxns::netns::Registry::at(&tmp);
    /// let _blue = reg.add("blue")?;          // binds the directory onto itself, shared
    /// reg.delete("blue")?;
    /// reg.unmount_dir()?;                     // and takes that mount away again
    /// # std::fs::remove_dir(&tmp).unwrap();
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn at(dir: impl Into<PathBuf>) -> Registry {
        Registry { dir: dir.into() }
    }

    /// Undoes the mount that the first [`add`](Registry::add) made: when the directory is a
    /// mount point of its own (the bind onto itself), it is unmounted (`MNT_DETACH`). Names
    /// must be deleted first. Returns whether there was a mount to take away.
    ///
    /// # Errors
    ///  - [`Reason::Busy`] while a name is still registered (nothing is changed).
    ///  - As for [`repair`](Registry::repair) (permission, a symlinked directory).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let a = reg.add("a")?;
    /// assert!(reg.unmount_dir().is_err()); // a name is still registered
    /// reg.delete("a")?;
    /// assert!(reg.unmount_dir()?);
    /// # drop(a);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn unmount_dir(&self) -> Result<bool> {
        let locked = self.lock_existing()?;
        let held: Vec<OsString> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| is_persisted(e.path()))
                    .map(|e| e.file_name())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(name) = held.first() {
            return Err(
                Error::busy(Op::Registry, Target::Path(self.dir.join(name))).with_errno(None)
            );
        }
        if !is_own_mount(&self.dir) {
            return Ok(false);
        }
        drop(locked);
        rustix::mount::unmount(&self.dir, rustix::mount::UnmountFlags::DETACH)
            .map_err(|e| path_error(Op::Registry, None, &self.dir, e))?;
        Ok(true)
    }

    /// The registry's directory.
    ///
    /// ```
    /// assert_eq!(lxns::netns::Registry::at("/tmp/r").dir(), std::path::Path::new("/tmp/r"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of `name` in the registry.
    ///
    /// # Errors
    /// [`Reason::InvalidArgument`] for an invalid name.
    ///
    /// ```
    /// let reg = lxns::netns::Registry::new();
    /// assert_eq!(reg.path("blue")?, std::path::Path::new("/run/netns/blue"));
    /// assert!(reg.path("a/b").is_err());
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn path(&self, name: impl AsRef<OsStr>) -> Result<PathBuf> {
        let name = name.as_ref();
        validate_name(name)?;
        Ok(self.dir.join(name))
    }

    /// Creates a new network namespace and registers it as `name` (`ip netns add NAME`).
    /// The caller's threads are not moved. Returns a handle on the new namespace.
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`] for an invalid name; [`Reason::AlreadyExists`] when the
    ///    name is taken. Nothing is changed in either case.
    ///  - [`Reason::PermissionDenied`] without `CAP_SYS_ADMIN`.
    ///  - [`Reason::InvalidArgument`] when the registry directory is a symlink.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let blue = reg.add("blue")?;
    /// assert_eq!(blue.kind(), lxns::Kind::Net);
    /// let again = reg.add("blue").unwrap_err();
    /// assert!(matches!(again.reason(), lxns::Reason::AlreadyExists));
    /// # reg.delete("blue")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn add(&self, name: impl AsRef<OsStr>) -> Result<Namespace> {
        let name = name.as_ref();
        let path = self.path(name)?;
        let locked = self.prepare()?;
        exists_check(&locked, name, &path)?;
        let ns = Namespace::new(Kind::Net)?;
        ns.persist(&path)?;
        Ok(ns)
    }

    /// Registers an existing network namespace under `name`.
    ///
    /// # Errors
    /// As for [`add`](Registry::add); [`Reason::WrongKind`] for a namespace that is not a
    /// network namespace.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let ns = lxns::Namespace::new(lxns::Kind::Net)?;
    /// reg.add_namespace("green", &ns)?;  // register one you already have
    /// assert_eq!(reg.open("green")?, ns);
    /// # reg.delete("green")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn add_namespace(&self, name: impl AsRef<OsStr>, ns: &Namespace) -> Result<()> {
        let name = name.as_ref();
        require_net(ns, Op::Persist)?;
        let path = self.path(name)?;
        let locked = self.prepare()?;
        exists_check(&locked, name, &path)?;
        ns.persist(&path)
    }

    /// Registers the network namespace of process `pid` as `name` (`ip netns attach NAME
    /// PID`).
    ///
    /// # Errors
    /// As for [`add`](Registry::add), and [`Reason::ProcessGone`] for a missing process.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let me = std::process::id() as i32;
    /// reg.attach("mine", me)?;           // ip netns attach mine PID
    /// assert!(reg.identify(me)?.contains(&"mine".into()));
    /// # reg.delete("mine")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn attach(&self, name: impl AsRef<OsStr>, pid: i32) -> Result<()> {
        let name = name.as_ref();
        validate_name(name)?;
        let ns = Namespace::of_process(pid, Kind::Net)?;
        self.add_namespace(name, &ns)
    }

    /// Opens the namespace registered as `name`.
    ///
    /// # Errors
    ///  - [`Reason::NotFound`] when no such name is registered.
    ///  - [`Reason::NotNamespace`] when the file has no namespace mounted (left by a crash).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let _blue = reg.add("blue")?;
    /// let ns = reg.open("blue")?;
    /// assert!(ns.path().is_some_and(|p| p.ends_with("blue")));
    /// let missing = reg.open("nope").unwrap_err();
    /// assert!(matches!(missing.reason(), lxns::Reason::NotFound));
    /// # reg.delete("blue")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn open(&self, name: impl AsRef<OsStr>) -> Result<Namespace> {
        Namespace::open_as(self.path(name)?, Kind::Net)
    }

    /// Unregisters `name`: unmounts and removes its file (`ip netns delete NAME`). The
    /// namespace lives on while processes or handles still use it. Works while it is busy.
    ///
    /// # Errors
    ///  - [`Reason::NotFound`] when no such name is registered (nothing is changed).
    ///  - [`Reason::Busy`] when another mount namespace pins the mount.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let blue = reg.add("blue")?;
    /// reg.delete("blue")?;               // the name goes; `blue` (the handle) still works
    /// assert_eq!(blue.kind(), lxns::Kind::Net);
    /// assert!(matches!(reg.delete("blue").unwrap_err().reason(), lxns::Reason::NotFound));
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn delete(&self, name: impl AsRef<OsStr>) -> Result<()> {
        let path = self.path(name)?;
        // No registry directory: no such name (as ip says), not a registry error.
        let _locked = self.lock_existing().map_err(|e| match e.reason() {
            Reason::NotFound => {
                Error::not_found(Op::Unpersist, Some(Kind::Net), Target::Path(path.clone()))
            }
            _ => e,
        })?;
        match unpersist(&path) {
            // An empty file with nothing mounted: what a crash between create and mount
            // leaves (or an add in progress, whose name the caller asked to delete).
            Err(e)
                if matches!(e.reason(), Reason::NotNamespace { .. })
                    && rustix::fs::lstat(&path).is_ok_and(|m| {
                        rustix::fs::FileType::from_raw_mode(m.st_mode)
                            == rustix::fs::FileType::RegularFile
                            && m.st_size == 0
                    }) =>
            {
                rustix::fs::unlink(&path).map_err(|e| path_error(Op::Unpersist, None, &path, e))
            }
            // Anything else (a symlink, a file with contents) is not a registered namespace
            // and not ours to remove.
            other => other,
        }
    }

    /// The registered names, sorted, with their namespace ids and netnsids
    /// (`ip netns list`). A name file with no namespace mounted shows `id: None`.
    ///
    /// # Errors
    /// [`Reason::PermissionDenied`] when the directory cannot be read;
    /// [`Reason::InvalidArgument`] when it is a symlink (as for [`add`](Registry::add)). A
    /// registry directory that does not exist lists as empty.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let _a = reg.add("a")?;
    /// let names: Vec<_> = reg.list()?.into_iter().map(|e| e.name).collect();
    /// assert_eq!(names, ["a"]);
    /// # reg.delete("a")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn list(&self) -> Result<Vec<Entry>> {
        // The same rule as add and delete: a symlinked registry is not followed.
        if self.is_symlink() {
            return Err(self.symlink_error());
        }
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(path_error(
                    Op::Registry,
                    None,
                    &self.dir,
                    RErrno::from_raw_os_error(e.raw_os_error().unwrap_or(5)),
                ));
            }
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let name = entry.file_name();
            let path = entry.path();
            let ns = is_persisted(&path)
                .then(|| Namespace::open_as(&path, Kind::Net).ok())
                .flatten();
            let nsid = ns.as_ref().and_then(netnsid_of);
            out.push(Entry {
                name,
                id: ns.as_ref().map(Namespace::id),
                nsid,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The names under which process `pid`'s network namespace is registered (`ip netns
    /// identify PID`).
    ///
    /// # Errors
    /// As for [`Namespace::of_process`] and [`list`](Registry::list).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// reg.attach("here", std::process::id() as i32)?;
    /// assert_eq!(reg.identify(std::process::id() as i32)?, ["here"]);
    /// # reg.delete("here")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn identify(&self, pid: i32) -> Result<Vec<OsString>> {
        let ns = Process::open(pid)?.namespace(Kind::Net)?;
        Ok(self
            .list()?
            .into_iter()
            .filter(|e| e.id == Some(ns.id()))
            .map(|e| e.name)
            .collect())
    }

    /// The pids of the processes in the namespace registered as `name` (`ip netns pids
    /// NAME`), ascending.
    ///
    /// # Errors
    /// As for [`open`](Registry::open).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let _empty = reg.add("empty")?;
    /// assert!(reg.pids("empty")?.is_empty()); // no process in it
    /// # reg.delete("empty")?;
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn pids(&self, name: impl AsRef<OsStr>) -> Result<Vec<i32>> {
        let ns = self.open(name)?;
        let listing = crate::list(
            &ListOptions::new()
                .kinds(Kind::Net)
                .fds(false)
                .mounts(false)
                .command(false),
        )?;
        Ok(listing.members(Kind::Net, ns.id().ino()).to_vec())
    }

    /// Removes name files that have no namespace mounted on them and are at least
    /// [`STALE_AFTER`] old (left by a process killed between creating the file and mounting
    /// onto it, or between unmounting and removing; a younger one may be an `ip netns add`
    /// in progress, and is left alone). Returns the names removed. [`add`](Registry::add) does the same for the name
    /// it is given, [`list`](Registry::list) shows such files with no id.
    ///
    /// # Errors
    /// As for the registry's preparation (permission, a symlinked directory).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let file = tmp.join("left-by-a-crash");
    /// std::fs::write(&file, b"").unwrap();
    /// let old = std::time::SystemTime::now() - lxns::netns::STALE_AFTER * 2;
    /// std::fs::File::options().write(true).open(&file).unwrap().set_modified(old).unwrap();
    /// assert_eq!(reg.repair()?, ["left-by-a-crash"]);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn repair(&self) -> Result<Vec<OsString>> {
        let locked = self.lock_existing()?;
        Ok(repair_locked(&locked, &self.dir))
    }

    /// Creates the directory (0755) if needed, refuses a symlinked directory, makes it a
    /// shared mount (binding it onto itself first when it is not a mount point), and locks
    /// it.
    fn prepare(&self) -> Result<Locked> {
        let op = Op::Registry;
        match rustix::fs::mkdir(&self.dir, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(RErrno::EXIST) => {}
            Err(e) => return Err(path_error(op, None, &self.dir, e)),
        }
        let locked = self.lock_existing()?;
        // Shared, so that mounts made here propagate to every mount namespace (iproute2's
        // step; EINVAL means the directory is not a mount point yet). Only the directory's
        // own mount is changed: names mounted under a shared mount are shared already, and
        // iproute2's MS_REC would walk every registered name on every call.
        match rustix::mount::mount_change(&self.dir, MountPropagationFlags::SHARED) {
            Ok(()) => {}
            Err(RErrno::INVAL) => {
                rustix::mount::mount_bind_recursive(&self.dir, &self.dir)
                    .map_err(|e| path_error(op, None, &self.dir, e))?;
                rustix::mount::mount_change(
                    &self.dir,
                    MountPropagationFlags::SHARED | MountPropagationFlags::REC,
                )
                .map_err(|e| path_error(op, None, &self.dir, e))?;
            }
            Err(e) => return Err(path_error(op, None, &self.dir, e)),
        }
        Ok(locked)
    }

    /// Whether the registry directory itself is a symlink.
    fn is_symlink(&self) -> bool {
        rustix::fs::statat(rustix::fs::CWD, &self.dir, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink
        })
    }

    fn symlink_error(&self) -> Error {
        Error::invalid_argument(
            Op::Registry,
            Target::Path(self.dir.clone()),
            "the registry directory is a symlink; lxns does not follow it (a \
                     symlinked /run/netns could redirect mounts anywhere)"
                .into(),
        )
    }

    /// Opens and `flock`s the existing directory, refusing a symlink.
    fn lock_existing(&self) -> Result<Locked> {
        let op = Op::Registry;
        let dir = rustix::fs::open(
            &self.dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            RErrno::LOOP | RErrno::NOTDIR if self.is_symlink() => self.symlink_error(),
            other => path_error(op, None, &self.dir, other),
        })?;
        rustix::fs::flock(&dir, FlockOperation::LockExclusive)
            .map_err(|e| path_error(op, None, &self.dir, e))?;
        Ok(Locked { dir })
    }
}

/// Refuses a taken name; a stale name file (nothing mounted, left by an interrupted add or
/// delete) is removed first, so the name can be used again.
fn exists_check(locked: &Locked, name: &OsStr, path: &Path) -> Result<()> {
    let Ok(meta) = rustix::fs::statat(&locked.dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
        // Absent (or unreadable, which the exclusive create then reports).
        return Ok(());
    };
    if remove_if_stale(locked, name, path, &meta) {
        return Ok(());
    }
    if empty_unmounted(path, &meta) {
        // Perhaps `ip netns add` between its create and its mount: never touch it.
        return Err(Error::invalid_argument(
            Op::Persist,
            Target::Path(path.to_path_buf()),
            format!(
                "the name is taken by an empty file with nothing mounted on it yet: another \
                 tool (ip netns add) may be adding it right now; if an interrupted add left \
                 it, it is removed once it is {} s old (lxns netns repair, or the next add \
                 or list)",
                STALE_AFTER.as_secs()
            ),
        ));
    }
    Err(Error::already_exists(Op::Persist, Target::Path(path.to_path_buf())).with_errno(None))
}

/// Removes `name` if it is an empty regular file with nothing mounted on it.
fn repair_one(locked: &Locked, name: &OsStr, path: &Path) -> bool {
    rustix::fs::statat(&locked.dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|meta| remove_if_stale(locked, name, path, &meta))
}

/// Whether `path` (with `lstat` `meta`) is an empty regular file with nothing mounted on it.
/// (A mounted name's `lstat` shows the nsfs file, which is not a regular file of the
/// registry; `is_persisted` asks the mount table, so overlay or any other filesystem under
/// the registry is judged alike.)
fn empty_unmounted(path: &Path, meta: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(meta.st_mode) == rustix::fs::FileType::RegularFile
        && meta.st_size == 0
        && !is_persisted(path)
}

/// Whether the file with `lstat` `meta` was last modified [`STALE_AFTER`] ago or longer.
fn old_enough(meta: &rustix::fs::Stat) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mtime = u64::try_from(meta.st_mtime).unwrap_or(0);
    now.saturating_sub(mtime) >= STALE_AFTER.as_secs()
}

/// Removes `name`, whose `lstat` is `meta`, if it is stale: empty, nothing mounted, and at
/// least [`STALE_AFTER`] old — so never the file of an `ip netns add` in progress. The mount
/// check is made again right before the unlink, under the registry lock.
fn remove_if_stale(locked: &Locked, name: &OsStr, path: &Path, meta: &rustix::fs::Stat) -> bool {
    empty_unmounted(path, meta)
        && old_enough(meta)
        && !is_persisted(path)
        && rustix::fs::unlinkat(&locked.dir, name, AtFlags::empty()).is_ok()
}

/// Removes every stale name file (see [`repair_one`]); returns their names.
fn repair_locked(locked: &Locked, dir: &Path) -> Vec<OsString> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            repair_one(locked, &name, &entry.path()).then_some(name)
        })
        .collect()
}

/// The id the caller's network namespace gives `ns` (`RTM_GETNSID` with `NETNSA_FD`).
/// A uniquely named network namespace in a registry, deleted when dropped — also when a test
/// panics (CNI testutils' `NewNS` and `UnmountNS`). The name is `lxns-<pid>-<n>-<what>`, so
/// parallel tests and leftovers of an earlier run never collide, and `ip netns list` shows
/// it like any other.
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// # let tmp = std::env::temp_dir().join(format!("lxns-doc-scratch-{}", std::process::id()));
/// # std::fs::create_dir_all(&tmp).unwrap();
/// let reg = lxns::netns::Registry::at(&tmp);
/// let path = {
///     let ns = lxns::netns::Scratch::new(&reg, "doc")?;
///     assert!(lxns::is_persisted(ns.path()));
///     ns.path().to_owned()
/// }; // deleted here
/// assert!(!path.exists());
/// # reg.unmount_dir()?;
/// # std::fs::remove_dir(&tmp).unwrap();
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Debug)]
pub struct Scratch {
    registry: Registry,
    name: OsString,
    path: PathBuf,
    ns: Namespace,
}

impl Scratch {
    /// Creates and registers a new network namespace named after `what`.
    ///
    /// # Errors
    /// As for [`Registry::add`].
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let s = lxns::netns::Scratch::new(&reg, "test")?; // like CNI's testutils.NewNS()
    /// # drop(s);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn new(registry: &Registry, what: &str) -> Result<Scratch> {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = OsString::from(format!("lxns-{}-{n}-{what}", std::process::id()));
        let ns = registry.add(&name)?;
        let path = registry.path(&name)?;
        Ok(Scratch {
            registry: registry.clone(),
            name,
            path,
            ns,
        })
    }

    /// Its name in the registry.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let s = lxns::netns::Scratch::new(&reg, "x")?;
    /// assert!(s.name().to_string_lossy().ends_with("-x"));
    /// # drop(s);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn name(&self) -> &OsStr {
        &self.name
    }

    /// Its file (`/run/netns/NAME`): what `ip netns exec NAME` and CNI's `CNI_NETNS` take.
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let s = lxns::netns::Scratch::new(&reg, "x")?;
    /// assert!(lxns::is_persisted(s.path()));
    /// # drop(s);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle on the namespace (valid after the drop too, if cloned).
    ///
    /// ```
    /// # if !rustix::process::geteuid().is_root() { return Ok(()); }
    /// # let tmp = std::env::temp_dir().join(format!("lxns-doc-{}-{}", std::process::id(), line!()));
    /// # let _ = std::fs::remove_dir_all(&tmp); std::fs::create_dir_all(&tmp).unwrap();
    /// # let reg = lxns::netns::Registry::at(&tmp);
    /// let s = lxns::netns::Scratch::new(&reg, "x")?;
    /// let dev = lxns::run(&[s.namespace()], || std::fs::read_to_string("/proc/thread-self/net/dev"))?;
    /// assert!(dev.unwrap().contains("lo:"));
    /// # drop(s);
    /// # let _ = reg.unmount_dir(); let _ = std::fs::remove_dir_all(&tmp);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.registry.delete(&self.name);
    }
}

/// [`Reason::WrongKind`] unless `ns` is a network namespace (no system call: no errno).
fn require_net(ns: &Namespace, op: Op) -> Result<()> {
    if ns.kind() == Kind::Net {
        return Ok(());
    }
    Err(Error::wrong_kind(
        op,
        Target::Namespace(ns.id()),
        Kind::Net,
        ns.kind(),
        None,
    ))
}

/// Whether `dir` is the root of a mount (its mount id differs from its parent's).
fn is_own_mount(dir: &Path) -> bool {
    use rustix::fs::{AtFlags, StatxFlags, statx};
    let id = |p: &Path| {
        statx(rustix::fs::CWD, p, AtFlags::empty(), StatxFlags::MNT_ID)
            .ok()
            .map(|s| s.stx_mnt_id)
    };
    let parent = dir.join("..");
    matches!((id(dir), id(&parent)), (Some(a), Some(b)) if a != b)
}

/// A NETLINK_ROUTE socket, close-on-exec.
fn rtnetlink() -> Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::os(Op::NetNsId, Some(Kind::Net), Target::None, e.into()))
}

/// Assigns `nsid` (or, with `None`, the next free one: `ip netns set NAME auto`) to the
/// network namespace `ns` as the **caller's** network namespace numbers its peers
/// (`RTM_NEWNSID`, Linux 4.0; see `ip-netns(8)`). A namespace keeps its id until it is
/// freed; the id is what `ip link` shows as `link-netnsid`.
///
/// # Errors
/// [`Reason::Os`] with [`Op::NetNsId`] and the kernel's errno: `EEXIST` when the namespace
/// (or the id) is already assigned, `EINVAL` for a negative id or a namespace that is not a
/// peer (the caller's own), `EPERM` without `CAP_NET_ADMIN`.
///
/// # Examples
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// let peer = lxns::Namespace::new(lxns::Kind::Net)?;
/// lxns::netns::set_nsid(&peer, None)?;
/// let id = lxns::netns::nsid(&peer)?;
/// assert!(matches!(id, lxns::NetNsId::Assigned(n) if n >= 0));
/// assert!(lxns::netns::nsids()?.contains(&match id { lxns::NetNsId::Assigned(n) => n, _ => -1 }));
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn set_nsid(ns: &Namespace, nsid: Option<u32>) -> Result<()> {
    require_net(ns, Op::NetNsId)?;
    let target = Target::Namespace(ns.id());
    let id = match nsid {
        None => -1,
        Some(n) => i32::try_from(n).map_err(|_| {
            Error::invalid_argument(
                Op::NetNsId,
                Target::Text(n.to_string()),
                format!("a netnsid is at most {}", i32::MAX),
            )
        })?,
    };
    let sock = rtnetlink()?;
    let mut req = Vec::with_capacity(36);
    crate::list::nsid_message(
        &mut req,
        crate::list::RTM_NEWNSID,
        crate::list::NLM_F_REQUEST | crate::list::NLM_F_ACK,
        1,
        &[
            (crate::list::NETNSA_FD, ns.as_fd().as_raw_fd()),
            (crate::list::NETNSA_NSID, id),
        ],
    );
    let os = |e: RErrno| Error::os(Op::NetNsId, Some(Kind::Net), target.clone(), e.into());
    rustix::net::send(&sock, &req, rustix::net::SendFlags::empty()).map_err(os)?;
    let mut buf = [0u8; 1024];
    loop {
        let data = recv_datagram(&sock, &mut buf).map_err(os)?;
        // The ack: NLMSG_ERROR with error 0, or the negated errno.
        if crate::list::u16_at(data, 4) == Some(crate::list::NLMSG_ERROR) {
            return match nlmsg_error(data, 0) {
                None => Ok(()),
                Some(e) => Err(os(e)),
            };
        }
    }
}

/// One datagram from `sock` into `buf` (retried on `EINTR`); `EIO` for an empty one.
fn recv_datagram<'b>(sock: &OwnedFd, buf: &'b mut [u8]) -> std::result::Result<&'b [u8], RErrno> {
    let n = loop {
        match rustix::net::recv(sock, &mut *buf, rustix::net::RecvFlags::empty()) {
            Ok((_, n)) => break n,
            Err(RErrno::INTR) => {}
            Err(e) => return Err(e),
        }
    };
    match buf.get(..n) {
        Some(data) if n > 0 => Ok(data),
        _ => Err(RErrno::IO),
    }
}

/// The errno of the `NLMSG_ERROR` message at `at` (`None`: 0, an ack).
fn nlmsg_error(data: &[u8], at: usize) -> Option<RErrno> {
    let code = data
        .get(at + 16..at + 20)
        .and_then(|b| b.try_into().ok())
        .map_or(-5, i32::from_ne_bytes);
    (code != 0).then(|| RErrno::from_raw_os_error(code.saturating_neg()))
}

/// The id the caller's network namespace gives `ns` (`RTM_GETNSID`): what `ip netns list`
/// shows as `(id: N)`.
///
/// # Errors
/// [`Reason::Os`] with [`Op::NetNsId`] when rtnetlink cannot be asked; [`Reason::WrongKind`]
/// for a namespace that is not a network namespace.
///
/// # Examples
///
/// ```
/// let own = lxns::Namespace::current(lxns::Kind::Net)?;
/// // A namespace is not its own peer: it has no id of its own (or the kernel's -1).
/// let _ = lxns::netns::nsid(&own)?;
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn nsid(ns: &Namespace) -> Result<NetNsId> {
    require_net(ns, Op::NetNsId)?;
    netnsid_of(ns).ok_or_else(|| {
        Error::os(
            Op::NetNsId,
            Some(Kind::Net),
            Target::Namespace(ns.id()),
            RErrno::IO.into(),
        )
    })
}

/// Every netnsid assigned in the caller's network namespace, ascending (an `RTM_GETNSID`
/// dump: `ip netns list-id`). Map one to a name by comparing with [`nsid`] of each
/// [`Registry::list`] entry ([`Entry::nsid`]).
///
/// # Errors
/// [`Reason::Os`] with [`Op::NetNsId`] and the errno of the netlink socket.
///
/// # Examples
///
/// ```
/// for id in lxns::netns::nsids()? {
///     println!("nsid {id}");
/// }
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn nsids() -> Result<Vec<i32>> {
    let sock = rtnetlink()?;
    let os = |e: RErrno| Error::os(Op::NetNsId, Some(Kind::Net), Target::None, e.into());
    let mut req = Vec::with_capacity(20);
    crate::list::nsid_message(
        &mut req,
        crate::list::RTM_GETNSID,
        crate::list::NLM_F_REQUEST | crate::list::NLM_F_DUMP,
        1,
        &[],
    );
    rustix::net::send(&sock, &req, rustix::net::SendFlags::empty()).map_err(os)?;
    let mut ids = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let data = recv_datagram(&sock, &mut buf).map_err(os)?;
        // Walk the datagram: NLMSG_DONE ends the dump, an error ends it with its errno.
        let mut at = 0usize;
        while let (Some(len), Some(kind)) = (
            crate::list::u32_at(data, at),
            crate::list::u16_at(data, at + 4),
        ) {
            let len = len as usize;
            if len < 16 || at + len > data.len() {
                break;
            }
            match kind {
                crate::list::NLMSG_DONE => {
                    ids.sort_unstable();
                    return Ok(ids);
                }
                crate::list::NLMSG_ERROR => {
                    return Err(os(nlmsg_error(data, at).unwrap_or(RErrno::IO)));
                }
                _ => {
                    let mut one = Vec::new();
                    crate::list::parse_nsid_replies(
                        data.get(at..at + len).unwrap_or(&[]),
                        &mut one,
                    );
                    ids.extend(
                        one.into_iter()
                            .filter_map(|(_, id)| id)
                            .filter(|id| *id >= 0),
                    );
                }
            }
            at += (len + 3) & !3;
        }
    }
}

fn netnsid_of(ns: &Namespace) -> Option<NetNsId> {
    crate::list::netnsid_for_fd(ns.as_fd().as_raw_fd())
}
