//! Spawn+wait of `/bin/true` in new user and network namespaces with [`lxns::Command`]: the
//! counterpart of the C floor `bench/src/clone3_loop.c`, in the same output format.
//!
//! Usage: `spawn_loop ITERS REPS`. Prints `ITER <mode> <nanoseconds per spawn>` per
//! repetition, for:
//! - `plain`: `Command::new("/bin/true").unshare(User | Net).status()` (no id maps);
//! - `maps`: the same with `map_root()` (setgroups, uid_map, gid_map written by the parent
//!   while the child waits);
//! - `plain-clone`, `maps-clone`: the same two on a thread whose seccomp filter makes
//!   `clone3` fail with `ENOSYS` (as container profiles do), so lxns falls back to `clone(2)`.
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
        spawn_reps(mode, maps, iters, reps, kinds)?;
    }
    std::thread::spawn(move || -> Result<(), String> {
        block_clone3()?;
        for (mode, maps) in [("plain-clone", false), ("maps-clone", true)] {
            spawn_reps(mode, maps, iters, reps, kinds)?;
        }
        Ok(())
    })
    .join()
    .map_err(|_| "the fallback thread panicked".to_owned())?
}

fn spawn_reps(mode: &str, maps: bool, iters: u32, reps: u32, kinds: KindSet) -> Result<(), String> {
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
    Ok(())
}

/// Installs on the calling thread a seccomp filter under which `clone3` fails with `ENOSYS`.
fn block_clone3() -> Result<(), String> {
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xC000_003E;
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xC000_00B7;
    let op = |code: u32| u16::try_from(code).unwrap_or(0);
    let f = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: op(code),
        jt,
        jf,
        k,
    };
    let (ld, jeq, ret) = (
        libc::BPF_LD | libc::BPF_W | libc::BPF_ABS,
        libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
        libc::BPF_RET | libc::BPF_K,
    );
    let nr = u32::try_from(libc::SYS_clone3).map_err(|e| e.to_string())?;
    let enosys = u32::try_from(libc::ENOSYS).map_err(|e| e.to_string())?;
    let prog = [
        f(ld, 0, 0, 4),
        f(jeq, 1, 0, ARCH),
        f(ret, 0, 0, libc::SECCOMP_RET_ALLOW),
        f(ld, 0, 0, 0),
        f(jeq, 0, 1, nr),
        f(ret, 0, 0, libc::SECCOMP_RET_ERRNO | enosys),
        f(ret, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let fprog = libc::sock_fprog {
        len: 7,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points to a valid 7-instruction BPF program that outlives the call
    // (the kernel copies it); no flags, so only this thread is filtered. Needs root.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &raw const fprog,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(format!("seccomp: {}", std::io::Error::last_os_error()))
    }
}
