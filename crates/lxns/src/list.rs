//! System-wide enumeration of namespaces: what `lsns(8)` does, as a library, in linear time.
//!
//! Namespaces are found through every process (`/proc/PID/ns/*`), optionally through every
//! thread (`/proc/PID/task/TID/ns/*`), through bind mounts of nsfs files (`/proc/self/mountinfo`,
//! e.g. `/run/netns/*`) and through open file descriptors (`/proc/PID/fd/*`). Each is keyed by
//! its kind and inode in a hash map, so the cost grows linearly with the number of processes;
//! processes are read in parallel on the available CPUs. Processes that exit during the scan,
//! and processes the caller may not inspect, are skipped, never reported as errors: an
//! unprivileged caller sees what it can see, and nothing is invented about the rest.
//!
//! `listns(2)` (Linux 6.19) is not used yet: the kernels lxns is tested on (6.18) lack it.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno as RErrno;

use crate::error::{Error, Op, Result, Target};
use crate::kind::{Kind, KindSet};
use crate::namespace::{Namespace, NsId};

/// What to scan and what to compute. The defaults match `lsns`: all kinds, every process,
/// nsfs mounts and open fds, with the lowest pid's uid and command.
///
/// ```no_run
/// use lxns::{Kind, ListOptions};
/// let nets = lxns::list(&ListOptions::new().kinds(Kind::Net).netnsid(true))?;
/// for ns in &nets.namespaces {
///     println!("{} {} procs, lowest pid {:?}", ns.id, ns.nprocs, ns.pid);
/// }
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ListOptions {
    kinds: KindSet,
    pid: Option<i32>,
    threads: bool,
    mounts: bool,
    fds: bool,
    command: bool,
    ppid: bool,
    hierarchy: bool,
    netnsid: bool,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions {
            kinds: KindSet::ALL,
            pid: None,
            threads: false,
            mounts: true,
            fds: true,
            command: true,
            ppid: false,
            hierarchy: false,
            netnsid: false,
        }
    }
}

impl ListOptions {
    /// The defaults (see the type's docs).
    pub fn new() -> ListOptions {
        ListOptions::default()
    }

    /// Only these kinds (only their `/proc/PID/ns` links are read).
    #[must_use]
    pub fn kinds(mut self, kinds: impl Into<KindSet>) -> ListOptions {
        self.kinds = kinds.into();
        self
    }

    /// Only the namespaces process `pid` is in (their process counts still cover the whole
    /// system).
    #[must_use]
    pub fn pid(mut self, pid: i32) -> ListOptions {
        self.pid = Some(pid);
        self
    }

    /// Also look at every thread: namespaces only a thread is in are listed, with the thread
    /// ids in [`NsInfo::threads`].
    #[must_use]
    pub fn threads(mut self, on: bool) -> ListOptions {
        self.threads = on;
        self
    }

    /// Look for nsfs bind mounts in `/proc/self/mountinfo` (default on).
    #[must_use]
    pub fn mounts(mut self, on: bool) -> ListOptions {
        self.mounts = on;
        self
    }

    /// Look at every process's open fds (default on).
    #[must_use]
    pub fn fds(mut self, on: bool) -> ListOptions {
        self.fds = on;
        self
    }

    /// Read the lowest pid's command line (default on).
    #[must_use]
    pub fn command(mut self, on: bool) -> ListOptions {
        self.command = on;
        self
    }

    /// Read the lowest pid's parent pid.
    #[must_use]
    pub fn ppid(mut self, on: bool) -> ListOptions {
        self.ppid = on;
        self
    }

    /// Find each namespace's owning user namespace and (user, pid) parent (`ioctl_ns`).
    #[must_use]
    pub fn hierarchy(mut self, on: bool) -> ListOptions {
        self.hierarchy = on;
        self
    }

    /// Ask the kernel for each network namespace's id in the caller's network namespace
    /// (`RTM_GETNSID`).
    #[must_use]
    pub fn netnsid(mut self, on: bool) -> ListOptions {
        self.netnsid = on;
        self
    }
}

/// A network namespace's id as seen from the caller's network namespace (`NETNSID`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NetNsId {
    /// The kernel assigned this id.
    Assigned(i32),
    /// No id is assigned (`NETNSA_NSID_NOT_ASSIGNED`).
    Unassigned,
}

/// One namespace found on the system.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NsInfo {
    /// Kind and inode.
    pub id: NsId,
    /// How many processes are in it.
    pub nprocs: usize,
    /// The lowest pid in it, if any process is.
    pub pid: Option<i32>,
    /// That process's parent pid (with [`ListOptions::ppid`]).
    pub ppid: Option<i32>,
    /// That process's uid (the owner of `/proc/PID`); for a namespace no process is in but
    /// an open fd keeps (with [`ListOptions::fds`]), the uid of the first process holding one.
    pub uid: Option<u32>,
    /// That process's command line (NULs as spaces), or its `comm` when the command line
    /// is empty: bytes, as the kernel keeps them.
    pub command: Option<std::ffi::OsString>,
    /// For network namespaces (with [`ListOptions::netnsid`]).
    pub netnsid: Option<NetNsId>,
    /// Where it is bind-mounted in the caller's mount namespace.
    pub nsfs: Vec<PathBuf>,
    /// `(pid, fd)` of open file descriptors on it.
    pub fds: Vec<(i32, i32)>,
    /// Thread ids in it whose process is not (with [`ListOptions::threads`]).
    pub threads: Vec<i32>,
    /// The owning user namespace's inode (with [`ListOptions::hierarchy`]).
    pub owner: Option<u64>,
    /// The parent namespace's inode, for user and pid namespaces (with
    /// [`ListOptions::hierarchy`]).
    pub parent: Option<u64>,
}

impl NsInfo {
    fn new(id: NsId) -> NsInfo {
        NsInfo {
            id,
            nprocs: 0,
            pid: None,
            ppid: None,
            uid: None,
            command: None,
            netnsid: None,
            nsfs: Vec::new(),
            fds: Vec::new(),
            threads: Vec::new(),
            owner: None,
            parent: None,
        }
    }

    /// A path through which the namespace can be opened now: `/proc/PID/ns/KIND`, a bind
    /// mount, or `/proc/PID/fd/N`.
    pub fn path(&self) -> Option<PathBuf> {
        let kind = self.id.kind();
        if let Some(pid) = self.pid {
            return Some(PathBuf::from(format!(
                "/proc/{pid}/ns/{}",
                kind.proc_name()
            )));
        }
        if let Some(p) = self.nsfs.first() {
            return Some(p.clone());
        }
        if let Some((pid, fd)) = self.fds.first() {
            return Some(PathBuf::from(format!("/proc/{pid}/fd/{fd}")));
        }
        self.threads
            .first()
            .map(|tid| PathBuf::from(format!("/proc/{tid}/task/{tid}/ns/{}", kind.proc_name())))
    }

    /// Opens the namespace (checked to be the same one).
    ///
    /// # Errors
    /// [`Reason::NotFound`](crate::Reason::NotFound) when it is gone; as for [`Namespace::open_as`].
    pub fn open(&self) -> Result<Namespace> {
        let path = self.path().ok_or(
            Error::not_found(
                Op::OpenPath,
                Some(self.id.kind()),
                Target::Namespace(self.id),
            )
            .with_errno(None),
        )?;
        let ns = Namespace::open_as(&path, self.id.kind())?;
        if ns.id().ino() == self.id.ino() {
            Ok(ns)
        } else {
            Err(Error::not_found(
                Op::OpenPath,
                Some(self.id.kind()),
                Target::Namespace(self.id),
            )
            .with_errno(None))
        }
    }
}

/// The result of [`list`]: namespaces sorted by inode, and the scanned processes.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Listing {
    /// Every namespace found, sorted by inode number.
    pub namespaces: Vec<NsInfo>,
    /// Every process read, ascending.
    pub processes: Vec<i32>,
    members: HashMap<(Kind, u64), Vec<i32>>,
}

impl Listing {
    /// The namespace with this kind and inode.
    pub fn get(&self, kind: Kind, ino: u64) -> Option<&NsInfo> {
        self.namespaces
            .binary_search_by_key(&ino, |n| n.id.ino())
            .ok()
            .map(|i| &self.namespaces[i])
            .filter(|n| n.id.kind() == kind)
    }

    /// The pids in a namespace, ascending.
    pub fn members(&self, kind: Kind, ino: u64) -> &[i32] {
        self.members.get(&(kind, ino)).map_or(&[], Vec::as_slice)
    }

    /// One row per process in a namespace, in pid order (what `lsns NAMESPACE` lists): the
    /// namespace's row with that process's pid, parent pid, uid and, with `command`, command
    /// line. A process gone since the scan is left out.
    ///
    /// ```
    /// use lxns::{Kind, ListOptions};
    /// let listing = lxns::list(&ListOptions::new().kinds(Kind::Uts))?;
    /// let ours = lxns::Namespace::current(Kind::Uts)?.id().ino();
    /// let rows = listing.member_rows(Kind::Uts, ours, true);
    /// let me = i32::try_from(std::process::id()).unwrap();
    /// assert!(rows.iter().any(|r| r.pid == Some(me) && r.command.is_some()));
    /// # Ok::<(), lxns::Error>(())
    /// ```
    pub fn member_rows(&self, kind: Kind, ino: u64, command: bool) -> Vec<NsInfo> {
        let Some(ns) = self.get(kind, ino) else {
            return Vec::new();
        };
        let Ok(proc_dir) = rustix::fs::open(
            "/proc",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return Vec::new();
        };
        self.members(kind, ino)
            .iter()
            .filter_map(|&pid| {
                let dir = rustix::fs::openat(
                    &proc_dir,
                    pid.to_string().as_str(),
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .ok()?;
                let mut row = ns.clone();
                row.pid = Some(pid);
                row.ppid = Some(read_stat_ppid(&dir)?);
                row.uid = Some(rustix::fs::fstat(&dir).ok()?.st_uid);
                row.command = if command { read_command(&dir) } else { None };
                Some(row)
            })
            .collect()
    }

    /// The owner tree: for each namespace, the namespaces whose owning user namespace it is
    /// (requires [`ListOptions::hierarchy`]). Roots are namespaces whose owner is unknown or
    /// not listed.
    pub fn owner_children(&self) -> HashMap<u64, Vec<usize>> {
        self.children_by(|n| n.owner)
    }

    /// The parent tree of user and pid namespaces (requires [`ListOptions::hierarchy`]).
    pub fn parent_children(&self) -> HashMap<u64, Vec<usize>> {
        self.children_by(|n| n.parent)
    }

    fn children_by(&self, key: impl Fn(&NsInfo) -> Option<u64>) -> HashMap<u64, Vec<usize>> {
        let mut out: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, n) in self.namespaces.iter().enumerate() {
            if let Some(k) = key(n) {
                if k != n.id.ino() {
                    out.entry(k).or_default().push(i);
                }
            }
        }
        out
    }
}

/// What one process contributed.
struct ProcRecord {
    pid: i32,
    ns: [Option<u64>; 8],
    fds: Vec<(Kind, u64, i32)>,
    /// The owner of `/proc/PID`, read when the process holds namespace fds: a namespace
    /// only an fd keeps shows its holder's user, as lsns shows it.
    fd_holder_uid: Option<u32>,
    threads: Vec<(Kind, u64, i32)>,
    /// Read only for processes that may be a namespace's lowest pid (the first of their
    /// scan chunk to be in some namespace).
    details: Option<Details>,
}

#[derive(Default)]
struct Details {
    uid: Option<u32>,
    command: Option<std::ffi::OsString>,
    ppid: Option<i32>,
}

/// `ns/<kind>` for each kind, in the order of [`Kind::ALL`].
const NS_LINKS: [&str; 8] = [
    "ns/cgroup",
    "ns/ipc",
    "ns/mnt",
    "ns/net",
    "ns/pid",
    "ns/time",
    "ns/user",
    "ns/uts",
];

/// Lists every namespace reachable on the system, as [`ListOptions`] says.
///
/// # Errors
///  - [`Reason::NotFound`](crate::Reason::NotFound) when `/proc` is not mounted.
///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when [`ListOptions::pid`] names no process (visible to us).
///
/// # References
///  - [lsns(8)](https://man7.org/linux/man-pages/man8/lsns.8.html),
///    [namespaces(7)](https://man7.org/linux/man-pages/man7/namespaces.7.html)
#[doc(alias = "lsns")]
pub fn list(opts: &ListOptions) -> Result<Listing> {
    let proc_dir = rustix::fs::open(
        "/proc",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        RErrno::NOENT => Error::not_found(Op::OpenPath, None, Target::Path("/proc".into())),
        other => Error::os(Op::List, None, Target::Path("/proc".into()), other.into()),
    })?;
    let pids = list_pids()?;
    let dev = Namespace::current(Kind::User).map_or(0, |n| n.id().dev());
    let records = scan_parallel(&proc_dir, &pids, opts);

    let mut map: HashMap<(Kind, u64), NsInfo> = HashMap::new();
    let mut members: HashMap<(Kind, u64), Vec<i32>> = HashMap::new();
    fn entry(map: &mut HashMap<(Kind, u64), NsInfo>, id: NsId) -> &mut NsInfo {
        map.entry((id.kind(), id.ino()))
            .or_insert_with(|| NsInfo::new(id))
    }
    let mut holders: HashMap<NsId, u32> = HashMap::new();
    for rec in &records {
        for (i, ino) in rec.ns.iter().enumerate() {
            let (Some(ino), Some(kind)) = (ino, Kind::ALL.get(i)) else {
                continue;
            };
            let info = entry(&mut map, NsId::new(*kind, dev, *ino));
            info.nprocs += 1;
            if info.pid.is_none() {
                info.pid = Some(rec.pid);
                if let Some(d) = &rec.details {
                    info.uid = d.uid;
                    info.command.clone_from(&d.command);
                    info.ppid = d.ppid;
                }
            }
            members.entry((*kind, *ino)).or_default().push(rec.pid);
        }
        for (kind, ino, fd) in &rec.fds {
            let id = NsId::new(*kind, dev, *ino);
            entry(&mut map, id).fds.push((rec.pid, *fd));
            if let Some(uid) = rec.fd_holder_uid {
                holders.entry(id).or_insert(uid);
            }
        }
        for (kind, ino, tid) in &rec.threads {
            let info = entry(&mut map, NsId::new(*kind, dev, *ino));
            if !members
                .get(&(*kind, *ino))
                .is_some_and(|m| m.contains(&rec.pid))
            {
                info.threads.push(*tid);
            }
        }
    }
    // A namespace no process is in but an fd keeps: its holder's user, as lsns shows it.
    for (id, uid) in holders {
        if let Some(info) = map
            .get_mut(&(id.kind(), id.ino()))
            .filter(|i| i.pid.is_none() && i.uid.is_none())
        {
            info.uid = Some(uid);
        }
    }
    if opts.mounts {
        for (kind, ino, path) in nsfs_mounts() {
            if opts.kinds.contains(kind) {
                let info = entry(&mut map, NsId::new(kind, dev, ino));
                if !info.nsfs.contains(&path) {
                    info.nsfs.push(path);
                }
            }
        }
    }
    if let Some(pid) = opts.pid {
        let Some(rec) = records.iter().find(|r| r.pid == pid) else {
            return Err(not_a_listed_process(pid));
        };
        let mine: Vec<(Kind, u64)> = rec
            .ns
            .iter()
            .enumerate()
            .filter_map(|(i, ino)| Some((*Kind::ALL.get(i)?, (*ino)?)))
            .collect();
        map.retain(|k, _| mine.contains(k));
    }
    let mut namespaces: Vec<NsInfo> = map.into_values().collect();
    namespaces.sort_by_key(|n| (n.id.ino(), n.id.kind()));

    if opts.netnsid {
        fill_netnsids(&mut namespaces);
    }
    if opts.hierarchy {
        for info in &mut namespaces {
            if let Ok(ns) = info.open() {
                info.owner = ns.user_namespace().ok().map(|u| u.id().ino());
                if info.id.kind().is_hierarchical() {
                    info.parent = ns.parent().ok().map(|p| p.id().ino());
                }
            }
        }
    }
    let processes = records.iter().map(|r| r.pid).collect();
    Ok(Listing {
        namespaces,
        processes,
        members,
    })
}

fn list_pids() -> Result<Vec<i32>> {
    let dir = std::fs::read_dir("/proc").map_err(|e| {
        Error::os(
            Op::List,
            None,
            Target::Path("/proc".into()),
            crate::error::Errno::from_io(&e).unwrap_or(crate::error::Errno::from_raw(5)),
        )
    })?;
    let mut pids: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Reads every process, split over the available CPUs; results in pid order.
fn scan_parallel(proc_dir: &OwnedFd, pids: &[i32], opts: &ListOptions) -> Vec<ProcRecord> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(pids.len() / 128 + 1);
    let scan = |part: &[i32]| {
        let mut seen = std::collections::HashSet::new();
        part.iter()
            .filter_map(|pid| read_process(proc_dir, *pid, opts, &mut seen))
            .collect::<Vec<_>>()
    };
    if workers <= 1 {
        return scan(pids);
    }
    let chunk = pids.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = pids
            .chunks(chunk)
            .map(|part| s.spawn(move || scan(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Parses `net:[4026531840]` (a `/proc/PID/ns` or `/proc/PID/fd` link target).
fn parse_link(buf: &[u8]) -> Option<(Kind, u64)> {
    NsId::parse_link(std::str::from_utf8(buf).ok()?)
}

/// Reads a `/proc` namespace or fd link into a stack buffer and parses `kind:[inode]`.
fn read_ns_link(dir: impl AsFd, path: &str) -> Option<(Kind, u64)> {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
    let (bytes, _) = rustix::fs::readlinkat_raw(dir, path, &mut buf).ok()?;
    parse_link(bytes)
}

fn read_process(
    proc_dir: &OwnedFd,
    pid: i32,
    opts: &ListOptions,
    seen: &mut std::collections::HashSet<(Kind, u64)>,
) -> Option<ProcRecord> {
    // Reused below as the buffer for `fd/N` paths.
    let mut name = pid.to_string();
    let dir = rustix::fs::openat(
        proc_dir,
        name.as_str(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut ns = [None; 8];
    let mut first = false;
    for kind in opts.kinds.iter() {
        let link = NS_LINKS.get(kind as usize).copied().unwrap_or("ns/net");
        if let Some((k, ino)) = read_ns_link(&dir, link) {
            if k == kind {
                ns[kind as usize] = Some(ino);
                first |= seen.insert((kind, ino));
            }
        }
    }
    if ns.iter().all(Option::is_none) {
        // Gone, or not ours to inspect.
        return None;
    }
    let details = first.then(|| Details {
        uid: rustix::fs::fstat(&dir).ok().map(|st| st.st_uid),
        command: if opts.command {
            read_command(&dir)
        } else {
            None
        },
        ppid: if opts.ppid {
            read_stat_ppid(&dir)
        } else {
            None
        },
    });
    let mut fds = Vec::new();
    if opts.fds {
        let own_net = ns.get(Kind::Net as usize).copied().flatten();
        scan_fds(&dir, (pid, own_net), opts.kinds, &mut fds, &mut name);
    }
    let fd_holder_uid = (!fds.is_empty())
        .then(|| rustix::fs::fstat(&dir).ok().map(|st| st.st_uid))
        .flatten();
    let mut threads = Vec::new();
    if opts.threads {
        scan_threads(&dir, pid, &ns, opts.kinds, &mut threads);
    }
    Some(ProcRecord {
        pid,
        ns,
        fds,
        fd_holder_uid,
        threads,
        details,
    })
}

/// Names (as numbers) in a `/proc` directory such as `PID/fd` or `PID/task`, read without
/// reopening it.
fn numeric_entries(dir: &OwnedFd, name: &str) -> Vec<i32> {
    let Ok(fd) = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return Vec::new();
    };
    let Ok(mut entries) = rustix::fs::Dir::new(fd) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Some(Ok(e)) = entries.next() {
        if let Some(n) = std::str::from_utf8(e.file_name().to_bytes())
            .ok()
            .and_then(|s| s.parse().ok())
        {
            out.push(n);
        }
    }
    out
}

/// Namespaces held open by a process: `/proc/PID/fd/*` links that read `kind:[inode]`, and
/// links to a path (an fd opened through a bind mount such as `/run/netns/NAME`) whose file
/// is on nsfs.
///
/// With `sockets`, a socket's network namespace too (`SIOCGSKNS` on a copy of the socket
/// from `pidfd_getfd`, Linux 5.6, which needs ptrace access): a namespace only sockets
/// reference (a process that moved out after creating them) is then listed, as later lsns
/// lists it.
fn scan_fds(
    dir: &OwnedFd,
    (pid, own_net): (i32, Option<u64>),
    kinds: KindSet,
    out: &mut Vec<(Kind, u64, i32)>,
    path: &mut String,
) {
    use std::fmt::Write as _;
    let sockets = kinds.contains(Kind::Net);
    let mut pidfd: Option<Option<OwnedFd>> = None;
    for fd in numeric_entries(dir, "fd") {
        path.clear();
        let _ = write!(path, "fd/{fd}");
        // One readlink per fd decides which of the three it can be.
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        let Ok((link, _)) = rustix::fs::readlinkat_raw(dir, path.as_str(), &mut buf) else {
            continue;
        };
        let found = if let Some(ns) = parse_link(link) {
            Some(ns)
        } else if link.first() == Some(&b'/') {
            nsfs_behind_path(dir, path)
        } else if sockets && link.starts_with(b"socket:[") {
            let pidfd = pidfd.get_or_insert_with(|| {
                let raw = rustix::process::Pid::from_raw(pid)?;
                rustix::process::pidfd_open(raw, rustix::process::PidfdFlags::empty()).ok()
            });
            // Sockets of the process's own network namespace add nothing.
            pidfd
                .as_ref()
                .and_then(|p| socket_namespace(p, fd))
                .filter(|(_, ino)| Some(*ino) != own_net)
        } else {
            None
        };
        if let Some((kind, ino)) = found {
            if kinds.contains(kind) {
                out.push((kind, ino, fd));
            }
        }
    }
}

/// The network namespace of socket `fd` of the process behind `pidfd`.
fn socket_namespace(pidfd: &OwnedFd, fd: i32) -> Option<(Kind, u64)> {
    let socket =
        rustix::process::pidfd_getfd(pidfd, fd, rustix::process::PidfdGetfdFlags::empty()).ok()?;
    let ns = crate::sys::socket_netns(&socket).ok()?;
    let st = rustix::fs::fstat(&ns).ok()?;
    Some((Kind::Net, st.st_ino))
}

/// The namespace behind `PID/fd/N`, whose link is a path, when the file is on nsfs.
fn nsfs_behind_path(dir: &OwnedFd, fd_path: &str) -> Option<(Kind, u64)> {
    let st = rustix::fs::statat(dir, fd_path, rustix::fs::AtFlags::empty()).ok()?;
    if st.st_dev != crate::namespace::nsfs_dev()? {
        return None;
    }
    let fd = rustix::fs::openat(
        dir,
        fd_path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .ok()?;
    let kind = Kind::from_clone_flag(crate::sys::ns_get_nstype(&fd).ok()?)?;
    Some((kind, st.st_ino))
}

/// Namespaces of a process's threads that differ from the process's own.
fn scan_threads(
    dir: &OwnedFd,
    pid: i32,
    ns: &[Option<u64>; 8],
    kinds: KindSet,
    out: &mut Vec<(Kind, u64, i32)>,
) {
    for tid in numeric_entries(dir, "task") {
        if tid == pid {
            continue;
        }
        for kind in kinds.iter() {
            let link = read_ns_link(dir, &format!("task/{tid}/ns/{}", kind.proc_name()));
            if let Some((k, ino)) = link {
                if Some(ino) != ns.get(k as usize).copied().flatten() {
                    out.push((k, ino, tid));
                }
            }
        }
    }
}

fn read_small(dir: impl AsFd, name: &str) -> Option<Vec<u8>> {
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => break,
            // procfs returns everything it has up to the buffer size: a short read is the
            // end, which saves the extra read that would return 0.
            Ok(n) if n < buf.len() => {
                out.extend_from_slice(buf.get(..n)?);
                break;
            }
            Ok(n) => out.extend_from_slice(buf.get(..n)?),
            Err(RErrno::INTR) => {}
            Err(_) => return None,
        }
        if out.len() > 1 << 20 {
            break;
        }
    }
    Some(out)
}

/// The 4th field of `/proc/PID/stat` (after the parenthesised command, which may contain
/// spaces and parentheses).
fn read_stat_ppid(dir: impl AsFd) -> Option<i32> {
    let stat = read_small(dir, "stat")?;
    let close = stat.iter().rposition(|b| *b == b')')?;
    let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The command line with NULs as spaces, or `comm` for processes without one (kernel
/// threads), like lsns.
fn read_command(dir: impl AsFd + Copy) -> Option<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let raw = read_small(dir, "cmdline")?;
    let trimmed: &[u8] = {
        let mut end = raw.len();
        while end > 0 && raw.get(end - 1) == Some(&0) {
            end -= 1;
        }
        raw.get(..end)?
    };
    if trimmed.is_empty() {
        let mut comm = read_small(dir, "comm")?;
        if comm.last() == Some(&b'\n') {
            comm.pop();
        }
        return Some(std::ffi::OsString::from_vec(comm));
    }
    let text: Vec<u8> = trimmed
        .iter()
        .map(|b| if *b == 0 { b' ' } else { *b })
        .collect();
    Some(std::ffi::OsString::from_vec(text))
}

/// nsfs mounts in the caller's mount namespace: `(kind, inode, mount point)`. Read as bytes:
/// a mount point anywhere may be any bytes (not UTF-8), and must not hide the others.
fn nsfs_mounts() -> Vec<(Kind, u64, PathBuf)> {
    let Ok(text) = std::fs::read("/proc/self/mountinfo") else {
        return Vec::new();
    };
    text.split(|b| *b == b'\n')
        .filter_map(parse_mountinfo_nsfs)
        .collect()
}

/// One `/proc/PID/mountinfo` line, if it is an nsfs mount.
pub(crate) fn parse_mountinfo_nsfs(line: &[u8]) -> Option<(Kind, u64, PathBuf)> {
    let sep = line.windows(3).position(|w| w == b" - ")?;
    let (left, right) = (line.get(..sep)?, line.get(sep + 3..)?);
    if right.split(|b| *b == b' ').next()? != b"nsfs" {
        return None;
    }
    let mut fields = left.split(|b| *b == b' ');
    let root = std::str::from_utf8(fields.nth(3)?).ok()?;
    let mount_point = fields.next()?;
    let (kind, ino) = NsId::parse_link(root)?;
    Some((kind, ino, PathBuf::from(unescape_octal(mount_point))))
}

/// Undoes mountinfo's `\040`-style escapes, keeping the bytes.
pub(crate) fn unescape_octal(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'\\') {
            if let Some(oct) = bytes.get(i + 1..i + 4) {
                if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                    let v = oct.iter().fold(0u32, |a, b| a * 8 + u32::from(b - b'0'));
                    if let Ok(byte) = u8::try_from(v) {
                        out.push(byte);
                        i += 4;
                        continue;
                    }
                }
            }
        }
        if let Some(b) = bytes.get(i) {
            out.push(*b);
        }
        i += 1;
    }
    std::ffi::OsString::from_vec(out)
}

// ---------------------------------------------------------------------------------------
// NETNSID through rtnetlink (RTM_GETNSID), batched.

pub(crate) const RTM_NEWNSID: u16 = 88;
pub(crate) const RTM_GETNSID: u16 = 90;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
pub(crate) const NLM_F_REQUEST: u16 = 1;
pub(crate) const NLM_F_ACK: u16 = 4;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
pub(crate) const NETNSA_NSID: u16 = 1;
const NETNSA_PID: u16 = 2;
pub(crate) const NETNSA_FD: u16 = 3;
/// Requests per datagram: small enough that the replies fit the socket's receive buffer.
const NETNSID_BATCH: usize = 64;

/// A `RTM_GETNSID` request for the namespace of `pid` or behind `fd` (`attr`), with `seq`.
fn getnsid_request(out: &mut Vec<u8>, seq: u32, attr: u16, value: i32) {
    nsid_message(out, RTM_GETNSID, NLM_F_REQUEST, seq, &[(attr, value)]);
}

/// An rtnetlink nsid message: nlmsghdr (16), rtgenmsg padded (4), then an i32 attribute
/// (rtattr 4 + 4) per `attrs`.
pub(crate) fn nsid_message(
    out: &mut Vec<u8>,
    kind: u16,
    flags: u16,
    seq: u32,
    attrs: &[(u16, i32)],
) {
    let len = 20 + 8 * attrs.len();
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // rtgen_family = AF_UNSPEC, padding
    for (attr, value) in attrs {
        out.extend_from_slice(&8u16.to_ne_bytes());
        out.extend_from_slice(&attr.to_ne_bytes());
        out.extend_from_slice(&value.to_ne_bytes());
    }
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses the replies in one datagram: `(seq, nsid)`, nsid -1 for "not assigned".
pub(crate) fn parse_nsid_replies(buf: &[u8], out: &mut Vec<(u32, Option<i32>)>) {
    let mut at = 0usize;
    while let (Some(len), Some(kind), Some(seq)) =
        (u32_at(buf, at), u16_at(buf, at + 4), u32_at(buf, at + 8))
    {
        let len = len as usize;
        if len < 16 || at + len > buf.len() {
            break;
        }
        if kind == RTM_NEWNSID {
            // Attributes start after the 16-byte header and the 4-byte rtgenmsg.
            let mut a = at + 20;
            let mut nsid = None;
            while let (Some(alen), Some(atype)) = (u16_at(buf, a), u16_at(buf, a + 2)) {
                let alen = usize::from(alen);
                if alen < 4 || a + alen > at + len {
                    break;
                }
                if atype == NETNSA_NSID {
                    nsid = buf
                        .get(a + 4..a + 8)
                        .and_then(|b| b.try_into().ok())
                        .map(i32::from_ne_bytes);
                }
                a += (alen + 3) & !3;
            }
            out.push((seq, nsid));
        } else if kind == NLMSG_ERROR {
            out.push((seq, None));
        }
        at += (len + 3) & !3;
    }
}

/// The netnsid of the network namespace behind `fd`, as the caller's network namespace
/// numbers it.
pub(crate) fn netnsid_for_fd(fd: i32) -> Option<NetNsId> {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
    let sock = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        None,
    )
    .ok()?;
    let mut req = Vec::with_capacity(28);
    getnsid_request(&mut req, 0, NETNSA_FD, fd);
    rustix::net::send(&sock, &req, SendFlags::empty()).ok()?;
    let mut buf = vec![0u8; 4096];
    let (_, n) = rustix::net::recv(&sock, &mut buf[..], RecvFlags::empty()).ok()?;
    let mut replies = Vec::new();
    parse_nsid_replies(buf.get(..n)?, &mut replies);
    let (_, nsid) = replies.into_iter().next()?;
    Some(match nsid? {
        id if id >= 0 => NetNsId::Assigned(id),
        _ => NetNsId::Unassigned,
    })
}

fn fill_netnsids(namespaces: &mut [NsInfo]) {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
    let Ok(sock) = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        // Protocol 0 is NETLINK_ROUTE.
        None,
    ) else {
        return;
    };
    let targets: Vec<usize> = namespaces
        .iter()
        .enumerate()
        .filter(|(_, n)| n.id.kind() == Kind::Net)
        .map(|(i, _)| i)
        .collect();
    for batch in targets.chunks(NETNSID_BATCH) {
        let mut req = Vec::with_capacity(batch.len() * 28);
        // Namespaces without a process are asked about by fd; keep those fds open until
        // the replies are in.
        let mut held: Vec<Namespace> = Vec::new();
        for (seq, i) in batch.iter().enumerate() {
            let Some(n) = namespaces.get(*i) else {
                continue;
            };
            let seq = u32::try_from(seq).unwrap_or(u32::MAX);
            match n.pid {
                Some(pid) => getnsid_request(&mut req, seq, NETNSA_PID, pid),
                None => {
                    if let Ok(ns) = n.open() {
                        use std::os::fd::AsRawFd;
                        getnsid_request(&mut req, seq, NETNSA_FD, ns.as_fd().as_raw_fd());
                        held.push(ns);
                    }
                }
            }
        }
        if req.is_empty() || rustix::net::send(&sock, &req, SendFlags::empty()).is_err() {
            continue;
        }
        let expected = req.len() / 28;
        let mut replies = Vec::with_capacity(expected);
        let mut buf = vec![0u8; 64 * 1024];
        while replies.len() < expected {
            match rustix::net::recv(&sock, &mut buf[..], RecvFlags::empty()) {
                Ok((_, n)) if n > 0 => {
                    if let Some(data) = buf.get(..n) {
                        parse_nsid_replies(data, &mut replies);
                    }
                }
                Err(RErrno::INTR) => {}
                _ => break,
            }
        }
        for (seq, nsid) in replies {
            let Some(i) = batch.get(seq as usize) else {
                continue;
            };
            if let (Some(n), Some(nsid)) = (namespaces.get_mut(*i), nsid) {
                n.netnsid = Some(if nsid >= 0 {
                    NetNsId::Assigned(nsid)
                } else {
                    NetNsId::Unassigned
                });
            }
        }
        drop(held);
    }
}

/// Why `pid` has no record: a live thread id that is not a process (its `/proc/PID/status`
/// names another thread group), or no process at all.
fn not_a_listed_process(pid: i32) -> Error {
    let tgid = std::fs::read(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.split(|&b| b == b'\n')
                .find_map(|l| l.strip_prefix(b"Tgid:"))
                .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<i32>().ok())
        });
    match tgid {
        Some(leader) if leader != pid => Error::invalid_argument(
            Op::List,
            Target::Pid(pid),
            format!(
                "{pid} is a thread id, not a process: its process is {leader} (list it with \
                 -p {leader}, or its threads' namespaces with --threads)"
            ),
        ),
        _ => Error::process_gone(Op::List, None, pid),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// Any mount point bytes, escaped as the kernel escapes them (space, tab, newline,
        /// backslash as \ooo), come back unchanged; the fuzz target `proc_text` drives the
        /// same parser with arbitrary lines.
        #[test]
        fn nsfs_mount_points_unescape_to_their_bytes(
            path in prop::collection::vec(any::<u8>().prop_filter("no NUL", |b| *b != 0), 1..64),
            ino in any::<u64>(),
            k in 0usize..8,
        ) {
            let mut escaped = b"/".to_vec();
            for b in &path {
                match b {
                    b' ' | b'\t' | b'\n' | b'\\' => escaped.extend(format!("\\{b:03o}").bytes()),
                    _ => escaped.push(*b),
                }
            }
            let kind = Kind::ALL[k];
            let mut line = format!("1 2 0:4 {}:[{ino}] ", kind.proc_name()).into_bytes();
            line.extend(&escaped);
            line.extend(b" rw shared:1 - nsfs nsfs rw");
            let (got_kind, got_ino, got_path) = parse_mountinfo_nsfs(&line).unwrap();
            let mut want = b"/".to_vec();
            want.extend(&path);
            prop_assert_eq!((got_kind, got_ino), (kind, ino));
            prop_assert_eq!(std::os::unix::ffi::OsStrExt::as_bytes(got_path.as_os_str()), &want[..]);
        }
    }

    use super::*;

    #[test]
    fn mountinfo_nsfs_lines() {
        let line = b"620 29 0:4 net:[4026532246] /run/netns/a\\040b rw,shared:5 - nsfs nsfs rw";
        assert_eq!(
            parse_mountinfo_nsfs(line),
            Some((Kind::Net, 4026532246, PathBuf::from("/run/netns/a b")))
        );
        assert_eq!(
            parse_mountinfo_nsfs(b"22 1 8:1 / / rw - ext4 /dev/sda1 rw"),
            None
        );
        assert_eq!(parse_mountinfo_nsfs(b"garbage"), None);
        assert_eq!(parse_mountinfo_nsfs(b"1 2 3 x:[1] /m - nsfs nsfs rw"), None);
        // A mount point that is not UTF-8 keeps its bytes (and does not stop the listing).
        use std::os::unix::ffi::OsStrExt;
        let (_, _, path) =
            parse_mountinfo_nsfs(b"7 1 0:4 net:[5] /run/netns/\xff rw - nsfs nsfs rw").unwrap();
        assert_eq!(path.as_os_str().as_bytes(), b"/run/netns/\xff");
    }

    #[test]
    fn ns_links_follow_the_kind_order() {
        for (i, kind) in Kind::ALL.iter().enumerate() {
            assert_eq!(NS_LINKS[i], format!("ns/{}", kind.proc_name()));
        }
    }

    #[test]
    fn octal_unescape() {
        assert_eq!(unescape_octal(b"a\\040b\\134c"), "a b\\c");
        assert_eq!(unescape_octal(b"\\0"), "\\0");
        assert_eq!(unescape_octal(b"\\777x"), "\\777x");
    }

    #[test]
    fn netlink_replies_parse_and_reject_garbage() {
        let mut req = Vec::new();
        getnsid_request(&mut req, 7, NETNSA_PID, 42);
        assert_eq!(req.len(), 28);
        // A reply: header with RTM_NEWNSID, seq 7, rtgenmsg, NETNSA_NSID = 3.
        let mut rep = Vec::new();
        rep.extend_from_slice(&28u32.to_ne_bytes());
        rep.extend_from_slice(&RTM_NEWNSID.to_ne_bytes());
        rep.extend_from_slice(&0u16.to_ne_bytes());
        rep.extend_from_slice(&7u32.to_ne_bytes());
        rep.extend_from_slice(&0u32.to_ne_bytes());
        rep.extend_from_slice(&[0; 4]);
        rep.extend_from_slice(&8u16.to_ne_bytes());
        rep.extend_from_slice(&NETNSA_NSID.to_ne_bytes());
        rep.extend_from_slice(&3i32.to_ne_bytes());
        let mut out = Vec::new();
        parse_nsid_replies(&rep, &mut out);
        assert_eq!(out, vec![(7, Some(3))]);
        for cut in 0..rep.len() {
            let mut out = Vec::new();
            parse_nsid_replies(&rep[..cut], &mut out);
            assert!(out.len() <= 1);
        }
        let mut out = Vec::new();
        parse_nsid_replies(&[0xff; 64], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn stat_ppid_with_odd_command_names() {
        let dir = std::env::temp_dir().join(format!("lxns-unit-stat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(dir.join("123")).unwrap();
        std::fs::write(dir.join("123/stat"), b"123 (a) b) c) S 77 123 123 0 -1\n").unwrap();
        let d = rustix::fs::open(&dir, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        let d = rustix::fs::openat(&d, "123", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .unwrap();
        assert_eq!(read_stat_ppid(&d), Some(77));
        std::fs::write(dir.join("123/stat"), b"garbage").unwrap();
        assert_eq!(read_stat_ppid(&d), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
