//! Pid translation on kernels without `NS_GET_PID_FROM_PIDNS`/`NS_GET_PID_IN_PIDNS`
//! (before Linux 6.11): the `NSpid:` line of `/proc/PID/status`, which lists a process's pid
//! in the pid namespace of `/proc` and in each nested one down to its own.
//!
//! It answers for pid namespaces at or below the caller's (the only ones whose pids the
//! caller's `/proc` shows), and only when `/proc` belongs to the caller's pid namespace;
//! otherwise [`Reason::Unsupported`](crate::Reason::Unsupported). Translating *into* the caller's namespace scans every
//! process: O(processes), where the ioctl is O(1).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::error::{Error, Op, Result, Target};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::process::Process;

/// Which way to translate.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A pid of `ns` into the caller's namespace (`NS_GET_PID_FROM_PIDNS`).
    ToCaller,
    /// A pid of the caller's namespace into `ns` (`NS_GET_PID_IN_PIDNS`).
    FromCaller,
}

/// Translates `pid` between `ns` and the caller's pid namespace through `/proc`.
pub(crate) fn translate(ns: &Namespace, pid: i32, direction: Direction) -> Result<i32> {
    let level = level_below_caller(ns)?;
    match direction {
        Direction::FromCaller => in_namespace(ns, level, pid)?.ok_or_else(|| gone(pid)),
        Direction::ToCaller => {
            let proc_dir = std::fs::read_dir("/proc").map_err(|e| io_error("/proc", &e))?;
            for entry in proc_dir.flatten() {
                let name = entry.file_name();
                let Some(candidate) = parse_pid(name.as_bytes()) else {
                    continue;
                };
                // A process that exits meanwhile is just not the one. (No let chain: the
                // crate's MSRV is 1.86.)
                if matches!(in_namespace(ns, level, candidate), Ok(Some(inner)) if inner == pid) {
                    return Ok(candidate);
                }
            }
            Err(gone(pid))
        }
    }
}

/// How many levels `ns` lies below the caller's pid namespace (0: it is the caller's).
fn level_below_caller(ns: &Namespace) -> Result<usize> {
    let unsupported = |why: &str| {
        Error::unsupported(
            Op::TranslatePid,
            Some(Kind::Pid),
            format!(
                "pid translation (NS_GET_PID_*, Linux 6.11); the /proc fallback of older kernels \
             {why}"
            ),
            None,
        )
    };
    // /proc must number processes as the caller's pid namespace does.
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let proc_self = rustix::fs::readlink("/proc/self", Vec::new())
        .ok()
        .and_then(|l| parse_pid(l.as_bytes()));
    if proc_self != Some(me) {
        return Err(unsupported(
            "needs /proc mounted for the caller's pid namespace",
        ));
    }
    let caller = Namespace::current(Kind::Pid)?;
    let mut cur = ns.try_clone()?;
    for level in 0..=32 {
        if cur == caller {
            return Ok(level);
        }
        match cur.parent() {
            Ok(parent) => cur = parent,
            Err(_) => break,
        }
    }
    Err(unsupported(
        "works only for pid namespaces at or below the caller's",
    ))
}

/// `pid`'s number in `ns` (which is `level` below the caller's namespace), `None` when the
/// process is not in `ns` or below it.
fn in_namespace(ns: &Namespace, level: usize, pid: i32) -> Result<Option<i32>> {
    let process = Process::open(pid)?;
    let own = process.namespace(Kind::Pid)?;
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read(&path).map_err(|e| io_error(&path, &e))?;
    let nspid = nspid_line(&status).ok_or_else(|| {
        Error::unsupported(
            Op::TranslatePid,
            Some(Kind::Pid),
            "an NSpid line in /proc/PID/status (Linux 4.1)".into(),
            None,
        )
    })?;
    // The status read was the pidfd's process's own only if it is still alive.
    process.namespace(Kind::Pid)?;
    let Some(&inner) = nspid.get(level) else {
        return Ok(None);
    };
    // The process's own namespace is nspid.len() - 1 levels below the caller's; walk up to
    // `level` and compare with `ns`.
    let mut cur = own;
    for _ in level..nspid.len().saturating_sub(1) {
        cur = cur.parent()?;
    }
    Ok((cur == *ns).then_some(inner))
}

/// The numbers of the `NSpid:` line (at most 33: the nesting limit is 32).
pub(crate) fn nspid_line(status: &[u8]) -> Option<Vec<i32>> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"NSpid:"))?;
    let pids: Option<Vec<i32>> = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .map(parse_pid)
        .collect();
    pids.filter(|p| !p.is_empty() && p.len() <= 33)
}

/// A positive decimal pid, nothing else.
fn parse_pid(bytes: &[u8]) -> Option<i32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes)
        .ok()?
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

fn gone(pid: i32) -> Error {
    Error::process_gone(Op::TranslatePid, Some(Kind::Pid), pid).with_errno(None)
}

fn io_error(path: &str, e: &std::io::Error) -> Error {
    Error::from_io(Op::TranslatePid, Target::Path(OsStr::new(path).into()), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// The kernel's NSpid line (tab-separated, 1 to 33 levels) reads back exactly,
        /// wherever it sits in the status text.
        #[test]
        fn nspid_lines_read_back(pids in prop::collection::vec(1i32..=i32::MAX, 1..=33), before in "X[a-z]{1,7}:\t[0-9]{1,5}\n") {
            let line: Vec<String> = pids.iter().map(i32::to_string).collect();
            let status = format!("{before}NSpid:\t{}\nNSpgid:\t1\n", line.join("\t"));
            prop_assert_eq!(nspid_line(status.as_bytes()), Some(pids));
        }
    }

    #[test]
    fn reads_the_nspid_line() {
        let status = b"Name:\tsh\nPid:\t77\nNSpid:\t77\t5\t1\nNSpgid:\t77\n";
        assert_eq!(nspid_line(status), Some(vec![77, 5, 1]));
        assert_eq!(nspid_line(b"NSpid:\t12\n"), Some(vec![12]));
        assert_eq!(nspid_line(b"NSpid:\t\n"), None);
        assert_eq!(nspid_line(b"NSpid:\t1 x\n"), None);
        assert_eq!(nspid_line(b"Pid:\t1\n"), None);
        assert_eq!(parse_pid(b"0"), None);
        assert_eq!(parse_pid(b"+1"), None);
        assert_eq!(parse_pid(b"99999999999"), None);
    }
}
