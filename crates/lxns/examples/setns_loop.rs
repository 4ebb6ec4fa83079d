//! The enter/return loop of `bench/loops.sh`, done with lxns (the C, Go and Python loops
//! beside it print the same lines).
//!
//! Usage: `setns_loop PID ITERS REPS`. Prints one line per repetition and variant:
//! `ITER <variant> <nanoseconds per iteration>`.
//!
//! - `open-setns-back-close`: `Namespace::of_process(pid, Net)` (pidfd), enter, return, drop:
//!   the same work as the C floor's open/setns/setns/close.
//! - `open(path)-setns-back-close`: the same with `Namespace::open_as("/proc/PID/ns/net")`
//!   (validated: stat, open, fstatfs, NS_GET_NSTYPE, fstat).
//! - `setns-pair(pre-opened)`: two `enter_current_thread` calls on open handles.
//! - `run(empty closure)`: `lxns::run(&[&ns], || ())` — a dedicated thread per call, the
//!   counterpart of Go CNI's `NetNS.Do` (06-go-netns-loop.sh).
//! - `worker.run(empty closure)`: `Worker::run(|| ())` on a thread parked in the namespace.
//! - `run_scoped(empty closure)`: `lxns::run_scoped` — a new thread per call.
//!
//! It runs on the main thread of a single-threaded process and checks, as the C loop does,
//! that one round trip really switches and that it ends where it started.

use std::process::ExitCode;
use std::time::Instant;

use lxns::{Kind, Namespace};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("setns_loop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse<T: std::str::FromStr>(arg: Option<String>, what: &str) -> Result<T, String> {
    arg.ok_or_else(|| format!("usage: setns_loop PID ITERS REPS (missing {what})"))?
        .parse()
        .map_err(|_| format!("{what} must be a number"))
}

fn thread_net() -> Result<u64, String> {
    Namespace::current(Kind::Net)
        .map(|n| n.id().ino())
        .map_err(|e| e.to_string())
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let pid: i32 = parse(args.next(), "PID")?;
    let iters: u32 = parse(args.next(), "ITERS")?;
    let reps: u32 = parse(args.next(), "REPS")?;
    let e = |e: lxns::Error| e.to_string();
    let home = Namespace::current(Kind::Net).map_err(e)?;
    let target = Namespace::of_process(pid, Kind::Net).map_err(e)?;
    if target == home {
        return Err("target is in our network namespace".into());
    }
    target.enter_current_thread().map_err(e)?;
    if thread_net()? != target.id().ino() {
        return Err("switch not observed".into());
    }
    home.enter_current_thread().map_err(e)?;
    let path = format!("/proc/{pid}/ns/net");

    let time = |name: &str, body: &mut dyn FnMut() -> lxns::Result<()>| -> Result<(), String> {
        for _ in 0..reps {
            let t0 = Instant::now();
            for _ in 0..iters {
                body().map_err(e)?;
            }
            let ns = t0.elapsed().as_nanos() as f64 / f64::from(iters);
            println!("ITER {name} {ns:.1}");
        }
        Ok(())
    };
    time("open-setns-back-close", &mut || {
        let t = Namespace::of_process(pid, Kind::Net)?;
        t.enter_current_thread()?;
        home.enter_current_thread()
    })?;
    time("open(path)-setns-back-close", &mut || {
        let t = Namespace::open_as(&path, Kind::Net)?;
        t.enter_current_thread()?;
        home.enter_current_thread()
    })?;
    time("setns-pair(pre-opened)", &mut || {
        target.enter_current_thread()?;
        home.enter_current_thread()
    })?;
    time("run(empty closure)", &mut || lxns::run(&[&target], || ()))?;
    time("run_scoped(empty closure)", &mut || {
        lxns::run_scoped(&[&target], || ())
    })?;
    let worker = lxns::Worker::new(&[&target]).map_err(e)?;
    time("worker.run(empty closure)", &mut || worker.run(|| ()))?;
    drop(worker);
    if thread_net()? != home.id().ino() {
        return Err("not back home".into());
    }
    Ok(())
}
