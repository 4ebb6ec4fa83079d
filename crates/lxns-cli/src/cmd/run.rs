//! `lxns run`: run a program in new (and existing) namespaces, unshare(1)-compatible.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lxns::{Command, ForwardSignals, IdMap, IdRange, Kind, KindSet, MapKind, Namespace, Setgroups};
use rustix::process::Signal;

/// Run a program in new namespaces (like unshare)
///
/// With a new pid namespace the program is its pid 1 (a child of lxns, no --fork needed);
/// when nothing needs a child, lxns becomes the program, as unshare does without --fork.
///
/// The exit status is the program's, or 128+N when it was killed by signal N. When lxns
/// waits for a child, SIGTERM, SIGINT and SIGHUP sent to it are passed on to the program.
/// lxns's own errors exit with 1; a program that cannot be found exits with 127, one that
/// cannot be run with 126. With =FILE, a namespace option bind-mounts the new namespace onto
/// FILE, so it outlives the program: an existing empty file, as unshare wants one (touch
/// FILE first), or, unlike unshare, a missing one, which lxns creates.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// New user namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'U', long = "user", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    user: Option<OsString>,
    /// New mount namespace (propagation private unless --propagation) (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'm', long = "mount", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    mount: Option<OsString>,
    /// New network namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'n', long = "net", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    net: Option<OsString>,
    /// New pid namespace (the program is its pid 1) (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'p', long = "pid", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pid: Option<OsString>,
    /// New IPC namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'i', long = "ipc", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    ipc: Option<OsString>,
    /// New UTS namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'u', long = "uts", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    uts: Option<OsString>,
    /// New cgroup namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'C', long = "cgroup", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    cgroup: Option<OsString>,
    /// New time namespace (=FILE: bind-mount it onto FILE, an existing file as unshare wants, or one lxns creates).
    #[arg(short = 'T', long = "time", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    time: Option<OsString>,
    /// Run the program as a child of lxns (implied by --pid and --kill-child).
    #[arg(short = 'f', long = "fork")]
    fork: bool,
    /// Send SIGNAL (default SIGKILL) to the program when lxns dies.
    #[arg(long = "kill-child", value_name = "SIGNAL", num_args = 0..=1, require_equals = true, default_missing_value = "KILL")]
    kill_child: Option<String>,
    /// Mount a fresh proc at DIR (default /proc) just before running; implies --mount.
    #[arg(long = "mount-proc", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "/proc")]
    mount_proc: Option<PathBuf>,
    /// Map the current user and group to root (implies --user, --setgroups=deny).
    #[arg(short = 'r', long = "map-root-user")]
    map_root: bool,
    /// Map the current user and group to themselves (implies --user, --setgroups=deny).
    #[arg(short = 'c', long = "map-current-user")]
    map_current: bool,
    /// Map the current user to UID (a number or name) inside (implies --user).
    #[arg(long = "map-user", value_name = "UID")]
    map_user: Option<String>,
    /// Map the current group to GID (a number or name) inside (implies --user).
    #[arg(long = "map-group", value_name = "GID")]
    map_group: Option<String>,
    /// Map a block of uids: inner:outer:count (or the older outer,inner,count); `auto`: your
    /// subordinate uids (/etc/subuid, else getsubids) from 0 — every block, one after
    /// another, where unshare maps only the first; `subids`: the first block onto itself;
    /// `all`: every uid of the parent namespace onto itself. Repeatable. Uses newuidmap when
    /// not root.
    #[arg(long = "map-users", value_name = "MAP")]
    map_users: Vec<String>,
    /// Map a block of gids, as --map-users (newgidmap, /etc/subgid).
    #[arg(long = "map-groups", value_name = "MAP")]
    map_groups: Vec<String>,
    /// --map-users=auto --map-groups=auto.
    #[arg(long = "map-auto")]
    map_auto: bool,
    /// --map-users=subids --map-groups=subids.
    #[arg(long = "map-subids")]
    map_subids: bool,
    /// Create the user namespace as UID:GID (numbers of ours), who then owns it; the maps
    /// are still written by the caller (implies --user).
    #[arg(long = "owner", value_name = "UID:GID")]
    owner: Option<String>,
    /// Keep the capabilities of the new user namespace across exec (ambient), for a program
    /// that is not uid 0 there.
    #[arg(long = "keep-caps")]
    keep_caps: bool,
    /// Mount binfmt_misc at DIR (default /proc/sys/fs/binfmt_misc, with a fresh /proc)
    /// just before running; implies --mount and --user (Linux 6.7+ gives each user namespace
    /// its own binfmt_misc).
    #[arg(long = "mount-binfmt", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    mount_binfmt: Option<OsString>,
    /// Register a binary format in the new binfmt_misc: :name:type:offset:magic:mask:interpreter:flags
    /// (implies --mount-binfmt). With flag F and --root, the interpreter is opened in our tree.
    #[arg(short = 'l', long = "load-interp", value_name = "FORMAT")]
    load_interp: Option<OsString>,
    /// Start the program with an empty environment.
    #[arg(long = "clear-env")]
    clear_env: bool,
    /// Start the program with only these variables of ours (comma-separated; repeatable).
    #[arg(long = "whitelist-env", value_name = "NAMES")]
    whitelist_env: Vec<String>,
    /// Allow or deny setgroups(2) in the new user namespace.
    #[arg(long = "setgroups", value_name = "allow|deny")]
    setgroups: Option<String>,
    /// Propagation of / in the new mount namespace: private, shared, slave, unchanged.
    #[arg(long = "propagation", value_name = "MODE")]
    propagation: Option<String>,
    /// Make DIR the root (pivot_root; the old root is detached); implies --mount.
    #[arg(short = 'R', long = "root", value_name = "DIR")]
    root: Option<PathBuf>,
    /// Working directory of the program (inside the new root).
    #[arg(short = 'w', long = "wd", value_name = "DIR")]
    wd: Option<PathBuf>,
    /// CLOCK_MONOTONIC offset in seconds in the new time namespace (implies --time).
    #[arg(long = "monotonic", value_name = "SECONDS", allow_hyphen_values = true)]
    monotonic: Option<i64>,
    /// CLOCK_BOOTTIME offset in seconds in the new time namespace (implies --time).
    #[arg(long = "boottime", value_name = "SECONDS", allow_hyphen_values = true)]
    boottime: Option<i64>,
    /// Run the program as UID (as the new user namespace numbers it), set last before exec.
    #[arg(short = 'S', long = "setuid", value_name = "UID")]
    setuid: Option<u32>,
    /// Run the program as GID, after dropping supplementary groups where allowed.
    #[arg(short = 'G', long = "setgid", value_name = "GID")]
    setgid: Option<u32>,
    /// Hostname in the new UTS namespace (implies --uts).
    #[arg(long = "hostname", value_name = "NAME")]
    hostname: Option<OsString>,
    /// NIS domain name in the new UTS namespace (implies --uts).
    #[arg(long = "domainname", value_name = "NAME")]
    domainname: Option<OsString>,
    /// Join an existing namespace first: KIND=PATH (a namespace file) or KIND=PID.
    /// Repeatable; KIND is net, mnt, uts, ipc, pid, user, cgroup, time.
    #[arg(long = "join", value_name = "KIND=PATH|PID")]
    join: Vec<OsString>,
    /// The program and its arguments (default: $SHELL, or /bin/sh).
    #[arg(trailing_var_arg = true, value_name = "PROGRAM")]
    command: Vec<OsString>,
}

/// A uid or gid given as a number or a name: from /etc/passwd or /etc/group, else NSS
/// (through getent), as unshare resolves it.
fn resolve_id(spec: &str, db: crate::users::Db) -> Result<u32> {
    if let Ok(n) = spec.parse::<u32>() {
        return Ok(n);
    }
    crate::users::id_of(db, spec).with_context(|| {
        let what = if db == crate::users::Db::Passwd {
            "user"
        } else {
            "group"
        };
        format!(
            "no such {what} {spec:?} (in {}, or through getent)",
            db.file()
        )
    })
}

/// `--map-users=all`: every id of this process's user namespace, onto itself (its
/// `/proc/self/uid_map` or `gid_map`, as unshare reads it).
fn pass_through(which: MapKind) -> Result<Vec<IdRange>> {
    Ok(lxns::read_id_map(0, which)?
        .ranges()
        .iter()
        .map(|r| IdRange {
            inside: r.inside,
            outside: r.inside,
            count: r.count,
        })
        .collect())
}

/// unshare's "hole": a block that `single` (inside, outside) overlaps loses the pair at the
/// single id's inside position and the one at its outside position, so the map stays valid
/// (`-r --map-users=all` maps 0 to the caller and 1… onto themselves).
fn punch(blocks: impl IntoIterator<Item = IdRange>, single: Option<(u32, u32)>) -> Vec<IdRange> {
    let Some((inside, outside)) = single else {
        return blocks.into_iter().collect();
    };
    let mut out = Vec::new();
    for b in blocks {
        let offset = |id: u32, start: u32| id.checked_sub(start).filter(|&k| k < b.count);
        let mut cuts: Vec<u32> = [offset(inside, b.inside), offset(outside, b.outside)]
            .into_iter()
            .flatten()
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut from = 0u32;
        for cut in cuts.into_iter().chain([b.count]) {
            if cut > from {
                out.push(IdRange {
                    inside: b.inside + from,
                    outside: b.outside + from,
                    count: cut - from,
                });
            }
            from = cut.saturating_add(1);
        }
    }
    out
}

fn build_map(
    single: Option<(u32, u32)>,
    blocks: &[String],
    which: MapKind,
) -> Result<Option<IdMap>> {
    let mut ranges = Vec::new();
    if let Some((inside, outside)) = single {
        ranges.push(IdRange::single(inside, outside));
    }
    for b in blocks {
        match b.as_str() {
            "auto" => {
                let mut subs = lxns::subordinate_id_blocks(which)?;
                // unshare -r --map-auto: root is the caller, the subordinate ids follow
                // from 1 (one fewer of them), instead of overlapping at 0.
                if let Some(first) = subs.first_mut().filter(|s| s.inside == 0 && s.count > 1) {
                    if single.is_some_and(|(inside, _)| inside == 0) {
                        first.inside = 1;
                        first.count -= 1;
                    }
                }
                ranges.extend(subs);
            }
            "subids" => {
                let sub = lxns::subordinate_ids(which)?;
                ranges.push(IdRange {
                    inside: sub.outside,
                    ..sub
                });
            }
            "all" => ranges.extend(punch(pass_through(which)?, single)),
            _ => ranges.extend(punch([IdRange::parse_cli(b)?], single)),
        }
    }
    if ranges.is_empty() {
        return Ok(None);
    }
    Ok(Some(IdMap::from_ranges(ranges)?))
}

/// `KIND=PATH` or `KIND=PID`; the path is bytes, as the kernel takes it.
fn parse_join(spec: &OsStr) -> Result<Namespace> {
    let bytes = spec.as_bytes();
    let at = bytes
        .iter()
        .position(|&b| b == b'=')
        .with_context(|| format!("--join {spec:?}: expected KIND=PATH or KIND=PID"))?;
    let (kind, what) = (&bytes[..at], OsStr::from_bytes(&bytes[at + 1..]));
    let kind: Kind = std::str::from_utf8(kind)
        .map_err(|_| anyhow::anyhow!("--join {spec:?}: unknown namespace kind"))?
        .parse()?;
    let digits = !what.is_empty() && what.as_bytes().iter().all(u8::is_ascii_digit);
    let ns = if digits {
        let pid = super::pid(&what.to_string_lossy()).map_err(anyhow::Error::msg)?;
        Namespace::of_process(pid, kind)?
    } else {
        Namespace::open_as(what, kind)?
    };
    Ok(ns)
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let euid = rustix::process::geteuid().as_raw();
    let egid = rustix::process::getegid().as_raw();
    let mut kinds = KindSet::EMPTY;
    let mut persist = Vec::new();
    for (spec, kind) in [
        (&args.user, Kind::User),
        (&args.mount, Kind::Mnt),
        (&args.net, Kind::Net),
        (&args.pid, Kind::Pid),
        (&args.ipc, Kind::Ipc),
        (&args.uts, Kind::Uts),
        (&args.cgroup, Kind::Cgroup),
        (&args.time, Kind::Time),
    ] {
        match spec.as_deref() {
            None => {}
            Some(file) if file.is_empty() => kinds.insert(kind),
            Some(file) => {
                kinds.insert(kind);
                persist.push((kind, file));
            }
        }
    }
    if args.monotonic.is_some() || args.boottime.is_some() {
        kinds.insert(Kind::Time);
    }
    if args.hostname.is_some() || args.domainname.is_some() {
        kinds.insert(Kind::Uts);
    }

    let mut command = match args.command.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest);
            c
        }
        None => Command::new(std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into())),
    };

    // Id maps: unshare's options combine into one uid map and one gid map.
    // -r maps the caller's id to 0, -c to itself, --map-user/--map-group to the one given.
    let single = |own: u32, spec: Option<&str>, db: crate::users::Db| -> Result<Option<u32>> {
        if args.map_root {
            Ok(Some(0))
        } else if args.map_current {
            Ok(Some(own))
        } else {
            spec.map(|s| resolve_id(s, db)).transpose()
        }
    };
    let single_user = single(euid, args.map_user.as_deref(), crate::users::Db::Passwd)?;
    let single_group = single(egid, args.map_group.as_deref(), crate::users::Db::Group)?;
    let mut users = args.map_users.clone();
    let mut groups = args.map_groups.clone();
    if args.map_auto {
        users.push("auto".into());
        groups.push("auto".into());
    }
    if args.map_subids {
        users.push("subids".into());
        groups.push("subids".into());
    }
    let uid_map = build_map(single_user.map(|u| (u, euid)), &users, MapKind::Uid)?;
    let gid_map = build_map(single_group.map(|g| (g, egid)), &groups, MapKind::Gid)?;
    if uid_map.is_some() || gid_map.is_some() {
        kinds.insert(Kind::User);
    }
    let simple_maps = single_user.is_some() || single_group.is_some();
    if let Some(m) = uid_map {
        command.uid_map(m);
    }
    if let Some(m) = gid_map {
        command.gid_map(m);
    }
    match args.setgroups.as_deref() {
        Some("allow") => {
            command.setgroups(Setgroups::Allow);
        }
        Some("deny") => {
            command.setgroups(Setgroups::Deny);
        }
        Some(other) => bail!("--setgroups {other:?}: expected allow or deny"),
        // unshare: -r, -c, --map-user and --map-group imply --setgroups=deny.
        None if simple_maps => {
            command.setgroups(Setgroups::Deny);
        }
        None => {}
    }
    if let Some(p) = &args.propagation {
        command.propagation(p.parse()?);
    }
    if let Some(dir) = &args.mount_proc {
        command.mount_proc_at(dir);
    }
    if let Some(dir) = &args.mount_binfmt {
        // unshare: without a directory, /proc/sys/fs/binfmt_misc under a fresh /proc.
        if dir.is_empty() {
            if args.mount_proc.is_none() {
                command.mount_proc();
            }
            command.mount_binfmt_misc_at("/proc/sys/fs/binfmt_misc");
        } else {
            command.mount_binfmt_misc_at(dir);
        }
    }
    if let Some(format) = &args.load_interp {
        command.register_binfmt(format);
    }
    if let Some(owner) = &args.owner {
        let (uid, gid) = parse_owner(owner)?;
        command.user_namespace_owner(uid, gid);
    }
    if args.keep_caps {
        command.keep_capabilities();
    }
    if args.clear_env || !args.whitelist_env.is_empty() {
        command.env_clear();
        for name in args.whitelist_env.iter().flat_map(|l| l.split(',')) {
            if let Some(value) = std::env::var_os(name).filter(|_| !name.is_empty()) {
                command.env(name, value);
            }
        }
    }
    if let Some(root) = &args.root {
        command.root(root);
    }
    if let Some(wd) = &args.wd {
        command.current_dir(wd);
    }
    if let Some(s) = args.monotonic {
        command.monotonic_offset(s, 0);
    }
    if let Some(s) = args.boottime {
        command.boottime_offset(s, 0);
    }
    if let Some(h) = &args.hostname {
        command.hostname(h);
    }
    if let Some(uid) = args.setuid {
        command.uid(uid);
    }
    if let Some(gid) = args.setgid {
        command.gid(gid);
    }
    if let Some(d) = &args.domainname {
        command.domainname(d);
    }
    if let Some(sig) = &args.kill_child {
        command.kill_on_parent_death(parse_signal(sig)?);
    }
    for spec in &args.join {
        command.join(&parse_join(spec)?);
    }
    command.unshare(kinds);
    for (kind, file) in persist {
        command.persist_namespace(kind, file);
    }

    // Nothing needs a child (no pid namespace, no parent-side maps, no --kill-child): become
    // the program, as unshare(1) without --fork does. Its status and signals are then its own.
    if !args.fork && command.can_exec_in_place() {
        let err = command.exec_replacing_current_process();
        return Ok(spawn_failure(&err));
    }
    // Block the forwarded signals before the child exists, so none is lost.
    let forward = ForwardSignals::block(&[Signal::TERM, Signal::INT, Signal::HUP])?;
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return Ok(spawn_failure(&e)),
    };
    let status = forward.wait(&mut child)?;
    Ok(crate::output::exit_code(status))
}

/// 127 when the program does not exist, 126 when it cannot be run, 1 for anything else.
fn spawn_failure(err: &lxns::Error) -> ExitCode {
    eprintln!("lxns: {err:#}");
    match err.op() {
        lxns::Op::Spawn(lxns::SpawnStep::Exec) => match err.reason() {
            lxns::Reason::NotFound => ExitCode::from(127),
            _ => ExitCode::from(126),
        },
        _ => ExitCode::FAILURE,
    }
}

/// `--owner UID:GID`: two numbers, as unshare parses them.
fn parse_owner(spec: &str) -> Result<(u32, u32)> {
    let parsed = spec
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)));
    parsed.with_context(|| format!("failed to parse owner {spec:?}: expected UID:GID"))
}

/// `--kill-child=SIGNAL`: any name or number `kill -l` knows ([`lxns::parse_signal`]).
fn parse_signal(spec: &str) -> Result<Signal> {
    lxns::parse_signal(spec).with_context(|| format!("--kill-child={spec}"))
}
