//! `lxns netns …`: named network namespaces, with the argument forms of `ip netns`.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lxns::NetNsId;
use lxns::netns::Registry;

/// Named network namespaces, interoperable with `ip netns` (/run/netns).
#[derive(Debug, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// Use this registry directory instead of /run/netns.
    #[arg(long, value_name = "DIR", global = true)]
    registry: Option<std::path::PathBuf>,
    /// delete and exec act on every registered name (ip's global -all; `-all` is taken too).
    #[arg(long = "all", global = true)]
    all: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, PartialEq, Eq, clap::Subcommand)]
enum Cmd {
    /// Create a network namespace and register it as NAME.
    Add { name: OsString },
    /// Register the network namespace of process PID as NAME.
    Attach {
        name: OsString,
        #[arg(value_parser = super::pid)]
        pid: i32,
    },
    /// Unregister NAMEs (unmount and remove); the namespaces live on while in use. With
    /// --all, every name.
    #[command(alias = "del")]
    Delete { names: Vec<OsString> },
    /// Assign netnsid NETNSID (a number, or auto for the next free one) to NAME, as our
    /// network namespace numbers it (ip netns set).
    Set { name: OsString, nsid: String },
    /// Print every netnsid assigned in our network namespace, with the name it has
    /// (ip netns list-id); `nsid N` prints only that one.
    ListId {
        /// `nsid N`: only that id (ip's syntax).
        #[arg(num_args = 0..)]
        filter: Vec<String>,
    },
    /// Print `add NAME` and `delete NAME` as names are added to and removed from the
    /// registry, until killed (ip netns monitor).
    Monitor,
    /// List registered names (with their netnsid, as ip netns list).
    #[command(alias = "show", alias = "ls")]
    List {
        /// JSON output (ip -j netns list's shape, plus the namespace inode).
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Run CMD inside NAME: a new mount namespace with a fresh /sys and /etc/netns/NAME/*.
    /// With --all, CMD runs in every registered namespace in turn (no NAME), each after a
    /// `netns: NAME` line, as ip -all netns exec.
    Exec {
        name: OsString,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Print the names under which PID's network namespace is registered.
    Identify {
        #[arg(value_parser = super::pid)]
        pid: Option<i32>,
    },
    /// Print the pids of the processes in NAME.
    Pids { name: OsString },
    /// Remove name files that have no namespace mounted (left by a killed process).
    Repair,
}

/// ip's reading of the command word: `ip netns` alone lists, and a command may be any prefix
/// of its name, tried in ip's order (so `a` is add, `at` attach, `s` show, `d` delete, `e`
/// exec, `lst` list). `argv` is the whole command line (`lxns netns …`); the word after
/// `netns` and its options is expanded in place, and `list` is added when there is none.
pub fn expand_command(mut argv: Vec<OsString>) -> Vec<OsString> {
    // ip's order (ipnetns.c do_netns), then lxns's own.
    const ORDER: &[(&str, &str)] = &[
        ("list", "list"),
        ("show", "list"),
        ("lst", "list"),
        ("list-id", "list-id"),
        ("help", "help"),
        ("add", "add"),
        ("set", "set"),
        ("delete", "delete"),
        ("identify", "identify"),
        ("pids", "pids"),
        ("exec", "exec"),
        ("monitor", "monitor"),
        ("attach", "attach"),
        ("repair", "repair"),
    ];
    let mut i = 2;
    while let Some(word) = argv.get(i) {
        let b = word.as_bytes();
        if b == b"-all" {
            if let Some(slot) = argv.get_mut(i) {
                *slot = "--all".into();
            }
            i += 1;
        } else if b == b"--registry" {
            i += 2;
        } else if b.starts_with(b"-") {
            i += 1;
        } else {
            break;
        }
    }
    let Some(word) = argv.get(i).and_then(|w| w.to_str()).map(str::to_owned) else {
        if argv.get(i).is_none() {
            argv.push("list".into());
        }
        return argv;
    };
    if let Some((_, full)) = ORDER
        .iter()
        .find(|(name, _)| !word.is_empty() && name.starts_with(word.as_str()))
    {
        if let Some(slot) = argv.get_mut(i) {
            *slot = (*full).into();
        }
    }
    argv
}

impl Args {
    /// Parses the three forms that scripts run by the hundred — `add NAME`, `delete|del
    /// NAME...` and `exec NAME [--] CMD...` — without building clap's parser, whose
    /// allocations and page faults cost about 75 µs per start (see BENCHMARKS.md).
    /// Returns `None` for anything else (options, names that look like options), which clap
    /// then parses, so every message stays clap's. Words are bytes (names and commands need
    /// not be UTF-8). `args` follows `netns`. The
    /// test `plain_forms_parse_as_clap_does` holds the two parsers to the same result.
    pub fn parse_plain(args: &[OsString]) -> Option<Args> {
        let mut words = args.iter();
        let plain = |w: &OsString| (!w.as_bytes().starts_with(b"-")).then(|| w.clone());
        let command = match words.next()?.to_str()? {
            "add" => {
                let name = plain(words.next()?)?;
                if words.next().is_some() {
                    return None;
                }
                Cmd::Add { name }
            }
            "delete" | "del" => {
                let names = words.map(plain).collect::<Option<Vec<_>>>()?;
                if names.is_empty() {
                    return None;
                }
                Cmd::Delete { names }
            }
            "exec" => {
                let name = plain(words.next()?)?;
                let mut command: Vec<OsString> = words.cloned().collect();
                if command.first().is_some_and(|w| w == "--") {
                    command.remove(0);
                }
                if command
                    .first()
                    .is_none_or(|w| w.as_bytes().starts_with(b"-"))
                {
                    return None;
                }
                Cmd::Exec { name, command }
            }
            _ => return None,
        };
        Some(Args {
            registry: None,
            all: false,
            command,
        })
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let reg = args
        .registry
        .as_ref()
        .map_or_else(Registry::new, Registry::at);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    // Listing repairs what a killed lxns or ip left in the registry, and says so; add and
    // delete repair the name they touch.
    if matches!(args.command, Cmd::List { .. }) && reg.dir().is_dir() {
        if let Ok(repaired) = reg.repair() {
            for name in repaired {
                eprintln!(
                    "lxns: removed {}: a name file with no namespace mounted (left by an \
                     interrupted add or delete)",
                    reg.dir().join(name).display()
                );
            }
        }
    }
    match &args.command {
        Cmd::Add { name } => {
            // This process is single-threaded and about to exit: create the namespace on
            // this thread (no helper thread), after the name has been checked.
            lxns::netns::validate_name(name)?;
            let ns = lxns::Namespace::unshare_current_thread(lxns::Kind::Net)?;
            reg.add_namespace(name, &ns)?;
        }
        Cmd::Attach { name, pid } => reg.attach(name, *pid)?,
        Cmd::Delete { names } => {
            let names: Vec<OsString> = if args.all {
                if !names.is_empty() {
                    bail!("netns delete --all takes no names");
                }
                reg.list()?.into_iter().map(|e| e.name).collect()
            } else if names.is_empty() {
                eprintln!("No netns name specified");
                return Ok(ExitCode::FAILURE);
            } else {
                names.clone()
            };
            let mut failed = false;
            for name in &names {
                if let Err(e) = reg.delete(name) {
                    let name = name.to_string_lossy();
                    // The error names the registry path already.
                    if e.to_string().contains(name.as_ref()) {
                        eprintln!("lxns: {e:#}");
                    } else {
                        eprintln!("lxns: {name}: {e}");
                    }
                    failed = true;
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::List { json } => {
            let entries = reg.list()?;
            if *json {
                let items: Vec<serde_json::Value> = entries
                    .iter()
                    .map(|e| {
                        // JSON strings are UTF-8: a non-UTF-8 name shows U+FFFD there.
                        let mut v = serde_json::json!({ "name": e.name.to_string_lossy() });
                        if let Some(NetNsId::Assigned(id)) = e.nsid {
                            v["id"] = serde_json::json!(id);
                        }
                        if let Some(id) = e.id {
                            v["ns"] = serde_json::json!(id.ino());
                        }
                        v
                    })
                    .collect();
                serde_json::to_writer(&mut out, &items).map_err(io::Error::from)?;
                writeln!(out)?;
            } else {
                for e in &entries {
                    out.write_all(e.name.as_bytes())?;
                    match e.nsid {
                        Some(NetNsId::Assigned(id)) => writeln!(out, " (id: {id})")?,
                        _ => writeln!(out)?,
                    }
                }
            }
        }
        Cmd::Exec { name, command } if args.all => {
            let mut all = vec![name.clone()];
            all.extend(command.iter().cloned());
            return exec_all(&reg, &all, &mut out);
        }
        Cmd::Exec { name, command } => return exec(&reg, name, command),
        Cmd::Set { name, nsid } => return set(&reg, name, nsid),
        Cmd::ListId { filter } => {
            let only = match filter.as_slice() {
                [] => None,
                [word, n] if word == "nsid" => Some(n.parse::<i32>().map_err(|_| {
                    anyhow::anyhow!("argument {n:?} is wrong: Invalid \"nsid\" value")
                })?),
                _ => bail!("list-id takes only `nsid N` (target-nsid is not supported)"),
            };
            let names: Vec<(i32, OsString)> = reg
                .list()?
                .into_iter()
                .filter_map(|e| match e.nsid {
                    Some(NetNsId::Assigned(id)) => Some((id, e.name)),
                    _ => None,
                })
                .collect();
            for id in lxns::netns::nsids()? {
                if only.is_some_and(|o| o != id) {
                    continue;
                }
                write!(out, "nsid {id} ")?;
                if let Some((_, name)) = names.iter().find(|(n, _)| *n == id) {
                    out.write_all(b"(iproute2 netns name: ")?;
                    out.write_all(name.as_bytes())?;
                    out.write_all(b")")?;
                }
                writeln!(out)?;
            }
        }
        Cmd::Monitor => return monitor(&reg, &mut out),
        Cmd::Identify { pid } => {
            let pid = match pid {
                Some(p) => *p,
                None => std::process::id().try_into().context("pid")?,
            };
            for name in reg.identify(pid)? {
                out.write_all(name.as_bytes())?;
                writeln!(out)?;
            }
        }
        Cmd::Pids { name } => {
            for pid in reg.pids(name)? {
                writeln!(out, "{pid}")?;
            }
        }
        Cmd::Repair => {
            for name in reg.repair()? {
                out.write_all(b"removed ")?;
                out.write_all(name.as_bytes())?;
                writeln!(out, ": no namespace was mounted on it")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `ip netns set NAME NETNSID`: 255 for a malformed id (ip's own errors), 1 for a name that
/// cannot be opened, 2 for the kernel's refusal (ip's "RTNETLINK answers").
fn set(reg: &Registry, name: &OsStr, nsid: &str) -> Result<ExitCode> {
    let id = if nsid == "auto" {
        None
    } else {
        match nsid.parse::<u32>() {
            Ok(n) if i32::try_from(n).is_ok() => Some(n),
            _ => {
                eprintln!("Error: argument {nsid:?} is wrong: Invalid \"netnsid\" value");
                return Ok(ExitCode::from(255));
            }
        }
    };
    let ns = match reg.open(name) {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!("lxns: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    match lxns::netns::set_nsid(&ns, id) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            let why = match e.errno().and_then(|n| n.name()) {
                Some("EEXIST") => {
                    ": the namespace (or the id) already has one; it is kept \
                                   until the namespace is freed"
                }
                _ => "",
            };
            eprintln!("lxns: {e}{why}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `ip netns monitor`: `add NAME` / `delete NAME` per name created in or removed from the
/// registry (inotify `IN_CREATE`/`IN_DELETE`), flushed line by line, until killed. The
/// directory is created first when missing, as ip creates it.
fn monitor(reg: &Registry, out: &mut impl Write) -> Result<ExitCode> {
    use rustix::fs::inotify;
    let dir = reg.dir();
    if !dir.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let fd = inotify::init(inotify::CreateFlags::CLOEXEC).context("inotify_init failed")?;
    inotify::add_watch(
        &fd,
        dir,
        inotify::WatchFlags::CREATE | inotify::WatchFlags::DELETE,
    )
    .with_context(|| format!("inotify_add_watch failed on {}", dir.display()))?;
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
    let mut events = inotify::Reader::new(&fd, &mut buf);
    loop {
        let event = match events.next() {
            Ok(ev) => ev,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e).context("read failed"),
        };
        let Some(name) = event.file_name() else {
            continue;
        };
        let flags = event.events();
        if flags.contains(inotify::ReadFlags::CREATE) {
            out.write_all(b"add ")?;
            out.write_all(name.to_bytes())?;
            out.write_all(b"\n")?;
        }
        if flags.contains(inotify::ReadFlags::DELETE) {
            out.write_all(b"delete ")?;
            out.write_all(name.to_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
}

/// `ip -all netns exec CMD`: CMD in each registered namespace in turn, each run after a
/// `\nnetns: NAME` line, as a child (each in its own mount namespace). Exits 0 like ip when
/// every command ran; unlike ip, 1 when one failed or could not run, so that a script sees
/// it (ip exits 0 either way).
fn exec_all(reg: &Registry, command: &[OsString], out: &mut impl Write) -> Result<ExitCode> {
    let Some((program, rest)) = command.split_first() else {
        bail!("netns exec needs a command");
    };
    let mut failed = false;
    // ip's order: the directory's (readdir), not sorted.
    let names: Vec<OsString> = match std::fs::read_dir(reg.dir()) {
        Ok(rd) => rd.flatten().map(|e| e.file_name()).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("read {}", reg.dir().display())),
    };
    for name in names {
        out.write_all(b"\nnetns: ")?;
        out.write_all(name.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
        let me = std::env::current_exe().context("find lxns itself")?;
        let mut c = std::process::Command::new(me);
        c.arg("netns")
            .arg("--registry")
            .arg(reg.dir())
            .arg("exec")
            .arg(&name)
            .arg("--")
            .arg(program)
            .args(rest);
        let status = c.status().context("run lxns netns exec")?;
        failed |= !status.success();
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Sets this (single-threaded) process up like `ip netns exec` and replaces it with the
/// command: no extra fork.
fn exec(reg: &Registry, name: &OsStr, command: &[OsString]) -> Result<ExitCode> {
    let Some((program, rest)) = command.split_first() else {
        bail!("netns exec needs a command");
    };
    lxns::netns::prepare_exec_current_thread(reg, name)?;
    let err = std::process::Command::new(program).args(rest).exec();
    let code = match err.kind() {
        io::ErrorKind::NotFound => 127,
        io::ErrorKind::PermissionDenied => 126,
        _ => 126,
    };
    eprintln!("lxns: exec {}: {err}", program.to_string_lossy());
    Ok(ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::{Args, expand_command};
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    fn by_clap(argv: &[OsString]) -> Option<Args> {
        let cmd = <Args as clap::Args>::augment_args(clap::Command::new("netns"));
        let m = cmd
            .try_get_matches_from(std::iter::once(OsString::from("netns")).chain(argv.to_vec()))
            .ok()?;
        <Args as clap::FromArgMatches>::from_arg_matches(&m).ok()
    }

    #[test]
    fn plain_forms_parse_as_clap_does() {
        for argv in [
            &["add", "blue"][..],
            &["add", "help"],
            &["add", "a=b"],
            &["del", "blue"],
            &["delete", "a", "b", "c"],
            &["exec", "blue", "/bin/true"],
            &["exec", "blue", "--", "/bin/true"],
            &["exec", "blue", "ip", "-o", "link"],
            &["exec", "blue", "--", "ip", "-o", "link"],
            &["exec", "blue", "sh", "-c", "echo -- x", "--", "y"],
            &["exec", "blue", "env", "--", "--x"],
        ] {
            let argv = words(argv);
            let plain = Args::parse_plain(&argv);
            assert!(plain.is_some(), "{argv:?} should take the plain path");
            assert_eq!(plain, by_clap(&argv), "{argv:?}");
        }
    }

    #[test]
    fn anything_else_is_left_to_clap() {
        for argv in [
            &[][..],
            &["add"],
            &["add", "-x"],
            &["add", "--registry", "/tmp/r", "blue"],
            &["add", "a", "b"],
            &["del"],
            &["del", "a", "-b"],
            &["exec", "blue"],
            &["exec", "blue", "--"],
            &["exec", "blue", "-x"],
            &["exec", "blue", "--", "--"],
            &["exec", "-n", "cmd"],
            &["list"],
            &["attach", "a", "1"],
            &["identify"],
        ] {
            assert_eq!(Args::parse_plain(&words(argv)), None, "{argv:?}");
        }
        // ip's abbreviations and the bare form.
        let expand = |w: &[&str]| {
            expand_command(
                ["lxns", "netns"]
                    .iter()
                    .chain(w)
                    .map(OsString::from)
                    .collect(),
            )
        };
        for (given, want) in [
            (&[][..], &["list"][..]),
            (&["a", "x"], &["add", "x"]),
            (&["at", "x", "1"], &["attach", "x", "1"]),
            (&["d", "x"], &["delete", "x"]),
            (&["del", "x"], &["delete", "x"]),
            (&["e", "x", "ls"], &["exec", "x", "ls"]),
            (&["s"], &["list"]),
            (&["lst"], &["list"]),
            (&["l"], &["list"]),
            (&["p", "x"], &["pids", "x"]),
            (&["i"], &["identify"]),
            (
                &["--registry", "/r", "a", "x"],
                &["--registry", "/r", "add", "x"],
            ),
            (&["--registry=/r"], &["--registry=/r", "list"]),
            (&["frob"], &["frob"]),
        ] {
            let want: Vec<OsString> = ["lxns", "netns"]
                .iter()
                .chain(want)
                .map(OsString::from)
                .collect();
            assert_eq!(expand(given), want, "{given:?}");
        }
        // Names are bytes: a non-UTF-8 name is a plain add, as clap parses it too.
        let non_utf8 = vec![OsString::from("add"), OsString::from_vec(vec![0xff])];
        assert_eq!(Args::parse_plain(&non_utf8), by_clap(&non_utf8));
        assert!(Args::parse_plain(&non_utf8).is_some());
    }
}
