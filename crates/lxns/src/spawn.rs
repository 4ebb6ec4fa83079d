//! Spawning programs in new and existing namespaces: [`Command`] and [`Child`].
//!
//! A [`Command`] has the shape of [`std::process::Command`] (program, arguments, environment,
//! working directory, standard streams, [`spawn`](Command::spawn) /
//! [`status`](Command::status) / [`output`](Command::output)) plus namespace set-up: new
//! namespaces of any kind, existing ones to join, uid/gid maps, hostname, a fresh `/proc`,
//! a new root, time offsets, parent-death signal and cgroup.
//!
//! # How a spawn works
//!
//! 1. The command is turned into a validated plan: every string, path, argument vector and
//!    file descriptor the child needs is allocated or opened *before* the clone.
//! 2. `clone3(CLONE_PIDFD | CLONE_NEW*)` creates the child directly inside its new
//!    namespaces. In a new pid namespace the program is pid 1: there is no extra fork.
//! 3. When a user namespace is created with maps, the child waits on a pipe while the parent
//!    writes `setgroups`, `uid_map` and `gid_map` (directly, or through `newuidmap`/
//!    `newgidmap` when that is what it takes).
//! 4. The child then sets the time offsets, hostname, mount propagation, new root and
//!    `/proc`, working directory and standard streams — async-signal-safe system calls only —
//!    and calls `execve`. A failure is reported on a close-on-exec pipe, naming the step.
//!
//! Joining existing namespaces happens in an intermediate process first (their owners grant
//! the privilege), which then clones the final process with `CLONE_PARENT`, so the program is
//! still the caller's direct child and the [`Child`]'s pidfd refers to it.
//!
//! No thread of the caller ever changes namespace: spawning is safe from any thread of a
//! multithreaded program, including a new user namespace (the kernel refuses that to
//! `unshare(2)` in a multithreaded process, but not to `clone3`).
//!
//! ```no_run
//! use lxns::{Command, Kind, KindSet};
//! // As root, or as anyone with unprivileged user namespaces:
//! let out = Command::new("ip")
//!     .args(["-o", "link"])
//!     .unshare(KindSet::from(Kind::User) | Kind::Net)
//!     .map_root()
//!     .output()?;
//! assert!(String::from_utf8_lossy(&out.stdout).contains("lo"));
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! # References
//!  - [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html),
//!    [execve(2)](https://man7.org/linux/man-pages/man2/execve.2.html),
//!    [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html),
//!    [pivot_root(2)](https://man7.org/linux/man-pages/man2/pivot_root.2.html),
//!    [time_namespaces(7)](https://man7.org/linux/man-pages/man7/time_namespaces.7.html),
//!    [unshare(1)](https://man7.org/linux/man-pages/man1/unshare.1.html)

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString, c_char};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno as RErrno;
use rustix::mount::MountPropagationFlags;
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, PidfdFlags, Signal, WaitId, WaitIdOptions};

use crate::error::{Errno, Error, Op, Result, Target};
use crate::idmap::{IdMap, IdRange, MapKind, Setgroups, write_id_map, write_setgroups};
use crate::kind::{Kind, KindSet};
use crate::namespace::Namespace;
use crate::process::Process;
use crate::sys::spawn as sys;
use crate::sys::spawn::{Report, Step};

/// Where one of the child's standard streams comes from.
#[derive(Debug)]
pub struct Stdio(StdioKind);

#[derive(Debug)]
enum StdioKind {
    Inherit,
    Null,
    Piped,
    Fd(OwnedFd),
}

impl Stdio {
    /// The child shares the caller's stream (the default for [`Command::spawn`] and
    /// [`Command::status`]).
    pub fn inherit() -> Stdio {
        Stdio(StdioKind::Inherit)
    }

    /// `/dev/null`.
    pub fn null() -> Stdio {
        Stdio(StdioKind::Null)
    }

    /// A new pipe, whose other end is in [`Child::stdin`], [`Child::stdout`] or
    /// [`Child::stderr`].
    pub fn piped() -> Stdio {
        Stdio(StdioKind::Piped)
    }
}

impl From<OwnedFd> for Stdio {
    /// Any open file descriptor (a file, a socket, one end of a pipe).
    fn from(fd: OwnedFd) -> Stdio {
        Stdio(StdioKind::Fd(fd))
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio(StdioKind::Fd(file.into()))
    }
}

/// Mount propagation applied recursively to `/` in a new mount namespace
/// ([mount_namespaces(7)](https://man7.org/linux/man-pages/man7/mount_namespaces.7.html),
/// "Shared subtrees").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Propagation {
    /// `MS_PRIVATE`: no mount events cross the namespace boundary (unshare(1)'s default,
    /// and lxns's).
    #[default]
    Private,
    /// `MS_SLAVE`: mounts from outside still appear inside, nothing leaks out.
    Slave,
    /// `MS_SHARED`.
    Shared,
    /// Leave the propagation as copied from the parent namespace. Mounts made inside may then
    /// appear outside when `/` is shared.
    Unchanged,
}

impl std::str::FromStr for Propagation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Propagation> {
        match s {
            "private" => Ok(Propagation::Private),
            "slave" => Ok(Propagation::Slave),
            "shared" => Ok(Propagation::Shared),
            "unchanged" => Ok(Propagation::Unchanged),
            other => Err(Error::InvalidArgument {
                op: Op::Parse,
                target: Target::Text(other.to_owned()),
                reason: "mount propagation is one of private, slave, shared, unchanged".into(),
            }),
        }
    }
}

/// How an id map is written.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum MapWriter {
    /// Write `/proc/PID/uid_map` directly; if the kernel refuses (`EPERM`: the ids are not
    /// the caller's own and it lacks `CAP_SETUID`) and `newuidmap`/`newgidmap` are
    /// installed, use them.
    #[default]
    Auto,
    /// Always write directly.
    Direct,
    /// Always use the setuid helpers `newuidmap`/`newgidmap`, which check the ranges against
    /// `/etc/subuid` and `/etc/subgid`.
    Helper,
}

#[derive(Debug)]
enum JoinSpec {
    Namespace(Namespace),
    Process(Process, KindSet),
}

/// A time namespace's clock offsets, in seconds and nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct TimeOffsets {
    monotonic: Option<(i64, i64)>,
    boottime: Option<(i64, i64)>,
}

/// A program to run in new and/or existing namespaces, built like
/// [`std::process::Command`].
///
/// Each setter returns `&mut Command` for chaining. Nothing is checked until
/// [`spawn`](Command::spawn): bad combinations (a hostname without a new UTS namespace, maps
/// without a new user namespace, the same kind both joined and created) are reported there
/// as [`Error::InvalidArgument`] before any process is created.
///
/// # Examples
///
/// A shell as pid 1 of new pid and mount namespaces with its own `/proc` (needs root, or add
/// `Kind::User` and [`map_root`](Command::map_root)):
///
/// ```no_run
/// use lxns::{Command, Kind, KindSet};
/// let status = Command::new("sh")
///     .args(["-c", "echo $$; ls /proc | grep -c '^[0-9]'"])
///     .unshare(KindSet::from(Kind::Pid) | Kind::Mnt)
///     .mount_proc()
///     .status()?;
/// assert!(status.success());
/// # Ok::<(), lxns::Error>(())
/// ```
#[derive(Debug)]
pub struct Command {
    program: OsString,
    args: Vec<OsString>,
    env_clear: bool,
    env: BTreeMap<OsString, Option<OsString>>,
    cwd: Option<PathBuf>,
    stdio: [Option<Stdio>; 3],
    unshare: KindSet,
    joins: Vec<JoinSpec>,
    uid_map: Option<IdMap>,
    gid_map: Option<IdMap>,
    map_writer: MapWriter,
    setgroups: Option<Setgroups>,
    hostname: Option<OsString>,
    domainname: Option<OsString>,
    proc_mount: Option<PathBuf>,
    propagation: Propagation,
    root: Option<PathBuf>,
    time: TimeOffsets,
    parent_death: Option<Signal>,
    cgroup: Option<PathBuf>,
    persist: Vec<(Kind, PathBuf)>,
    error: Option<Error>,
}

impl Command {
    /// A command running `program`, found in `$PATH` when it has no slash (the child's
    /// `PATH` if [`env`](Command::env) sets one), with no arguments, the caller's
    /// environment, working directory and standard streams, and no namespace changes.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env_clear: false,
            env: BTreeMap::new(),
            cwd: None,
            stdio: [None, None, None],
            unshare: KindSet::EMPTY,
            joins: Vec::new(),
            uid_map: None,
            gid_map: None,
            map_writer: MapWriter::Auto,
            setgroups: None,
            hostname: None,
            domainname: None,
            proc_mount: None,
            propagation: Propagation::Private,
            root: None,
            time: TimeOffsets::default(),
            parent_death: None,
            cgroup: None,
            persist: Vec::new(),
            error: None,
        }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env
            .insert(key.as_ref().to_owned(), Some(value.as_ref().to_owned()));
        self
    }

    /// Sets several environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.insert(key.as_ref().to_owned(), None);
        self
    }

    /// Starts the child with an empty environment (plus what [`env`](Command::env) adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// The child's working directory, resolved inside its namespaces and after
    /// [`root`](Command::root) (default: the caller's, or `/` with a new root).
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// The child's standard input.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio[0] = Some(cfg.into());
        self
    }

    /// The child's standard output.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio[1] = Some(cfg.into());
        self
    }

    /// The child's standard error.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdio[2] = Some(cfg.into());
        self
    }

    /// Creates new namespaces of these kinds for the child (`CLONE_NEW*`). With
    /// [`Kind::User`], the other new namespaces are owned by the new user namespace, so an
    /// unprivileged caller can create them all.
    pub fn unshare(&mut self, kinds: impl Into<KindSet>) -> &mut Command {
        self.unshare = self.unshare | kinds.into();
        self
    }

    /// Joins an existing namespace (before any new ones are created, which are then nested
    /// in or owned by the joined ones). Joining a pid namespace makes the program a member
    /// of it, as nsenter(1) does with a fork. A namespace the caller is already in is left
    /// out (re-entering one's own user namespace is an error to the kernel).
    ///
    /// # Errors
    /// An `fd` that cannot be duplicated is reported by [`spawn`](Command::spawn).
    ///
    /// # References
    ///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
    pub fn join(&mut self, ns: &Namespace) -> &mut Command {
        if already_in(ns) {
            return self;
        }
        match ns.try_clone() {
            Ok(ns) => self.joins.push(JoinSpec::Namespace(ns)),
            Err(e) => self.error = self.error.take().or(Some(e)),
        }
        self
    }

    /// Joins the namespaces of `kinds` of a running process, atomically through its pidfd
    /// (`setns(pidfd, flags)`). Kinds the caller already shares with the process are left
    /// out (re-entering one's own user namespace is an error to the kernel).
    pub fn join_process(&mut self, process: &Process, kinds: impl Into<KindSet>) -> &mut Command {
        let mut kinds = kinds.into();
        for kind in kinds.iter().collect::<Vec<_>>() {
            if process.namespace(kind).is_ok_and(|ns| already_in(&ns)) {
                kinds.remove(kind);
            }
        }
        if kinds.is_empty() {
            return self;
        }
        // The same pidfd, duplicated: never a second lookup by pid, which could be reused.
        let dup = process
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| io_error(Op::OpenProcess, Target::Pid(process.pid()), &e))
            .and_then(Process::from_pidfd);
        match dup {
            Ok(p) => self.joins.push(JoinSpec::Process(p, kinds)),
            Err(e) => self.error = self.error.take().or(Some(e)),
        }
        self
    }

    /// The uid map of the new user namespace (needs [`Kind::User`] in
    /// [`unshare`](Command::unshare)). See [`MapWriter`] for who writes it.
    pub fn uid_map(&mut self, map: IdMap) -> &mut Command {
        self.uid_map = Some(map);
        self
    }

    /// The gid map of the new user namespace.
    pub fn gid_map(&mut self, map: IdMap) -> &mut Command {
        self.gid_map = Some(map);
        self
    }

    /// Who writes the maps (default [`MapWriter::Auto`]).
    pub fn map_writer(&mut self, writer: MapWriter) -> &mut Command {
        self.map_writer = writer;
        self
    }

    /// Maps the caller's effective uid and gid to root in a new user namespace (adds
    /// [`Kind::User`]) and denies `setgroups`, like `unshare -r`.
    pub fn map_root(&mut self) -> &mut Command {
        self.map_user_as(0, 0)
    }

    /// Maps the caller's effective uid and gid to themselves in a new user namespace (adds
    /// [`Kind::User`]), like `unshare -c`.
    pub fn map_current_user(&mut self) -> &mut Command {
        let (uid, gid) = effective_ids();
        self.map_user_as(uid, gid)
    }

    /// Maps the caller's effective uid and gid to `uid` and `gid` inside a new user
    /// namespace, denying `setgroups` (`unshare --map-user=UID --map-group=GID`).
    pub fn map_user_as(&mut self, uid: u32, gid: u32) -> &mut Command {
        let (euid, egid) = effective_ids();
        self.unshare = self.unshare | Kind::User;
        self.uid_map = Some(IdMap::single(uid, euid));
        self.gid_map = Some(IdMap::single(gid, egid));
        self.setgroups.get_or_insert(Setgroups::Deny);
        self
    }

    /// Maps the first block of subordinate ids the caller owns in `/etc/subuid` and
    /// `/etc/subgid` to ids from 0 in a new user namespace (adds [`Kind::User`]), through
    /// `newuidmap`/`newgidmap` — the way to get a full 65536-id namespace without
    /// privilege (`unshare --map-auto`).
    ///
    /// # Errors
    /// [`spawn`](Command::spawn) fails with [`Error::InvalidArgument`], naming the file and the
    /// line to add, when the caller has no entry in either file; and with
    /// [`Error::PermissionDenied`] carrying the helper's stderr when `newuidmap`/`newgidmap`
    /// refuse the ranges.
    pub fn map_subids(&mut self) -> &mut Command {
        self.unshare = self.unshare | Kind::User;
        match (subordinate_ids(MapKind::Uid), subordinate_ids(MapKind::Gid)) {
            (Ok(u), Ok(g)) => {
                self.uid_map = Some(IdMap::single_range(IdRange { inside: 0, ..u }));
                self.gid_map = Some(IdMap::single_range(IdRange { inside: 0, ..g }));
                self.map_writer = MapWriter::Helper;
            }
            (Err(e), _) | (_, Err(e)) => self.error = self.error.take().or(Some(e)),
        }
        self
    }

    /// `allow` or `deny` for `setgroups(2)` in the new user namespace. `deny` is written
    /// before `gid_map` (the kernel requires it for an unprivileged gid map). Default:
    /// `deny` with [`map_root`](Command::map_root) and friends, and for an unprivileged
    /// direct gid map; otherwise left as the kernel sets it.
    pub fn setgroups(&mut self, value: Setgroups) -> &mut Command {
        self.setgroups = Some(value);
        self
    }

    /// The hostname in the child's new UTS namespace (needs [`Kind::Uts`]: lxns refuses to
    /// change the caller's own).
    pub fn hostname(&mut self, name: impl AsRef<OsStr>) -> &mut Command {
        self.hostname = Some(name.as_ref().to_owned());
        self
    }

    /// The NIS domain name in the child's new UTS namespace (needs [`Kind::Uts`]).
    pub fn domainname(&mut self, name: impl AsRef<OsStr>) -> &mut Command {
        self.domainname = Some(name.as_ref().to_owned());
        self
    }

    /// Mounts a fresh proc on `/proc` just before running the program (after
    /// [`root`](Command::root)); adds [`Kind::Mnt`]. With a new pid namespace, `ps` then sees
    /// only the child's processes.
    pub fn mount_proc(&mut self) -> &mut Command {
        self.mount_proc_at("/proc")
    }

    /// As [`mount_proc`](Command::mount_proc), at another mount point.
    pub fn mount_proc_at(&mut self, target: impl AsRef<Path>) -> &mut Command {
        self.unshare = self.unshare | Kind::Mnt;
        self.proc_mount = Some(target.as_ref().to_owned());
        self
    }

    /// Propagation of `/` in a new mount namespace (default [`Propagation::Private`]).
    pub fn propagation(&mut self, propagation: Propagation) -> &mut Command {
        self.propagation = propagation;
        self
    }

    /// Makes `dir` the child's root with `pivot_root(2)` (adds [`Kind::Mnt`]): `dir` is
    /// bind-mounted onto itself, pivoted with the `"."`/`"."` method and the old root is
    /// detached, so nothing of the caller's tree stays reachable.
    pub fn root(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.unshare = self.unshare | Kind::Mnt;
        self.root = Some(dir.as_ref().to_owned());
        self
    }

    /// Offset of `CLOCK_MONOTONIC` in a new time namespace (needs [`Kind::Time`]).
    pub fn monotonic_offset(&mut self, secs: i64, nanos: i64) -> &mut Command {
        self.time.monotonic = Some((secs, nanos));
        self
    }

    /// Offset of `CLOCK_BOOTTIME` in a new time namespace (needs [`Kind::Time`]).
    pub fn boottime_offset(&mut self, secs: i64, nanos: i64) -> &mut Command {
        self.time.boottime = Some((secs, nanos));
        self
    }

    /// Sends `signal` to the child when the thread that spawned it exits
    /// (`PR_SET_PDEATHSIG`). Note: the kernel ties this to the spawning *thread*, so spawn
    /// from a thread that lives as long as the child should.
    pub fn kill_on_parent_death(&mut self, signal: Signal) -> &mut Command {
        self.parent_death = Some(signal);
        self
    }

    /// Starts the child in this cgroup v2 directory (`CLONE_INTO_CGROUP`), atomically: no
    /// instant of its life is spent elsewhere.
    pub fn cgroup(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cgroup = Some(dir.as_ref().to_owned());
        self
    }

    /// Bind-mounts the new `kind` namespace onto `path` (a file created for it) before the
    /// program runs, so it outlives the program — `unshare --net=FILE`. Remove it with
    /// [`unpersist`](crate::unpersist). `kind` must be among the new kinds; a new time
    /// namespace with clock offsets cannot be persisted (it is made after the clone). For a
    /// mount namespace, `path` must be on a private mount (see
    /// [`Namespace::persist`](crate::Namespace::persist)). If the spawn fails, what was
    /// persisted is removed again.
    pub fn persist_namespace(&mut self, kind: Kind, path: impl AsRef<Path>) -> &mut Command {
        self.persist.push((kind, path.as_ref().to_owned()));
        self
    }

    /// Whether [`exec_replacing_current_process`](Command::exec_replacing_current_process)
    /// can run this command: nothing in it needs a child process.
    pub fn can_exec_in_place(&self) -> bool {
        self.in_place_obstacle().is_none()
    }

    fn in_place_obstacle(&self) -> Option<&'static str> {
        let (euid, egid) = effective_ids();
        let own = |map: &Option<IdMap>, id: u32| map.as_ref().is_none_or(|m| maps_only(m, id));
        let joins_pid = self.joins.iter().any(|j| match j {
            JoinSpec::Namespace(ns) => ns.kind() == Kind::Pid,
            JoinSpec::Process(_, kinds) => kinds.contains(Kind::Pid),
        });
        if self.unshare.contains(Kind::Pid) || joins_pid {
            Some("a pid namespace holds only the children of who creates or joins it: spawn")
        } else if self.cgroup.is_some() {
            Some("CLONE_INTO_CGROUP places a new process: spawn")
        } else if self.persist.iter().any(|(k, _)| *k == Kind::Time) {
            Some("a new time namespace is entered only at exec; to persist it: spawn")
        } else if self.parent_death.is_some() {
            Some("a parent-death signal needs a parent: spawn")
        } else if self
            .stdio
            .iter()
            .flatten()
            .any(|s| matches!(s.0, StdioKind::Piped))
        {
            Some("piped streams need a Child to hold the other end: spawn")
        } else if !own(&self.uid_map, euid)
            || !own(&self.gid_map, egid)
            || (self.gid_map.is_some() && self.setgroups != Some(Setgroups::Deny))
            || (self.map_writer == MapWriter::Helper && self.unshare.contains(Kind::User))
        {
            Some(
                "a process can map only its own uid and gid (with setgroups denied) into a \
                 user namespace it is in; other maps are written by a parent: spawn",
            )
        } else {
            None
        }
    }

    /// Replaces the **calling process** with the program, in the requested namespaces — the
    /// way `unshare(1)` without `--fork` and `nsenter(1)` work, and like std's
    /// `CommandExt::exec`: no child is created, so the program keeps this process's pid,
    /// parent and signals, and there is one process start less.
    ///
    /// The process joins the namespaces, `unshare`s the new ones, writes its own id maps,
    /// then runs the same set-up steps a spawned child would (time offsets, hostname, mounts,
    /// new root, working directory, streams) and `execve`s. This changes the namespaces of
    /// the calling process; creating or joining a user namespace needs it to be
    /// single-threaded. Only commands for which
    /// [`can_exec_in_place`](Command::can_exec_in_place) is true can run this way (not new
    /// or joined pid namespaces, cgroups, a parent-death signal, piped streams, or maps other
    /// than the caller's own ids).
    ///
    /// # Errors
    /// Returns only on failure, with the error: [`Error::InvalidArgument`] when the command
    /// needs a child (nothing was changed), else as for [`spawn`](Command::spawn),
    /// [`unshare_current_thread`](crate::unshare_current_thread) and
    /// [`enter_all_current_thread`](crate::enter_all_current_thread). After a failure past
    /// the first check the process may already be in some new namespaces: exit.
    ///
    /// # References
    ///  - [execve(2)](https://man7.org/linux/man-pages/man2/execve.2.html),
    ///    [unshare(2)](https://man7.org/linux/man-pages/man2/unshare.2.html)
    pub fn exec_replacing_current_process(&mut self) -> Error {
        match self.exec_in_place() {
            Err(e) => e,
            Ok(never) => match never {},
        }
    }

    fn exec_in_place(&mut self) -> Result<std::convert::Infallible> {
        if let Some(why) = self.in_place_obstacle() {
            return Err(invalid(why));
        }
        let mut prep = prepare(self)?;
        let namespaces: Vec<&Namespace> = self
            .joins
            .iter()
            .filter_map(|j| match j {
                JoinSpec::Namespace(ns) => Some(ns),
                JoinSpec::Process(..) => None,
            })
            .collect();
        for j in &self.joins {
            if let JoinSpec::Process(p, kinds) = j {
                p.enter_current_thread(*kinds)?;
            }
        }
        if !namespaces.is_empty() {
            crate::enter_all_current_thread(&namespaces)?;
        }
        // A new time namespace is made by the set-up (created for children, given its
        // offsets, then entered by this process).
        let mut new = self.unshare;
        new.remove(Kind::Time);
        if !new.is_empty() {
            crate::unshare_current_thread(new)?;
        }
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        if let Some(value) = self.setgroups {
            write_setgroups(pid, value)?;
        }
        if let Some(map) = &self.uid_map {
            write_id_map(pid, MapKind::Uid, map)?;
        }
        if let Some(map) = &self.gid_map {
            write_id_map(pid, MapKind::Gid, map)?;
        }
        persist_all(&self.persist, Namespace::current)?;
        if self.unshare.contains(Kind::Time) && prep.time_offsets.is_none() {
            prep.time_offsets = Some(Vec::new());
        }
        let (exec_paths, argv, envp) = prep.vectors();
        let stdio = |i: usize| {
            prep.child_stdio
                .get(i)
                .and_then(|f| f.as_ref().map(AsRawFd::as_raw_fd))
        };
        let plan = sys::ChildPlan {
            report: -1,
            go: None,
            parent_ends: [None, None],
            new_flags: 0,
            cgroup: None,
            joins: &[],
            fork_after_join: false,
            time_offsets: prep.time_offsets.as_deref(),
            parent_death: None,
            hostname: prep.hostname.as_deref(),
            domainname: prep.domainname.as_deref(),
            propagation: propagation_flags(self),
            root: prep.root.as_deref(),
            proc_mount: prep.proc_mount.as_deref(),
            cwd: prep.cwd.as_deref(),
            stdio: [stdio(0), stdio(1), stdio(2)],
            exec_paths: &exec_paths,
            argv: &argv,
            envp: &envp,
        };
        let failure = sys::exec_in_place(&plan);
        // The program did not start: what was persisted for it goes (best effort: after a
        // failed pivot_root the paths may no longer resolve).
        unpersist_all(&self.persist);
        Err(report_error(failure, self, pid))
    }

    /// The program.
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// Starts the child and returns it once the program is running (`execve` succeeded).
    ///
    /// # Errors
    ///  - [`Error::InvalidArgument`] for an inconsistent command (see [`Command`]), a NUL
    ///    byte in a string, or an invalid map; nothing was started.
    ///  - [`Error::NotFound`] (`Op::Spawn(SpawnStep::Exec)`) when the program does not
    ///    exist; [`Error::PermissionDenied`] when it cannot be executed.
    ///  - [`Error::PermissionDenied`] when creating or joining a namespace or writing a map
    ///    needs privilege the caller lacks (the hint says which); [`Error::LimitReached`] at
    ///    a `max_*_namespaces` limit; [`Error::Unsupported`] for a kind this kernel lacks.
    ///  - Any other failed step as [`Error::Os`] with `Op::Spawn(step)`, for example
    ///    `PivotRoot` when the new root is on a shared mount.
    ///
    /// When an error is returned the child, if one was created, has been killed and reaped.
    ///
    /// # References
    ///  - [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html)
    pub fn spawn(&mut self) -> Result<Child> {
        spawn_with(self)
    }

    /// Runs the program to completion with inherited streams and returns its status.
    ///
    /// # Errors
    /// As for [`spawn`](Command::spawn), and [`Error::Os`] if waiting fails.
    pub fn status(&mut self) -> Result<ExitStatus> {
        spawn_with(self)?.wait()
    }

    /// Runs the program to completion, collecting its standard output and error (standard
    /// input is `/dev/null` unless set).
    ///
    /// # Errors
    /// As for [`status`](Command::status), and [`Error::Os`] if reading the pipes fails.
    pub fn output(&mut self) -> Result<Output> {
        let defaults = [
            self.stdio[0].is_none(),
            self.stdio[1].is_none(),
            self.stdio[2].is_none(),
        ];
        if defaults[0] {
            self.stdio[0] = Some(Stdio::null());
        }
        for (slot, default) in self.stdio.iter_mut().zip(defaults).skip(1) {
            if default {
                *slot = Some(Stdio::piped());
            }
        }
        let result = spawn_with(self);
        for (slot, default) in self.stdio.iter_mut().zip(defaults) {
            if default {
                *slot = None;
            }
        }
        result?.wait_with_output()
    }
}

/// The step of a spawn that failed, in [`Op::Spawn`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpawnStep {
    /// Checking the command and preparing everything before the clone.
    Prepare,
    /// `clone3(2)`: creating the process (and its new namespaces).
    Clone,
    /// `setns(2)` into a namespace to join.
    Join,
    /// Writing `setgroups`, `uid_map`, `gid_map` (or running `newuidmap`/`newgidmap`).
    Maps,
    /// `prctl(PR_SET_PDEATHSIG)`.
    ParentDeathSignal,
    /// Resetting the signal mask and dispositions.
    Signals,
    /// Waiting for the parent to finish the maps.
    WaitForParent,
    /// `unshare(CLONE_NEWTIME)` for a time namespace with offsets.
    TimeNamespace,
    /// Writing `/proc/self/timens_offsets`.
    TimeOffsets,
    /// `setns` into the new time namespace.
    TimeEnter,
    /// `sethostname(2)`.
    Hostname,
    /// `setdomainname(2)`.
    Domainname,
    /// Setting the propagation of `/` (`mount(MS_REC|MS_PRIVATE)`).
    Propagation,
    /// Bind-mounting the new root onto itself.
    RootBind,
    /// `chdir` into the new root (or to `/` after the pivot).
    RootChdir,
    /// `pivot_root(".", ".")`.
    PivotRoot,
    /// Detaching the old root (`umount2(".", MNT_DETACH)`).
    DetachOldRoot,
    /// Mounting proc.
    MountProc,
    /// `chdir` to the working directory.
    Cwd,
    /// Setting up standard streams (`dup2`).
    Stdio,
    /// `execve(2)`.
    Exec,
    /// Waiting for the child.
    Wait,
}

impl std::fmt::Display for SpawnStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpawnStep::Prepare => "prepare",
            SpawnStep::Clone => "clone3",
            SpawnStep::Join => "join namespace (setns)",
            SpawnStep::Maps => "write id maps",
            SpawnStep::ParentDeathSignal => "set parent-death signal",
            SpawnStep::Signals => "reset signals",
            SpawnStep::WaitForParent => "wait for parent",
            SpawnStep::TimeNamespace => "create time namespace",
            SpawnStep::TimeOffsets => "write /proc/self/timens_offsets",
            SpawnStep::TimeEnter => "enter new time namespace",
            SpawnStep::Hostname => "sethostname",
            SpawnStep::Domainname => "setdomainname",
            SpawnStep::Propagation => "set mount propagation of /",
            SpawnStep::RootBind => "bind-mount new root onto itself",
            SpawnStep::RootChdir => "chdir into new root",
            SpawnStep::PivotRoot => "pivot_root",
            SpawnStep::DetachOldRoot => "detach old root",
            SpawnStep::MountProc => "mount proc",
            SpawnStep::Cwd => "chdir to working directory",
            SpawnStep::Stdio => "set up stdin/stdout/stderr",
            SpawnStep::Exec => "execve",
            SpawnStep::Wait => "wait",
        })
    }
}

impl From<Step> for SpawnStep {
    fn from(s: Step) -> SpawnStep {
        match s {
            Step::GrandchildPid | Step::Clone => SpawnStep::Clone,
            Step::ParentDeathSignal => SpawnStep::ParentDeathSignal,
            Step::Signals => SpawnStep::Signals,
            Step::WaitForParent => SpawnStep::WaitForParent,
            Step::Join => SpawnStep::Join,
            Step::TimeUnshare => SpawnStep::TimeNamespace,
            Step::TimeOffsets => SpawnStep::TimeOffsets,
            Step::TimeEnter => SpawnStep::TimeEnter,
            Step::Hostname => SpawnStep::Hostname,
            Step::Domainname => SpawnStep::Domainname,
            Step::Propagation => SpawnStep::Propagation,
            Step::RootBind => SpawnStep::RootBind,
            Step::RootChdir => SpawnStep::RootChdir,
            Step::PivotRoot => SpawnStep::PivotRoot,
            Step::DetachOldRoot => SpawnStep::DetachOldRoot,
            Step::MountProc => SpawnStep::MountProc,
            Step::Cwd => SpawnStep::Cwd,
            Step::Stdio => SpawnStep::Stdio,
            Step::Exec => SpawnStep::Exec,
        }
    }
}

/// The output of a finished child ([`Command::output`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// What it wrote to standard output (if piped).
    pub stdout: Vec<u8>,
    /// What it wrote to standard error (if piped).
    pub stderr: Vec<u8>,
}

/// A spawned child process, held by pidfd.
///
/// Dropping a `Child` neither kills nor waits for it (as with std); call
/// [`wait`](Child::wait) to reap it.
#[derive(Debug)]
pub struct Child {
    pid: i32,
    pidfd: OwnedFd,
    status: Option<ExitStatus>,
    /// The write end of the child's standard input, if [`Stdio::piped`].
    pub stdin: Option<File>,
    /// The read end of the child's standard output, if [`Stdio::piped`].
    pub stdout: Option<File>,
    /// The read end of the child's standard error, if [`Stdio::piped`].
    pub stderr: Option<File>,
}

impl Child {
    /// The child's pid in the caller's pid namespace (in its own new pid namespace it is 1).
    pub fn id(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// The child's pid, signed as the kernel's `pid_t`.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The child's pidfd: stable even after the pid is reused.
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// A [`Process`] handle on the child (a new pidfd).
    ///
    /// # Errors
    /// [`Error::Os`] if the pidfd cannot be duplicated.
    pub fn process(&self) -> Result<Process> {
        let fd = self
            .pidfd
            .try_clone()
            .map_err(|e| io_error(Op::OpenProcess, Target::Pid(self.pid), &e))?;
        Process::from_pidfd(fd)
    }

    /// One of the child's namespaces, through its pidfd (race-free).
    ///
    /// # Errors
    /// As for [`Namespace::of_pidfd`]: [`Error::ProcessGone`] once it has exited.
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        Namespace::of_pidfd(self.pidfd.as_fd(), kind)
    }

    /// Sends `SIGKILL` (`pidfd_send_signal`). Killing a child that has already exited but
    /// not been waited for is not an error.
    ///
    /// # Errors
    /// [`Error::Os`] if the kernel refuses.
    pub fn kill(&mut self) -> Result<()> {
        self.signal(Signal::KILL)
    }

    /// Sends `signal` to the child (`pidfd_send_signal(2)`).
    ///
    /// # Errors
    /// [`Error::Os`] if the kernel refuses; nothing when the child has exited.
    ///
    /// # References
    ///  - [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        match rustix::process::pidfd_send_signal(&self.pidfd, signal) {
            Ok(()) | Err(RErrno::SRCH) => Ok(()),
            Err(e) => Err(Error::os(Op::Run, None, Target::Pid(self.pid), e.into())),
        }
    }

    /// Waits for the child to exit (`waitid(P_PIDFD)`), reaping it.
    ///
    /// # Errors
    /// [`Error::Os`] with `Op::Spawn(SpawnStep::Wait)` if `waitid` fails.
    ///
    /// # References
    ///  - [waitid(2)](https://man7.org/linux/man-pages/man2/waitid.2.html) (`P_PIDFD`)
    pub fn wait(&mut self) -> Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = wait_pidfd(self.pidfd.as_fd(), self.pid, false)?
            .ok_or_else(|| wait_error(self.pid, RErrno::CHILD))?;
        self.status = Some(s);
        Ok(s)
    }

    /// Reaps the child if it has exited, without blocking.
    ///
    /// # Errors
    /// As for [`wait`](Child::wait).
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let s = wait_pidfd(self.pidfd.as_fd(), self.pid, true)?;
        self.status = s;
        Ok(s)
    }

    /// Closes stdin, reads stdout and stderr to the end (both at once, so neither pipe can
    /// fill up and stall the child), then waits.
    ///
    /// # Errors
    /// As for [`wait`](Child::wait), and [`Error::Os`] if reading fails.
    pub fn wait_with_output(mut self) -> Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = read_both(self.stdout.take(), self.stderr.take())
            .map_err(|e| io_error(Op::Spawn(SpawnStep::Wait), Target::Pid(self.pid), &e))?;
        let status = self.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

fn read_both(out: Option<File>, err: Option<File>) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut bufs = (Vec::new(), Vec::new());
    match (out, err) {
        (None, None) => {}
        (Some(mut f), None) => {
            f.read_to_end(&mut bufs.0)?;
        }
        (None, Some(mut f)) => {
            f.read_to_end(&mut bufs.1)?;
        }
        (Some(mut o), Some(mut e)) => {
            let mut open = [true, true];
            let mut chunk = [0u8; 16384];
            while open[0] || open[1] {
                let mut fds = Vec::with_capacity(2);
                if open[0] {
                    fds.push(PollFd::new(&o, PollFlags::IN));
                }
                if open[1] {
                    fds.push(PollFd::new(&e, PollFlags::IN));
                }
                match poll(&mut fds, None) {
                    Ok(_) | Err(RErrno::INTR) => {}
                    Err(err) => return Err(err.into()),
                }
                let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
                drop(fds);
                let mut ready = ready.into_iter();
                for (i, is_open) in open.iter_mut().enumerate() {
                    if !*is_open || !ready.next().unwrap_or(false) {
                        continue;
                    }
                    let (file, buf) = if i == 0 {
                        (&mut o, &mut bufs.0)
                    } else {
                        (&mut e, &mut bufs.1)
                    };
                    match file.read(&mut chunk) {
                        Ok(0) => *is_open = false,
                        Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
            }
        }
    }
    Ok(bufs)
}

fn wait_pidfd(pidfd: BorrowedFd<'_>, pid: i32, nohang: bool) -> Result<Option<ExitStatus>> {
    let mut options = WaitIdOptions::EXITED;
    if nohang {
        options |= WaitIdOptions::NOHANG;
    }
    loop {
        match rustix::process::waitid(WaitId::PidFd(pidfd), options) {
            Ok(None) => return Ok(None),
            Ok(Some(st)) => {
                let raw = if let Some(code) = st.exit_status() {
                    (code & 0xff) << 8
                } else if let Some(sig) = st.terminating_signal() {
                    sig | if st.dumped() { 0x80 } else { 0 }
                } else {
                    return Ok(None);
                };
                return Ok(Some(ExitStatus::from_raw(raw)));
            }
            Err(RErrno::INTR) => {}
            Err(e) => return Err(wait_error(pid, e)),
        }
    }
}

fn wait_error(pid: i32, e: RErrno) -> Error {
    Error::os(Op::Spawn(SpawnStep::Wait), None, Target::Pid(pid), e.into())
}

fn io_error(op: Op, target: Target, e: &std::io::Error) -> Error {
    Error::os(
        op,
        None,
        target,
        Errno::from_io(e).unwrap_or(Errno::from_raw(5)),
    )
}

fn effective_ids() -> (u32, u32) {
    (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    )
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        op: Op::Spawn(SpawnStep::Prepare),
        target: Target::None,
        reason: reason.into(),
    }
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString> {
    CString::new(bytes).map_err(|_| invalid(format!("{what} contains a NUL byte")))
}

/// The first block of subordinate ids the caller (by effective uid, or its user name) owns in
/// `/etc/subuid` ([`MapKind::Uid`]) or `/etc/subgid` ([`MapKind::Gid`]), as a range with
/// `inside` 0 — what `unshare --map-users=auto` maps.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the file, with the line to add, when the caller has no
/// valid entry.
///
/// # References
///  - [subuid(5)](https://man7.org/linux/man-pages/man5/subuid.5.html),
///    [newuidmap(1)](https://man7.org/linux/man-pages/man1/newuidmap.1.html)
pub fn subordinate_ids(which: MapKind) -> Result<IdRange> {
    let file = match which {
        MapKind::Uid => "/etc/subuid",
        MapKind::Gid => "/etc/subgid",
    };
    // Both files are keyed by the user's name or uid (subgid too).
    let euid = rustix::process::geteuid().as_raw();
    let name = name_of(euid, "/etc/passwd");
    let owner_id = euid.to_string();
    let text = std::fs::read_to_string(file).unwrap_or_default();
    for line in text.lines() {
        let mut f = line.trim().split(':');
        let (Some(owner), Some(start), Some(count)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if owner != owner_id && Some(owner) != name.as_deref() {
            continue;
        }
        let (Ok(outside), Ok(count)) = (start.trim().parse::<u32>(), count.trim().parse::<u32>())
        else {
            continue;
        };
        let range = IdRange {
            inside: 0,
            outside,
            count,
        };
        IdMap::from_ranges([range])?;
        return Ok(range);
    }
    Err(Error::InvalidArgument {
        op: Op::IdMap,
        target: Target::Path(file.into()),
        reason: format!(
            "user {} (uid {owner_id}) has no subordinate ids in {file}; add a line such as \
             `{}:100000:65536` (usermod --add-subuids/--add-subgids), or map only your own id \
             (map_root / -r)",
            name.as_deref().unwrap_or("?"),
            name.as_deref().unwrap_or(owner_id.as_str()),
        ),
    })
}

/// The user name of `uid` from a passwd-format file.
fn name_of(uid: u32, passwd: &str) -> Option<String> {
    let text = std::fs::read_to_string(passwd).ok()?;
    let uid = uid.to_string();
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        (f.next()? == uid).then(|| name.to_owned())
    })
}

/// Everything a plan points into, kept alive in the parent until the child has exec'd.
struct Prepared {
    exec_paths: Vec<CString>,
    argv: Vec<CString>,
    envp: Vec<CString>,
    hostname: Option<Vec<u8>>,
    domainname: Option<Vec<u8>>,
    root: Option<CString>,
    proc_mount: Option<CString>,
    cwd: Option<CString>,
    time_offsets: Option<Vec<u8>>,
    cgroup: Option<OwnedFd>,
    parent_pidfd: Option<OwnedFd>,
    /// Child-side stdio fds, and the caller's ends of piped ones.
    child_stdio: [Option<OwnedFd>; 3],
    parent_stdio: [Option<OwnedFd>; 3],
}

impl Prepared {
    /// Candidate paths, and null-terminated argv and envp pointing into `self`.
    fn vectors(&self) -> (Vec<&std::ffi::CStr>, Vec<*const c_char>, Vec<*const c_char>) {
        let exec_paths = self.exec_paths.iter().map(CString::as_c_str).collect();
        let null_terminated = |v: &[CString]| {
            v.iter()
                .map(|a| a.as_ptr())
                .chain([std::ptr::null()])
                .collect()
        };
        (
            exec_paths,
            null_terminated(&self.argv),
            null_terminated(&self.envp),
        )
    }
}

fn prepare(cmd: &mut Command) -> Result<Prepared> {
    if let Some(e) = cmd.error.take() {
        return Err(e);
    }
    let new = cmd.unshare;
    let joined: KindSet = cmd.joins.iter().fold(KindSet::EMPTY, |acc, j| match j {
        JoinSpec::Namespace(ns) => acc | ns.kind(),
        JoinSpec::Process(_, kinds) => acc | *kinds,
    });
    for kind in new.iter() {
        if joined.contains(kind) && kind != Kind::Pid {
            return Err(invalid(format!(
                "the {kind} namespace is both joined and created; choose one"
            )));
        }
    }
    if (cmd.uid_map.is_some() || cmd.gid_map.is_some() || cmd.setgroups.is_some())
        && !new.contains(Kind::User)
    {
        return Err(invalid(
            "uid/gid maps and setgroups apply to a new user namespace: add Kind::User (-U)",
        ));
    }
    for (map, what) in [(&cmd.uid_map, "uid map"), (&cmd.gid_map, "gid map")] {
        if let Some(m) = map {
            if m.is_empty() {
                return Err(invalid(format!("the {what} is empty")));
            }
            m.validate()?;
        }
    }
    if (cmd.hostname.is_some() || cmd.domainname.is_some()) && !new.contains(Kind::Uts) {
        return Err(invalid(
            "a hostname or domain name needs a new UTS namespace (Kind::Uts, -u); lxns does \
             not change the caller's",
        ));
    }
    if cmd.time != TimeOffsets::default() && !new.contains(Kind::Time) {
        return Err(invalid(
            "clock offsets need a new time namespace (Kind::Time, -T)",
        ));
    }
    for (kind, path) in &cmd.persist {
        if !new.contains(*kind) {
            return Err(Error::InvalidArgument {
                op: Op::Persist,
                target: Target::Path(path.clone()),
                reason: format!("only a new namespace can be persisted: add Kind::{kind:?}"),
            });
        }
        if *kind == Kind::Time && cmd.time != TimeOffsets::default() {
            return Err(Error::InvalidArgument {
                op: Op::Persist,
                target: Target::Path(path.clone()),
                reason: "a time namespace with clock offsets is created after the clone and \
                         cannot be persisted before the program runs"
                    .into(),
            });
        }
    }
    if cmd.joins.len() > sys::MAX_JOINS {
        return Err(invalid(format!(
            "at most {} namespaces can be joined",
            sys::MAX_JOINS
        )));
    }

    // argv, envp, candidate paths.
    let program = cmd.program.as_bytes();
    if program.is_empty() {
        return Err(Error::NotFound {
            op: Op::Spawn(SpawnStep::Exec),
            kind: None,
            target: Target::Path(PathBuf::new()),
        });
    }
    let mut argv = Vec::with_capacity(cmd.args.len() + 1);
    argv.push(cstring(program, "the program name")?);
    for a in &cmd.args {
        argv.push(cstring(a.as_bytes(), "an argument")?);
    }
    let mut env: BTreeMap<OsString, OsString> = if cmd.env_clear {
        BTreeMap::new()
    } else {
        std::env::vars_os().collect()
    };
    for (k, v) in &cmd.env {
        match v {
            Some(v) => env.insert(k.clone(), v.clone()),
            None => env.remove(k),
        };
    }
    let mut envp = Vec::with_capacity(env.len());
    for (k, v) in &env {
        if k.as_bytes().contains(&b'=') || k.is_empty() {
            return Err(invalid(format!(
                "environment variable name {k:?} is empty or contains '='"
            )));
        }
        let mut kv = k.clone().into_vec();
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        envp.push(cstring(&kv, "an environment variable")?);
    }
    let exec_paths = if program.contains(&b'/') {
        vec![cstring(program, "the program name")?]
    } else {
        let path = env
            .get(OsStr::new("PATH"))
            .cloned()
            .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        let mut list = Vec::new();
        for dir in path.as_bytes().split(|b| *b == b':') {
            let mut full = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            full.push(b'/');
            full.extend_from_slice(program);
            list.push(cstring(&full, "a PATH entry")?);
        }
        list
    };

    let os_bytes = |o: &Option<OsString>| o.as_ref().map(|s| s.as_bytes().to_vec());
    let path_c = |p: &Option<PathBuf>, what: &str| -> Result<Option<CString>> {
        p.as_ref()
            .map(|p| cstring(p.as_os_str().as_bytes(), what))
            .transpose()
    };
    if let Some(root) = &cmd.root {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::InvalidArgument {
                    op: Op::Spawn(SpawnStep::Prepare),
                    target: Target::Path(root.clone()),
                    reason: "the new root is not a directory".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    op: Op::Spawn(SpawnStep::RootBind),
                    kind: Some(Kind::Mnt),
                    target: Target::Path(root.clone()),
                });
            }
            Err(_) => {}
        }
    }
    let time_offsets = (cmd.time != TimeOffsets::default()).then(|| {
        let mut text = String::new();
        if let Some((s, n)) = cmd.time.monotonic {
            text.push_str(&format!("monotonic {s} {n}\n"));
        }
        if let Some((s, n)) = cmd.time.boottime {
            text.push_str(&format!("boottime {s} {n}\n"));
        }
        text.into_bytes()
    });
    let cgroup = cmd
        .cgroup
        .as_ref()
        .map(|dir| {
            rustix::fs::open(
                dir,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| match e {
                RErrno::NOENT => Error::NotFound {
                    op: Op::Spawn(SpawnStep::Prepare),
                    kind: Some(Kind::Cgroup),
                    target: Target::Path(dir.clone()),
                },
                e => Error::os(
                    Op::Spawn(SpawnStep::Prepare),
                    Some(Kind::Cgroup),
                    Target::Path(dir.clone()),
                    e.into(),
                ),
            })
        })
        .transpose()?;
    let parent_pidfd = cmd
        .parent_death
        .map(|_| {
            rustix::process::pidfd_open(rustix::process::getpid(), PidfdFlags::empty())
                .map_err(|e| Error::os(Op::OpenProcess, None, Target::None, e.into()))
        })
        .transpose()?;

    // Standard streams.
    let mut child_stdio: [Option<OwnedFd>; 3] = [None, None, None];
    let mut parent_stdio: [Option<OwnedFd>; 3] = [None, None, None];
    for (i, cfg) in cmd.stdio.iter_mut().enumerate() {
        let Some(cfg) = cfg else { continue };
        let pipe_err =
            |e: RErrno| Error::os(Op::Spawn(SpawnStep::Stdio), None, Target::None, e.into());
        match &mut cfg.0 {
            StdioKind::Inherit => {}
            StdioKind::Null => {
                let fd =
                    rustix::fs::open(c"/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
                        .map_err(pipe_err)?;
                if let Some(slot) = child_stdio.get_mut(i) {
                    *slot = Some(fd);
                }
            }
            StdioKind::Piped => {
                let (r, w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(pipe_err)?;
                let (child, parent) = if i == 0 { (r, w) } else { (w, r) };
                if let (Some(c), Some(p)) = (child_stdio.get_mut(i), parent_stdio.get_mut(i)) {
                    *c = Some(child);
                    *p = Some(parent);
                }
            }
            StdioKind::Fd(fd) => {
                let dup = fd.try_clone().map_err(|e| {
                    io_error(Op::Spawn(SpawnStep::Stdio), Target::Fd(fd.as_raw_fd()), &e)
                })?;
                if let Some(slot) = child_stdio.get_mut(i) {
                    *slot = Some(dup);
                }
            }
        }
    }

    Ok(Prepared {
        exec_paths,
        argv,
        envp,
        hostname: os_bytes(&cmd.hostname),
        domainname: os_bytes(&cmd.domainname),
        root: path_c(&cmd.root, "the root directory")?,
        proc_mount: path_c(&cmd.proc_mount, "the proc mount point")?,
        cwd: path_c(&cmd.cwd, "the working directory")?,
        time_offsets,
        cgroup,
        parent_pidfd,
        child_stdio,
        parent_stdio,
    })
}

fn spawn_with(cmd: &mut Command) -> Result<Child> {
    let mut prep = prepare(cmd)?;
    let prepare_err =
        |e: RErrno| Error::os(Op::Spawn(SpawnStep::Prepare), None, Target::None, e.into());
    let (report_r, report_w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(prepare_err)?;
    let needs_maps = cmd.uid_map.is_some() || cmd.gid_map.is_some() || cmd.setgroups.is_some();
    // The child waits for the parent when the parent has work to do first: maps, persisting.
    let go = if needs_maps || !cmd.persist.is_empty() {
        Some(rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(prepare_err)?)
    } else {
        None
    };

    let child_stdio = std::mem::take(&mut prep.child_stdio);
    let parent_stdio = std::mem::take(&mut prep.parent_stdio);
    let (exec_paths, argv, envp) = prep.vectors();

    let joins: Vec<sys::Join<'_>> = cmd
        .joins
        .iter()
        .map(|j| match j {
            JoinSpec::Namespace(ns) => sys::Join {
                fd: ns.as_fd(),
                nstype: ns.kind().clone_flag(),
            },
            JoinSpec::Process(p, kinds) => sys::Join {
                fd: p.as_fd(),
                nstype: kinds.bits(),
            },
        })
        .collect();
    let joined_pid = cmd.joins.iter().any(|j| match j {
        JoinSpec::Namespace(ns) => ns.kind() == Kind::Pid,
        JoinSpec::Process(_, kinds) => kinds.contains(Kind::Pid),
    });
    let new_flags = u64::from(cmd.unshare.bits());
    let propagation = propagation_flags(cmd);
    let plan = sys::ChildPlan {
        report: report_w.as_raw_fd(),
        go: go.as_ref().map(|(r, _)| r.as_raw_fd()),
        parent_ends: [
            Some(report_r.as_raw_fd()),
            go.as_ref().map(|(_, w)| w.as_raw_fd()),
        ],
        new_flags,
        cgroup: prep.cgroup.as_ref().map(AsFd::as_fd),
        joins: &joins,
        fork_after_join: joined_pid || new_flags != 0,
        time_offsets: prep.time_offsets.as_deref(),
        parent_death: cmd
            .parent_death
            .zip(prep.parent_pidfd.as_ref().map(AsFd::as_fd)),
        hostname: prep.hostname.as_deref(),
        domainname: prep.domainname.as_deref(),
        propagation,
        root: prep.root.as_deref(),
        proc_mount: prep.proc_mount.as_deref(),
        cwd: prep.cwd.as_deref(),
        stdio: [
            child_stdio[0].as_ref().map(AsRawFd::as_raw_fd),
            child_stdio[1].as_ref().map(AsRawFd::as_raw_fd),
            child_stdio[2].as_ref().map(AsRawFd::as_raw_fd),
        ],
        exec_paths: &exec_paths,
        argv: &argv,
        envp: &envp,
    };
    let two_stage = !joins.is_empty();
    let fork_after_join = plan.fork_after_join;
    let (first_pid, first_fd) = sys::spawn(&plan).map_err(|e| clone_error(e, cmd.unshare))?;
    // The child has its own copies of these now.
    drop(report_w);
    let go_w = go.map(|(r, w)| {
        drop(r);
        w
    });
    drop(child_stdio);

    let (pid, pidfd) = if two_stage && fork_after_join {
        let first = first_pid.as_raw_nonzero().get();
        let msg = sys::read_report(report_r.as_fd());
        // The intermediate exits right after its report; reap it either way.
        let _ = wait_pidfd(first_fd.as_fd(), first, false);
        match msg {
            Ok(Some(Report {
                step: Step::GrandchildPid,
                value,
                ..
            })) => {
                let fd = Pid::from_raw(value)
                    .ok_or(RErrno::SRCH)
                    .and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::empty()))
                    .map_err(|e| {
                        Error::os(
                            Op::Spawn(SpawnStep::Clone),
                            None,
                            Target::Pid(value),
                            e.into(),
                        )
                    })?;
                (value, fd)
            }
            Ok(Some(r)) => return Err(report_error(r, cmd, first)),
            Ok(None) => {
                return Err(Error::os(
                    Op::Spawn(SpawnStep::Clone),
                    None,
                    Target::Pid(first),
                    RErrno::PIPE.into(),
                ));
            }
            Err(e) => {
                return Err(Error::os(
                    Op::Spawn(SpawnStep::Clone),
                    None,
                    Target::Pid(first),
                    e.into(),
                ));
            }
        }
    } else {
        (first_pid.as_raw_nonzero().get(), first_fd)
    };
    let mut child = Child {
        pid,
        pidfd,
        status: None,
        stdin: None,
        stdout: None,
        stderr: None,
    };
    // On any failure from here on: kill and reap the child and, once everything was
    // persisted, remove those mounts again. (Never before: a path that existed already, such
    // as someone else's /run/netns entry, is not ours to remove.)
    let mut persisted = false;
    let abort = |child: &mut Child, err: Error, persisted: bool| -> Error {
        let _ = child.kill();
        let _ = child.wait();
        if persisted {
            unpersist_all(&cmd.persist);
        }
        err
    };

    if let Some(go_w) = go_w {
        let parent_work = if needs_maps {
            write_maps(cmd, pid)
        } else {
            Ok(())
        }
        .and_then(|()| persist_all(&cmd.persist, |kind| child.namespace(kind)));
        if let Err(e) = parent_work {
            drop(go_w);
            // persist_all has removed its own partial work.
            return Err(abort(&mut child, e, false));
        }
        persisted = true;
        match rustix::io::write(&go_w, &[1]) {
            Ok(_) => {}
            Err(e) => {
                return Err(abort(
                    &mut child,
                    Error::os(
                        Op::Spawn(SpawnStep::WaitForParent),
                        None,
                        Target::Pid(pid),
                        e.into(),
                    ),
                    persisted,
                ));
            }
        }
    }
    match sys::read_report(report_r.as_fd()) {
        Ok(None) => {}
        Ok(Some(r)) => {
            let _ = child.wait();
            if persisted {
                unpersist_all(&cmd.persist);
            }
            return Err(report_error(r, cmd, pid));
        }
        Err(e) => {
            return Err(abort(
                &mut child,
                Error::os(Op::Spawn(SpawnStep::Exec), None, Target::Pid(pid), e.into()),
                persisted,
            ));
        }
    }
    let [stdin, stdout, stderr] = parent_stdio;
    child.stdin = stdin.map(File::from);
    child.stdout = stdout.map(File::from);
    child.stderr = stderr.map(File::from);
    Ok(child)
}

/// Persists each `(kind, path)` with the namespace `get` returns; on a failure, removes what
/// it persisted before and returns the error.
fn persist_all(list: &[(Kind, PathBuf)], get: impl Fn(Kind) -> Result<Namespace>) -> Result<()> {
    for (i, (kind, path)) in list.iter().enumerate() {
        if let Err(e) = get(*kind).and_then(|ns| ns.persist(path)) {
            unpersist_all(list.get(..i).unwrap_or_default());
            return Err(e);
        }
    }
    Ok(())
}

fn unpersist_all(list: &[(Kind, PathBuf)]) {
    for (_, path) in list {
        let _ = crate::unpersist(path);
    }
}

/// The propagation to apply to `/`: only in a new mount namespace.
fn propagation_flags(cmd: &Command) -> Option<MountPropagationFlags> {
    match cmd.propagation {
        _ if !cmd.unshare.contains(Kind::Mnt) => None,
        Propagation::Private => Some(MountPropagationFlags::PRIVATE),
        Propagation::Slave => Some(MountPropagationFlags::DOWNSTREAM),
        Propagation::Shared => Some(MountPropagationFlags::SHARED),
        Propagation::Unchanged => None,
    }
}

/// Writes setgroups, uid_map and gid_map for `pid`, directly or through the helpers.
fn write_maps(cmd: &Command, pid: i32) -> Result<()> {
    let (euid, egid) = effective_ids();
    let privileged = euid == 0;
    // Who writes each map, decided once: `None` directly, `Some(path)` the setuid helper.
    let mut maps = Vec::with_capacity(2);
    for (which, map, own) in [
        (MapKind::Uid, &cmd.uid_map, euid),
        (MapKind::Gid, &cmd.gid_map, egid),
    ] {
        let Some(map) = map else { continue };
        let helper = match cmd.map_writer {
            MapWriter::Direct => None,
            MapWriter::Helper => Some(helper_path(which).ok_or_else(|| helper_missing(which))?),
            // Direct when the kernel will take it (privileged, or only one's own id), the
            // helper otherwise (if there is none, the direct write's EPERM says what to do).
            MapWriter::Auto if privileged || maps_only(map, own) => None,
            MapWriter::Auto => helper_path(which),
        };
        maps.push((which, map, helper));
    }
    let setgroups = cmd.setgroups.or_else(|| {
        // An unprivileged direct gid map needs "deny" first.
        let direct_gid = maps
            .iter()
            .any(|(which, _, helper)| *which == MapKind::Gid && helper.is_none());
        (direct_gid && !privileged).then_some(Setgroups::Deny)
    });
    if let Some(value) = setgroups {
        write_setgroups(pid, value)?;
    }
    for (which, map, helper) in maps {
        match helper {
            Some(path) => run_helper(pid, which, map, &path)?,
            None => write_id_map(pid, which, map)?,
        }
    }
    Ok(())
}

/// Whether the caller's children would be in `ns` already (its `*_for_children` namespace).
fn already_in(ns: &Namespace) -> bool {
    Namespace::current_for_children(ns.kind()).is_ok_and(|cur| cur == *ns)
}

/// Whether `map` maps exactly one id, `outside`: what a process may write for itself.
fn maps_only(map: &IdMap, outside: u32) -> bool {
    matches!(map.ranges(), [r] if r.count == 1 && r.outside == outside)
}

fn helper_name(which: MapKind) -> &'static str {
    match which {
        MapKind::Uid => "newuidmap",
        MapKind::Gid => "newgidmap",
    }
}

fn helper_path(which: MapKind) -> Option<PathBuf> {
    let name = helper_name(which);
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn helper_missing(which: MapKind) -> Error {
    Error::NotFound {
        op: Op::WriteIdMap,
        kind: Some(Kind::User),
        target: Target::Text(format!(
            "{} (install the uidmap package to map subordinate ids)",
            helper_name(which)
        )),
    }
}

/// Runs `newuidmap PID inside outside count…` (or newgidmap), checking its exit status and
/// putting its stderr in the error.
fn run_helper(pid: i32, which: MapKind, map: &IdMap, path: &Path) -> Result<()> {
    let name = helper_name(which);
    let mut c = std::process::Command::new(path);
    c.arg(pid.to_string());
    for r in map.ranges() {
        c.args([
            r.inside.to_string(),
            r.outside.to_string(),
            r.count.to_string(),
        ]);
    }
    let out = c
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| io_error(Op::WriteIdMap, Target::Path(path.to_owned()), &e))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    Err(Error::PermissionDenied {
        op: Op::WriteIdMap,
        kind: Some(Kind::User),
        target: Target::Text(format!(
            "{name} {pid} {} failed ({}): {stderr}",
            map.ranges()
                .iter()
                .map(|r| format!("{} {} {}", r.inside, r.outside, r.count))
                .collect::<Vec<_>>()
                .join(" "),
            out.status
        )),
        errno: Errno::from_raw(1),
        owner: None,
    })
}

/// The typed error for a failed `clone3`.
fn clone_error(e: RErrno, kinds: KindSet) -> Error {
    let op = Op::Spawn(SpawnStep::Clone);
    match e {
        RErrno::NOSYS => Error::Unsupported {
            op,
            kind: None,
            what: "clone3 (Linux 5.3+)".into(),
            errno: Some(e.into()),
        },
        e => crate::enter::creation_error(op, e, kinds, Target::None),
    }
}

/// The typed error for a report from the child.
fn report_error(r: Report, cmd: &Command, pid: i32) -> Error {
    let step = SpawnStep::from(r.step);
    let op = Op::Spawn(step);
    let errno = RErrno::from_raw_os_error(r.value);
    let path_of = |p: &Option<PathBuf>| Target::Path(p.clone().unwrap_or_default());
    match r.step {
        Step::Exec => {
            let target = Target::Path(PathBuf::from(&cmd.program));
            match errno {
                RErrno::NOENT | RErrno::NOTDIR => Error::NotFound {
                    op,
                    kind: None,
                    target,
                },
                RErrno::ACCESS | RErrno::PERM => Error::PermissionDenied {
                    op,
                    kind: None,
                    target,
                    errno: errno.into(),
                    owner: None,
                },
                e => Error::os(op, None, target, e.into()),
            }
        }
        Step::Join => {
            let join = usize::try_from(r.index).ok().and_then(|i| cmd.joins.get(i));
            let (kind, target, owner) = match join {
                Some(JoinSpec::Namespace(ns)) => (
                    Some(ns.kind()),
                    Target::Namespace(ns.id()),
                    ns.user_namespace().ok().map(|u| u.id()),
                ),
                Some(JoinSpec::Process(p, kinds)) => {
                    (kinds.iter().next(), Target::Pid(p.pid()), None)
                }
                None => (None, Target::None, None),
            };
            match errno {
                RErrno::PERM | RErrno::ACCESS => Error::PermissionDenied {
                    op: Op::Setns,
                    kind,
                    target,
                    errno: errno.into(),
                    owner,
                },
                RErrno::SRCH => Error::ProcessGone {
                    op: Op::SetnsProcess,
                    kind,
                    pid: match target {
                        Target::Pid(p) => p,
                        _ => 0,
                    },
                },
                e => Error::os(op, kind, target, e.into()),
            }
        }
        Step::Clone | Step::GrandchildPid => clone_error(errno, cmd.unshare),
        Step::RootBind | Step::RootChdir | Step::PivotRoot | Step::DetachOldRoot => {
            let target = path_of(&cmd.root);
            match errno {
                RErrno::NOENT => Error::NotFound {
                    op,
                    kind: Some(Kind::Mnt),
                    target,
                },
                e => Error::os(op, Some(Kind::Mnt), target, e.into()),
            }
        }
        Step::MountProc => Error::os(op, Some(Kind::Mnt), path_of(&cmd.proc_mount), errno.into()),
        Step::Cwd => match errno {
            RErrno::NOENT => Error::NotFound {
                op,
                kind: None,
                target: path_of(&cmd.cwd),
            },
            e => Error::os(op, None, path_of(&cmd.cwd), e.into()),
        },
        Step::Hostname | Step::Domainname => {
            Error::os(op, Some(Kind::Uts), Target::Pid(pid), errno.into())
        }
        Step::TimeUnshare | Step::TimeOffsets | Step::TimeEnter => {
            Error::os(op, Some(Kind::Time), Target::Pid(pid), errno.into())
        }
        Step::Propagation => Error::os(op, Some(Kind::Mnt), Target::Path("/".into()), errno.into()),
        _ => Error::os(op, None, Target::Pid(pid), errno.into()),
    }
}

/// Forwards signals sent to the caller to a child, for programs that stand in for the
/// command they run (as `lxns run` does for `SIGTERM`, `SIGINT` and `SIGHUP`).
///
/// [`block`](ForwardSignals::block) blocks the signals on the calling thread and opens a
/// `signalfd` for them — do it *before* spawning, so no signal is lost in between (children
/// start with an empty signal mask). [`wait`](ForwardSignals::wait) then waits for the child
/// and relays every such signal that a process sent (`kill`) to it with `pidfd_send_signal`;
/// one the kernel sent for a terminal (^C) is not relayed, since the child, in the same
/// foreground process group, received it already. Dropping restores the mask.
/// In a multithreaded program, process-directed signals may go to another thread that does
/// not block them.
///
/// # References
///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html),
///    [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
#[derive(Debug)]
pub struct ForwardSignals {
    fd: OwnedFd,
    old: sys::SigMask,
}

impl ForwardSignals {
    /// Blocks `signals` on the calling thread and starts collecting them.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid signal; [`Error::Os`] if `signalfd` fails.
    pub fn block(signals: &[Signal]) -> Result<ForwardSignals> {
        let raw: Vec<i32> = signals.iter().map(|s| s.as_raw()).collect();
        let (fd, old) = sys::block_signals(&raw)
            .map_err(|e| Error::os(Op::Spawn(SpawnStep::Signals), None, Target::None, e.into()))?;
        Ok(ForwardSignals { fd, old })
    }

    /// Waits for `child` to exit, forwarding each blocked signal that arrives meanwhile.
    ///
    /// # Errors
    /// As for [`Child::wait`].
    pub fn wait(&self, child: &mut Child) -> Result<ExitStatus> {
        use rustix::event::{PollFd, PollFlags, poll};
        loop {
            let mut fds = [
                PollFd::new(&child.pidfd, PollFlags::IN),
                PollFd::new(&self.fd, PollFlags::IN),
            ];
            match poll(&mut fds, None) {
                Ok(_) | Err(RErrno::INTR) => {}
                Err(e) => return Err(wait_error(child.pid, e)),
            }
            let [exited, signalled] = [fds[0].revents(), fds[1].revents()];
            if !signalled.is_empty() {
                let (sig, from_kernel) =
                    sys::read_signal(self.fd.as_fd()).map_err(|e| wait_error(child.pid, e))?;
                // A terminal's ^C reaches the child too (same process group): pass on only
                // what a process sent, so the child does not get it twice.
                if let (Some(sig), false) = (Signal::from_named_raw(sig), from_kernel) {
                    child.signal(sig)?;
                }
            }
            if !exited.is_empty() {
                return child.wait();
            }
        }
    }
}

impl Drop for ForwardSignals {
    fn drop(&mut self) {
        sys::restore_signals(&self.old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_errors_are_typed() {
        // A kind missing from the kernel's build: clone3 says EINVAL.
        let e = clone_error(RErrno::INVAL, KindSet::from(Kind::Time));
        assert!(
            matches!(
                e,
                Error::Unsupported {
                    kind: Some(Kind::Time),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("time"), "{e}");
        let e = clone_error(RErrno::NOSYS, KindSet::EMPTY);
        assert!(e.to_string().contains("clone3"), "{e}");
        let e = clone_error(RErrno::PERM, KindSet::from(Kind::Net));
        assert!(matches!(e, Error::PermissionDenied { .. }));
        assert!(e.hint().is_some_and(|h| h.contains("-U -r")), "{e}");
        let e = clone_error(RErrno::NOSPC, KindSet::from(Kind::User));
        assert!(
            matches!(
                e,
                Error::LimitReached {
                    kind: Kind::User,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn every_child_step_has_a_public_step() {
        for (step, want) in [
            (Step::Exec, SpawnStep::Exec),
            (Step::PivotRoot, SpawnStep::PivotRoot),
            (Step::TimeUnshare, SpawnStep::TimeNamespace),
            (Step::GrandchildPid, SpawnStep::Clone),
        ] {
            assert_eq!(SpawnStep::from(step), want);
        }
    }

    #[test]
    fn propagation_parses_unshare_spellings() {
        for (text, want) in [
            ("private", Propagation::Private),
            ("slave", Propagation::Slave),
            ("shared", Propagation::Shared),
            ("unchanged", Propagation::Unchanged),
        ] {
            assert_eq!(text.parse::<Propagation>().unwrap(), want);
        }
        assert!("rprivate".parse::<Propagation>().is_err());
    }
}
