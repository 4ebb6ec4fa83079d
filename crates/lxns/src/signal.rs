//! Signal names as `kill -l` (util-linux) knows them: [`parse_signal`].

use crate::error::{Error, Op, Result, Target};
use crate::sys;
use rustix::process::Signal;

/// The standard signals by name, as `kill -l` lists them (with the aliases util-linux
/// accepts: `IOT`, `CLD`, `POLL`).
const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Parses a signal as kill(1) and util-linux's options (`--kill-child`, `--signal`) take
/// it: a name from `kill -l` with or without one `SIG` prefix, in any case (`term`,
/// `SIGTERM`, `Winch`); a real-time signal as `RTMIN`, `RTMIN+N`, `RTMAX`, `RTMAX-N`; or a
/// number (1–31, and the real-time range, 34–64 with glibc). Strict: no sign, no spaces,
/// no leading zeros, one prefix only (`SIGSIG2` is no signal).
///
/// ```
/// use lxns::{Signal, parse_signal};
/// assert_eq!(parse_signal("sigterm")?, Signal::TERM);
/// assert_eq!(parse_signal("9")?, Signal::KILL);
/// assert_eq!(parse_signal("RTMIN+2")?.as_raw(), parse_signal("RTMIN")?.as_raw() + 2);
/// assert!(parse_signal("+9").is_err() && parse_signal("SIGSIG2").is_err());
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
/// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) naming the text, for anything else.
///
/// # References
///  - [kill(1)](https://man7.org/linux/man-pages/man1/kill.1.html),
///    [signal(7)](https://man7.org/linux/man-pages/man7/signal.7.html)
pub fn parse_signal(text: &str) -> Result<Signal> {
    let bad = || {
        Error::invalid_argument(
            Op::Parse,
            Target::Text(text.to_owned()),
            format!(
                "{text:?} is not a signal: give a name from kill -l (TERM, SIGKILL, RTMIN+1) or \
             its number"
            ),
        )
    };
    if let Some(n) = decimal(text) {
        return sys::signal_from_raw(n).ok_or_else(bad);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, n)) = NAMES.iter().find(|(n, _)| *n == name) {
        return sys::signal_from_raw(n).ok_or_else(bad);
    }
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    let rt = match name {
        "RTMIN" => Some(min),
        "RTMAX" => Some(max),
        _ => name
            .strip_prefix("RTMIN+")
            .and_then(decimal)
            .map(|n| min.saturating_add(n))
            .or_else(|| {
                name.strip_prefix("RTMAX-")
                    .and_then(decimal)
                    .map(|n| max.saturating_sub(n))
            }),
    };
    rt.filter(|n| (min..=max).contains(n))
        .and_then(sys::signal_from_raw)
        .ok_or_else(bad)
}

/// A decimal number as kill writes it: digits only, no leading zero (but "0" itself).
fn decimal(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    let ok = !b.is_empty() && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1);
    if ok { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_number_kill_lists_and_nothing_else() {
        for (spec, want) in [
            ("TERM", Signal::TERM),
            ("sigterm", Signal::TERM),
            ("SIGALRM", Signal::ALARM),
            ("PWR", Signal::POWER),
            ("9", Signal::KILL),
            ("Winch", Signal::WINCH),
            ("iot", Signal::ABORT),
            ("SIGCLD", Signal::CHILD),
            ("poll", Signal::IO),
        ] {
            assert_eq!(parse_signal(spec).unwrap(), want, "{spec}");
        }
        // Every number kill -l prints: 1-31 and the real-time range.
        for n in (1..=31).chain(libc::SIGRTMIN()..=libc::SIGRTMAX()) {
            assert_eq!(parse_signal(&n.to_string()).unwrap().as_raw(), n);
        }
        let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
        assert_eq!(parse_signal("RTMIN").unwrap().as_raw(), min);
        assert_eq!(parse_signal("sigrtmin+3").unwrap().as_raw(), min + 3);
        assert_eq!(parse_signal("RTMAX-1").unwrap().as_raw(), max - 1);
        assert_eq!(parse_signal("SIGRTMAX").unwrap().as_raw(), max);
        let past = format!("RTMIN+{}", max - min + 1);
        for bad in [
            "SIGSIG2", "+9", " 9", "9 ", "", "SIG", "0", "65", "TERMX", "09", "32", "33", "RTMIN+",
            "RTMIN+-1", "RTMIN+01", "RTMAX+1", "RTMIN-1", &past, "SIGRT", "9x",
        ] {
            assert!(parse_signal(bad).is_err(), "{bad:?} accepted");
        }
    }
}
