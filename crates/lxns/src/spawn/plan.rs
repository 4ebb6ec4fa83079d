//! The plan of a spawn: the command validated, and everything the child will need
//! allocated or opened *before* the clone (the child may not allocate).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, OsStr, OsString, c_char};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno as RErrno;
use rustix::mount::MountPropagationFlags;
use rustix::pipe::PipeFlags;
use rustix::process::PidfdFlags;

use super::SpawnStep;
use super::command::{Command, Propagation, StdioKind, TimeOffsets};
use super::report::{cstring, invalid};
use crate::error::{Error, Op, Result, Target};
use crate::idmap::{IdMap, MapWriter, Maps, effective_ids};
use crate::kind::Kind;
use crate::sys::spawn::{self as sys, CloneApi, SigMask};

/// Everything a child's plan points into, kept alive in the parent until the child has
/// exec'd.
#[derive(Debug)]
pub(super) struct Prepared {
    pub api: CloneApi,
    exec_paths: Vec<CString>,
    argv: Vec<CString>,
    envp: Vec<CString>,
    hostname: Option<Vec<u8>>,
    domainname: Option<Vec<u8>>,
    root: Option<CString>,
    proc_mount: Option<CString>,
    binfmt_mount: Option<CString>,
    /// `register` beside `binfmt_mount`, and the format to write.
    binfmt_register: Option<(CString, Vec<u8>)>,
    /// For a fixed format with a new root: the mount point and its `register`, before the
    /// pivot.
    binfmt_early: Option<(CString, CString)>,
    cwd: Option<CString>,
    cwd_candidates: Vec<CString>,
    uid: Option<u32>,
    gid: Option<u32>,
    keep_caps: bool,
    fs: Vec<super::sandbox::Step>,
    capabilities: Option<u64>,
    bounding: Option<u64>,
    new_session: bool,
    loopback_up: bool,
    no_new_privs: bool,
    disable_userns: bool,
    assert_userns_disabled: bool,
    block: Vec<OwnedFd>,
    seccomp: Vec<super::sandbox::SeccompProgram>,
    propagation: Option<MountPropagationFlags>,
    time_offsets: Option<Vec<u8>>,
    /// The cgroup directory (`CLONE_INTO_CGROUP`), with [`CloneApi::Clone3`].
    pub cgroup: Option<OwnedFd>,
    /// Its `cgroup.procs`, for the parent to write the child's pid into, with
    /// [`CloneApi::Clone`].
    pub cgroup_procs: Option<File>,
    pub parent_pidfd: Option<OwnedFd>,
    /// Child-side stdio fds, and the caller's ends of piped ones.
    pub child_stdio: [Option<OwnedFd>; 3],
    pub parent_stdio: [Option<OwnedFd>; 3],
    /// The id maps when the child can write them itself (see [`own_maps`]): `setgroups`,
    /// `uid_map`, `gid_map` text. The parent then has nothing to write.
    pub own_maps: Option<[Option<Vec<u8>>; 3]>,
}

/// The argument and environment vectors of a [`Prepared`], as the child reads them.
pub(super) struct Vectors<'a> {
    exec_paths: Vec<&'a CStr>,
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    /// For each candidate path: `/bin/sh PATH ARGS…`, for a file the kernel will not run
    /// (`ENOEXEC`: a script without `#!`), as execvp(3) and the shell run it.
    script_argv: Vec<Vec<*const c_char>>,
}

impl Prepared {
    /// Candidate paths, and null-terminated argv and envp pointing into `self`.
    pub fn vectors(&self) -> Vectors<'_> {
        let null_terminated = |v: &[CString]| {
            v.iter()
                .map(|a| a.as_ptr())
                .chain([std::ptr::null()])
                .collect()
        };
        let script_argv = self
            .exec_paths
            .iter()
            .map(|path| {
                [sys::SHELL.as_ptr(), path.as_ptr()]
                    .into_iter()
                    .chain(self.argv.iter().skip(1).map(|a| a.as_ptr()))
                    .chain([std::ptr::null()])
                    .collect()
            })
            .collect();
        Vectors {
            exec_paths: self.exec_paths.iter().map(CString::as_c_str).collect(),
            argv: null_terminated(&self.argv),
            envp: null_terminated(&self.envp),
            script_argv,
        }
    }

    /// The set-up steps the child (or the process itself, in place) runs before `execve`.
    pub fn setup<'a>(&'a self, v: &'a Vectors<'a>, exec_mask: SigMask) -> sys::Setup<'a> {
        let fd = |i: usize| {
            self.child_stdio
                .get(i)
                .and_then(|f| f.as_ref().map(AsFd::as_fd))
        };
        sys::Setup {
            time_offsets: self.time_offsets.as_deref(),
            hostname: self.hostname.as_deref(),
            domainname: self.domainname.as_deref(),
            propagation: self.propagation,
            root: self.root.as_deref(),
            proc_mount: self.proc_mount.as_deref(),
            binfmt_mount: self.binfmt_mount.as_deref(),
            binfmt_register: self
                .binfmt_register
                .as_ref()
                .map(|(path, spec)| (path.as_c_str(), spec.as_slice())),
            binfmt_early: self
                .binfmt_early
                .as_ref()
                .map(|(dir, register)| (dir.as_c_str(), register.as_c_str())),
            cwd: self.cwd.as_deref(),
            cwd_candidates: &self.cwd_candidates,
            uid: self.uid,
            gid: self.gid,
            keep_caps: self.keep_caps,
            fs: &self.fs,
            capabilities: self.capabilities,
            bounding: self.bounding,
            new_session: self.new_session,
            loopback_up: self.loopback_up,
            no_new_privs: self.no_new_privs,
            disable_userns: self.disable_userns,
            assert_userns_disabled: self.assert_userns_disabled,
            block: &self.block,
            seccomp: &self.seccomp,
            stdio: [fd(0), fd(1), fd(2)],
            exec_paths: &v.exec_paths,
            argv: &v.argv,
            envp: &v.envp,
            script_argv: &v.script_argv,
            exec_mask,
        }
    }
}

/// The id maps of `cmd`.
pub(super) fn maps(cmd: &Command) -> Maps<'_> {
    Maps {
        uid: cmd.uid_map.as_ref(),
        gid: cmd.gid_map.as_ref(),
        setgroups: cmd.setgroups,
        writer: cmd.map_writer,
    }
}

/// Validates `cmd` and prepares everything its child needs, for processes created with
/// `api`. Nothing is started.
pub(super) fn prepare(cmd: &mut Command, api: CloneApi) -> Result<Prepared> {
    if let Some(e) = cmd.error.take() {
        return Err(e);
    }
    check_kinds(cmd)?;
    check_uts(cmd)?;
    check_maps(cmd)?;
    check_persist(cmd, api)?;
    let (argv, envp, exec_paths) = vectors(cmd)?;
    check_root(cmd.root.as_deref())?;
    if cmd.userns_block.is_some() && (!cmd.unshare.contains(Kind::User) || maps(cmd).any()) {
        return Err(invalid(
            "user_namespace_block_fd is for a new user namespace (unshare Kind::User) whose \
             maps the caller writes itself: set no uid_map, gid_map or map_* with it",
        ));
    }
    if cmd.disable_userns && !cmd.unshare.contains(Kind::User) {
        return Err(invalid(
            "disable_user_namespaces needs a new user namespace (unshare Kind::User): the \
             limit it sets is that namespace's",
        ));
    }
    if cmd.root.is_some() && !cmd.fs.is_empty() {
        return Err(invalid(
            "a new root directory and sandbox filesystem operations are exclusive: bind the \
             directory with FsOp::bind(dir, \"/\") instead",
        ));
    }
    let path_c = |p: &Option<PathBuf>, what: &str| -> Result<Option<CString>> {
        p.as_ref()
            .map(|p| cstring(p.as_os_str().as_bytes(), what))
            .transpose()
    };
    let (cgroup, cgroup_procs) = open_cgroup(cmd.cgroup.as_deref(), api)?;
    let parent_pidfd = cmd
        .parent_death
        .map(|_| {
            rustix::process::pidfd_open(rustix::process::getpid(), PidfdFlags::empty())
                .map_err(|e| Error::os(Op::OpenProcess, None, Target::None, e.into()))
        })
        .transpose()?;
    let (child_stdio, parent_stdio) = stdio(cmd)?;
    let (binfmt_register, binfmt_early) = binfmt(cmd)?;
    // clone(2) cannot create a time namespace: the child makes it itself.
    let own_time = api == CloneApi::Clone && cmd.unshare.contains(Kind::Time);
    Ok(Prepared {
        api,
        exec_paths,
        argv,
        envp,
        hostname: cmd.hostname.as_ref().map(|s| s.as_bytes().to_vec()),
        domainname: cmd.domainname.as_ref().map(|s| s.as_bytes().to_vec()),
        root: path_c(&cmd.root, "the root directory")?,
        proc_mount: path_c(&cmd.proc_mount, "the proc mount point")?,
        binfmt_mount: path_c(&cmd.binfmt_mount, "the binfmt_misc mount point")?,
        binfmt_register,
        binfmt_early,
        cwd: path_c(&cmd.cwd, "the working directory")?,
        cwd_candidates: cmd
            .cwd_candidates
            .iter()
            .map(|d| cstring(d.as_os_str().as_bytes(), "a working directory"))
            .collect::<Result<_>>()?,
        uid: cmd.uid,
        gid: cmd.gid,
        keep_caps: cmd.keep_caps,
        fs: super::sandbox::prepare(
            &mut cmd.fs,
            cmd.unshare.contains(Kind::Pid) || cmd.joins.kinds().contains(Kind::Pid),
        )?,
        capabilities: cmd.capabilities.map(super::sandbox::Capabilities::bits),
        bounding: cmd.bounding.map(super::sandbox::Capabilities::bits),
        new_session: cmd.new_session,
        loopback_up: cmd.loopback_up,
        no_new_privs: cmd.no_new_privs,
        disable_userns: cmd.disable_userns,
        assert_userns_disabled: cmd.assert_userns_disabled,
        block: cmd
            .block
            .iter()
            .map(|fd| {
                fd.try_clone()
                    .map_err(|e| Error::from_io(Op::Spawn(SpawnStep::Prepare), Target::None, &e))
            })
            .collect::<Result<_>>()?,
        seccomp: cmd.seccomp.clone(),
        propagation: propagation_flags(cmd),
        time_offsets: time_text(cmd.time).or_else(|| own_time.then(Vec::new)),
        cgroup,
        cgroup_procs,
        parent_pidfd,
        child_stdio,
        parent_stdio,
        own_maps: own_maps(cmd),
    })
}

/// The id maps as the child writes them for itself, when it can: the kernel lets a process
/// in a new user namespace write a one-line map of its own effective uid, and of its own
/// effective gid once `setgroups` is denied (user_namespaces(7), "Defining user and group
/// ID mappings"). bwrap's maps are these, as are `unshare -r`'s and `map_user_as`'s. The
/// parent then takes no part: no round trip before the child goes on. Not when the ids are
/// set through a joined user namespace or an owner (an intermediate process), nor with the
/// setuid helpers.
fn own_maps(cmd: &Command) -> Option<[Option<Vec<u8>>; 3]> {
    let maps = maps(cmd);
    if !cmd.unshare.contains(Kind::User)
        || !maps.any()
        || cmd.owner.is_some()
        || !cmd.joins.is_empty()
        || maps.writer == MapWriter::Helper
    {
        return None;
    }
    let (euid, egid) = effective_ids();
    if !maps.own_ids_only(euid, egid) {
        return None;
    }
    let setgroups = maps.setgroups.map(|v| v.as_str().as_bytes().to_vec());
    let text = |m: Option<&IdMap>| m.map(|m| m.to_string().into_bytes());
    Some([setgroups, text(maps.uid), text(maps.gid)])
}

/// `register` of the `binfmt_misc` mount and the format to write there; for a fixed (`F`)
/// format with a new root, also the mount point and `register` to use before the pivot.
#[allow(clippy::type_complexity)]
fn binfmt(cmd: &Command) -> Result<(Option<(CString, Vec<u8>)>, Option<(CString, CString)>)> {
    let Some(spec) = &cmd.binfmt_register else {
        return Ok((None, None));
    };
    let spec = spec.as_bytes();
    let register = |dir: &Path| {
        let mut path = dir.as_os_str().as_bytes().to_vec();
        path.extend_from_slice(b"/register");
        cstring(&path, "the binfmt_misc register file")
    };
    let dir = cmd
        .binfmt_mount
        .as_deref()
        .unwrap_or(Path::new(super::command::BINFMT_MISC));
    let early = if cmd.root.is_some() && binfmt_is_fixed(spec) {
        let at = Path::new(super::command::BINFMT_MISC);
        Some((
            cstring(at.as_os_str().as_bytes(), "the binfmt_misc mount point")?,
            register(at)?,
        ))
    } else {
        None
    };
    Ok((Some((register(dir)?, spec.to_vec())), early))
}

/// Whether a binfmt_misc format (`:name:type:offset:magic:mask:interpreter:flags`, the first
/// byte being the separator) has the `F` (fix binary) flag: the kernel then opens the
/// interpreter when the format is registered.
pub(super) fn binfmt_is_fixed(spec: &[u8]) -> bool {
    let Some((&sep, rest)) = spec.split_first() else {
        return false;
    };
    rest.split(|&b| b == sep)
        .nth(6)
        .is_some_and(|flags| flags.contains(&b'F'))
}

/// The same kind both joined and created (pid excepted: joining one and creating a nested
/// one is how `unshare -p` inside a container works), and the joins' count.
fn check_kinds(cmd: &Command) -> Result<()> {
    let joined = cmd.joins.kinds();
    for kind in cmd.unshare.iter() {
        if joined.contains(kind) && kind != Kind::Pid {
            return Err(invalid(format!(
                "the {kind} namespace is both joined and created; choose one"
            )));
        }
    }
    Ok(())
}

/// The kernel's limit for a host or domain name: `__NEW_UTS_LEN`, 64 bytes (sethostname(2)
/// answers a bare `EINVAL` past it).
const UTS_LEN: usize = 64;

/// Host and domain names the kernel would refuse.
fn check_uts(cmd: &Command) -> Result<()> {
    for (name, what) in [
        (&cmd.hostname, "hostname"),
        (&cmd.domainname, "domain name"),
    ] {
        if let Some(n) = name {
            if n.len() > UTS_LEN {
                return Err(Error::invalid_argument(
                    Op::Spawn(if what == "hostname" {
                        SpawnStep::Hostname
                    } else {
                        SpawnStep::Domainname
                    }),
                    Target::Text(n.to_string_lossy().into_owned()),
                    format!(
                        "a {what} is at most {UTS_LEN} bytes (this one has {})",
                        n.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Maps that are empty, invalid, or that the kernel will refuse for this caller.
fn check_maps(cmd: &Command) -> Result<()> {
    for (map, what) in [(&cmd.uid_map, "uid map"), (&cmd.gid_map, "gid map")] {
        if let Some(m) = map {
            if m.is_empty() {
                return Err(invalid(format!("the {what} is empty")));
            }
            m.validate()?;
        }
    }
    if let Some(why) = maps(cmd).refused() {
        return Err(Error::invalid_argument(
            Op::Spawn(SpawnStep::Maps),
            Target::None,
            why.into(),
        ));
    }
    Ok(())
}

/// Persisted kinds must be created, before the program runs.
fn check_persist(cmd: &Command, api: CloneApi) -> Result<()> {
    for (kind, path) in &cmd.persist {
        let refuse = |reason: String| {
            Error::invalid_argument(Op::Persist, Target::Path(path.clone()), reason)
        };
        if !cmd.unshare.contains(*kind) {
            return Err(refuse(format!(
                "only a new namespace can be persisted: add Kind::{kind:?}"
            )));
        }
        if *kind == Kind::Time && cmd.time != TimeOffsets::default() {
            return Err(refuse(
                "a time namespace with clock offsets is created after the clone and cannot \
                 be persisted before the program runs"
                    .into(),
            ));
        }
        if *kind == Kind::Time && api == CloneApi::Clone {
            return Err(refuse(
                "clone3 is blocked here (a seccomp filter answers ENOSYS or EPERM), and \
                 without it a new time namespace is made by the child after the clone, too \
                 late to persist; persist it from a process that may use clone3"
                    .into(),
            ));
        }
    }
    Ok(())
}

type Vecs = (Vec<CString>, Vec<CString>, Vec<CString>);

/// argv, envp and the candidate paths (`$PATH` entries for a program without a slash).
fn vectors(cmd: &Command) -> Result<Vecs> {
    let program = cmd.program.as_bytes();
    if program.is_empty() {
        return Err(Error::not_found(
            Op::Spawn(SpawnStep::Exec),
            None,
            Target::Path(PathBuf::new()),
        )
        .with_errno(None));
    }
    let mut argv = Vec::with_capacity(cmd.args.len() + 1);
    let arg0 = cmd.arg0.as_ref().map_or(program, |a| a.as_bytes());
    argv.push(cstring(arg0, "the program name")?);
    for a in &cmd.args {
        argv.push(cstring(a.as_bytes(), "an argument")?);
    }
    let env = environment(cmd);
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
    let exec_paths = candidates(
        program,
        env.get(OsStr::new("PATH")).map(OsString::as_os_str),
    )?;
    Ok((argv, envp, exec_paths))
}

/// The child's environment: the caller's (unless cleared) with the command's changes.
fn environment(cmd: &Command) -> BTreeMap<OsString, OsString> {
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
    env
}

/// The paths `execvp` would try for `program`.
fn candidates(program: &[u8], path: Option<&OsStr>) -> Result<Vec<CString>> {
    if program.contains(&b'/') {
        return Ok(vec![cstring(program, "the program name")?]);
    }
    let path = path.map_or(&b"/usr/local/bin:/usr/bin:/bin"[..], OsStr::as_bytes);
    path.split(|b| *b == b':')
        .map(|dir| {
            let mut full = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            full.push(b'/');
            full.extend_from_slice(program);
            cstring(&full, "a PATH entry")
        })
        .collect()
}

/// A new root must be an existing directory.
fn check_root(root: Option<&Path>) -> Result<()> {
    let Some(root) = root else { return Ok(()) };
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::invalid_argument(
            Op::Spawn(SpawnStep::Prepare),
            Target::Path(root.to_owned()),
            "the new root is not a directory".into(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::not_found(
            Op::Spawn(SpawnStep::RootBind),
            Some(Kind::Mnt),
            Target::Path(root.to_owned()),
        )),
        Err(_) => Ok(()),
    }
}

/// The `timens_offsets` text for the clock offsets, if any.
fn time_text(time: TimeOffsets) -> Option<Vec<u8>> {
    (time != TimeOffsets::default()).then(|| {
        let mut text = String::new();
        if let Some((s, n)) = time.monotonic {
            text.push_str(&format!("monotonic {s} {n}\n"));
        }
        if let Some((s, n)) = time.boottime {
            text.push_str(&format!("boottime {s} {n}\n"));
        }
        text.into_bytes()
    })
}

/// The cgroup: its directory for `CLONE_INTO_CGROUP`, or (without clone3) its
/// `cgroup.procs` for the parent to write.
fn open_cgroup(dir: Option<&Path>, api: CloneApi) -> Result<(Option<OwnedFd>, Option<File>)> {
    let Some(dir) = dir else {
        return Ok((None, None));
    };
    let error = |e: RErrno, path: &Path| match e {
        RErrno::NOENT => Error::not_found(
            Op::Spawn(SpawnStep::Prepare),
            Some(Kind::Cgroup),
            Target::Path(path.to_owned()),
        ),
        e => Error::os(
            Op::Spawn(SpawnStep::Prepare),
            Some(Kind::Cgroup),
            Target::Path(path.to_owned()),
            e.into(),
        ),
    };
    let fd = rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| error(e, dir))?;
    if api == CloneApi::Clone3 {
        return Ok((Some(fd), None));
    }
    let procs = rustix::fs::openat(
        fd,
        "cgroup.procs",
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| error(e, &dir.join("cgroup.procs")))?;
    Ok((None, Some(File::from(procs))))
}

type StdioFds = ([Option<OwnedFd>; 3], [Option<OwnedFd>; 3]);

/// The child's standard streams, and the caller's ends of piped ones.
fn stdio(cmd: &mut Command) -> Result<StdioFds> {
    let mut child: [Option<OwnedFd>; 3] = [None, None, None];
    let mut parent: [Option<OwnedFd>; 3] = [None, None, None];
    let pipe_err = |e: RErrno| Error::os(Op::Spawn(SpawnStep::Stdio), None, Target::None, e.into());
    for (i, ((cfg, c), p)) in cmd
        .stdio
        .iter_mut()
        .zip(child.iter_mut())
        .zip(parent.iter_mut())
        .enumerate()
    {
        let Some(cfg) = cfg else { continue };
        match &mut cfg.0 {
            StdioKind::Inherit => {}
            StdioKind::Null => {
                *c = Some(
                    rustix::fs::open(c"/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
                        .map_err(pipe_err)?,
                );
            }
            StdioKind::Piped => {
                let (r, w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(pipe_err)?;
                let (ours, theirs) = if i == 0 { (w, r) } else { (r, w) };
                *c = Some(theirs);
                *p = Some(ours);
            }
            StdioKind::Fd(fd) => {
                *c = Some(fd.try_clone().map_err(|e| {
                    Error::from_io(Op::Spawn(SpawnStep::Stdio), Target::Fd(fd.as_raw_fd()), &e)
                })?);
            }
        }
    }
    Ok((child, parent))
}

/// The propagation to apply to `/`: only in a new mount namespace.
/// With filesystem operations (a sandbox root), nothing may propagate back to the caller:
/// `/` becomes private or, for any other choice, a slave of the caller's mounts (bwrap's
/// `MS_SLAVE | MS_REC`), in one `mount(2)` call.
pub(super) fn propagation_flags(cmd: &Command) -> Option<MountPropagationFlags> {
    match cmd.propagation {
        _ if !cmd.unshare.contains(Kind::Mnt) => None,
        Propagation::Private => Some(MountPropagationFlags::PRIVATE),
        _ if !cmd.fs.is_empty() => Some(MountPropagationFlags::DOWNSTREAM),
        Propagation::Slave => Some(MountPropagationFlags::DOWNSTREAM),
        Propagation::Shared => Some(MountPropagationFlags::SHARED),
        Propagation::Unchanged => None,
    }
}

/// Whether the child must wait for its parent's part before going on: id maps to write
/// (unless it writes its own), namespaces to persist, or a cgroup the parent places it in
/// (without `clone3`).
pub(super) fn needs_go(cmd: &Command, prep: &Prepared) -> bool {
    (maps(cmd).any() && prep.own_maps.is_none())
        || !cmd.persist.is_empty()
        || prep.cgroup_procs.is_some()
        || cmd.info.is_some()
        || cmd.json_status.is_some()
        || cmd.userns_block.is_some()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Namespace;
    use crate::idmap::Setgroups;

    fn texts(cmd: &Command) -> Option<[Option<String>; 3]> {
        own_maps(cmd).map(|t| t.map(|b| b.map(|b| String::from_utf8(b).unwrap())))
    }

    /// The child writes its maps itself exactly when the kernel lets it: one line of its
    /// own uid, of its own gid with setgroups denied, no helper, owner or joined namespace.
    #[test]
    fn the_child_writes_only_the_maps_the_kernel_lets_it_write() {
        let (euid, egid) = effective_ids();
        let mut own = Command::new("/bin/true");
        own.map_root();
        assert_eq!(
            texts(&own),
            Some([
                Some("deny".into()),
                Some(format!("0 {euid} 1\n")),
                Some(format!("0 {egid} 1\n"))
            ])
        );
        let mut as_ids = Command::new("/bin/true");
        as_ids.map_user_as(7, 8);
        assert_eq!(
            texts(&as_ids).map(|t| t[1].clone()),
            Some(Some(format!("7 {euid} 1\n")))
        );
        let other = euid.wrapping_add(1);
        let mut not_own = Command::new("/bin/true");
        not_own
            .unshare(Kind::User)
            .uid_map(format!("0 {other} 1").parse().unwrap());
        assert_eq!(texts(&not_own), None);
        let mut two_ids = Command::new("/bin/true");
        two_ids
            .unshare(Kind::User)
            .uid_map(format!("0 {euid} 2").parse().unwrap());
        assert_eq!(texts(&two_ids), None);
        let mut allowed = Command::new("/bin/true");
        allowed.map_root().setgroups(Setgroups::Allow);
        assert_eq!(texts(&allowed), None, "a gid map needs setgroups denied");
        let mut helper = Command::new("/bin/true");
        helper.map_root().map_writer(MapWriter::Helper);
        assert_eq!(texts(&helper), None);
        let mut owner = Command::new("/bin/true");
        owner.map_root().user_namespace_owner(euid, egid);
        assert_eq!(texts(&owner), None);
        let mut joined = Command::new("/bin/true");
        joined
            .map_root()
            .join(&Namespace::current(Kind::Uts).unwrap());
        assert_eq!(texts(&joined), None);
        let mut none = Command::new("/bin/true");
        none.unshare(Kind::User);
        assert_eq!(texts(&none), None, "nothing to write");
    }

    /// With its own maps and nothing else for the parent, the child does not wait for a go
    /// byte; with maps the parent writes, it does.
    #[test]
    fn no_round_trip_with_the_childs_own_maps() {
        let mut own = Command::new("/bin/true");
        own.map_root();
        let prep = prepare(&mut own, CloneApi::Clone3).unwrap();
        assert!(prep.own_maps.is_some());
        assert!(!needs_go(&own, &prep));
        let mut helper = Command::new("/bin/true");
        helper.map_root().map_writer(MapWriter::Helper);
        let prep = prepare(&mut helper, CloneApi::Clone3).unwrap();
        assert!(needs_go(&helper, &prep));
    }
}

#[cfg(test)]
mod userns_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The limit is the new user namespace's: without one, refused before any process.
    #[test]
    fn disabling_user_namespaces_needs_a_new_one() {
        let mut cmd = Command::new("/bin/true");
        cmd.unshare(Kind::Mnt).disable_user_namespaces();
        let err = prepare(&mut cmd, CloneApi::Clone3).unwrap_err();
        assert!(
            matches!(err.reason(), crate::Reason::InvalidArgument { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("new user namespace"), "{err}");
        let mut ok = Command::new("/bin/true");
        ok.map_root().disable_user_namespaces();
        assert!(prepare(&mut ok, CloneApi::Clone3).is_ok());
    }

    /// The caller writes the maps with a user-namespace block fd: not with lxns's own maps,
    /// nor without a new user namespace; the child then waits for the parent.
    #[test]
    fn a_userns_block_fd_excludes_maps_of_our_own() {
        let fd = || {
            let (r, _w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).unwrap();
            r
        };
        let mut mapped = Command::new("/bin/true");
        mapped.map_root().user_namespace_block_fd(fd());
        assert!(prepare(&mut mapped, CloneApi::Clone3).is_err());
        let mut no_userns = Command::new("/bin/true");
        no_userns.unshare(Kind::Net).user_namespace_block_fd(fd());
        assert!(prepare(&mut no_userns, CloneApi::Clone3).is_err());
        let mut ok = Command::new("/bin/true");
        ok.unshare(Kind::User).user_namespace_block_fd(fd());
        let prep = prepare(&mut ok, CloneApi::Clone3).unwrap();
        assert!(needs_go(&ok, &prep));
    }
}
