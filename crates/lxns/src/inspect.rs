//! Inspection: owning user namespace, parent, owner uid, namespace id, pid translation
//! (`ioctl_ns(2)`), and the per-kind limits in `/proc/sys/user`.

use std::os::fd::AsFd;

use rustix::io::Errno as RErrno;

use crate::error::{Error, Op, Result, Target};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::nspid::Direction;
use crate::sys;

impl Namespace {
    /// The user namespace that owns this namespace (`NS_GET_USERNS`). For a user namespace,
    /// that is its parent.
    ///
    /// ```no_run
    /// use lxns::{Kind, Namespace};
    /// let net = Namespace::current(Kind::Net)?;
    /// assert_eq!(net.user_namespace()?, Namespace::current(Kind::User)?);
    /// # Ok::<(), lxns::Error>(())
    /// ```
    ///
    /// # Errors
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) (`EPERM`) when the owner lies outside the caller's own
    ///    user namespace (for example the owner of the initial namespaces, seen from inside a
    ///    container).
    ///
    /// # References
    ///  - [ioctl_ns(2)](https://man7.org/linux/man-pages/man2/ioctl_ns.2.html)
    #[doc(alias = "NS_GET_USERNS")]
    pub fn user_namespace(&self) -> Result<Namespace> {
        let op = Op::GetUserNamespace;
        let fd = sys::ns_get_userns(self).map_err(|e| self.ioctl_error(op, e))?;
        Namespace::from_trusted_fd(fd, Kind::User, op, Target::Namespace(self.id()))
    }

    /// The parent of a user or pid namespace (`NS_GET_PARENT`).
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for the kinds without a hierarchy (everything but user
    ///    and pid; the kernel answers `EINVAL`).
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) (`EPERM`) when the parent is outside the caller's user
    ///    namespace, which includes the initial namespaces (they have no parent).
    ///
    /// # References
    ///  - [ioctl_ns(2)](https://man7.org/linux/man-pages/man2/ioctl_ns.2.html)
    #[doc(alias = "NS_GET_PARENT")]
    pub fn parent(&self) -> Result<Namespace> {
        let op = Op::GetParent;
        if !self.kind().is_hierarchical() {
            return Err(Error::invalid_argument(
                op,
                Target::Namespace(self.id()),
                format!(
                    "{} namespaces have no parent; only user and pid namespaces are nested",
                    self.kind()
                ),
            ));
        }
        let fd = sys::ns_get_parent(self).map_err(|e| self.ioctl_error(op, e))?;
        Namespace::from_trusted_fd(fd, self.kind(), op, Target::Namespace(self.id()))
    }

    /// The uid of the process that created this user namespace, as seen from the caller's
    /// user namespace (`NS_GET_OWNER_UID`). When that uid has no mapping there, the kernel
    /// returns the overflow uid (`/proc/sys/kernel/overflowuid`, normally 65534).
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when `self` is not a user namespace.
    ///
    /// # References
    ///  - [ioctl_ns(2)](https://man7.org/linux/man-pages/man2/ioctl_ns.2.html)
    #[doc(alias = "NS_GET_OWNER_UID")]
    pub fn owner_uid(&self) -> Result<u32> {
        let op = Op::GetOwnerUid;
        if self.kind() != Kind::User {
            return Err(Error::invalid_argument(
                op,
                Target::Namespace(self.id()),
                "only user namespaces have an owner uid; use user_namespace() to get \
                         the owner of other kinds"
                    .into(),
            ));
        }
        sys::ns_get_owner_uid(self).map_err(|e| self.ioctl_error(op, e))
    }

    /// The kernel's 64-bit id of this namespace (`NS_GET_ID`, Linux 6.18+): unique for the
    /// whole boot, never reused, unlike inode numbers. The initial network namespace has a
    /// small id (3 on this project's machines).
    ///
    /// # Errors
    ///  - [`Reason::Unsupported`](crate::Reason::Unsupported) on kernels without `NS_GET_ID` (`ENOTTY`); use
    ///    [`id`](Namespace::id) there.
    #[doc(alias = "NS_GET_ID")]
    pub fn ns_id(&self) -> Result<u64> {
        sys::ns_get_id(self).map_err(|e| self.ioctl_error(Op::GetNsId, e))
    }

    /// Translates `pid`, a process id as numbered inside this pid namespace, into the
    /// caller's pid namespace (`NS_GET_PID_FROM_PIDNS`, Linux 6.11+). Older kernels answer
    /// through the `NSpid:` lines of `/proc/PID/status` (a scan of every process), for pid
    /// namespaces at or below the caller's.
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when `self` is not a pid namespace, or `pid <= 0`.
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when no such process exists there, or it is not visible
    ///    from the caller's pid namespace.
    ///  - [`Reason::Unsupported`](crate::Reason::Unsupported) before Linux 6.11 for a pid namespace that is not at or
    ///    below the caller's, or when `/proc` is not the caller's pid namespace's.
    #[doc(alias = "NS_GET_PID_FROM_PIDNS")]
    pub fn pid_to_caller(&self, pid: i32) -> Result<i32> {
        self.translate(pid, sys::ns_pid_from_pidns, Direction::ToCaller)
    }

    /// Translates `pid`, a process id in the caller's pid namespace, into this pid namespace
    /// (`NS_GET_PID_IN_PIDNS`, Linux 6.11+; before, through `/proc/PID/status`'s `NSpid:`).
    ///
    /// # Errors
    /// As for [`pid_to_caller`](Namespace::pid_to_caller).
    #[doc(alias = "NS_GET_PID_IN_PIDNS")]
    pub fn pid_from_caller(&self, pid: i32) -> Result<i32> {
        self.translate(pid, sys::ns_pid_in_pidns, Direction::FromCaller)
    }

    fn translate(
        &self,
        pid: i32,
        call: fn(std::os::fd::BorrowedFd<'_>, u32) -> rustix::io::Result<i32>,
        direction: Direction,
    ) -> Result<i32> {
        let op = Op::TranslatePid;
        let Some(upid) = u32::try_from(pid)
            .ok()
            .filter(|_| self.kind() == Kind::Pid && pid > 0)
        else {
            return Err(Error::invalid_argument(
                op,
                Target::Namespace(self.id()),
                format!("needs a pid namespace and a positive pid (got pid {pid})"),
            ));
        };
        match call(self.as_fd(), upid) {
            Ok(p) => Ok(p),
            Err(RErrno::SRCH) => Err(Error::process_gone(op, Some(Kind::Pid), pid)),
            // Before Linux 6.11: /proc/PID/status.
            Err(RErrno::NOTTY) => crate::nspid::translate(self, pid, direction),
            Err(e) => Err(self.ioctl_error(op, e)),
        }
    }

    fn ioctl_error(&self, op: Op, e: RErrno) -> Error {
        let target = Target::Namespace(self.id());
        match e {
            RErrno::PERM | RErrno::ACCESS => {
                Error::permission_denied(op, Some(self.kind()), target, e.into(), None)
            }
            RErrno::NOTTY | RErrno::NOSYS => Error::unsupported(
                op,
                Some(self.kind()),
                format!("{op} on this kernel"),
                Some(e.into()),
            ),
            other => Error::os(op, Some(self.kind()), target, other.into()),
        }
    }
}

/// Reads the limit on namespaces of `kind` that users may create in the caller's user
/// namespace: `/proc/sys/user/max_<kind>_namespaces`.
///
/// The limit applies per user namespace and counts namespaces created by each user in it and
/// its descendants; at the limit, creating one fails with [`Reason::LimitReached`](crate::Reason::LimitReached).
///
/// # Errors
///  - [`Reason::NotFound`](crate::Reason::NotFound) when `/proc/sys` is not mounted or the kernel lacks `kind`.
///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) if the file does not hold a number.
///
/// # References
///  - [namespaces(7)](https://man7.org/linux/man-pages/man7/namespaces.7.html),
///    "The /proc/sys/user directory"
pub fn limit(kind: Kind) -> Result<u64> {
    let path = kind.limit_path();
    let text =
        std::fs::read_to_string(&path).map_err(|e| io_error(Op::ReadLimit, kind, &path, &e))?;
    parse_limit(text.trim())
        .map_err(|reason| Error::invalid_argument(Op::ReadLimit, Target::Path(path.into()), reason))
}

/// Sets the limit read by [`limit`]. Needs `CAP_SYS_RESOURCE` in the user namespace the
/// sysctl belongs to — root, or the creator of a user namespace, inside it.
///
/// ```no_run
/// lxns::set_limit(lxns::Kind::Net, 1000)?;
/// assert_eq!(lxns::limit(lxns::Kind::Net)?, 1000);
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # Errors
///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for a value above `i32::MAX` (the kernel's bound).
///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without `CAP_SYS_RESOURCE` there.
pub fn set_limit(kind: Kind, value: u64) -> Result<()> {
    let path = kind.limit_path();
    if value > i32::MAX as u64 {
        return Err(Error::invalid_argument(
            Op::WriteLimit,
            Target::Path(path.into()),
            format!("{value} is above the kernel's maximum of {}", i32::MAX),
        ));
    }
    std::fs::write(&path, format!("{value}\n"))
        .map_err(|e| io_error(Op::WriteLimit, kind, &path, &e))
}

/// Parses a limit value as `lxns limits` takes it: decimal digits only, from 0 to
/// 2147483647.
///
/// ```
/// assert_eq!(lxns::parse_limit("96365"), Ok(96365));
/// assert!(lxns::parse_limit("ten").is_err());
/// assert!(lxns::parse_limit("-1").is_err());
/// assert!(lxns::parse_limit("+5").is_err()); // strict: digits only
/// assert!(lxns::parse_limit(" 5").is_err());
/// assert!(lxns::parse_limit("05").is_err());
/// ```
///
/// # Errors
/// A message saying why the text is not a limit.
pub fn parse_limit(text: &str) -> std::result::Result<u64, String> {
    // Strict: digits only (Rust's parse would take a leading '+'), and no leading zero,
    // which the kernel never writes.
    let digits = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.len() == 1 || !text.starts_with('0'));
    let value: u64 = digits.then(|| text.parse().ok()).flatten().ok_or_else(|| {
        format!(
            "{text:?} is not a namespace limit (a whole number from 0 to {})",
            i32::MAX
        )
    })?;
    if value > i32::MAX as u64 {
        return Err(format!(
            "{value} is above the kernel's maximum of {}",
            i32::MAX
        ));
    }
    Ok(value)
}

fn io_error(op: Op, kind: Kind, path: &str, e: &std::io::Error) -> Error {
    let target = Target::Path(path.into());
    let errno = crate::error::Errno::from_io(e).unwrap_or(crate::error::Errno::from_raw(5));
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(op, Some(kind), target),
        std::io::ErrorKind::PermissionDenied => {
            Error::permission_denied(op, Some(kind), target, errno, None)
        }
        _ => Error::os(op, Some(kind), target, errno),
    }
}
