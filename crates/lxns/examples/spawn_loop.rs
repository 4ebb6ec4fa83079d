//! Spawn+wait of `/bin/true` in new user and network namespaces with [`lxns::Command`]: the
//! counterpart of the C floor `bench/src/clone3_loop.c`, in the same output format.
//!
//! Usage: `spawn_loop ITERS REPS`. Prints `ITER <mode> <nanoseconds per spawn>` per
//! repetition, for:
//! - `plain`: `Command::new("/bin/true").unshare(User | Net).status()` (no id maps);
//! - `maps`: the same with `map_root()` (setgroups, uid_map, gid_map written by the parent
//!   while the child waits).
//!
//! Each status is checked: a failed spawn stops the loop with an error.

use std::process::ExitCode;
use std::time::Instant;

use lxns::{Command, Kind, KindSet};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spawn_loop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(arg: Option<String>, what: &str, default: u32) -> Result<u32, String> {
    arg.map_or(Ok(default), |a| {
        a.parse().map_err(|_| format!("{what} must be a number"))
    })
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let iters = parse(args.next(), "ITERS", 200)?.max(1);
    let reps = parse(args.next(), "REPS", 5)?;
    let kinds = KindSet::from(Kind::User) | Kind::Net;
    for (mode, maps) in [("plain", false), ("maps", true)] {
        for _ in 0..reps {
            let start = Instant::now();
            for _ in 0..iters {
                let mut cmd = Command::new("/bin/true");
                cmd.unshare(kinds);
                if maps {
                    cmd.map_root();
                }
                let status = cmd.status().map_err(|e| e.to_string())?;
                if !status.success() {
                    return Err(format!("/bin/true: {status}"));
                }
            }
            let ns = start.elapsed().as_nanos() / u128::from(iters);
            println!("ITER {mode} {ns}");
        }
    }
    Ok(())
}
