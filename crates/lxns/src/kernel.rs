//! The running kernel: its version, and what lxns does on kernels that lack a feature.
//!
//! lxns asks the kernel first and falls back where a call or ioctl is missing (`ENOSYS`,
//! `ENOTTY`, or `EINVAL` for a form an older kernel does not know), so one build works on
//! every kernel from the minimum below, and the same fallback runs where a seccomp profile
//! blocks the newer call. Each fallback is tested on every machine by seccomp filters that
//! make the newer call fail the way old kernels do, and confirmed on Debian's 6.1 and 6.12
//! kernels in VMs (`tests/vm/run.sh`).
//!
//! # Compatibility
//!
//! | feature | since | below it lxns… |
//! |---|---|---|
//! | `NS_GET_NSTYPE`, `NS_GET_USERNS`/`PARENT` (handles, validation) | 4.11 | refuses with [`Reason::Unsupported`](crate::Reason::Unsupported): **the library's minimum** |
//! | `NS_GET_OWNER_UID` | 4.11 | — |
//! | time namespaces | 5.6 | [`Reason::Unsupported`](crate::Reason::Unsupported) for [`Kind::Time`](crate::Kind::Time) |
//! | `pidfd_open` ([`Process`](crate::Process), `of_process`, spawning) | 5.3 | [`Reason::Unsupported`](crate::Reason::Unsupported) for everything that takes a pid |
//! | `clone3` with `CLONE_INTO_CGROUP` | 5.7 | spawns with `clone(2)` + `CLONE_PIDFD` (5.2), also under seccomp profiles that block `clone3`; the parent writes `cgroup.procs` while the child waits |
//! | `open_tree`/`move_mount` (persisting) | 5.2 | bind-mounts `/proc/self/fd/N` onto `/proc/self/fd/M` with `mount(2)`: still the very fds |
//! | `setns(pidfd, several kinds)` | 5.8 | opens each kind's namespace and joins them one by one, in the [`JoinPlan`](crate::JoinPlan) order (not atomic) |
//! | `PIDFD_THREAD` (thread exit) | 6.9 | waits for `/proc/self/task/TID` to go |
//! | `PIDFD_GET_*_NAMESPACE` | 6.11 | opens `/proc/PID/ns/KIND` (no allocation) and checks through the pidfd that the process had not exited (so a zombie is [`Reason::ProcessGone`](crate::Reason::ProcessGone), as on 6.11+) |
//! | `NS_GET_PID_FROM_PIDNS`/`IN_PIDNS` | 6.11 | reads `NSpid:` in `/proc/PID/status` (pid namespaces at or below the caller's) |
//! | `NS_GET_ID` | 6.18 | [`Reason::Unsupported`](crate::Reason::Unsupported): use [`Namespace::id`](crate::Namespace::id) |
//!
//! The `lxns` command needs 5.3 for `run`, `enter` and anything given a pid, and 4.11 for
//! the rest; it says so and exits 1 on an older kernel.

use std::sync::OnceLock;

use crate::error::{Error, Op, Result};

/// A kernel version, as `uname -r` starts (`6.1.0-57-amd64` is 6.1.0).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major number.
    pub major: u32,
    /// The minor number.
    pub minor: u32,
    /// The patch level (0 where the release has none).
    pub patch: u32,
}

impl Version {
    /// The running kernel's version (`uname(2)`, read once).
    ///
    /// # Errors
    /// None: an unreadable release (which Linux never gives) reads as 0.0.0.
    pub fn current() -> Version {
        static CURRENT: OnceLock<Version> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let uname = rustix::system::uname();
            Version::parse(uname.release().to_bytes()).unwrap_or(Version {
                major: 0,
                minor: 0,
                patch: 0,
            })
        })
    }

    /// Parses the leading `MAJOR.MINOR[.PATCH]` of a kernel release string; anything after
    /// (`-57-amd64`, `+deb12`) is ignored. `None` without a major and minor number.
    pub fn parse(release: &[u8]) -> Option<Version> {
        let mut parts = [0u32; 3];
        let mut rest = release;
        for (i, part) in parts.iter_mut().enumerate() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                if i < 2 {
                    return None;
                }
                break;
            }
            *part = std::str::from_utf8(rest.get(..digits)?)
                .ok()?
                .parse()
                .ok()?;
            rest = rest.get(digits..)?;
            match rest.first() {
                Some(b'.') => rest = rest.get(1..)?,
                _ if i < 1 => return None,
                _ => break,
            }
        }
        Some(Version {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
        })
    }

    /// Whether this version is `major.minor` or later.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Checks that the running kernel is `major.minor` or later, for `what` (a command or a
/// feature, named in the error).
///
/// # Errors
/// [`Reason::Unsupported`](crate::Reason::Unsupported) naming `what`, the version needed and the running one.
pub fn require(major: u32, minor: u32, what: &str) -> Result<()> {
    let now = Version::current();
    if now.at_least(major, minor) {
        return Ok(());
    }
    Err(Error::unsupported(
        Op::CheckKernel,
        None,
        format!("{what} (needs Linux {major}.{minor} or later; this is Linux {now})"),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_strings() {
        let v = |s: &str| Version::parse(s.as_bytes());
        let ver = |major, minor, patch| Version {
            major,
            minor,
            patch,
        };
        assert_eq!(v("6.1.0-57-amd64"), Some(ver(6, 1, 0)));
        assert_eq!(v("6.12.117+deb12-amd64"), Some(ver(6, 12, 117)));
        assert_eq!(v("6.18"), Some(ver(6, 18, 0)));
        assert_eq!(v("5.15.0-91-generic"), Some(ver(5, 15, 0)));
        assert_eq!(v("6.9-rc1"), Some(ver(6, 9, 0)));
        assert_eq!(v("6"), None);
        assert_eq!(v("x.1"), None);
        assert_eq!(v(""), None);
        assert_eq!(v("99999999999.1"), None);
        assert!(ver(6, 1, 0).at_least(5, 8) && !ver(5, 7, 9).at_least(5, 8));
        assert!(ver(6, 12, 0).at_least(6, 11) && !ver(6, 1, 0).at_least(6, 11));
    }

    #[test]
    fn require_names_what_and_both_versions() {
        assert!(require(2, 6, "anything").is_ok());
        let err = require(999, 0, "lxns frobnicate").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("lxns frobnicate") && text.contains("999.0"),
            "{text}"
        );
        assert!(text.contains(&Version::current().to_string()), "{text}");
    }
}
