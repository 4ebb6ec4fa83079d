//! Sandboxes: the filesystem operations ([`FsOp`]) that build a [`Command`](crate::Command)'s
//! new root, and the process hardening ([`Capabilities`], seccomp, `no_new_privs`).
//!
//! The root is built the way bubblewrap builds it, on the kernel's new mount API: a fresh
//! tmpfs (nosuid, nodev) is stacked over the child's `/` in its new mount namespace, its
//! `newroot` directory is bound onto itself, each operation is applied in the order given
//! (destinations resolved with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, so no
//! `..` or symlink can reach outside the new root), then the child `pivot_root`s into it and
//! detaches the old root. The child-side half ([`build_root`]) is async-signal-safe: system
//! calls only, on strings and descriptors prepared here before the clone.
//!
//! # References
//!  - [bwrap(1)](https://manpages.debian.org/bookworm/bubblewrap/bwrap.1.en.html),
//!    [open_tree(2)](https://man7.org/linux/man-pages/man2/open_tree.2.html),
//!    [move_mount(2)](https://man7.org/linux/man-pages/man2/move_mount.2.html),
//!    [fsopen(2)](https://man7.org/linux/man-pages/man2/fsopen.2.html),
//!    [mount_setattr(2)](https://man7.org/linux/man-pages/man2/mount_setattr.2.html),
//!    [openat2(2)](https://man7.org/linux/man-pages/man2/openat2.2.html),
//!    [overlayfs](https://docs.kernel.org/filesystems/overlayfs.html),
//!    [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html),
//!    [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::{Errno, Result as SysResult};
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, UnmountFlags,
};

use super::SpawnStep;
use super::report::cstring;
use crate::error::{Error, Op, Result, Target};
use crate::sys;

const ATTR_RDONLY: u64 = 0x1;
const ATTR_NOSUID: u64 = 0x2;
const ATTR_NODEV: u64 = 0x4;
const ATTR_NOEXEC: u64 = 0x8;

/// How a bind mount is made, as bwrap's `--bind`, `--ro-bind` and `--dev-bind`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum BindHow {
    /// nosuid, nodev.
    ReadWrite,
    /// read-only, nosuid, nodev.
    ReadOnly,
    /// nosuid only: device nodes work.
    Devices,
}

impl BindHow {
    fn attrs(self) -> u64 {
        match self {
            BindHow::ReadWrite => ATTR_NOSUID | ATTR_NODEV,
            BindHow::ReadOnly => ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV,
            BindHow::Devices => ATTR_NOSUID,
        }
    }
    fn option(self) -> &'static str {
        match self {
            BindHow::ReadWrite => "bind",
            BindHow::ReadOnly => "ro-bind",
            BindHow::Devices => "dev-bind",
        }
    }
}

#[derive(Debug)]
enum FsKind {
    Bind {
        source: PathBuf,
        dest: PathBuf,
        how: BindHow,
    },
    BindFd {
        fd: OwnedFd,
        dest: PathBuf,
        read_only: bool,
    },
    Tmpfs {
        dest: PathBuf,
    },
    Proc {
        dest: PathBuf,
    },
    Dev {
        dest: PathBuf,
    },
    Mqueue {
        dest: PathBuf,
    },
    Dir {
        dest: PathBuf,
    },
    Symlink {
        target: OsString,
        link: PathBuf,
    },
    File {
        dest: PathBuf,
        data: Vec<u8>,
        bind: Option<bool>,
    },
    Chmod {
        path: PathBuf,
        mode: u32,
    },
    RemountReadOnly {
        dest: PathBuf,
    },
    Overlay {
        /// Lower layers, bottom to top (the order of bwrap's `--overlay-src`).
        lowers: Vec<PathBuf>,
        upper: OverlayUpper,
        dest: PathBuf,
    },
}

/// Where an overlay's writes go.
#[derive(Debug)]
enum OverlayUpper {
    /// A host directory, with its work directory on the same filesystem (`--overlay`).
    Dir { upper: PathBuf, work: PathBuf },
    /// An invisible tmpfs, discarded with the sandbox (`--tmp-overlay`).
    Tmp,
    /// Nowhere: read-only (`--ro-overlay`).
    ReadOnly,
}

/// One operation on a sandbox's new root, applied in the order given to
/// [`Command::fs`](crate::Command::fs). Each is one of bwrap's options, with its meaning.
///
/// ```no_run
/// use lxns::{Command, FsOp, Kind, KindSet};
/// let status = Command::new("/bin/true")
///     .unshare(KindSet::from(Kind::User) | Kind::Pid | Kind::Net)
///     .map_current_user()
///     .fs(FsOp::ro_bind("/usr", "/usr"))
///     .fs(FsOp::symlink("usr/lib", "/lib"))
///     .fs(FsOp::symlink("usr/lib64", "/lib64"))
///     .fs(FsOp::symlink("usr/bin", "/bin"))
///     .fs(FsOp::proc("/proc"))
///     .fs(FsOp::dev("/dev"))
///     .fs(FsOp::tmpfs("/tmp").size(64 << 20))
///     .status()?;
/// assert!(status.success());
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Debug)]
pub struct FsOp {
    kind: FsKind,
    optional: bool,
    mode: Option<u32>,
    size: Option<u64>,
}

impl FsOp {
    fn new(kind: FsKind) -> FsOp {
        FsOp {
            kind,
            optional: false,
            mode: None,
            size: None,
        }
    }

    /// `--bind SRC DEST`: a recursive bind mount of `source` (a path in the caller's tree) at
    /// `dest`, nosuid and nodev.
    pub fn bind(source: impl AsRef<Path>, dest: impl AsRef<Path>) -> FsOp {
        FsOp::bind_as(source, dest, BindHow::ReadWrite)
    }

    /// `--ro-bind SRC DEST`: as [`bind`](FsOp::bind), read-only (recursively).
    pub fn ro_bind(source: impl AsRef<Path>, dest: impl AsRef<Path>) -> FsOp {
        FsOp::bind_as(source, dest, BindHow::ReadOnly)
    }

    /// `--dev-bind SRC DEST`: as [`bind`](FsOp::bind), with device nodes usable (nosuid only).
    pub fn dev_bind(source: impl AsRef<Path>, dest: impl AsRef<Path>) -> FsOp {
        FsOp::bind_as(source, dest, BindHow::Devices)
    }

    fn bind_as(source: impl AsRef<Path>, dest: impl AsRef<Path>, how: BindHow) -> FsOp {
        FsOp::new(FsKind::Bind {
            source: source.as_ref().to_owned(),
            dest: dest.as_ref().to_owned(),
            how,
        })
    }

    /// `--bind-fd FD DEST` (`read_only`: `--ro-bind-fd`): binds the tree `fd` refers to (an
    /// `O_PATH` or directory descriptor).
    pub fn bind_fd(fd: OwnedFd, dest: impl AsRef<Path>, read_only: bool) -> FsOp {
        FsOp::new(FsKind::BindFd {
            fd,
            dest: dest.as_ref().to_owned(),
            read_only,
        })
    }

    /// `--tmpfs DEST`: a new tmpfs (nosuid, nodev, mode 0755 unless [`mode`](FsOp::mode),
    /// no size limit unless [`size`](FsOp::size)).
    pub fn tmpfs(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Tmpfs {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// `--proc DEST`: a new proc (nosuid, nodev, noexec) for the child's pid namespace when
    /// the command creates or joins one, with `sys`, `sysrq-trigger`, `irq` and `bus` bound
    /// read-only over themselves where they are writable, as bwrap covers them. A command
    /// that shares the caller's pid namespace gets the caller's `/proc` bound (nosuid,
    /// nodev), as bwrap does; so does one whose user namespace may not mount a proc.
    pub fn proc(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Proc {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// `--dev DEST`: a minimal `/dev` on a new tmpfs: `null`, `zero`, `full`, `random`,
    /// `urandom`, `tty` bound from the caller's `/dev`, `stdin`/`stdout`/`stderr`/`fd`/`core`
    /// symlinks, an empty `shm`, a private devpts on `pts` with `ptmx` a link to `pts/ptmx`,
    /// and `console` bound from the caller's terminal when standard output is one.
    pub fn dev(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Dev {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// `--mqueue DEST`: a new mqueue filesystem (for the child's ipc namespace).
    pub fn mqueue(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Mqueue {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// `--dir DEST`: a directory (and its parents), mode 0755 unless [`mode`](FsOp::mode).
    pub fn dir(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Dir {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// `--symlink TARGET LINK`: a symbolic link at `link` whose text is `target` (an existing
    /// link with the same text is accepted, as bwrap does).
    pub fn symlink(target: impl AsRef<OsStr>, link: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::Symlink {
            target: target.as_ref().to_owned(),
            link: link.as_ref().to_owned(),
        })
    }

    /// `--file FD DEST`: a regular file holding `data` (mode 0666 less the umask unless
    /// [`mode`](FsOp::mode)).
    pub fn file(dest: impl AsRef<Path>, data: impl Into<Vec<u8>>) -> FsOp {
        FsOp::new(FsKind::File {
            dest: dest.as_ref().to_owned(),
            data: data.into(),
            bind: None,
        })
    }

    /// `--bind-data FD DEST` (`read_only`: `--ro-bind-data`): a file holding `data`, made
    /// outside the new root and bound at `dest`.
    pub fn bind_data(dest: impl AsRef<Path>, data: impl Into<Vec<u8>>, read_only: bool) -> FsOp {
        FsOp::new(FsKind::File {
            dest: dest.as_ref().to_owned(),
            data: data.into(),
            bind: Some(read_only),
        })
    }

    /// `--chmod OCTAL PATH`: changes the mode of `path` in the new root.
    pub fn chmod(path: impl AsRef<Path>, mode: u32) -> FsOp {
        FsOp::new(FsKind::Chmod {
            path: path.as_ref().to_owned(),
            mode,
        })
    }

    /// `--remount-ro DEST`: makes the mount at `dest` (and those below it) read-only, nosuid
    /// and nodev.
    pub fn remount_read_only(dest: impl AsRef<Path>) -> FsOp {
        FsOp::new(FsKind::RemountReadOnly {
            dest: dest.as_ref().to_owned(),
        })
    }

    /// The `-try` form (`--bind-try`, `--ro-bind-try`, `--dev-bind-try`): a missing source is
    /// skipped instead of failing the spawn. Other operations ignore it.
    #[must_use]
    pub fn optional(mut self) -> FsOp {
        self.optional = true;
        self
    }

    /// `--perms OCTAL`: the mode of a directory, tmpfs root or file this operation creates.
    #[must_use]
    pub fn mode(mut self, mode: u32) -> FsOp {
        self.mode = Some(mode);
        self
    }

    /// `--size BYTES`: the size limit of a tmpfs.
    #[must_use]
    pub fn size(mut self, bytes: u64) -> FsOp {
        self.size = Some(bytes);
        self
    }

    /// `--overlay-src L… --overlay UPPER WORK DEST`: an overlayfs at `dest` of the `lowers`
    /// (bottom to top, host paths), with writes going to the host directory `upper`; `work`
    /// is an empty directory on the same filesystem (overlayfs(5); `userxattr`, so that it
    /// works in a user namespace, Linux 5.11+).
    pub fn overlay(
        lowers: impl IntoIterator<Item = impl AsRef<Path>>,
        upper: impl AsRef<Path>,
        work: impl AsRef<Path>,
        dest: impl AsRef<Path>,
    ) -> FsOp {
        FsOp::overlay_as(
            lowers,
            OverlayUpper::Dir {
                upper: upper.as_ref().to_owned(),
                work: work.as_ref().to_owned(),
            },
            dest,
        )
    }

    /// `--overlay-src L… --tmp-overlay DEST`: as [`overlay`](FsOp::overlay), with writes
    /// going to a tmpfs that nothing outside can see and that goes with the sandbox.
    pub fn tmp_overlay(
        lowers: impl IntoIterator<Item = impl AsRef<Path>>,
        dest: impl AsRef<Path>,
    ) -> FsOp {
        FsOp::overlay_as(lowers, OverlayUpper::Tmp, dest)
    }

    /// `--overlay-src L… --ro-overlay DEST`: the `lowers` merged, read-only (overlayfs
    /// needs at least two lower layers without an upper one).
    pub fn ro_overlay(
        lowers: impl IntoIterator<Item = impl AsRef<Path>>,
        dest: impl AsRef<Path>,
    ) -> FsOp {
        FsOp::overlay_as(lowers, OverlayUpper::ReadOnly, dest)
    }

    fn overlay_as(
        lowers: impl IntoIterator<Item = impl AsRef<Path>>,
        upper: OverlayUpper,
        dest: impl AsRef<Path>,
    ) -> FsOp {
        FsOp::new(FsKind::Overlay {
            lowers: lowers.into_iter().map(|l| l.as_ref().to_owned()).collect(),
            upper,
            dest: dest.as_ref().to_owned(),
        })
    }

    /// The destination this operation creates or changes.
    pub fn destination(&self) -> &Path {
        match &self.kind {
            FsKind::Bind { dest, .. }
            | FsKind::BindFd { dest, .. }
            | FsKind::Tmpfs { dest }
            | FsKind::Proc { dest }
            | FsKind::Dev { dest }
            | FsKind::Mqueue { dest }
            | FsKind::Dir { dest }
            | FsKind::File { dest, .. }
            | FsKind::Overlay { dest, .. }
            | FsKind::RemountReadOnly { dest } => dest,
            FsKind::Symlink { link, .. } => link,
            FsKind::Chmod { path, .. } => path,
        }
    }

    /// The source of a bind mount of a path.
    pub fn source(&self) -> Option<&Path> {
        match &self.kind {
            FsKind::Bind { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The operation as bwrap's option (`--ro-bind /usr /usr`), for messages.
impl fmt::Display for FsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let try_ = if self.optional { "-try" } else { "" };
        let d = self.destination().display();
        match &self.kind {
            FsKind::Bind { source, how, .. } => {
                write!(f, "--{}{try_} {} {d}", how.option(), source.display())
            }
            FsKind::BindFd { read_only, .. } => {
                write!(f, "--{}bind-fd {d}", if *read_only { "ro-" } else { "" })
            }
            FsKind::Tmpfs { .. } => write!(f, "--tmpfs {d}"),
            FsKind::Proc { .. } => write!(f, "--proc {d}"),
            FsKind::Dev { .. } => write!(f, "--dev {d}"),
            FsKind::Mqueue { .. } => write!(f, "--mqueue {d}"),
            FsKind::Dir { .. } => write!(f, "--dir {d}"),
            FsKind::Symlink { target, .. } => {
                write!(f, "--symlink {} {d}", Path::new(target).display())
            }
            FsKind::File { bind: None, .. } => write!(f, "--file {d}"),
            FsKind::File { bind: Some(ro), .. } => {
                write!(f, "--{}bind-data {d}", if *ro { "ro-" } else { "" })
            }
            FsKind::Chmod { mode, .. } => write!(f, "--chmod {mode:o} {d}"),
            FsKind::RemountReadOnly { .. } => write!(f, "--remount-ro {d}"),
            FsKind::Overlay { upper, .. } => match upper {
                OverlayUpper::Dir { upper, work } => {
                    write!(f, "--overlay {} {} {d}", upper.display(), work.display())
                }
                OverlayUpper::Tmp => write!(f, "--tmp-overlay {d}"),
                OverlayUpper::ReadOnly => write!(f, "--ro-overlay {d}"),
            },
        }
    }
}

/// A set of capabilities (capabilities(7)), by number: `CAP_CHOWN` is 0.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capabilities(u64);

/// Capability names, by number (linux/capability.h).
const CAP_NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

impl Capabilities {
    /// No capability.
    pub const fn none() -> Capabilities {
        Capabilities(0)
    }

    /// Every capability this library knows (`CAP_CHOWN` … `CAP_CHECKPOINT_RESTORE`).
    pub const fn all() -> Capabilities {
        Capabilities((1 << CAP_NAMES.len()) - 1)
    }

    /// The capability named `name` (`CAP_NET_ADMIN`, `net_admin`: any case, with or without
    /// the `CAP_` prefix), or `ALL`.
    ///
    /// # Errors
    /// [`InvalidArgument`](crate::Reason::InvalidArgument) naming the input for an unknown name.
    pub fn from_name(name: &str) -> Result<Capabilities> {
        let lower = name.to_ascii_lowercase();
        if lower == "all" {
            return Ok(Capabilities::all());
        }
        let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
        CAP_NAMES
            .iter()
            .position(|n| *n == bare)
            .map(|i| Capabilities(1 << i))
            .ok_or_else(|| {
                Error::invalid_argument(
                    Op::Spawn(SpawnStep::Capabilities),
                    Target::Text(name.to_owned()),
                    "unknown capability (capabilities(7) lists them: CAP_NET_ADMIN, …)".into(),
                )
            })
    }

    /// The set with `other`'s capabilities added.
    #[must_use]
    pub const fn with(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }

    /// The set with `other`'s capabilities removed.
    #[must_use]
    pub const fn without(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 & !other.0)
    }

    /// Whether every capability of `other` is in the set.
    pub const fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// The set of the bits of `mask` that are capabilities this library knows.
    pub const fn from_bits(mask: u64) -> Capabilities {
        Capabilities(mask & Capabilities::all().0)
    }

    /// The set as the kernel's bit mask (as `CapEff` in `/proc/PID/status` shows it).
    pub const fn bits(self) -> u64 {
        self.0
    }
}

/// A classic BPF seccomp program (`struct sock_filter` array, 8 bytes per instruction, as
/// bwrap's `--seccomp FD` reads it).
#[derive(Clone, Debug)]
pub(crate) struct SeccompProgram(pub(crate) Vec<libc::sock_filter>);

impl SeccompProgram {
    /// Parses a program from its bytes (native byte order).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<SeccompProgram> {
        let refuse =
            |why: String| Error::invalid_argument(Op::Spawn(SpawnStep::Seccomp), Target::None, why);
        if bytes.is_empty() || bytes.len() % 8 != 0 {
            return Err(refuse(format!(
                "a seccomp program is a whole number of 8-byte BPF instructions; this one has \
                 {} bytes",
                bytes.len()
            )));
        }
        if bytes.len() / 8 > 4096 {
            return Err(refuse(
                "a seccomp program has at most 4096 instructions (BPF_MAXINSNS)".into(),
            ));
        }
        let filters = bytes
            .chunks_exact(8)
            .map(|c| libc::sock_filter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        Ok(SeccompProgram(filters))
    }
}

// ---------------------------------------------------------------------------------------
// The plan, prepared in the parent.

/// One operation, with every string the child needs.
#[derive(Debug)]
pub(crate) enum Step {
    Bind {
        source: CString,
        dest: CString,
        attrs: u64,
        optional: bool,
    },
    BindFd {
        fd: OwnedFd,
        dest: CString,
        attrs: u64,
    },
    Fresh {
        fstype: &'static CStr,
        dest: CString,
        attrs: u64,
        config: Vec<(CString, Option<CString>)>,
    },
    Proc {
        dest: CString,
        /// Whether the child has a pid namespace of its own (a fresh proc is mounted).
        fresh: bool,
        /// `dest/sys`, `dest/sysrq-trigger`, `dest/irq`, `dest/bus`.
        covers: [CString; 4],
    },
    Dev {
        dest: CString,
        /// `dest/NAME` for each entry, in the order of [`DEV_ENTRIES`].
        paths: Vec<CString>,
        /// `dest/console` and the caller's terminal, when standard output is one.
        console: Option<(CString, CString)>,
    },
    Dir {
        dest: CString,
        mode: u32,
    },
    Symlink {
        target: CString,
        dest: CString,
    },
    File {
        dest: CString,
        data: Vec<u8>,
        mode: Option<u32>,
        /// For a bound file: its name in the staging tmpfs, and the attributes.
        bind: Option<(CString, u64)>,
    },
    Chmod {
        dest: CString,
        mode: u32,
    },
    RemountReadOnly {
        dest: CString,
    },
    Overlay {
        dest: CString,
        config: Vec<(CString, Option<CString>)>,
        /// For a tmp overlay: its upper and work directories' names in the staging tmpfs.
        tmp: Option<(CString, CString)>,
    },
}

/// The entries of `--dev`, in the order bwrap makes them.
const DEV_NODES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];
const DEV_LINKS: [(&str, &CStr); 5] = [
    ("stdin", c"/proc/self/fd/0"),
    ("stdout", c"/proc/self/fd/1"),
    ("stderr", c"/proc/self/fd/2"),
    ("fd", c"/proc/self/fd"),
    ("core", c"/proc/kcore"),
];
/// Host paths of [`DEV_NODES`].
const HOST_DEV: [&CStr; 6] = [
    c"/dev/null",
    c"/dev/zero",
    c"/dev/full",
    c"/dev/random",
    c"/dev/urandom",
    c"/dev/tty",
];

/// `dest` relative to the new root: leading slashes, empty and `.` components dropped.
/// A `..` that climbs above the root is refused here, before anything runs.
fn relative_dest(op: &FsOp, dest: &Path) -> Result<CString> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut depth = 0usize;
    for part in dest.as_os_str().as_bytes().split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if depth == 0 {
                    return Err(Error::invalid_argument(
                        Op::Spawn(SpawnStep::Filesystem),
                        Target::Path(dest.to_owned()),
                        format!("the destination of {op} climbs out of the sandbox root with '..'"),
                    ));
                }
                depth -= 1;
                parts.push(part);
            }
            p => {
                depth += 1;
                parts.push(p);
            }
        }
    }
    cstring(&parts.join(&b'/'), "a sandbox destination")
}

fn join(dest: &CStr, name: &str) -> Result<CString> {
    let mut v = dest.to_bytes().to_vec();
    if !v.is_empty() {
        v.push(b'/');
    }
    v.extend_from_slice(name.as_bytes());
    cstring(&v, "a sandbox destination")
}

/// `path` made absolute against the caller's working directory (the child resolves sources
/// from the caller's root after it left its working directory, as bwrap's `realpath` does).
fn absolute(path: &Path) -> Result<std::borrow::Cow<'_, Path>> {
    if path.is_absolute() {
        return Ok(path.into());
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Error::os(
            Op::Spawn(SpawnStep::Prepare),
            None,
            Target::Path(path.to_owned()),
            Errno::from_io_error(&e).unwrap_or(Errno::NOENT).into(),
        )
    })?;
    Ok(cwd.join(path).into())
}

/// Prepares `ops` for the child.
pub(crate) fn prepare(ops: &mut [FsOp], own_pid_ns: bool) -> Result<Vec<Step>> {
    let mut steps = Vec::with_capacity(ops.len());
    let mut tmp_overlays = 0usize;
    for (i, op) in ops.iter_mut().enumerate() {
        let dest = relative_dest(op, op.destination())?;
        let mode = op.mode;
        let label = matches!(op.kind, FsKind::Overlay { .. }).then(|| op.to_string());
        let step = match &mut op.kind {
            FsKind::Bind { source, how, .. } => Step::Bind {
                source: cstring(absolute(source)?.as_os_str().as_bytes(), "a bind source")?,
                dest,
                attrs: how.attrs(),
                optional: op.optional,
            },
            FsKind::BindFd { fd, read_only, .. } => Step::BindFd {
                fd: fd.try_clone().map_err(|e| {
                    Error::os(
                        Op::Spawn(SpawnStep::Prepare),
                        None,
                        Target::None,
                        Errno::from_io_error(&e).unwrap_or(Errno::BADF).into(),
                    )
                })?,
                dest,
                attrs: if *read_only {
                    BindHow::ReadOnly
                } else {
                    BindHow::ReadWrite
                }
                .attrs(),
            },
            FsKind::Tmpfs { .. } => {
                let mut config = vec![(
                    c"mode".to_owned(),
                    Some(cstring(
                        format!("0{:o}", mode.unwrap_or(0o755)).as_bytes(),
                        "a mode",
                    )?),
                )];
                if let Some(size) = op.size {
                    config.push((
                        c"size".to_owned(),
                        Some(cstring(size.to_string().as_bytes(), "a size")?),
                    ));
                }
                Step::Fresh {
                    fstype: c"tmpfs",
                    dest,
                    attrs: ATTR_NOSUID | ATTR_NODEV,
                    config,
                }
            }
            FsKind::Mqueue { .. } => Step::Fresh {
                fstype: c"mqueue",
                dest,
                attrs: 0,
                config: Vec::new(),
            },
            FsKind::Proc { .. } => Step::Proc {
                fresh: own_pid_ns,
                covers: [
                    join(&dest, "sys")?,
                    join(&dest, "sysrq-trigger")?,
                    join(&dest, "irq")?,
                    join(&dest, "bus")?,
                ],
                dest,
            },
            FsKind::Dev { .. } => {
                let mut paths = Vec::new();
                for n in DEV_NODES
                    .iter()
                    .chain(DEV_LINKS.iter().map(|(n, _)| n))
                    .chain(&["shm", "pts", "ptmx"])
                {
                    paths.push(join(&dest, n)?);
                }
                let console = match terminal_of_stdout() {
                    Some(tty) => Some((join(&dest, "console")?, tty)),
                    None => None,
                };
                Step::Dev {
                    dest,
                    paths,
                    console,
                }
            }
            FsKind::Dir { .. } => Step::Dir {
                dest,
                mode: mode.unwrap_or(0o755),
            },
            FsKind::Symlink { target, .. } => Step::Symlink {
                target: cstring(target.as_bytes(), "a symlink target")?,
                dest,
            },
            FsKind::File { data, bind, .. } => Step::File {
                dest,
                data: std::mem::take(data),
                mode,
                bind: match bind {
                    None => None,
                    Some(ro) => Some((
                        cstring(format!("bindfile{i}").as_bytes(), "a file name")?,
                        if *ro {
                            BindHow::ReadOnly
                        } else {
                            BindHow::ReadWrite
                        }
                        .attrs(),
                    )),
                },
            },
            FsKind::Chmod { mode, .. } => Step::Chmod { dest, mode: *mode },
            FsKind::RemountReadOnly { .. } => Step::RemountReadOnly { dest },
            FsKind::Overlay { lowers, upper, .. } => {
                let refuse = |why: &str| {
                    Error::invalid_argument(
                        Op::Spawn(SpawnStep::Filesystem),
                        Target::Text(label.clone().unwrap_or_default()),
                        why.into(),
                    )
                };
                if lowers.is_empty() {
                    return Err(refuse("an overlay needs at least one lower layer"));
                }
                if matches!(upper, OverlayUpper::ReadOnly) && lowers.len() < 2 {
                    return Err(refuse(
                        "a read-only overlay needs at least two lower layers (overlayfs \
                         refuses one without an upper layer)",
                    ));
                }
                // lowerdir lists the top layer first; ':' and '\\' in a path are escaped.
                let mut list = Vec::new();
                for (n, lower) in lowers.iter().rev().enumerate() {
                    if n > 0 {
                        list.push(b':');
                    }
                    for &b in absolute(lower)?.as_os_str().as_bytes() {
                        if b == b':' || b == b'\\' {
                            list.push(b'\\');
                        }
                        list.push(b);
                    }
                }
                let mut config = vec![(
                    c"lowerdir".to_owned(),
                    Some(cstring(&list, "a lower layer")?),
                )];
                let mut tmp = None;
                match upper {
                    OverlayUpper::Dir { upper, work } => {
                        for (key, path) in [(c"upperdir", upper), (c"workdir", work)] {
                            let path = absolute(path)?;
                            config.push((
                                key.to_owned(),
                                Some(cstring(
                                    path.as_os_str().as_bytes(),
                                    "an overlay directory",
                                )?),
                            ));
                        }
                    }
                    OverlayUpper::Tmp => {
                        let up =
                            cstring(format!("tmp-overlay-upper-{tmp_overlays}").as_bytes(), "")?;
                        let work =
                            cstring(format!("tmp-overlay-work-{tmp_overlays}").as_bytes(), "")?;
                        tmp_overlays += 1;
                        config.push((c"upperdir".to_owned(), Some(up.clone())));
                        config.push((c"workdir".to_owned(), Some(work.clone())));
                        tmp = Some((up, work));
                    }
                    OverlayUpper::ReadOnly => {}
                }
                // bwrap's: the layers' own xattrs under user.overlay.*, so that it works in
                // a user namespace.
                config.push((c"userxattr".to_owned(), None));
                Step::Overlay { dest, config, tmp }
            }
        };
        steps.push(step);
    }
    Ok(steps)
}

/// The caller's terminal, when its standard output is one (bwrap binds it as `/dev/console`).
fn terminal_of_stdout() -> Option<CString> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let link = std::fs::read_link("/proc/self/fd/1").ok()?;
    let bytes = link.as_os_str().as_bytes();
    bytes
        .starts_with(b"/dev/")
        .then(|| CString::new(bytes).ok())
        .flatten()
}

/// The typed error for operation `index` that failed with `errno` in the child: the target
/// is the operation as bwrap's option (`--ro-bind /nonexistent /x`).
pub(crate) fn step_error(ops: &[FsOp], index: u32, errno: Errno) -> Error {
    let op = Op::Spawn(SpawnStep::Filesystem);
    let Some(fs) = usize::try_from(index).ok().and_then(|i| ops.get(i)) else {
        return Error::os(op, Some(crate::Kind::Mnt), Target::None, errno.into());
    };
    let target = Target::Text(fs.to_string());
    match errno {
        Errno::XDEV => Error::invalid_argument(
            op,
            target,
            "the destination leaves the sandbox root through a symlink or '..'".into(),
        )
        .with_errno(Some(errno.into())),
        Errno::NOENT if fs.source().is_some() => {
            Error::not_found(op, Some(crate::Kind::Mnt), target)
        }
        Errno::NOSYS => Error::unsupported(
            op,
            Some(crate::Kind::Mnt),
            "sandbox roots are built with the new mount API (open_tree, move_mount, fsopen: \
             Linux 5.2+), which this kernel or a seccomp filter refuses"
                .into(),
            Some(errno.into()),
        ),
        e => Error::os(op, Some(crate::Kind::Mnt), target, e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The child side: async-signal-safe (system calls only, no allocation).

/// A failed operation: its index and errno.
pub(crate) type Failure = (u32, Errno);

const PATH_MAX: usize = 4096;

/// Runs `f` with `bytes` as a NUL-terminated string in a stack buffer.
fn with_c<T>(bytes: &[u8], f: impl FnOnce(&CStr) -> SysResult<T>) -> SysResult<T> {
    let mut buf = [0u8; PATH_MAX];
    let dst = buf.get_mut(..bytes.len()).ok_or(Errno::NAMETOOLONG)?;
    dst.copy_from_slice(bytes);
    let c = CStr::from_bytes_until_nul(&buf).map_err(|_| Errno::INVAL)?;
    if c.to_bytes().len() != bytes.len() {
        return Err(Errno::INVAL);
    }
    f(c)
}

const BENEATH: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// Opens `path` (relative, may be empty: the root itself) beneath `root`.
fn open_beneath(root: BorrowedFd<'_>, path: &[u8], flags: OFlags) -> SysResult<OwnedFd> {
    let path = if path.is_empty() { &b"."[..] } else { path };
    with_c(path, |c| {
        rustix::fs::openat2(root, c, flags | OFlags::CLOEXEC, Mode::empty(), BENEATH)
    })
}

/// Splits `path` at its last slash: (parent, name).
fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (
            path.get(..i).unwrap_or_default(),
            path.get(i + 1..).unwrap_or_default(),
        ),
        None => (&[], path),
    }
}

/// The parent directory of `path` beneath `root`, and the last component's name.
fn parent_beneath<'p>(root: BorrowedFd<'_>, path: &'p [u8]) -> SysResult<(OwnedFd, &'p [u8])> {
    let (parent, name) = split_last(path);
    let dir = open_beneath(root, parent, OFlags::PATH | OFlags::DIRECTORY)?;
    Ok((dir, name))
}

/// `mkdir -p` of the parents of `path`, beneath `root`. The parent usually exists (a
/// `/dev` node, a file in a bound tree): one `openat2` tells, before any `mkdirat`.
fn make_parents(root: BorrowedFd<'_>, path: &[u8]) -> SysResult<()> {
    let (parent, _) = split_last(path);
    if parent.is_empty() || open_beneath(root, parent, OFlags::PATH | OFlags::DIRECTORY).is_ok() {
        return Ok(());
    }
    for (i, &b) in path.iter().enumerate() {
        if b == b'/' && i > 0 {
            make_dir(root, path.get(..i).unwrap_or_default(), 0o755)?;
        }
    }
    Ok(())
}

/// `mkdir path` beneath `root`; an existing directory (or a link to one) is fine.
fn make_dir(root: BorrowedFd<'_>, path: &[u8], mode: u32) -> SysResult<()> {
    if path.is_empty() {
        return Ok(());
    }
    let (dir, name) = parent_beneath(root, path)?;
    match with_c(name, |n| {
        rustix::fs::mkdirat(&dir, n, Mode::from_raw_mode(mode))
    }) {
        Ok(()) => Ok(()),
        // A read-only tree answers EROFS even for a directory that exists; a link that
        // leaves the root answers EXDEV on the way.
        Err(e) => open_beneath(root, path, OFlags::PATH | OFlags::DIRECTORY)
            .map(drop)
            .map_err(|o| escaped_or(o, e)),
    }
}

/// An empty regular file at `path` beneath `root` (an existing non-directory is fine).
fn make_file(root: BorrowedFd<'_>, path: &[u8]) -> SysResult<()> {
    let (dir, name) = parent_beneath(root, path)?;
    match with_c(name, |n| {
        rustix::fs::mknodat(
            &dir,
            n,
            FileType::RegularFile,
            Mode::from_raw_mode(0o444),
            0,
        )
    }) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        // A read-only tree answers EROFS even for a file that exists.
        Err(e) => open_beneath(root, path, OFlags::PATH)
            .map(drop)
            .map_err(|o| escaped_or(o, e)),
    }
}

/// `opened` when it says the path left the root (EXDEV), else `made`.
fn escaped_or(opened: Errno, made: Errno) -> Errno {
    if opened == Errno::XDEV { opened } else { made }
}

/// Attaches the detached mount `tree` at `dest` beneath `root`.
fn attach(tree: &OwnedFd, root: BorrowedFd<'_>, dest: &[u8]) -> SysResult<()> {
    let target = open_beneath(root, dest, OFlags::PATH)?;
    rustix::mount::move_mount(
        tree,
        c"",
        &target,
        c"",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
}

/// `attrs` set on every mount of the detached `tree`.
fn set_attrs(tree: &OwnedFd, attrs: u64) -> SysResult<()> {
    if attrs == 0 {
        return Ok(());
    }
    let attr = sys::MountAttr {
        attr_set: attrs,
        ..sys::MountAttr::default()
    };
    sys::mount_setattr(
        tree.as_fd(),
        c"",
        AtFlags::EMPTY_PATH.bits() | OpenTreeFlags::AT_RECURSIVE.bits(),
        attr,
        None,
    )
}

/// A recursive clone of `dir`/`path` (or of `dir` itself for an empty `path`).
fn clone_tree(dir: BorrowedFd<'_>, path: &CStr) -> SysResult<OwnedFd> {
    let mut flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_RECURSIVE;
    if path.is_empty() {
        flags |= OpenTreeFlags::AT_EMPTY_PATH;
    }
    rustix::mount::open_tree(dir, path, flags)
}

/// Binds the clone `tree` (a directory or not, as `is_dir`) at `dest` with `attrs`.
fn bind_tree(
    tree: &OwnedFd,
    is_dir: bool,
    root: BorrowedFd<'_>,
    dest: &[u8],
    attrs: u64,
) -> SysResult<()> {
    make_parents(root, dest)?;
    if is_dir {
        make_dir(root, dest, 0o755)?;
    } else {
        make_file(root, dest)?;
    }
    set_attrs(tree, attrs)?;
    attach(tree, root, dest)
}

fn is_dir(fd: BorrowedFd<'_>) -> SysResult<bool> {
    let st = rustix::fs::fstat(fd)?;
    Ok(FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

/// A new filesystem of type `fstype` with `config`, mounted with `attrs`.
fn fresh<'c>(
    fstype: &CStr,
    config: impl IntoIterator<Item = (&'c CStr, Option<&'c CStr>)>,
    attrs: u64,
) -> SysResult<OwnedFd> {
    let fs = rustix::mount::fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC)?;
    // The source mountinfo shows ("none" otherwise), as mount(8) and bwrap name it.
    rustix::mount::fsconfig_set_string(&fs, c"source", fstype)?;
    for (key, value) in config {
        match value {
            Some(v) => rustix::mount::fsconfig_set_string(&fs, key, v)?,
            None => rustix::mount::fsconfig_set_flag(&fs, key)?,
        }
    }
    rustix::mount::fsconfig_create(&fs)?;
    rustix::mount::fsmount(
        &fs,
        FsMountFlags::FSMOUNT_CLOEXEC,
        // MOUNT_ATTR_* bits all lie in the low 32 bits (mount_setattr takes a u64).
        MountAttrFlags::from_bits_retain(u32::try_from(attrs).map_err(|_| Errno::INVAL)?),
    )
}

fn mount_fresh<'c>(
    root: BorrowedFd<'_>,
    dest: &[u8],
    fstype: &CStr,
    config: impl IntoIterator<Item = (&'c CStr, Option<&'c CStr>)>,
    attrs: u64,
) -> SysResult<()> {
    make_parents(root, dest)?;
    make_dir(root, dest, 0o755)?;
    let m = fresh(fstype, config, attrs)?;
    attach(&m, root, dest)
}

/// A symlink `dest` → `target` beneath `root`; an identical existing one is fine.
fn make_symlink(root: BorrowedFd<'_>, target: &CStr, dest: &[u8]) -> SysResult<()> {
    make_parents(root, dest)?;
    let (dir, name) = parent_beneath(root, dest)?;
    with_c(name, |n| match rustix::fs::symlinkat(target, &dir, n) {
        Err(Errno::EXIST | Errno::ROFS) => {
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); PATH_MAX];
            let (text, _) = rustix::fs::readlinkat_raw(&dir, n, &mut buf)?;
            if text == target.to_bytes() {
                Ok(())
            } else {
                Err(Errno::EXIST)
            }
        }
        r => r,
    })
}

/// Writes all of `data` to `fd`.
fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> SysResult<()> {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A file holding `data` at `name` in `dir`.
fn write_new_file(
    dir: BorrowedFd<'_>,
    name: &[u8],
    data: &[u8],
    mode: Option<u32>,
) -> SysResult<()> {
    let fd = with_c(name, |n| {
        rustix::fs::openat(
            dir,
            n,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode.unwrap_or(0o666)),
        )
    })?;
    write_all(fd.as_fd(), data)?;
    if let Some(m) = mode {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(m))?;
    }
    Ok(())
}

/// `/proc/self/fd/N` for `fd`, in `buf`.
fn proc_fd_path<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8; 32]) -> &'b CStr {
    use std::os::fd::AsRawFd;
    let prefix = b"/proc/self/fd/";
    let mut n = u32::try_from(fd.as_raw_fd()).unwrap_or(0);
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    let mut at = 0;
    for &b in prefix.iter().chain(digits.iter().take(len).rev()) {
        if let Some(slot) = buf.get_mut(at) {
            *slot = b;
        }
        at += 1;
    }
    if let Some(slot) = buf.get_mut(at) {
        *slot = 0;
    }
    CStr::from_bytes_until_nul(buf).unwrap_or(c"/")
}

fn run_step(step: &Step, root: BorrowedFd<'_>, staging: BorrowedFd<'_>) -> SysResult<()> {
    match step {
        Step::Bind {
            source,
            dest,
            attrs,
            optional,
        } => {
            let src = match rustix::fs::open(
                source.as_c_str(),
                OFlags::PATH | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Err(Errno::NOENT) if *optional => return Ok(()),
                r => r?,
            };
            let tree = clone_tree(src.as_fd(), c"")?;
            bind_tree(&tree, is_dir(src.as_fd())?, root, dest.to_bytes(), *attrs)
        }
        Step::BindFd { fd, dest, attrs } => {
            let tree = clone_tree(fd.as_fd(), c"")?;
            bind_tree(&tree, is_dir(fd.as_fd())?, root, dest.to_bytes(), *attrs)
        }
        Step::Fresh {
            fstype,
            dest,
            attrs,
            config,
        } => mount_fresh(
            root,
            dest.to_bytes(),
            fstype,
            config.iter().map(|(k, v)| (k.as_c_str(), v.as_deref())),
            *attrs,
        ),
        Step::Proc {
            dest,
            fresh,
            covers,
        } => {
            let attrs = ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC;
            let mounted = if *fresh {
                mount_fresh(root, dest.to_bytes(), c"proc", [], attrs)
            } else {
                Err(Errno::PERM)
            };
            match mounted {
                // Sharing the caller's pid namespace, or in a user namespace that does not
                // own the pid namespace (the kernel mounts no proc there): bind the
                // caller's, nosuid and nodev, as bwrap does.
                Err(Errno::PERM) => {
                    let tree = clone_tree(rustix::fs::CWD, c"/proc")?;
                    bind_tree(&tree, true, root, dest.to_bytes(), ATTR_NOSUID | ATTR_NODEV)?;
                }
                r => r?,
            }
            for cover in covers {
                match rustix::fs::accessat(
                    root,
                    cover.as_c_str(),
                    rustix::fs::Access::WRITE_OK,
                    AtFlags::empty(),
                ) {
                    Err(Errno::ACCESS | Errno::ROFS | Errno::NOENT) => continue,
                    r => r?,
                }
                let tree = rustix::mount::open_tree(
                    root,
                    cover.as_c_str(),
                    OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
                )?;
                set_attrs(&tree, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV)?;
                attach(&tree, root, cover.to_bytes())?;
            }
            Ok(())
        }
        Step::Dev {
            dest,
            paths,
            console,
        } => {
            let d = dest.to_bytes();
            mount_fresh(
                root,
                d,
                c"tmpfs",
                [(c"mode", Some(c"0755"))],
                ATTR_NOSUID | ATTR_NODEV,
            )?;
            let mut p = paths.iter();
            for host in HOST_DEV {
                let path = p.next().ok_or(Errno::INVAL)?;
                let tree = rustix::mount::open_tree(
                    rustix::fs::CWD,
                    host,
                    OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
                )?;
                make_file(root, path.to_bytes())?;
                set_attrs(&tree, ATTR_NOSUID)?;
                attach(&tree, root, path.to_bytes())?;
            }
            for (_, target) in DEV_LINKS {
                let path = p.next().ok_or(Errno::INVAL)?;
                make_symlink(root, target, path.to_bytes())?;
            }
            let shm = p.next().ok_or(Errno::INVAL)?;
            make_dir(root, shm.to_bytes(), 0o755)?;
            let pts = p.next().ok_or(Errno::INVAL)?;
            make_dir(root, pts.to_bytes(), 0o755)?;
            let devpts = fresh(
                c"devpts",
                [
                    (c"newinstance", None),
                    (c"ptmxmode", Some(c"0666")),
                    (c"mode", Some(c"620")),
                ],
                ATTR_NOSUID | ATTR_NOEXEC,
            )?;
            attach(&devpts, root, pts.to_bytes())?;
            let ptmx = p.next().ok_or(Errno::INVAL)?;
            make_symlink(root, c"pts/ptmx", ptmx.to_bytes())?;
            if let Some((path, tty)) = console {
                let tree = rustix::mount::open_tree(
                    rustix::fs::CWD,
                    tty.as_c_str(),
                    OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
                )?;
                make_file(root, path.to_bytes())?;
                set_attrs(&tree, ATTR_NOSUID)?;
                attach(&tree, root, path.to_bytes())?;
            }
            Ok(())
        }
        Step::Dir { dest, mode } => {
            make_parents(root, dest.to_bytes())?;
            make_dir(root, dest.to_bytes(), *mode)
        }
        Step::Symlink { target, dest } => make_symlink(root, target, dest.to_bytes()),
        Step::File {
            dest,
            data,
            mode,
            bind: None,
        } => {
            make_parents(root, dest.to_bytes())?;
            let (dir, name) = parent_beneath(root, dest.to_bytes())?;
            write_new_file(dir.as_fd(), name, data, *mode)
        }
        Step::File {
            dest,
            data,
            mode,
            bind: Some((name, attrs)),
        } => {
            write_new_file(staging, name.to_bytes(), data, *mode)?;
            let tree = rustix::mount::open_tree(
                staging,
                name.as_c_str(),
                OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
            )?;
            bind_tree(&tree, false, root, dest.to_bytes(), *attrs)
        }
        Step::Chmod { dest, mode } => {
            let fd = open_beneath(root, dest.to_bytes(), OFlags::PATH)?;
            let mut buf = [0u8; 32];
            rustix::fs::chmod(
                proc_fd_path(fd.as_fd(), &mut buf),
                Mode::from_raw_mode(*mode),
            )
        }
        Step::Overlay { dest, config, tmp } => {
            make_parents(root, dest.to_bytes())?;
            make_dir(root, dest.to_bytes(), 0o755)?;
            if let Some((up, work)) = tmp {
                for dir in [up, work] {
                    rustix::fs::mkdirat(staging, dir.as_c_str(), Mode::from_raw_mode(0o755))?;
                }
            }
            // The layers' paths are resolved from the working directory: the staging tmpfs
            // for a tmp overlay's own directories (absolute ones from the caller's root, the
            // chroot), then back to that root.
            rustix::process::fchdir(staging)?;
            let made = fresh(
                c"overlay",
                config.iter().map(|(k, v)| (k.as_c_str(), v.as_deref())),
                0,
            );
            rustix::process::chdir(c"/")?;
            attach(&made?, root, dest.to_bytes())
        }
        Step::RemountReadOnly { dest } => {
            let fd = open_beneath(root, dest.to_bytes(), OFlags::PATH)?;
            let attr = sys::MountAttr {
                attr_set: ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV,
                ..sys::MountAttr::default()
            };
            sys::mount_setattr(
                fd.as_fd(),
                c"",
                AtFlags::EMPTY_PATH.bits() | OpenTreeFlags::AT_RECURSIVE.bits(),
                attr,
                None,
            )
        }
    }
}

/// Whether a step mounts onto the root itself (so the root must be reopened after it).
fn covers_root(step: &Step) -> bool {
    match step {
        Step::Bind { dest, .. }
        | Step::BindFd { dest, .. }
        | Step::Fresh { dest, .. }
        | Step::Overlay { dest, .. } => dest.is_empty(),
        _ => false,
    }
}

/// Builds the new root from `steps`, in the child's (already private) mount namespace, the
/// way bwrap does: a staging tmpfs becomes the root with the old root under `oldroot` (a
/// first `pivot_root`, so no bind of the old tree, `/` included, carries the staging tmpfs
/// along), the process chroots into `oldroot` so that sources, symlinks in them and
/// `/proc/self` resolve as they did for the caller, and each step mounts beneath `newroot`.
/// It returns with the working directory at the new root and the
/// process's root at the staging tmpfs; [`pivot`] finishes. Async-signal-safe.
pub(crate) fn build_root(steps: &[Step]) -> std::result::Result<(), (SpawnStep, Failure)> {
    let setup = |e: Errno| (SpawnStep::RootBind, (u32::MAX, e));
    let staging = fresh(c"tmpfs", [], ATTR_NOSUID | ATTR_NODEV).map_err(setup)?;
    rustix::mount::move_mount(
        &staging,
        c"",
        rustix::fs::CWD,
        c"/",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(setup)?;
    for dir in [c"newroot", c"oldroot"] {
        rustix::fs::mkdirat(&staging, dir, Mode::from_raw_mode(0o755)).map_err(setup)?;
    }
    let tree = rustix::mount::open_tree(
        &staging,
        c"newroot",
        OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
    )
    .map_err(setup)?;
    rustix::mount::move_mount(
        &tree,
        c"",
        &staging,
        c"newroot",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(setup)?;
    rustix::process::fchdir(&staging).map_err(|e| (SpawnStep::RootChdir, (u32::MAX, e)))?;
    rustix::process::pivot_root(c".", c"oldroot")
        .map_err(|e| (SpawnStep::PivotRoot, (u32::MAX, e)))?;
    let enter = |dir: &OwnedFd| -> SysResult<()> {
        rustix::process::fchdir(dir)?;
        rustix::process::chroot(c".")
    };
    let old = rustix::fs::openat(
        &staging,
        c"oldroot",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(setup)?;
    enter(&old).map_err(|e| (SpawnStep::RootChdir, (u32::MAX, e)))?;
    let open_root = || {
        rustix::fs::openat(
            &staging,
            c"newroot",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    let mut root = open_root().map_err(setup)?;
    for (i, step) in steps.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        run_step(step, root.as_fd(), staging.as_fd())
            .map_err(|e| (SpawnStep::Filesystem, (index, e)))?;
        if covers_root(step) {
            root = open_root().map_err(|e| (SpawnStep::Filesystem, (index, e)))?;
        }
    }
    enter(&staging).map_err(|e| (SpawnStep::RootChdir, (u32::MAX, e)))?;
    drop(old);
    // The old root stays under the staging tmpfs until [`pivot`]'s lazy unmount detaches
    // both at once: one unmount, so one RCU grace period (`namespace_unlock`) instead of two.
    let root = open_root().map_err(setup)?;
    rustix::process::fchdir(&root).map_err(|e| (SpawnStep::RootChdir, (u32::MAX, e)))?;
    Ok(())
}

/// After [`build_root`] (and the command's own mounts in the new root): the pivot into
/// `newroot`. The staging tmpfs ends up on the new root's `/`; a lazy unmount of `.`
/// detaches it with everything under it, the old root (`oldroot`) included.
pub(crate) fn pivot() -> std::result::Result<(), (SpawnStep, Errno)> {
    rustix::process::pivot_root(c".", c".").map_err(|e| (SpawnStep::PivotRoot, e))?;
    rustix::mount::unmount(c".", UnmountFlags::DETACH)
        .map_err(|e| (SpawnStep::DetachOldRoot, e))?;
    rustix::process::chdir(c"/").map_err(|e| (SpawnStep::RootChdir, e))
}

/// Brings up `lo` (interface index 1 in a new network namespace) with one rtnetlink
/// `RTM_NEWLINK` request, as bwrap does for `--unshare-net`. Async-signal-safe.
pub(crate) fn loopback_up() -> SysResult<()> {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
    let sock = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        None, // NETLINK_ROUTE
    )?;
    let mut msg = [0u8; 32];
    let fields: [(usize, &[u8]); 7] = [
        (0, &32u32.to_ne_bytes()),
        (4, &16u16.to_ne_bytes()),      // RTM_NEWLINK
        (6, &(1u16 | 4).to_ne_bytes()), // NLM_F_REQUEST | NLM_F_ACK
        (8, &1u32.to_ne_bytes()),       // sequence
        (20, &1i32.to_ne_bytes()),      // ifi_index: lo
        (24, &1u32.to_ne_bytes()),      // ifi_flags: IFF_UP
        (28, &1u32.to_ne_bytes()),      // ifi_change: IFF_UP
    ];
    for (at, bytes) in fields {
        if let Some(dst) = msg.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    rustix::net::send(&sock, &msg, SendFlags::empty())?;
    let mut ack = [0u8; 64];
    let (n, _) = rustix::net::recv(&sock, &mut ack, RecvFlags::empty())?;
    // nlmsghdr (16 bytes), then NLMSG_ERROR's `int error` (0: success, -errno).
    let code = ack
        .get(16..20)
        .filter(|_| n >= 20)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_ne_bytes)
        .ok_or(Errno::IO)?;
    if code == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(-code))
    }
}
