//! `lxns`: one command for Linux namespaces. Parses arguments, calls the `lxns` library,
//! prints. Every subcommand lives in `cmd/`.

mod cmd;
mod docs;
mod filter;
mod getopt;
mod output;
mod users;

use std::process::ExitCode;

use std::ffi::OsString;

use clap::{Parser, Subcommand};

/// Linux namespaces: run programs in new ones, enter, list, name and inspect them.
#[derive(Debug, Parser)]
// infer_long_args: `--map-root` for `--map-root-user`, as getopt_long allows any unique
// prefix (util-linux's tools take them).
#[command(
    name = "lxns",
    version,
    about,
    propagate_version = true,
    infer_long_args = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // Boxed: its many options would make every variant as large.
    Enter(Box<cmd::enter::Args>),
    Info(cmd::info::Args),
    Limits(cmd::limits::Args),
    Ls(cmd::ls::Args),
    Netns(cmd::netns::Args),
    Run(Box<cmd::run::Args>),
    /// Write the man pages and shell completions under PREFIX (share/man/man1, bash, zsh,
    /// fish): `lxns generate-docs /usr/local`.
    #[command(hide = true, name = "generate-docs")]
    GenerateDocs {
        /// The installation prefix (for example /usr/local, or a package's staging dir).
        prefix: std::path::PathBuf,
    },
}

/// Parses the command line. clap's derive builds the parser of every subcommand before it
/// looks at the arguments; building only the one named in `argv[1]` makes each start about
/// 20 µs cheaper (see BENCHMARKS.md). Help, version and anything unusual take the full path,
/// so the messages are clap's own.
fn parse() -> Command {
    let argv: Vec<OsString> = std::env::args_os().collect();
    // `ip netns` alone lists; `ip netns a`, `d`, `e`, `lst` … are its commands.
    let argv = if argv.get(1).is_some_and(|a| a == "netns") {
        cmd::netns::expand_command(argv)
    } else {
        argv
    };
    let plain = argv.iter().skip(1).all(|a| {
        !matches!(
            a.to_str(),
            Some("-h" | "--help" | "-V" | "--version" | "help")
        )
    });
    // nsenter's and lsns's short options with an optional argument follow getopt
    // (`-Towner`, `-n/proc/1/ns/net`): see getopt.rs. unshare's short options are plain
    // flags (`-Urn`), so `run` is left alone.
    macro_rules! only {
        ($args:ty, $name:literal, $wrap:expr) => {{
            let mut cmd = <$args as clap::Args>::augment_args(
                clap::Command::new(concat!("lxns ", $name)).infer_long_args(true),
            );
            cmd.build();
            let words = argv.get(2..).unwrap_or_default();
            let words = if matches!($name, "enter" | "ls") {
                getopt::rewrite(&cmd, words)
            } else {
                words.to_vec()
            };
            let full: Vec<OsString> = argv.iter().take(2).cloned().chain(words).collect();
            let parsed = cmd
                .try_get_matches_from(full.iter().skip(1))
                .and_then(|m| <$args as clap::FromArgMatches>::from_arg_matches(&m));
            match parsed {
                Ok(args) => return $wrap(args),
                Err(_) => return full_parse(&full),
            }
        }};
    }
    if plain {
        match argv.get(1).and_then(|s| s.to_str()) {
            Some("run") => only!(cmd::run::Args, "run", |a| Command::Run(Box::new(a))),
            Some("enter") => only!(cmd::enter::Args, "enter", |a| Command::Enter(Box::new(a))),
            Some("netns") => {
                if let Some(args) = cmd::netns::Args::parse_plain(argv.get(2..).unwrap_or_default())
                {
                    return Command::Netns(args);
                }
                only!(cmd::netns::Args, "netns", Command::Netns)
            }
            Some("ls") => only!(cmd::ls::Args, "ls", Command::Ls),
            Some("info") => only!(cmd::info::Args, "info", Command::Info),
            Some("limits") => only!(cmd::limits::Args, "limits", Command::Limits),
            _ => {}
        }
    }
    full_parse(&argv)
}

/// clap's full parser. Help and version go to stdout and exit 0 only if they were written
/// (clap's own `exit` ignores a failed write: `lxns --help >/dev/full` must fail). Usage
/// errors exit 1 with util-linux's words for an unknown option (`lxns run: unrecognized
/// option '--bogus'`, then `Try 'lxns run --help' …`), as unshare, nsenter and lsns do;
/// an unknown `netns` command exits 255 with ip's words, as `ip netns` does.
fn full_parse(argv: &[OsString]) -> Command {
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => {
            let code = if e.use_stderr() {
                usage_error(&e)
            } else {
                let written = e
                    .print()
                    .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
                match written {
                    Ok(()) => 0,
                    // util-linux's close_stdout: a closed pipe (`--help | head`) is no error.
                    Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => 0,
                    Err(err) => {
                        eprintln!("lxns: write error: {err}");
                        1
                    }
                }
            };
            #[allow(clippy::exit)] // the one place the command ends before it ran
            std::process::exit(code)
        }
    }
}

/// Prints a usage error as util-linux (or, for `netns`, iproute2) words it; returns the
/// exit status.
fn usage_error(e: &clap::Error) -> i32 {
    use clap::error::{ContextKind, ErrorKind};
    let sub = std::env::args_os()
        .nth(1)
        .and_then(|a| a.into_string().ok())
        .filter(|a| ["run", "enter", "ls", "netns", "info", "limits"].contains(&a.as_str()));
    let name = sub
        .as_deref()
        .map_or_else(|| "lxns".to_owned(), |s| format!("lxns {s}"));
    let context = |kind| e.get(kind).map(ToString::to_string).unwrap_or_default();
    match e.kind() {
        ErrorKind::UnknownArgument => {
            eprintln!(
                "{name}: unrecognized option '{}'\nTry '{name} --help' for more information.",
                context(ContextKind::InvalidArg)
            );
            1
        }
        ErrorKind::InvalidSubcommand if sub.as_deref() == Some("netns") => {
            eprintln!(
                "Command \"{}\" is unknown, try \"lxns netns --help\".",
                context(ContextKind::InvalidSubcommand)
            );
            255
        }
        _ => {
            let _ = e.print();
            1
        }
    }
}

fn main() -> ExitCode {
    // `bwrap …` (a link named bwrap) and `lxns sandbox …`: bubblewrap's command line, parsed
    // by hand (its options take several words and their order matters).
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n == "bwrap")
        .unwrap_or(false);
    if invoked_as {
        return cmd::sandbox::main(argv.collect());
    }
    let rest: Vec<OsString> = argv.collect();
    if rest.first().is_some_and(|a| a == "sandbox") {
        return cmd::sandbox::main(rest.into_iter().skip(1).collect());
    }
    // A closed stdout (`>&-`) cannot be told from `>/dev/null` here: Rust's runtime reopens
    // closed standard fds on /dev/null before main, so such output is discarded as
    // /dev/null discards it (exit 0). A failed write (`>/dev/full`) is an error.
    let command = parse();
    // The oldest kernel each command works on (lxns::kernel's compatibility table): pids
    // go through pidfds (5.3); everything needs the nsfs ioctls (4.11).
    let (major, minor, name) = match &command {
        Command::Enter(_) => (5, 3, "lxns enter"),
        Command::Run(_) => (5, 3, "lxns run"),
        Command::GenerateDocs { .. } => (0, 0, "lxns generate-docs"),
        Command::Info(_) => (4, 11, "lxns info"),
        Command::Limits(_) => (4, 11, "lxns limits"),
        Command::Ls(_) => (4, 11, "lxns ls"),
        Command::Netns(_) => (4, 11, "lxns netns"),
    };
    let kernel = lxns::kernel::Version::current();
    if !kernel.at_least(major, minor) {
        eprintln!("lxns: {name} needs Linux {major}.{minor} or later; this is Linux {kernel}");
        return ExitCode::FAILURE;
    }
    let result = match command {
        Command::Enter(args) => cmd::enter::run(&args),
        Command::Info(args) => cmd::info::run(&args),
        Command::Limits(args) => cmd::limits::run(&args),
        Command::Ls(args) => cmd::ls::run(&args),
        Command::Netns(args) => cmd::netns::run(&args),
        Command::Run(args) => cmd::run::run(&args),
        Command::GenerateDocs { prefix } => {
            docs::generate(&<Cli as clap::CommandFactory>::command(), &prefix)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // One line for the whole chain, then the lxns error's hint, if it has one.
            eprintln!("lxns: {err:#}");
            if let Some(hint) = err
                .chain()
                .find_map(|c| c.downcast_ref::<lxns::Error>())
                .and_then(lxns::Error::hint)
            {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}
