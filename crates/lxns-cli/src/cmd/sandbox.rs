//! `lxns sandbox`: bubblewrap's command line on [`lxns::Command`] and [`lxns::FsOp`].
//! Also what the binary is when invoked as `bwrap` (argv[0]).
//!
//! Options mean what bwrap(1) says; messages start with `bwrap: ` and use bwrap's words, and
//! a failure before the program runs exits 1, as bwrap does. Deliberate differences (also
//! in `--help`):
//!  - in a new pid namespace the program is pid 1 (as with bwrap's `--as-pid-1`): there is
//!    no extra init process;
//!  - without `--chdir` the program starts where bwrap's does (the caller's directory if the
//!    sandbox has it, else `$HOME`, else `/`), but `PWD` is left as it was;
//!  - `--ro-bind` and `--remount-ro` make every mount below read-only in one
//!    `mount_setattr(AT_RECURSIVE)`, also those hidden under another mount (bwrap remounts
//!    by path and so leaves those writable);
//!  - not supported (an error naming the option, never silently ignored):
//!    `--userns2`, SELinux labels, `--lock-file`, `--level-prefix`.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use lxns::{Capabilities, Command, FsOp, Kind, KindSet, Namespace, Signal};

const USAGE: &str = "usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]";

const HELP: &str = "
    --help                       Print this help
    --version                    Print version
    --args FD                    Parse NUL-separated args from FD
    --unshare-all                Unshare every namespace we support by default
    --share-net                  Retain the network namespace (can only combine with --unshare-all)
    --unshare-user               Create new user namespace (may be automatically implied if not setuid)
    --unshare-user-try           Create new user namespace if possible else continue by skipping it
    --unshare-ipc                Create new ipc namespace
    --unshare-pid                Create new pid namespace
    --unshare-net                Create new network namespace
    --unshare-uts                Create new uts namespace
    --unshare-cgroup             Create new cgroup namespace
    --unshare-cgroup-try         Create new cgroup namespace if possible else continue by skipping it
    --userns FD                  Use this user namespace (cannot combine with --unshare-user)
    --disable-userns             Disable further use of user namespaces inside sandbox
    --assert-userns-disabled     Fail unless further use of user namespace inside sandbox is disabled
    --pidns FD                   Use this pid namespace (as parent namespace if using --unshare-pid)
    --uid UID                    Custom uid in the sandbox (requires --unshare-user or --userns)
    --gid GID                    Custom gid in the sandbox (requires --unshare-user or --userns)
    --hostname NAME              Custom hostname in the sandbox (requires --unshare-uts)
    --chdir DIR                  Change directory to DIR
    --clearenv                   Unset all environment variables
    --setenv VAR VALUE           Set an environment variable
    --unsetenv VAR               Unset an environment variable
    --bind SRC DEST              Bind mount the host path SRC on DEST
    --bind-try SRC DEST          Equal to --bind but ignores non-existent SRC
    --dev-bind SRC DEST          Bind mount the host path SRC on DEST, allowing device access
    --dev-bind-try SRC DEST      Equal to --dev-bind but ignores non-existent SRC
    --ro-bind SRC DEST           Bind mount the host path SRC readonly on DEST
    --ro-bind-try SRC DEST       Equal to --ro-bind but ignores non-existent SRC
    --bind-fd FD DEST            Bind open directory or path fd on DEST
    --ro-bind-fd FD DEST         Bind open directory or path fd read-only on DEST
    --remount-ro DEST            Remount DEST as readonly; does not recursively remount
    --overlay-src SRC            Read files from SRC in the following overlay
    --overlay RWSRC WORKDIR DEST Mount overlayfs on DEST, with RWSRC as the host path for writes and
                                 WORKDIR an empty directory on the same filesystem as RWSRC
    --tmp-overlay DEST           Mount overlayfs on DEST, with writes going to an invisible tmpfs
    --ro-overlay DEST            Mount overlayfs read-only on DEST
    --proc DEST                  Mount new procfs on DEST
    --dev DEST                   Mount new dev on DEST
    --tmpfs DEST                 Mount new tmpfs on DEST
    --mqueue DEST                Mount new mqueue on DEST
    --dir DEST                   Create dir at DEST
    --file FD DEST               Copy from FD to destination DEST
    --bind-data FD DEST          Copy from FD to file which is bind-mounted on DEST
    --ro-bind-data FD DEST       Copy from FD to file which is readonly bind-mounted on DEST
    --symlink SRC DEST           Create symlink at DEST with target SRC
    --seccomp FD                 Load and use seccomp rules from FD (not repeatable)
    --add-seccomp-fd FD          Load and use seccomp rules from FD (repeatable)
    --sync-fd FD                 Keep this fd open while sandbox is running
    --block-fd FD                Block on FD until some data to read is available
    --userns-block-fd FD         Block on FD until the user namespace is ready
    --info-fd FD                 Write information about the running container to FD
    --json-status-fd FD          Write container status to FD as multiple JSON documents
    --new-session                Create a new terminal session
    --die-with-parent            Kills with SIGKILL child process (COMMAND) when bwrap or bwrap's parent dies.
    --as-pid-1                   Do not install a reaper process with PID=1
    --cap-add CAP                Add cap CAP when running as privileged user
    --cap-drop CAP               Drop cap CAP when running as privileged user
    --perms OCTAL                Set permissions of next argument (--bind-data, --file, etc.)
    --size BYTES                 Set size of next argument (only for --tmpfs)
    --chmod OCTAL PATH           Change permissions of PATH (must already exist)
    --argv0 VALUE                Set argv[0] to the value VALUE before running the program

lxns sandbox differs from bwrap where it says so: in a new pid namespace the program is
pid 1 (there is no reaper process); PWD is not rewritten to the directory the program
starts in (the caller's, else $HOME, else /, as with bwrap); --sync-fd
is kept open in the sandbox as bwrap does; --ro-bind and --remount-ro make every mount
below read-only, also those hidden under another mount (bwrap leaves those). Not
supported, refused with an error: --userns2, --exec-label, --file-label, --lock-file,
--level-prefix.
";

/// A bwrap-style failure: `bwrap: MESSAGE`, exit 1.
struct Die(String);

type Res<T> = Result<T, Die>;

fn die<T>(msg: impl Into<String>) -> Res<T> {
    Err(Die(msg.into()))
}

/// The options, parsed.
#[derive(Default)]
struct Opts {
    unshare: KindSet,
    user_try: bool,
    cgroup_try: bool,
    share_net: bool,
    userns: Option<Namespace>,
    pidns: Option<Namespace>,
    uid: Option<u32>,
    gid: Option<u32>,
    hostname: Option<OsString>,
    chdir: Option<OsString>,
    clearenv: bool,
    env: Vec<(OsString, Option<OsString>)>,
    fs: Vec<FsOp>,
    seccomp: Vec<Vec<u8>>,
    block: Option<OwnedFd>,
    userns_block: Option<OwnedFd>,
    info: Option<std::fs::File>,
    json: Option<std::fs::File>,
    new_session: bool,
    die_with_parent: bool,
    disable_userns: bool,
    assert_userns_disabled: bool,
    cap_add: Capabilities,
    cap_drop: Capabilities,
    cap_changed: bool,
    argv0: Option<OsString>,
    program: Vec<OsString>,
}

/// Reopens descriptor `fd` of this process through `/proc/self/fd` (the CLI holds no raw
/// descriptors), for reading or writing.
fn reopen(fd: &OsStr, what: &str) -> Res<std::fs::File> {
    let n: i32 = fd
        .to_str()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n >= 0)
        .map_or_else(|| die(format!("Invalid fd: {}", fd.to_string_lossy())), Ok)?;
    // The same open file (a pipe's end, a socket), as bwrap uses the number itself.
    lxns::inherited_fd(n).map(std::fs::File::from).or_else(|e| {
        let text = e.errno().map_or_else(
            || e.to_string(),
            |n| strerror(&std::io::Error::from_raw_os_error(n.raw())),
        );
        die(format!("{what}: {text}"))
    })
}

/// The libc wording of an error (`No such file or directory`), without Rust's "(os error N)".
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn read_fd(fd: &OsStr, what: &str) -> Res<Vec<u8>> {
    let mut f = reopen(fd, what)?;
    let mut data = Vec::new();
    f.read_to_end(&mut data)
        .or_else(|e| die(format!("{what}: {}", strerror(&e))))?;
    Ok(data)
}

fn octal(text: &OsStr, option: &str) -> Res<u32> {
    text.to_str()
        .and_then(|s| u32::from_str_radix(s, 8).ok())
        .filter(|m| *m <= 0o7777)
        .map_or_else(
            || {
                die(format!(
                    "--{option} takes a permissions argument, not {}",
                    text.to_string_lossy()
                ))
            },
            Ok,
        )
}

fn number(text: &OsStr, what: &str) -> Res<u32> {
    text.to_str().and_then(|s| s.parse().ok()).map_or_else(
        || die(format!("Invalid {what}: {}", text.to_string_lossy())),
        Ok,
    )
}

/// An `--overlay-src` not (yet) taken by an overlay option.
const DANGLING_OVERLAY_SRC: &str = "--overlay-src must be followed by another --overlay-src or \
                                    one of --overlay, --tmp-overlay, or --ro-overlay";

fn parse(args: Vec<OsString>) -> Res<Opts> {
    let mut o = Opts::default();
    let mut perms: Option<u32> = None;
    let mut size: Option<u64> = None;
    // --overlay-src layers waiting for their --overlay, --tmp-overlay or --ro-overlay.
    let mut layers: Vec<OsString> = Vec::new();
    let mut args: std::collections::VecDeque<OsString> = args.into();
    let take = |args: &mut std::collections::VecDeque<OsString>, n: usize, opt: &str| {
        if args.len() < n {
            return die(format!(
                "--{opt} takes {} argument{}",
                match n {
                    1 => "one",
                    2 => "two",
                    _ => "three",
                },
                if n == 1 { "" } else { "s" }
            ));
        }
        Ok(args.drain(..n).collect::<Vec<_>>())
    };
    while let Some(arg) = args.pop_front() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            o.program = args.drain(..).collect();
            break;
        }
        if !bytes.starts_with(b"--") {
            o.program = std::iter::once(arg).chain(args.drain(..)).collect();
            break;
        }
        let name = arg.to_string_lossy().trim_start_matches("--").to_owned();
        let overlay_op = matches!(
            name.as_str(),
            "overlay-src" | "overlay" | "tmp-overlay" | "ro-overlay"
        );
        if !layers.is_empty() && !overlay_op {
            return die(DANGLING_OVERLAY_SRC);
        }
        let mut fs_op = |op: FsOp, perms: &mut Option<u32>, size: &mut Option<u64>| {
            let mut op = op;
            if let Some(m) = perms.take() {
                op = op.mode(m);
            }
            if let Some(s) = size.take() {
                op = op.size(s);
            }
            o.fs.push(op);
        };
        match name.as_str() {
            "help" => {
                println!("{USAGE}\n{HELP}");
                return Err(Die(String::new()));
            }
            "version" => {
                println!("bubblewrap {} (lxns sandbox)", env!("CARGO_PKG_VERSION"));
                return Err(Die(String::new()));
            }
            "args" => {
                let v = take(&mut args, 1, &name)?;
                let data = read_fd(&v[0], "Can't read --args data")?;
                let mut extra: Vec<OsString> = data
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| OsStr::from_bytes(a).to_owned())
                    .collect();
                extra.extend(args.drain(..));
                args = extra.into();
            }
            "unshare-all" => {
                o.unshare = o.unshare | Kind::Ipc | Kind::Pid | Kind::Net | Kind::Uts;
                o.user_try = true;
                o.cgroup_try = true;
            }
            "share-net" => o.share_net = true,
            "unshare-user" => o.unshare.insert(Kind::User),
            "unshare-user-try" => o.user_try = true,
            "unshare-ipc" => o.unshare.insert(Kind::Ipc),
            "unshare-pid" => o.unshare.insert(Kind::Pid),
            "unshare-net" => o.unshare.insert(Kind::Net),
            "unshare-uts" => o.unshare.insert(Kind::Uts),
            "unshare-cgroup" => o.unshare.insert(Kind::Cgroup),
            "unshare-cgroup-try" => o.cgroup_try = true,
            "userns" | "pidns" => {
                let v = take(&mut args, 1, &name)?;
                let f = reopen(&v[0], &format!("Invalid {name} fd"))?;
                let ns = Namespace::from_fd(OwnedFd::from(f))
                    .or_else(|e| die(format!("Invalid {name} fd: {e}")))?;
                if name == "userns" {
                    o.userns = Some(ns);
                } else {
                    o.pidns = Some(ns);
                }
            }
            "uid" => o.uid = Some(number(&take(&mut args, 1, &name)?[0], "uid")?),
            "gid" => o.gid = Some(number(&take(&mut args, 1, &name)?[0], "gid")?),
            "hostname" => o.hostname = Some(take(&mut args, 1, &name)?.remove(0)),
            "chdir" => o.chdir = Some(take(&mut args, 1, &name)?.remove(0)),
            "clearenv" => o.clearenv = true,
            "setenv" => {
                let mut v = take(&mut args, 2, &name)?;
                let value = v.pop();
                o.env.push((v.remove(0), value));
            }
            "unsetenv" => o.env.push((take(&mut args, 1, &name)?.remove(0), None)),
            "bind" | "bind-try" | "ro-bind" | "ro-bind-try" | "dev-bind" | "dev-bind-try" => {
                let v = take(&mut args, 2, &name)?;
                let mut op = match name.trim_end_matches("-try") {
                    "bind" => FsOp::bind(&v[0], &v[1]),
                    "ro-bind" => FsOp::ro_bind(&v[0], &v[1]),
                    _ => FsOp::dev_bind(&v[0], &v[1]),
                };
                if name.ends_with("-try") {
                    op = op.optional();
                }
                fs_op(op, &mut perms, &mut size);
            }
            "bind-fd" | "ro-bind-fd" => {
                let v = take(&mut args, 2, &name)?;
                let f = reopen(&v[0], "Can't use --bind-fd")?;
                fs_op(
                    FsOp::bind_fd(OwnedFd::from(f), &v[1], name == "ro-bind-fd"),
                    &mut perms,
                    &mut size,
                );
            }
            "remount-ro" => {
                let v = take(&mut args, 1, &name)?;
                fs_op(FsOp::remount_read_only(&v[0]), &mut perms, &mut size);
            }
            "proc" | "dev" | "tmpfs" | "mqueue" | "dir" => {
                let v = take(&mut args, 1, &name)?;
                let d = &v[0];
                let op = match name.as_str() {
                    "proc" => FsOp::proc(d),
                    "dev" => FsOp::dev(d),
                    "tmpfs" => FsOp::tmpfs(d),
                    "mqueue" => FsOp::mqueue(d),
                    _ => FsOp::dir(d),
                };
                fs_op(op, &mut perms, &mut size);
            }
            "file" | "bind-data" | "ro-bind-data" => {
                let v = take(&mut args, 2, &name)?;
                let data = read_fd(&v[0], "Can't read data")?;
                let op = match name.as_str() {
                    "file" => FsOp::file(&v[1], data),
                    n => FsOp::bind_data(&v[1], data, n == "ro-bind-data"),
                };
                fs_op(op, &mut perms, &mut size);
            }
            "symlink" => {
                let v = take(&mut args, 2, &name)?;
                fs_op(FsOp::symlink(&v[0], &v[1]), &mut perms, &mut size);
            }
            "chmod" => {
                let v = take(&mut args, 2, &name)?;
                let mode = octal(&v[0], "chmod")?;
                fs_op(FsOp::chmod(&v[1], mode), &mut perms, &mut size);
            }
            "perms" => perms = Some(octal(&take(&mut args, 1, &name)?[0], "perms")?),
            "size" => {
                let v = take(&mut args, 1, &name)?;
                size = Some(
                    v[0].to_str()
                        .and_then(|s| s.parse().ok())
                        .filter(|s| *s > 0)
                        .map_or_else(
                            || {
                                die(format!(
                                    "--size takes a size argument, not {}",
                                    v[0].to_string_lossy()
                                ))
                            },
                            Ok,
                        )?,
                );
            }
            "seccomp" | "add-seccomp-fd" => {
                let v = take(&mut args, 1, &name)?;
                if name == "seccomp" && !o.seccomp.is_empty() {
                    return die("--seccomp cannot be combined with --add-seccomp-fd");
                }
                o.seccomp.push(read_fd(&v[0], "Can't read seccomp data")?);
            }
            "block-fd" => {
                let v = take(&mut args, 1, &name)?;
                o.block = Some(OwnedFd::from(reopen(&v[0], "Invalid fd")?));
            }
            "sync-fd" => {
                // The descriptor is inherited (not close-on-exec) and so stays open in the
                // sandbox, which is all bwrap does with it.
                take(&mut args, 1, &name)?;
            }
            "info-fd" => o.info = Some(reopen(&take(&mut args, 1, &name)?[0], "Invalid fd")?),
            "json-status-fd" => {
                o.json = Some(reopen(&take(&mut args, 1, &name)?[0], "Invalid fd")?);
            }
            "new-session" => o.new_session = true,
            "disable-userns" => o.disable_userns = true,
            "assert-userns-disabled" => o.assert_userns_disabled = true,
            "die-with-parent" => o.die_with_parent = true,
            "as-pid-1" => {}
            "cap-add" | "cap-drop" => {
                let v = take(&mut args, 1, &name)?;
                let text = v[0].to_string_lossy();
                let cap = Capabilities::from_name(&text)
                    .or_else(|_| die(format!("unknown cap: {text}")))?;
                o.cap_changed = true;
                if name == "cap-add" {
                    o.cap_add = o.cap_add.with(cap);
                    o.cap_drop = o.cap_drop.without(cap);
                } else {
                    o.cap_drop = o.cap_drop.with(cap);
                    o.cap_add = o.cap_add.without(cap);
                }
            }
            "argv0" => o.argv0 = Some(take(&mut args, 1, &name)?.remove(0)),
            "overlay-src" => layers.push(take(&mut args, 1, &name)?.remove(0)),
            "overlay" | "tmp-overlay" | "ro-overlay" => {
                let v = take(&mut args, if name == "overlay" { 3 } else { 1 }, &name)?;
                let needed = if name == "ro-overlay" { 2 } else { 1 };
                if layers.len() < needed {
                    return die(format!(
                        "--{name} requires at least {} --overlay-src",
                        if needed == 1 { "one" } else { "two" }
                    ));
                }
                let lowers = std::mem::take(&mut layers);
                let op = match name.as_str() {
                    "overlay" => FsOp::overlay(&lowers, &v[0], &v[1], &v[2]),
                    "tmp-overlay" => FsOp::tmp_overlay(&lowers, &v[0]),
                    _ => FsOp::ro_overlay(&lowers, &v[0]),
                };
                fs_op(op, &mut perms, &mut size);
            }
            "userns-block-fd" => {
                let v = take(&mut args, 1, &name)?;
                o.userns_block = Some(OwnedFd::from(reopen(&v[0], "Invalid fd")?));
            }
            "userns2" | "exec-label" | "file-label" | "lock-file" | "level-prefix" => {
                return die(format!("--{name} is not supported by lxns sandbox"));
            }
            _ => return die(format!("Unknown option {}", arg.to_string_lossy())),
        }
    }
    if !layers.is_empty() {
        return die(DANGLING_OVERLAY_SRC);
    }
    if o.program.is_empty() {
        return die("No command specified");
    }
    Ok(o)
}

/// Whether this process may create a user namespace (for the `-try` forms).
fn can_unshare_user() -> bool {
    std::fs::metadata("/proc/self/ns/user").is_ok()
        && std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
            .map_or(true, |s| s.trim() != "0")
}

fn build(o: Opts) -> Res<(Command, Opts)> {
    let mut o = o;
    let mut kinds = o.unshare;
    if o.share_net {
        kinds.remove(Kind::Net);
    }
    // bwrap, not setuid, run by anyone but root: the user namespace is implied.
    let implied = rustix::process::getuid().as_raw() != 0 && o.userns.is_none();
    if implied || (o.user_try && o.userns.is_none() && can_unshare_user()) {
        kinds.insert(Kind::User);
    }
    if o.cgroup_try && std::fs::metadata("/proc/self/ns/cgroup").is_ok() {
        kinds.insert(Kind::Cgroup);
    }
    if o.userns.is_some() && kinds.contains(Kind::User) {
        return die("--unshare-user and --userns are not compatible");
    }
    if o.userns_block.is_some() && !kinds.contains(Kind::User) {
        return die("--userns-block-fd requires --unshare-user");
    }
    if o.userns_block.is_some() && o.info.is_none() {
        return die("--userns-block-fd requires --info-fd");
    }
    // bwrap wants the user namespace asked for by name (not implied, not -try).
    if o.disable_userns && !o.unshare.contains(Kind::User) {
        return die("--disable-userns requires --unshare-user");
    }
    let has_user = kinds.contains(Kind::User) || o.userns.is_some();
    if (o.uid.is_some() || o.gid.is_some()) && !has_user {
        return die(if o.uid.is_some() {
            "Specifying --uid requires --unshare-user or --userns"
        } else {
            "Specifying --gid requires --unshare-user or --userns"
        });
    }
    if o.hostname.is_some() && !kinds.contains(Kind::Uts) {
        return die("Specifying --hostname requires --unshare-uts");
    }
    let real_uid = rustix::process::getuid().as_raw();
    let real_gid = rustix::process::getgid().as_raw();
    let uid = o.uid.unwrap_or(real_uid);
    let gid = o.gid.unwrap_or(real_gid);
    if o.cap_changed && uid != 0 && real_uid != 0 && !has_user {
        return die("--cap-add in setuid mode can be used only by root");
    }
    let program = o.program.remove(0);
    let mut cmd = Command::new(&program);
    cmd.args(o.program.drain(..));
    if let Some(a) = o.argv0.take() {
        cmd.arg0(a);
    }
    if let Some(ns) = o.userns.take() {
        cmd.join(&ns);
        if let Some(u) = o.uid {
            cmd.uid(u);
        }
        if let Some(g) = o.gid {
            cmd.gid(g);
        }
    }
    if let Some(ns) = o.pidns.take() {
        cmd.join(&ns);
    }
    cmd.unshare(kinds);
    if let Some(fd) = o.userns_block.take() {
        // The caller writes the maps, between the info record and its byte on FD.
        cmd.user_namespace_block_fd(fd);
    } else if kinds.contains(Kind::User) {
        cmd.map_user_as(uid, gid);
    }
    if kinds.contains(Kind::Net) {
        cmd.loopback_up();
    }
    if let Some(h) = &o.hostname {
        cmd.hostname(h);
    }
    if o.clearenv {
        cmd.env_clear();
        if let Some(pwd) = std::env::var_os("PWD") {
            cmd.env("PWD", pwd);
        }
    }
    for (k, v) in &o.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(d) = &o.chdir {
        cmd.current_dir(d);
    } else {
        // bwrap's: the caller's directory if the sandbox has it, else $HOME, else /.
        let here = std::env::current_dir()
            .ok()
            .map(std::path::PathBuf::into_os_string);
        cmd.current_dir_candidates(here.into_iter().chain(std::env::var_os("HOME")));
    }
    // A root of its own, always (bwrap's): an empty tmpfs when no operation is given.
    if o.fs.is_empty() {
        o.fs.push(FsOp::dir("/"));
    }
    // bwrap's propagation: the caller's mounts stay visible as slaves (MS_SLAVE | MS_REC).
    cmd.propagation(lxns::Propagation::Slave);
    for op in o.fs.drain(..) {
        cmd.fs(op);
    }
    // As bwrap 0.8 does it (measured): a caller that is root keeps its capabilities unless
    // --cap-add or --cap-drop name a set; anyone else ends with none unless --cap-add names
    // some. A named set becomes the permitted, effective, inheritable and ambient sets, and
    // the bounding set too when the sandbox has a user namespace of its own; without one,
    // root's bounding set stays as it was.
    let held = rustix::thread::capabilities(None).map_or(0, |c| c.permitted.bits());
    let root_caller = real_uid == 0;
    if o.cap_changed {
        let start = if root_caller {
            Capabilities::from_bits(held)
        } else {
            Capabilities::none()
        };
        let wanted = start.with(o.cap_add).without(o.cap_drop);
        if has_user {
            cmd.bounding_capabilities(wanted);
        } else {
            cmd.bounding_capabilities(Capabilities::from_bits(held));
        }
        cmd.capabilities(wanted);
    } else if root_caller {
        // A new user namespace starts with a full bounding set: keep the caller's.
        cmd.bounding_capabilities(Capabilities::from_bits(held));
    } else {
        cmd.bounding_capabilities(Capabilities::none());
    }
    cmd.no_new_privs(true);
    if o.disable_userns {
        cmd.disable_user_namespaces();
    }
    if o.assert_userns_disabled {
        cmd.assert_user_namespaces_disabled();
    }
    if o.new_session {
        cmd.new_session();
    }
    if o.die_with_parent {
        cmd.kill_on_parent_death(Signal::KILL);
    }
    if let Some(fd) = o.block.take() {
        cmd.block_on(fd);
    }
    if let Some(f) = o.info.take() {
        cmd.info_fd(f.into());
    }
    if let Some(f) = o.json.take() {
        cmd.json_status_fd(f.into());
    }
    for program in &o.seccomp {
        cmd.seccomp(program);
    }
    Ok((cmd, o))
}

/// bwrap's wording for a failure of the sandbox set-up.
fn describe(err: &lxns::Error, program: &OsStr) -> String {
    use lxns::{Op, Reason, SpawnStep};
    let errno = err
        .raw_os_error()
        .map(|n| strerror(&std::io::Error::from_raw_os_error(n)));
    match err.op() {
        Op::Spawn(SpawnStep::Exec) => format!(
            "execvp {}: {}",
            program.to_string_lossy(),
            errno.unwrap_or_else(|| "No such file or directory".into())
        ),
        Op::Spawn(SpawnStep::Filesystem) => match (err.reason(), err.target()) {
            (Reason::NotFound, lxns::Target::Text(op)) => {
                let source = op.split(' ').nth(1).unwrap_or_default();
                format!("Can't find source path {source}: No such file or directory")
            }
            (Reason::InvalidArgument { why }, lxns::Target::Text(op)) => format!("{op}: {why}"),
            (_, lxns::Target::Text(op)) => match errno {
                Some(e) => format!("{op}: {e}"),
                None => format!("{op}: {err}"),
            },
            _ => format!("{err}"),
        },
        Op::Spawn(SpawnStep::AssertUserNamespacesDisabled) => {
            "creation of new user namespaces was not disabled as requested".into()
        }
        _ => format!("{err}"),
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c & 0xff).unwrap_or(1),
        (None, Some(s)) => u8::try_from(128 + s).unwrap_or(1),
        _ => 1,
    }
}

fn sandbox(args: Vec<OsString>) -> Res<u8> {
    if args.is_empty() {
        eprintln!("{USAGE}");
        return Ok(1);
    }
    let o = parse(args)?;
    let program = o.program.first().cloned().unwrap_or_default();
    let (mut cmd, _opts) = build(o)?;
    let forward = lxns::ForwardSignals::block(&[Signal::TERM, Signal::INT, Signal::HUP])
        .or_else(|e| die(format!("{e}")))?;
    let mut child = cmd.spawn().or_else(|e| die(describe(&e, &program)))?;
    let status = forward.wait(&mut child).or_else(|e| die(format!("{e}")))?;
    Ok(exit_code(status))
}

/// Runs `lxns sandbox ARGS…` (or `bwrap ARGS…`) and returns its exit status.
pub fn main(args: Vec<OsString>) -> ExitCode {
    match sandbox(args) {
        Ok(code) => ExitCode::from(code),
        Err(Die(msg)) if msg.is_empty() => ExitCode::SUCCESS,
        Err(Die(msg)) => {
            eprintln!("bwrap: {msg}");
            ExitCode::FAILURE
        }
    }
}
