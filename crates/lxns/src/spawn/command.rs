//! [`Command`], the builder: what to run, with which streams, in which namespaces.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use rustix::process::Signal;

use super::child::{Child, Output};
use crate::error::{Error, Op, Result, Target};
use crate::idmap::{IdMap, IdRange, MapKind, MapWriter, Setgroups, effective_ids, subordinate_ids};
use crate::join::JoinPlan;
use crate::kind::{Kind, KindSet};
use crate::namespace::Namespace;
use crate::process::Process;

/// Where one of the child's standard streams comes from.
#[derive(Debug)]
pub struct Stdio(pub(super) StdioKind);

#[derive(Debug)]
pub(super) enum StdioKind {
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
            other => Err(Error::invalid_argument(
                Op::Parse,
                Target::Text(other.to_owned()),
                "mount propagation is one of private, slave, shared, unchanged".into(),
            )),
        }
    }
}

/// A time namespace's clock offsets, in seconds and nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TimeOffsets {
    pub(super) monotonic: Option<(i64, i64)>,
    pub(super) boottime: Option<(i64, i64)>,
}

/// A program to run in new and/or existing namespaces, built like
/// [`std::process::Command`].
///
/// Each setter returns `&mut Command` for chaining. A setter that needs a new namespace adds
/// its kind (maps and `setgroups` add [`Kind::User`], hostname and domain name
/// [`Kind::Uts`], clock offsets [`Kind::Time`], `/proc` and root
/// [`Kind::Mnt`]), and says so. Nothing else is checked until [`spawn`](Command::spawn):
/// combinations the kernel would refuse (the same kind both joined and created,
/// `setgroups` allowed with an unprivileged direct gid map, a persisted kind not created)
/// are reported there as [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) before any process is created.
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
    pub(super) program: OsString,
    pub(super) args: Vec<OsString>,
    pub(super) env_clear: bool,
    pub(super) env: BTreeMap<OsString, Option<OsString>>,
    pub(super) cwd: Option<PathBuf>,
    pub(super) cwd_candidates: Vec<PathBuf>,
    pub(super) uid: Option<u32>,
    pub(super) gid: Option<u32>,
    pub(super) stdio: [Option<Stdio>; 3],
    pub(super) unshare: KindSet,
    pub(super) joins: JoinPlan,
    pub(super) uid_map: Option<IdMap>,
    pub(super) gid_map: Option<IdMap>,
    pub(super) map_writer: MapWriter,
    pub(super) setgroups: Option<Setgroups>,
    pub(super) hostname: Option<OsString>,
    pub(super) domainname: Option<OsString>,
    pub(super) proc_mount: Option<PathBuf>,
    pub(super) propagation: Propagation,
    pub(super) root: Option<PathBuf>,
    pub(super) time: TimeOffsets,
    pub(super) parent_death: Option<Signal>,
    pub(super) cgroup: Option<PathBuf>,
    pub(super) persist: Vec<(Kind, PathBuf)>,
    pub(super) keep_caps: bool,
    pub(super) binfmt_mount: Option<PathBuf>,
    pub(super) binfmt_register: Option<OsString>,
    pub(super) owner: Option<(u32, u32)>,
    pub(super) fs: Vec<super::sandbox::FsOp>,
    pub(super) capabilities: Option<super::sandbox::Capabilities>,
    pub(super) bounding: Option<super::sandbox::Capabilities>,
    pub(super) no_new_privs: bool,
    pub(super) disable_userns: bool,
    pub(super) assert_userns_disabled: bool,
    pub(super) new_session: bool,
    pub(super) loopback_up: bool,
    pub(super) arg0: Option<OsString>,
    pub(super) block: Vec<OwnedFd>,
    pub(super) userns_block: Option<OwnedFd>,
    pub(super) info: Option<File>,
    pub(super) json_status: Option<File>,
    pub(super) seccomp: Vec<super::sandbox::SeccompProgram>,
    pub(super) error: Option<Error>,
}

/// Where `binfmt_misc` is mounted by default (`_PATH_PROC_BINFMT_MISC` of util-linux).
pub(super) const BINFMT_MISC: &str = "/proc/sys/fs/binfmt_misc";

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
            cwd_candidates: Vec::new(),
            uid: None,
            gid: None,
            stdio: [None, None, None],
            unshare: KindSet::EMPTY,
            joins: JoinPlan::new(),
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
            keep_caps: false,
            binfmt_mount: None,
            binfmt_register: None,
            owner: None,
            fs: Vec::new(),
            capabilities: None,
            bounding: None,
            no_new_privs: false,
            disable_userns: false,
            assert_userns_disabled: false,
            new_session: false,
            loopback_up: false,
            arg0: None,
            block: Vec::new(),
            userns_block: None,
            info: None,
            json_status: None,
            seccomp: Vec::new(),
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

    /// Working directories to try, in order, once the namespaces and the new root are in
    /// place: the child stays in the first it can enter, or where it is (`/` with a new
    /// root) if none. bwrap's choice without `--chdir` is the caller's directory if the
    /// sandbox has it, else `$HOME`, else `/`. [`current_dir`](Command::current_dir), which
    /// must succeed, takes precedence. `PWD` is left as it is.
    ///
    /// # Errors
    ///
    /// None of its own: a candidate that cannot be entered is skipped.
    pub fn current_dir_candidates(
        &mut self,
        dirs: impl IntoIterator<Item = impl AsRef<Path>>,
    ) -> &mut Command {
        self.cwd_candidates = dirs.into_iter().map(|d| d.as_ref().to_owned()).collect();
        self
    }

    /// The uid the program runs as, set just before `execve` (after the namespaces and the
    /// id maps: a uid as the new user namespace numbers it), as `unshare -S` does.
    ///
    /// # Errors
    /// Reported by [`spawn`](Command::spawn) as [`SpawnStep::Credentials`](crate::SpawnStep::Credentials) (a uid with no
    /// mapping is `EINVAL`; without `CAP_SETUID` in the namespace, `EPERM`).
    pub fn uid(&mut self, uid: u32) -> &mut Command {
        self.uid = Some(uid);
        self
    }

    /// The gid the program runs as, set just before `execve`, after dropping supplementary
    /// groups (where the user namespace allows `setgroups`), as `unshare -G` does.
    ///
    /// # Errors
    /// As for [`uid`](Command::uid).
    pub fn gid(&mut self, gid: u32) -> &mut Command {
        self.gid = Some(gid);
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
    /// of it, as nsenter(1) does with a fork. The joins follow lxns's one join rule
    /// ([`JoinPlan`]): a namespace the caller is already in is left out when the command is
    /// spawned (re-entering one's own user namespace is an error to the kernel), mount and
    /// user come last, and `EPERM` is retried after the others.
    ///
    /// # Errors
    /// An `fd` that cannot be duplicated is reported by [`spawn`](Command::spawn).
    ///
    /// # References
    ///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
    pub fn join(&mut self, ns: &Namespace) -> &mut Command {
        match ns.try_clone() {
            Ok(ns) => {
                self.joins.namespace(ns);
            }
            Err(e) => self.error = self.error.take().or(Some(e)),
        }
        self
    }

    /// Joins the namespaces of `kinds` of a running process, atomically through its pidfd
    /// (`setns(pidfd, flags)`). Kinds the caller already shares with the process are left
    /// out when the command is spawned (by the rule of [`JoinPlan`]).
    ///
    /// # Errors
    /// A pidfd that cannot be duplicated is reported by [`spawn`](Command::spawn).
    pub fn join_process(&mut self, process: &Process, kinds: impl Into<KindSet>) -> &mut Command {
        // The same pidfd, duplicated: never a second lookup by pid, which could be reused.
        let dup = process
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::from_io(Op::OpenProcess, Target::Pid(process.pid()), &e))
            .and_then(Process::from_pidfd);
        match dup {
            Ok(p) => {
                self.joins.process(p, kinds);
            }
            Err(e) => self.error = self.error.take().or(Some(e)),
        }
        self
    }

    /// The uid map of the new user namespace (adds [`Kind::User`]). See [`MapWriter`] for
    /// who writes it.
    pub fn uid_map(&mut self, map: IdMap) -> &mut Command {
        self.unshare.insert(Kind::User);
        self.uid_map = Some(map);
        self
    }

    /// The gid map of the new user namespace (adds [`Kind::User`]).
    ///
    /// An unprivileged caller's direct gid map needs `setgroups` denied (the default here);
    /// [`setgroups`](Command::setgroups)`(Allow)` with such a map is refused before any
    /// process exists.
    pub fn gid_map(&mut self, map: IdMap) -> &mut Command {
        self.unshare.insert(Kind::User);
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
    /// [`spawn`](Command::spawn) fails with [`Reason::InvalidArgument`](crate::Reason::InvalidArgument), naming the file and the
    /// line to add, when the caller has no entry in either file; and with
    /// [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) carrying the helper's stderr when `newuidmap`/`newgidmap`
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
    /// direct gid map; otherwise left as the kernel sets it. Adds [`Kind::User`].
    pub fn setgroups(&mut self, value: Setgroups) -> &mut Command {
        self.unshare.insert(Kind::User);
        self.setgroups = Some(value);
        self
    }

    /// The hostname in the child's new UTS namespace (adds [`Kind::Uts`]: lxns never changes
    /// the caller's own).
    pub fn hostname(&mut self, name: impl AsRef<OsStr>) -> &mut Command {
        self.unshare.insert(Kind::Uts);
        self.hostname = Some(name.as_ref().to_owned());
        self
    }

    /// The NIS domain name in the child's new UTS namespace (adds [`Kind::Uts`]).
    pub fn domainname(&mut self, name: impl AsRef<OsStr>) -> &mut Command {
        self.unshare.insert(Kind::Uts);
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

    /// Mounts a `binfmt_misc` file system at `target` just before running the program (after
    /// [`mount_proc`](Command::mount_proc), where `target` usually lies:
    /// `/proc/sys/fs/binfmt_misc`, as `unshare --mount-binfmt` does); adds [`Kind::Mnt`] and
    /// [`Kind::User`]. Since Linux 6.7 each user namespace has its own `binfmt_misc`
    /// instance, so formats registered there are the sandbox's alone. See
    /// [binfmt-misc](https://docs.kernel.org/admin-guide/binfmt-misc.html).
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::MountBinfmt`](crate::SpawnStep::MountBinfmt) with the kernel's errno (`ENODEV` where the
    /// kernel has no `binfmt_misc`, `EPERM` before Linux 6.7 in a user namespace).
    pub fn mount_binfmt_misc_at(&mut self, target: impl AsRef<Path>) -> &mut Command {
        self.unshare = self.unshare | Kind::Mnt | Kind::User;
        self.binfmt_mount = Some(target.as_ref().to_owned());
        self
    }

    /// Registers a binary format in the new `binfmt_misc` (the string
    /// `:name:type:offset:magic:mask:interpreter:flags` of binfmt-misc.rst, written to its
    /// `register` file), as `unshare --load-interp`. Mounts `binfmt_misc` at
    /// `/proc/sys/fs/binfmt_misc` (and proc at `/proc`) unless
    /// [`mount_binfmt_misc_at`](Command::mount_binfmt_misc_at) chose a place. With the `F`
    /// flag and a [`root`](Command::root), the format is registered before the pivot, so the
    /// kernel opens the interpreter from the caller's file system, then `binfmt_misc` is
    /// mounted again inside the new root.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::RegisterBinfmt`](crate::SpawnStep::RegisterBinfmt) with the kernel's errno (`EINVAL` for a
    /// malformed string, `EEXIST` for a name already registered, `ENOENT` for a missing
    /// interpreter with `F`).
    pub fn register_binfmt(&mut self, spec: impl AsRef<OsStr>) -> &mut Command {
        if self.binfmt_mount.is_none() {
            if self.proc_mount.is_none() {
                self.mount_proc();
            }
            self.mount_binfmt_misc_at(BINFMT_MISC);
        }
        self.binfmt_register = Some(spec.as_ref().to_owned());
        self
    }

    /// Keeps the capabilities the program has in its new user namespace across `execve`,
    /// as `unshare --keep-caps`: the permitted set is made inheritable and raised into the
    /// ambient set (see capabilities(7)), so a program that is not uid 0 there (no id maps,
    /// [`uid`](Command::uid), [`map_current_user`](Command::map_current_user)) still has
    /// them. Applied after [`uid`](Command::uid)/[`gid`](Command::gid).
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::KeepCapabilities`](crate::SpawnStep::KeepCapabilities) with the errno of `capset(2)` or
    /// `prctl(2)`.
    pub fn keep_capabilities(&mut self) -> &mut Command {
        self.keep_caps = true;
        self
    }

    /// Creates the new user namespace as `uid`:`gid` (of the caller's user namespace), so
    /// that user owns it: it has every capability inside and may `setns(2)` into it, as
    /// `unshare --owner` does for a privileged caller acting for an unprivileged user. Adds
    /// [`Kind::User`]. The spawn goes through an intermediate process that becomes
    /// `uid`:`gid` (supplementary groups dropped) before creating the namespaces; the id
    /// maps are still written by the caller, so the caller's own ids may be mapped.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Owner`](crate::SpawnStep::Owner) with the errno of `setgroups`/`setresgid`/`setresuid`
    /// (`EPERM` unless the caller has `CAP_SETUID` and `CAP_SETGID`).
    pub fn user_namespace_owner(&mut self, uid: u32, gid: u32) -> &mut Command {
        self.unshare.insert(Kind::User);
        self.owner = Some((uid, gid));
        self
    }

    /// Adds a filesystem operation to the new root of a sandbox (adds [`Kind::Mnt`]). With
    /// any, the child gets a fresh tmpfs root, applies the operations in the order given and
    /// `pivot_root`s into it, as bwrap does: see [`FsOp`](crate::FsOp). Destinations are
    /// paths in the new root and cannot leave it (`openat2(RESOLVE_BENEATH)`). Nothing
    /// propagates back to the caller: the mounts below `/` are made private first (the
    /// default [`propagation`](Command::propagation)) or, with any other choice, slaves of
    /// the caller's (`MS_SLAVE | MS_REC`, as bwrap does). Not with [`root`](Command::root).
    ///
    /// # Errors
    ///
    /// Before the clone: [`InvalidArgument`](crate::Reason::InvalidArgument) for a
    /// destination climbing out with `..`, or with [`root`](Command::root). At spawn:
    /// [`SpawnStep::Filesystem`](crate::SpawnStep::Filesystem) with the kernel's errno and
    /// the operation as bwrap's option in the target (`--ro-bind /nonexistent /x`):
    /// [`NotFound`](crate::Reason::NotFound) for a missing bind source (unless
    /// [`optional`](crate::FsOp::optional)), [`InvalidArgument`](crate::Reason::InvalidArgument)
    /// with `EXDEV` for a destination reaching out through a symlink,
    /// [`Unsupported`](crate::Reason::Unsupported) with `ENOSYS` where the new mount API is
    /// missing or blocked.
    pub fn fs(&mut self, op: super::sandbox::FsOp) -> &mut Command {
        self.unshare.insert(Kind::Mnt);
        self.fs.push(op);
        self
    }

    /// The program runs with exactly `caps` (bwrap's `--cap-add`/`--cap-drop`): the
    /// permitted, effective, inheritable and ambient sets become `caps` (as far as the
    /// process has them in its user namespace) after the uid changes, so they survive
    /// `execve` whatever the program's uid (capabilities(7)). With
    /// [`no_new_privs`](Command::no_new_privs), a program that is uid 0 cannot regain the
    /// others at `execve` either. See also
    /// [`bounding_capabilities`](Command::bounding_capabilities).
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Capabilities`](crate::SpawnStep::Capabilities) with the errno
    /// of `capset(2)` or `prctl(PR_CAP_AMBIENT)`.
    pub fn capabilities(&mut self, caps: super::sandbox::Capabilities) -> &mut Command {
        self.capabilities = Some(caps);
        self
    }

    /// Drops every capability not in `caps` from the bounding set
    /// (`prctl(PR_CAPBSET_DROP)`, before the uid changes): no `execve` can grant one of them
    /// again.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Capabilities`](crate::SpawnStep::Capabilities) (`EPERM`
    /// without `CAP_SETPCAP` in the child's user namespace).
    pub fn bounding_capabilities(&mut self, caps: super::sandbox::Capabilities) -> &mut Command {
        self.bounding = Some(caps);
        self
    }

    /// Sets `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS)`): `execve` can never grant more
    /// privileges (setuid bits and file capabilities are ignored). bwrap always sets it.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::NoNewPrivs`](crate::SpawnStep::NoNewPrivs).
    pub fn no_new_privs(&mut self, on: bool) -> &mut Command {
        self.no_new_privs = on;
        self
    }

    /// The program and everything it starts can create no user namespace (bwrap's
    /// `--disable-userns`): the child sets `user.max_user_namespaces` of its new user
    /// namespace to 1 (`/proc/sys/user/max_user_namespaces`, user_namespaces(7)), then, as
    /// its last id change, creates one nested user namespace mapping its own uid and gid,
    /// so the limit is used up and cannot be raised from inside (the program has no
    /// capability in the namespace that holds it). A further `unshare(CLONE_NEWUSER)`
    /// answers `ENOSPC`. Checked before `execve`, as with
    /// [`assert_user_namespaces_disabled`](Command::assert_user_namespaces_disabled).
    /// Needs a new user namespace ([`Kind::User`]).
    ///
    /// # Errors
    ///
    /// Before the clone: [`InvalidArgument`](crate::Reason::InvalidArgument) without a new
    /// user namespace. At spawn:
    /// [`SpawnStep::DisableUserNamespaces`](crate::SpawnStep::DisableUserNamespaces) with
    /// the errno of the sysctl write, `unshare(2)` or the nested maps.
    pub fn disable_user_namespaces(&mut self) -> &mut Command {
        self.disable_userns = true;
        self
    }

    /// Fails the spawn, before `execve`, unless creating a user namespace is refused to
    /// the program (bwrap's `--assert-userns-disabled`), for instance in a joined user
    /// namespace set up by [`disable_user_namespaces`](Command::disable_user_namespaces).
    /// The check is an `unshare(CLONE_NEWUSER)` that must fail.
    ///
    /// # Errors
    ///
    /// At spawn:
    /// [`SpawnStep::AssertUserNamespacesDisabled`](crate::SpawnStep::AssertUserNamespacesDisabled)
    /// ([`InvalidArgument`](crate::Reason::InvalidArgument)) when a user namespace could be
    /// created.
    pub fn assert_user_namespaces_disabled(&mut self) -> &mut Command {
        self.assert_userns_disabled = true;
        self
    }

    /// Runs the program in a new session (`setsid(2)`, bwrap's `--new-session`): it has no
    /// controlling terminal, so it cannot push input to the caller's (`TIOCSTI`).
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Session`](crate::SpawnStep::Session) (`EPERM` for a process
    /// group leader, which a fresh child is not).
    pub fn new_session(&mut self) -> &mut Command {
        self.new_session = true;
        self
    }

    /// Brings up the loopback interface `lo` of the child's new network namespace before the
    /// program runs (adds [`Kind::Net`]), as bwrap does for `--unshare-net`: one rtnetlink
    /// `RTM_NEWLINK` request.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Loopback`](crate::SpawnStep::Loopback) with the kernel's errno.
    pub fn loopback_up(&mut self) -> &mut Command {
        self.unshare.insert(Kind::Net);
        self.loopback_up = true;
        self
    }

    /// The program's `argv[0]` (default: the program as given), as bwrap's `--argv0`.
    pub fn arg0(&mut self, arg0: impl AsRef<OsStr>) -> &mut Command {
        self.arg0 = Some(arg0.as_ref().to_owned());
        self
    }

    /// Before `execve` (after everything else but seccomp), waits until `fd` has a byte to
    /// read or reaches end-of-file, as bwrap's `--block-fd` (the child holds its own copy of
    /// every descriptor of the caller until `execve`, so for a pipe made for the purpose,
    /// write a byte rather than closing the write end). Several are waited on in the order
    /// given.
    ///
    /// [`spawn`](Command::spawn) returns only once the program runs, so the byte must come
    /// from another process or thread (a supervisor that was handed the pid, e.g. through
    /// [`info_fd`](Command::info_fd)); writing it after `spawn` on the same thread
    /// deadlocks.
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Block`](crate::SpawnStep::Block) with the errno of `read(2)`.
    pub fn block_on(&mut self, fd: OwnedFd) -> &mut Command {
        self.block.push(fd);
        self
    }

    /// The caller writes the new user namespace's id maps itself (bwrap's
    /// `--userns-block-fd`): once the child's namespaces exist and the records of
    /// [`info_fd`](Command::info_fd) / [`json_status_fd`](Command::json_status_fd) are
    /// written, the spawn waits until `fd` has a byte to read or reaches end-of-file before
    /// the child goes on to its set-up; in between, whoever read the child's pid writes
    /// `/proc/PID/uid_map` and `gid_map` (with `newuidmap`, say). lxns then writes no map of
    /// its own. Needs a new user namespace ([`Kind::User`]).
    ///
    /// As with [`block_on`](Command::block_on), the byte must come from another process or
    /// thread.
    ///
    /// # Errors
    ///
    /// Before the clone: [`InvalidArgument`](crate::Reason::InvalidArgument) without a new
    /// user namespace, or with maps of lxns's ([`uid_map`](Command::uid_map),
    /// [`map_root`](Command::map_root) …). At spawn:
    /// [`SpawnStep::Block`](crate::SpawnStep::Block) with the errno of `read(2)`.
    pub fn user_namespace_block_fd(&mut self, fd: OwnedFd) -> &mut Command {
        self.userns_block = Some(fd);
        self
    }

    /// Writes bwrap's `--info-fd` record to `fd` once the child's namespaces exist and
    /// before its program runs, then closes `fd`: a JSON object with `child-pid` (in the
    /// caller's pid namespace) and the inode of each `cgroup`, `ipc`, `mnt`, `net`, `pid`
    /// and `uts` namespace created for it (`"net-namespace": 4026532008`), one field a line,
    /// as bwrap writes it.
    ///
    /// The program does not start before the record is written. The descriptor is used by
    /// the next spawn only (it is moved into it).
    ///
    /// # Errors
    ///
    /// At spawn: [`SpawnStep::Info`](crate::SpawnStep::Info) with the errno of `write(2)`
    /// (`EPIPE` if the reader went away); the child is killed and reaped.
    pub fn info_fd(&mut self, fd: OwnedFd) -> &mut Command {
        self.info = Some(File::from(fd));
        self
    }

    /// bwrap's `--json-status-fd`: the same record as [`info_fd`](Command::info_fd) on one
    /// line before the program runs, then `{ "exit-code": N }` on a line of its own when
    /// the [`Child`] is reaped by [`wait`](Child::wait) or
    /// [`try_wait`](Child::try_wait) (`N` is the exit status, or 128 + the signal that
    /// ended the program, as bwrap reports it). The descriptor is closed after that line,
    /// or when the `Child` is dropped.
    ///
    /// # Errors
    ///
    /// As for [`info_fd`](Command::info_fd). A failing write of the exit line is ignored
    /// (the status is still returned).
    pub fn json_status_fd(&mut self, fd: OwnedFd) -> &mut Command {
        self.json_status = Some(File::from(fd));
        self
    }

    /// Installs a classic BPF seccomp program (bytes: `struct sock_filter` instructions, 8
    /// bytes each, native byte order, as bwrap's `--seccomp FD` reads them) just before
    /// `execve`, after every other step; several are installed in order (bwrap's
    /// `--add-seccomp-fd`). Without `CAP_SYS_ADMIN` in the child's user namespace, set
    /// [`no_new_privs`](Command::no_new_privs) too.
    ///
    /// # Errors
    ///
    /// Before the clone: [`InvalidArgument`](crate::Reason::InvalidArgument) for bytes that
    /// are not whole instructions (or more than 4096). At spawn:
    /// [`SpawnStep::Seccomp`](crate::SpawnStep::Seccomp) with the kernel's errno (`EINVAL`
    /// for a program the kernel's checker refuses, `EACCES` without `no_new_privs` or the
    /// capability).
    pub fn seccomp(&mut self, program: &[u8]) -> &mut Command {
        match super::sandbox::SeccompProgram::from_bytes(program) {
            Ok(p) => self.seccomp.push(p),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
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

    /// Offset of `CLOCK_MONOTONIC` in a new time namespace (adds [`Kind::Time`]).
    pub fn monotonic_offset(&mut self, secs: i64, nanos: i64) -> &mut Command {
        self.unshare.insert(Kind::Time);
        self.time.monotonic = Some((secs, nanos));
        self
    }

    /// Offset of `CLOCK_BOOTTIME` in a new time namespace (adds [`Kind::Time`]).
    pub fn boottime_offset(&mut self, secs: i64, nanos: i64) -> &mut Command {
        self.unshare.insert(Kind::Time);
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

    /// The program.
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// Starts the child and returns it once the program is running (`execve` succeeded).
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for an inconsistent command (see [`Command`]), a NUL
    ///    byte in a string, or an invalid map; nothing was started.
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) (`Op::Spawn(SpawnStep::Exec)`) when the program does not
    ///    exist; [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) when it cannot be executed.
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) when creating or joining a namespace or writing a map
    ///    needs privilege the caller lacks (the hint says which); [`Reason::LimitReached`](crate::Reason::LimitReached) at
    ///    a `max_*_namespaces` limit; [`Reason::Unsupported`](crate::Reason::Unsupported) for a kind this kernel lacks.
    ///  - Any other failed step as [`Reason::Os`](crate::Reason::Os) with `Op::Spawn(step)`, for example
    ///    `PivotRoot` when the new root is on a shared mount.
    ///
    /// When an error is returned the child, if one was created, has been killed and reaped.
    ///
    /// # References
    ///  - [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html)
    pub fn spawn(&mut self) -> Result<Child> {
        super::parent::spawn(self)
    }

    /// Runs the program to completion with inherited streams and returns its status.
    ///
    /// # Errors
    /// As for [`spawn`](Command::spawn), and [`Reason::Os`](crate::Reason::Os) if waiting fails.
    pub fn status(&mut self) -> Result<ExitStatus> {
        super::parent::spawn(self)?.wait()
    }

    /// Runs the program to completion, collecting its standard output and error (standard
    /// input is `/dev/null` unless set).
    ///
    /// # Errors
    /// As for [`status`](Command::status), and [`Reason::Os`](crate::Reason::Os) if reading the pipes fails.
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
        let result = super::parent::spawn(self);
        for (slot, default) in self.stdio.iter_mut().zip(defaults) {
            if default {
                *slot = None;
            }
        }
        result?.wait_with_output()
    }
}
