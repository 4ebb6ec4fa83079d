//! `lxns enter`: run a command in the namespaces of a process or of namespace files,
//! nsenter(1)-compatible.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lxns::{JoinPlan, Kind, KindSet, Namespace, Process};
use rustix::fs::{Mode, OFlags};

/// Run a program in the namespaces of another process (like nsenter).
///
/// Each namespace option takes an optional =FILE (a /proc/PID/ns/* link or a bind mount of
/// one); without it, the namespace of the --target process is entered. Namespaces of the
/// target are joined all at once through a pidfd. When a pid namespace is entered, the
/// program runs as a child (so that it is in that namespace), unless --no-fork.
///
/// Differs from nsenter on purpose: a namespace the caller is already in is left out, so
/// `-U` into one's own user namespace is not an error (nsenter fails with EINVAL).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The process whose namespaces (and root, working directory) to use.
    #[arg(short = 't', long = "target", value_name = "PID", value_parser = super::pid)]
    target: Option<i32>,
    /// Enter all namespaces of the target (those it shares with us are left out).
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// Enter the mount namespace (=FILE, or =:ID, the kernel's namespace id, Linux 6.18+;
    /// the same for every kind).
    #[arg(short = 'm', long = "mount", value_name = "FILE|:ID", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    mount: Option<OsString>,
    /// Enter the UTS namespace.
    #[arg(short = 'u', long = "uts", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    uts: Option<OsString>,
    /// Enter the IPC namespace.
    #[arg(short = 'i', long = "ipc", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    ipc: Option<OsString>,
    /// Enter the network namespace.
    #[arg(short = 'n', long = "net", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    net: Option<OsString>,
    /// Enter the PID namespace (the program runs as a child in it).
    #[arg(short = 'p', long = "pid", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pid: Option<OsString>,
    /// Enter the user namespace (and become uid/gid 0 there unless --preserve-credentials).
    #[arg(short = 'U', long = "user", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    user: Option<OsString>,
    /// Enter the cgroup namespace.
    #[arg(short = 'C', long = "cgroup", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    cgroup: Option<OsString>,
    /// Enter the time namespace.
    #[arg(short = 'T', long = "time", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    time: Option<OsString>,
    /// The uid to run as in the entered namespaces (`follow`: the target's).
    #[arg(short = 'S', long = "setuid", value_name = "UID", value_parser = parse_id)]
    setuid: Option<Id>,
    /// The gid to run as in the entered namespaces, supplementary groups dropped
    /// (`follow`: the target's).
    #[arg(short = 'G', long = "setgid", value_name = "GID", value_parser = parse_id)]
    setgid: Option<Id>,
    /// Enter the network namespace of the target's socket FD (needs --target; ptrace
    /// access to it, Linux 5.6+).
    #[arg(short = 'N', long = "net-socket", value_name = "FD", requires = "target", value_parser = clap::value_parser!(i32).range(0..))]
    net_socket: Option<i32>,
    /// Keep the capabilities of the entered user namespace across exec (ambient), for a
    /// program that is not uid 0 there.
    #[arg(long = "keep-caps")]
    keep_caps: bool,
    /// Join the target's cgroup (cgroup v2: its cgroup.procs, opened before entering).
    #[arg(short = 'c', long = "join-cgroup", requires = "target")]
    join_cgroup: bool,
    /// Run the program in the target's SELinux context (its /proc/PID/attr/current, set as
    /// our exec context); nothing to do where SELinux is disabled, as in nsenter.
    #[arg(short = 'Z', long = "follow-context")]
    follow_context: bool,
    /// Keep uid and gid when entering a user namespace.
    #[arg(long = "preserve-credentials")]
    preserve_credentials: bool,
    /// Set the root directory (the target's, or DIR opened before entering).
    #[arg(short = 'r', long = "root", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    root: Option<OsString>,
    /// Set the working directory (the target's, or DIR opened before entering).
    #[arg(short = 'w', long = "wd", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "", conflicts_with = "wdns")]
    wd: Option<OsString>,
    /// Set the working directory, resolved after entering and after --root.
    #[arg(short = 'W', long = "wdns", value_name = "DIR")]
    wdns: Option<OsString>,
    /// Do not fork before running the program, even when entering a pid namespace.
    #[arg(short = 'F', long = "no-fork")]
    no_fork: bool,
    /// Enter the parent user namespace: the parent of the user namespace that --user names,
    /// or else the owner of the first other namespace entered (as later nsenter).
    #[arg(long = "user-parent")]
    user_parent: bool,
    /// Give the program the target's environment (read from /proc/PID/environ before
    /// entering) instead of ours.
    #[arg(short = 'e', long = "env", requires = "target")]
    env: bool,
    /// The program and its arguments (default: $SHELL, or /bin/sh).
    /// An option before it that lxns does not know is an error (as in nsenter), never the
    /// program: `lxns enter -t PID -n --bogus ls` fails, `lxns enter -t PID -n ls -l` runs
    /// `ls -l`.
    #[arg(trailing_var_arg = true, value_name = "PROGRAM")]
    command: Vec<OsString>,
}

/// A namespace option's value: `:ID` (later nsenter: the kernel's 64-bit namespace id,
/// `NS_GET_ID`, Linux 6.18+), else a namespace file.
fn open_spec(spec: &OsStr, kind: Kind) -> Result<Namespace> {
    use std::os::unix::ffi::OsStrExt;
    match spec.as_bytes().strip_prefix(b":") {
        Some(id) => {
            let id: u64 = std::str::from_utf8(id)
                .ok()
                .and_then(|t| t.parse().ok())
                .with_context(|| format!("failed to parse nsid: {}", spec.to_string_lossy()))?;
            Ok(Namespace::open_by_id(id, Some(kind))?)
        }
        None => Ok(Namespace::open_as(spec, kind)?),
    }
}

/// A `-S`/`-G` value: a number, or `follow` (the target's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Number(u32),
    Follow,
}

fn parse_id(spec: &str) -> std::result::Result<Id, String> {
    if spec == "follow" {
        return Ok(Id::Follow);
    }
    spec.parse()
        .map(Id::Number)
        .map_err(|_| format!("failed to parse id {spec:?}: a number or follow"))
}

/// The uid and gid of process `pid` (the owner of its /proc directory, as nsenter reads
/// them for `follow`).
fn target_ids(pid: i32) -> Result<(u32, u32)> {
    let st = rustix::fs::stat(format!("/proc/{pid}").as_str())
        .with_context(|| format!("can not get process stat of {pid}"))?;
    Ok((st.st_uid, st.st_gid))
}

/// The target's cgroup v2 `cgroup.procs`, opened for appending before we enter anything (its
/// path is ours to resolve). The cgroup2 mount is found in our mountinfo, so a hybrid host's
/// `/sys/fs/cgroup/unified` serves too (nsenter looks only at `/sys/fs/cgroup`).
fn open_cgroup_procs(pid: i32) -> Result<std::fs::File> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").context("read mountinfo")?;
    let root = mountinfo
        .lines()
        .filter_map(|l| {
            let (fields, fs) = l.split_once(" - ")?;
            let mut f = fields.split(' ');
            let (root, at) = (f.nth(3)?, f.next()?);
            (fs.starts_with("cgroup2 ") && root == "/").then(|| at.to_owned())
        })
        .next()
        .context("--join-cgroup is only supported in cgroup v2 (no cgroup2 mount found)")?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .with_context(|| format!("failed to get cgroup path of {pid}"))?;
    let path = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .with_context(|| format!("failed to get cgroup path of {pid}: no cgroup v2 line"))?;
    let procs = format!("{}{path}/cgroup.procs", root.trim_end_matches('/'));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&procs)
        .with_context(|| format!("failed to open {procs}"))
}

/// nsenter -Z: the target's SELinux context, to become our exec context; `None` where
/// SELinux is disabled (no selinuxfs), where nsenter does nothing either.
fn selinux_context(pid: Option<i32>) -> Result<Option<Vec<u8>>> {
    if !std::path::Path::new("/sys/fs/selinux/enforce").exists() {
        return Ok(None);
    }
    let pid = pid.context("no target PID specified for --follow-context")?;
    let mut context = std::fs::read(format!("/proc/{pid}/attr/current"))
        .with_context(|| format!("failed to get {pid} SELinux context"))?;
    while context.last() == Some(&0) || context.last() == Some(&b'\n') {
        context.pop();
    }
    Ok(Some(context))
}

impl Args {
    /// Every kind with its option: `None` not given, `Some("")` the target's, else a file.
    fn requested(&self) -> [(Kind, Option<&OsStr>); 8] {
        [
            (Kind::User, self.user.as_deref()),
            (Kind::Cgroup, self.cgroup.as_deref()),
            (Kind::Ipc, self.ipc.as_deref()),
            (Kind::Uts, self.uts.as_deref()),
            (Kind::Net, self.net.as_deref()),
            (Kind::Pid, self.pid.as_deref()),
            (Kind::Time, self.time.as_deref()),
            (Kind::Mnt, self.mount.as_deref()),
        ]
    }
}

/// `KEY=VALUE` pairs of `/proc/PID/environ` (NUL-separated bytes; an entry without `=` is
/// passed over, as execve would keep it but no shell could set it).
fn target_environment(pid: i32) -> Result<Vec<(OsString, OsString)>> {
    use std::os::unix::ffi::OsStrExt;
    let raw = std::fs::read(format!("/proc/{pid}/environ"))
        .with_context(|| format!("read the environment of process {pid}"))?;
    Ok(raw
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let at = entry.iter().position(|&b| b == b'=')?;
            let (k, v) = (entry.get(..at)?, entry.get(at + 1..)?);
            (!k.is_empty()).then(|| {
                (
                    OsStr::from_bytes(k).to_owned(),
                    OsStr::from_bytes(v).to_owned(),
                )
            })
        })
        .collect())
}

/// nsenter --user-parent: replaces the user namespace to enter with its parent, or (without
/// --user) adds the owner of the first other namespace to enter.
fn user_parent(
    from_target: &mut KindSet,
    from_files: &mut Vec<Namespace>,
    process: Option<&Process>,
) -> Result<()> {
    let user = if from_target.contains(Kind::User) {
        from_target.remove(Kind::User);
        process.map(|p| p.namespace(Kind::User)).transpose()?
    } else {
        from_files
            .iter()
            .position(|ns| ns.kind() == Kind::User)
            .map(|i| from_files.remove(i))
    };
    let parent = match user {
        Some(user) => user.parent()?,
        None => {
            let other = match (process, from_target.iter().next()) {
                (Some(p), Some(kind)) => p.namespace(kind)?,
                _ => from_files
                    .first()
                    .context("--user-parent needs a namespace to take the user namespace from")?
                    .try_clone()?,
            };
            other.user_namespace()?
        }
    };
    from_files.push(parent);
    Ok(())
}

/// Whether the user namespace this thread is in now denies setgroups (`unshare -r` writes
/// "deny"): read after entering, for a namespace given as a file (no process to ask).
fn setgroups_denied_here() -> bool {
    std::fs::read("/proc/thread-self/setgroups").is_ok_and(|s| s.starts_with(b"deny"))
}

/// Opens a directory to switch to later: `DIR`, or the target's `/proc/PID/{root,cwd}`.
fn open_dir(spec: &OsStr, target: Option<i32>, proc_name: &str, what: &str) -> Result<OwnedFd> {
    let path: OsString = if spec.is_empty() {
        let pid = target.with_context(|| format!("--{what} without a directory needs --target"))?;
        format!("/proc/{pid}/{proc_name}").into()
    } else {
        spec.to_owned()
    };
    rustix::fs::open(
        path.as_os_str(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("open {what} directory {}", path.to_string_lossy()))
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let process = args.target.map(Process::open).transpose()?;
    // nsenter --env: the target's environment, read while its /proc entry is ours to see.
    let environment = match args.target.filter(|_| args.env) {
        Some(pid) => Some(target_environment(pid)?),
        None => None,
    };
    // Namespaces to enter: from files, or from the target.
    let mut from_target = KindSet::EMPTY;
    let mut from_files: Vec<Namespace> = Vec::new();
    for (kind, spec) in args.requested() {
        match spec {
            Some(path) if path.is_empty() => from_target.insert(kind),
            Some(path) => from_files.push(open_spec(path, kind)?),
            None if args.all => from_target.insert(kind),
            None => {}
        }
    }
    if !from_target.is_empty() && process.is_none() {
        bail!("entering the target's namespaces needs --target PID (or give each one as =FILE)");
    }
    if args.user_parent {
        user_parent(&mut from_target, &mut from_files, process.as_ref())?;
    }
    // nsenter -N: the socket's network namespace replaces any other for net.
    if let (Some(fd), Some(p)) = (args.net_socket, &process) {
        from_target.remove(Kind::Net);
        from_files.retain(|ns| ns.kind() != Kind::Net);
        from_files.push(
            p.socket_namespace(fd)
                .with_context(|| format!("enter the network namespace of socket fd {fd}"))?,
        );
    }
    let context = if args.follow_context {
        selinux_context(args.target)?
    } else {
        None
    };
    let cgroup_procs = match args.target.filter(|_| args.join_cgroup) {
        Some(pid) => Some(open_cgroup_procs(pid)?),
        None => None,
    };
    let follow = match args.target {
        Some(pid) if args.setuid == Some(Id::Follow) || args.setgid == Some(Id::Follow) => {
            Some(target_ids(pid)?)
        }
        Some(_) | None => None,
    };
    let resolve = |id: Option<Id>, pick: fn((u32, u32)) -> u32| -> Result<Option<u32>> {
        match id {
            None => Ok(None),
            Some(Id::Number(n)) => Ok(Some(n)),
            Some(Id::Follow) => follow.map(pick).map(Some).context("follow needs --target"),
        }
    };
    let setuid = resolve(args.setuid, |(u, _)| u)?;
    let setgid = resolve(args.setgid, |(_, g)| g)?;
    // nsenter runs the program with `-t PID` alone (entering nothing); without a target
    // there is nothing to say where to run.
    if from_target.is_empty()
        && from_files.is_empty()
        && args.root.is_none()
        && args.wd.is_none()
        && args.target.is_none()
    {
        bail!("nothing to enter: give --target with -a or namespace options, or =FILE paths");
    }
    // lxns's one join plan: what we already share is left out (setns into our own user
    // namespace is EINVAL), mount then user last, EPERM retried after the others.
    let mut plan = JoinPlan::new();
    if let Some(p) = process {
        plan.process(p, from_target);
    }
    for ns in from_files {
        plan.namespace(ns);
    }
    let planned = plan
        .steps()?
        .into_iter()
        .fold(KindSet::EMPTY, |acc, kinds| acc | kinds);
    // Directories are opened before entering: they are "tunnels" back to where we are.
    let root = args
        .root
        .as_deref()
        .map(|r| open_dir(r, args.target, "root", "root"))
        .transpose()?;
    // With --root and no --wd, nsenter keeps the current directory (through an fd opened
    // now, even if it lies outside the new root); so do we.
    let wd = match (&args.wd, &args.root, &args.wdns) {
        (Some(w), _, _) => Some(open_dir(w, args.target, "cwd", "wd")?),
        (None, Some(_), None) => Some(open_dir(OsStr::new("."), None, "cwd", "wd")?),
        _ => None,
    };

    let entering_user = planned.contains(Kind::User);
    let entering_pid = planned.contains(Kind::Pid);

    // Whether the user namespace we are about to join denies setgroups (unshare -r writes
    // "deny"): the target's file, or ours when the namespace comes from a file we cannot map
    // to a process (then setgroups is tried and EPERM reported).
    let setgroups_denied = args
        .target
        .filter(|_| entering_user)
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/setgroups")).ok())
        .is_some_and(|s| s.trim() == "deny");

    // This process has one thread: joining changes it, which is the point.
    plan.enter_current_thread()?;

    // Credentials: nsenter becomes 0:0 in an entered user namespace unless told otherwise.
    let (uid, gid) = if entering_user && !args.preserve_credentials {
        (Some(setuid.unwrap_or(0)), Some(setgid.unwrap_or(0)))
    } else {
        (setuid, setgid)
    };
    if let Some(gid) = gid {
        // A user namespace whose setgroups is "deny" (unshare -r writes it) refuses this;
        // there are no supplementary groups to drop that it would let us keep, so go on.
        // (Read before entering: once in another pid namespace, /proc/self may not resolve.)
        match rustix::thread::set_thread_groups(&[]) {
            Ok(()) => {}
            Err(rustix::io::Errno::PERM) if setgroups_denied || setgroups_denied_here() => {}
            Err(e) => return Err(e).context("drop supplementary groups"),
        }
        let g = rustix::process::Gid::from_raw(gid);
        rustix::thread::set_thread_res_gid(g, g, g).with_context(|| format!("setgid {gid}"))?;
    }
    if let Some(uid) = uid {
        let u = rustix::process::Uid::from_raw(uid);
        rustix::thread::set_thread_res_uid(u, u, u).with_context(|| format!("setuid {uid}"))?;
    }
    if args.keep_caps && entering_user {
        lxns::keep_capabilities_current_thread()?;
    }
    if let Some(mut procs) = cgroup_procs {
        use std::io::Write as _;
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        procs
            .write_all(pid.to_string().as_bytes())
            .context("write cgroup.procs failed")?;
    }
    if let Some(context) = &context {
        std::fs::write("/proc/thread-self/attr/exec", context).with_context(|| {
            format!(
                "failed to set exec context to {:?}",
                String::from_utf8_lossy(context)
            )
        })?;
    }

    if let Some(root) = &root {
        rustix::process::fchdir(root).context("change to the new root")?;
        rustix::process::chroot(".").context("chroot")?;
    }
    if let Some(wd) = &wd {
        rustix::process::fchdir(wd).context("change to the working directory")?;
    } else if root.is_some() {
        rustix::process::chdir("/").context("chdir /")?;
    }
    if let Some(dir) = &args.wdns {
        rustix::process::chdir(dir.as_os_str())
            .with_context(|| format!("chdir {}", dir.to_string_lossy()))?;
    }

    let (program, rest): (OsString, &[_]) = match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest),
        None => (
            std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into()),
            &[],
        ),
    };
    let shown = format!("{program:?}");
    if entering_pid && !args.no_fork {
        // Only children are created in the pid namespace we joined. lxns's spawn works where
        // clone3 is blocked by seccomp (glibc's posix_spawn does not on EPERM).
        let mut child = lxns::Command::new(&program);
        child.args(rest);
        if let Some(vars) = &environment {
            child.env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
        }
        let status = child.status();
        return match status {
            Ok(s) => Ok(crate::output::exit_code(s)),
            Err(e) if e.op() == lxns::Op::Spawn(lxns::SpawnStep::Exec) => {
                eprintln!("lxns: cannot run {shown}: {e}");
                Ok(ExitCode::from(
                    if matches!(e.reason(), lxns::Reason::NotFound) {
                        127
                    } else {
                        126
                    },
                ))
            }
            Err(e) => Err(e.into()),
        };
    }
    let mut command = std::process::Command::new(&program);
    if let Some(vars) = &environment {
        command.env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
    }
    command.args(rest);
    let err = command.exec();
    Ok(exec_failure(&shown, &err))
}

/// 127 when the program does not exist, 126 when it cannot be run (as shells do).
fn exec_failure(program: &str, err: &std::io::Error) -> ExitCode {
    eprintln!("lxns: cannot run {program}: {err}");
    match err.kind() {
        std::io::ErrorKind::NotFound => ExitCode::from(127),
        _ => ExitCode::from(126),
    }
}
