//! [`Process`]: a pidfd, the race-free way to reach another process's namespaces.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::io::Errno as RErrno;
use rustix::process::{Pid, PidfdFlags};

use crate::error::{Error, Op, Result, Target};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::sys;

/// A process, held by a pidfd (`pidfd_open(2)`, Linux 5.3+).
///
/// Unlike a bare pid, a pidfd keeps referring to the same process: if it exits and its pid is
/// reused, every call through this handle fails with [`Reason::ProcessGone`](crate::Reason::ProcessGone) instead of
/// silently reaching the new process. It does not keep the process alive.
///
/// ```no_run
/// use lxns::{Kind, Process};
/// let init = Process::open(1)?;
/// let net = init.namespace(Kind::Net)?;
/// let uts = init.namespace(Kind::Uts)?;
/// println!("{net} {uts}");
/// # Ok::<(), lxns::Error>(())
/// ```
pub struct Process {
    fd: OwnedFd,
    pid: i32,
}

impl Process {
    /// Opens a pidfd on process `pid` (`pidfd_open(2)`).
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for `pid <= 0`, or a thread id that is not a process
    ///    (thread-group leader).
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when no process has that pid.
    ///
    /// # References
    ///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[doc(alias = "pidfd_open")]
    pub fn open(pid: i32) -> Result<Process> {
        // Check the sign first: `Pid::from_raw` asserts on negative values.
        let Some(raw) = (pid > 0).then(|| Pid::from_raw(pid)).flatten() else {
            return Err(Error::invalid_argument(
                Op::OpenProcess,
                Target::Pid(pid),
                format!("pid {pid} is not a process id (pids are positive)"),
            ));
        };
        let fd = rustix::process::pidfd_open(raw, PidfdFlags::empty()).map_err(|e| match e {
            RErrno::SRCH => Error::process_gone(Op::OpenProcess, None, pid),
            // EINVAL before Linux 6.9, ENOENT since: the pid has no thread-group leader.
            RErrno::INVAL | RErrno::NOENT => Error::invalid_argument(
                Op::OpenProcess,
                Target::Pid(pid),
                format!("{pid} is not a process: it is a thread id (or the thread group is gone)"),
            ),
            RErrno::NOSYS => Error::unsupported(
                Op::OpenProcess,
                None,
                "pidfd_open (Linux 5.3)".into(),
                Some(e.into()),
            ),
            other => Error::os(Op::OpenProcess, None, Target::Pid(pid), other.into()),
        })?;
        Ok(Process { fd, pid })
    }

    /// The calling process.
    ///
    /// # Errors
    /// As for [`open`](Process::open).
    pub fn current() -> Result<Process> {
        Process::open(rustix::process::getpid().as_raw_nonzero().get())
    }

    /// Takes ownership of a pidfd (from `clone3(CLONE_PIDFD)`, `pidfd_open`, or another
    /// process). Its pid is read from `/proc/self/fdinfo`.
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when `fd` is not a pidfd.
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) when the process has already exited.
    pub fn from_pidfd(fd: OwnedFd) -> Result<Process> {
        let pid = pid_of_pidfd(fd.as_fd())?;
        Ok(Process { fd, pid })
    }

    /// The process id (in the caller's pid namespace) at the time the handle was made.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The process's namespace of `kind`.
    ///
    /// # Errors
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) once the process has exited (also while it is a zombie).
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without ptrace read access to the process.
    ///  - [`Reason::Unsupported`](crate::Reason::Unsupported) when the kernel lacks `kind`.
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        Self::namespace_of_pidfd(self.fd.as_fd(), Some(self.pid), kind, false)
    }

    /// This process's `/proc/PID` directory, checked through the pidfd to be its own (the
    /// process was alive after the directory was opened, so the pid was not reused).
    fn proc_dir(&self) -> Result<OwnedFd> {
        let path = format!("/proc/{}", self.pid);
        let dir = rustix::fs::open(
            path.as_str(),
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| match e {
            RErrno::NOENT => Error::process_gone(Op::OpenProcess, None, self.pid),
            other => Error::os(
                Op::OpenProcess,
                None,
                Target::Path(path.clone().into()),
                other.into(),
            ),
        })?;
        if has_exited(self.fd.as_fd()) {
            return Err(Error::process_gone(Op::OpenProcess, None, self.pid).with_errno(None));
        }
        Ok(dir)
    }

    /// The process's uid or gid map ([`read_id_map`](crate::read_id_map), through the pidfd).
    ///
    /// ```
    /// let me = lxns::Process::current()?;
    /// let map = me.read_id_map(lxns::MapKind::Gid)?;
    /// assert!(!map.is_empty());
    /// # Ok::<(), lxns::Error>(())
    /// ```
    ///
    /// # Errors
    /// As for [`read_id_map`](crate::read_id_map).
    pub fn read_id_map(&self, which: crate::MapKind) -> Result<crate::IdMap> {
        let dir = self.proc_dir()?;
        let text = std::fs::read_to_string(format!(
            "/proc/self/fd/{}/{}",
            dir.as_raw_fd(),
            which.file()
        ))
        .map_err(|e| {
            Error::from_io(Op::ReadIdMap, Target::Pid(self.pid), &e).with_kind(Some(Kind::User))
        })?;
        crate::idmap::parse_kernel_map(&text)
    }

    /// Writes the process's uid or gid map ([`write_id_map`](crate::write_id_map), through
    /// the pidfd: a pid reused since the handle was made is never written to).
    ///
    /// # Errors
    /// As for [`write_id_map`](crate::write_id_map).
    pub fn write_id_map(&self, which: crate::MapKind, map: &crate::IdMap) -> Result<()> {
        let dir = self.proc_dir()?;
        crate::idmap::write_id_map_path(
            self.pid,
            &format!("/proc/self/fd/{}/{}", dir.as_raw_fd(), which.file()),
            map,
        )
    }

    /// Writes the process's `setgroups` ([`write_setgroups`](crate::write_setgroups), through
    /// the pidfd).
    ///
    /// # Errors
    /// As for [`write_setgroups`](crate::write_setgroups).
    pub fn write_setgroups(&self, value: crate::Setgroups) -> Result<()> {
        let dir = self.proc_dir()?;
        crate::idmap::write_setgroups_path(
            self.pid,
            &format!("/proc/self/fd/{}/setgroups", dir.as_raw_fd()),
            value,
        )
    }

    /// The network namespace that the process's socket `fd` was created in (`nsenter -N`):
    /// a copy of the socket through `pidfd_getfd(2)` (Linux 5.6, ptrace access to the
    /// process), then `ioctl(SIOCGSKNS)` (Linux 4.9). A process can keep sockets of a
    /// namespace it has left, which is then reachable only this way.
    ///
    /// # Errors
    ///  - [`Reason::ProcessGone`](crate::Reason::ProcessGone) once the process has exited.
    ///  - [`Reason::PermissionDenied`](crate::Reason::PermissionDenied) without ptrace access to the process.
    ///  - [`Reason::NotFound`](crate::Reason::NotFound) (`EBADF`) when the process has no fd `fd`.
    ///  - [`Reason::Os`](crate::Reason::Os) with `ENOTTY` when fd `fd` is no socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let me = lxns::Process::current()?;
    /// let net = me.socket_namespace(socket.as_raw_fd())?;
    /// assert_eq!(net, lxns::Namespace::current(lxns::Kind::Net)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn socket_namespace(&self, fd: i32) -> Result<Namespace> {
        let op = Op::OpenProcessNamespace;
        let kind = Some(Kind::Net);
        let target = Target::Fd(fd);
        let socket =
            rustix::process::pidfd_getfd(&self.fd, fd, rustix::process::PidfdGetfdFlags::empty())
                .map_err(|e| match e {
                RErrno::SRCH => Error::process_gone(op, kind, self.pid),
                e @ (RErrno::PERM | RErrno::ACCESS) => {
                    Error::permission_denied(op, kind, Target::Pid(self.pid), e.into(), None)
                }
                RErrno::BADF => Error::not_found(
                    op,
                    kind,
                    Target::Text(format!("fd {fd} of process {}", self.pid)),
                ),
                other => Error::os(op, kind, Target::Pid(self.pid), other.into()),
            })?;
        let ns = sys::socket_netns(&socket).map_err(|e| Error::os(op, kind, target, e.into()))?;
        Namespace::from_trusted_fd(ns, Kind::Net, op, Target::Pid(self.pid))
    }

    /// The namespace of `kind` the process's next children get (`pid_for_children`,
    /// `time_for_children`); for other kinds the same as [`namespace`](Process::namespace).
    ///
    /// # Errors
    /// As for [`namespace`](Process::namespace); [`Reason::NotFound`](crate::Reason::NotFound) for a pid namespace
    /// that the process unshared but has no process in yet.
    pub fn namespace_for_children(&self, kind: Kind) -> Result<Namespace> {
        Self::namespace_of_pidfd(self.fd.as_fd(), Some(self.pid), kind, true)
    }

    pub(crate) fn namespace_of_pidfd(
        pidfd: BorrowedFd<'_>,
        pid: Option<i32>,
        kind: Kind,
        for_children: bool,
    ) -> Result<Namespace> {
        let op = Op::OpenProcessNamespace;
        let info = kind.info();
        let nr = match (for_children, info.pidfd_for_children_nr) {
            (true, Some(nr)) => nr,
            _ => info.pidfd_nr,
        };
        let target = || pid.map_or(Target::Fd(pidfd.as_raw_fd()), Target::Pid);
        // Before 6.11 the ioctl does not exist: go to /proc at once (one system call less).
        let answer = if crate::kernel::Version::current().at_least(6, 11) {
            sys::pidfd_get_namespace(pidfd, nr)
        } else {
            Err(RErrno::NOTTY)
        };
        match answer {
            Ok(fd) => Namespace::from_trusted_fd(fd, kind, op, target()),
            Err(RErrno::SRCH) => Err(Error::process_gone(op, Some(kind), pid.unwrap_or(-1))),
            Err(e @ (RErrno::PERM | RErrno::ACCESS)) => Err(Error::permission_denied(
                op,
                Some(kind),
                target(),
                e.into(),
                None,
            )),
            Err(e @ RErrno::OPNOTSUPP) => Err(Error::unsupported(
                op,
                Some(kind),
                format!(
                    "{} namespaces (Linux {}, and the kernel must be built with them)",
                    kind.long_name(),
                    info.since
                ),
                Some(e.into()),
            )),
            // Kernels before 6.11 have no PIDFD_GET_*_NAMESPACE: go through /proc, then make
            // sure through the pidfd that the process had not exited, so the /proc entry was
            // its own (and not a zombie's, whose user and pid links still open).
            Err(RErrno::NOTTY | RErrno::INVAL) => {
                let pid = match pid {
                    Some(p) => p,
                    None => pid_of_pidfd(pidfd)?,
                };
                let name = match (for_children, info.for_children) {
                    (true, Some(n)) => n,
                    _ => info.proc_name,
                };
                let fd = open_proc_ns(pid, name).map_err(|e| match e {
                    RErrno::NOENT | RErrno::SRCH => Error::process_gone(op, Some(kind), pid),
                    e @ (RErrno::PERM | RErrno::ACCESS) => {
                        Error::permission_denied(op, Some(kind), Target::Pid(pid), e.into(), None)
                    }
                    other => Error::os(op, Some(kind), Target::Pid(pid), other.into()),
                })?;
                if has_exited(pidfd) {
                    return Err(Error::process_gone(op, Some(kind), pid).with_errno(None));
                }
                Namespace::from_trusted_fd(fd, kind, op, Target::Pid(pid))
            }
            Err(other) => Err(Error::os(op, Some(kind), target(), other.into())),
        }
    }
}

/// Opens `/proc/PID/ns/NAME` without allocating: the path is built on the stack. The kernel
/// guarantees an nsfs file of the link's kind.
fn open_proc_ns(pid: i32, name: &str) -> rustix::io::Result<OwnedFd> {
    // "/proc/" + 10 digits + "/ns/" + "time_for_children" + NUL is 38 bytes.
    let mut buf = [0u8; 48];
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        let end = len + bytes.len();
        if end < buf.len() {
            buf[len..end].copy_from_slice(bytes);
        }
        len = end;
    };
    push(b"/proc/");
    let mut digits = [0u8; 10];
    let mut n = pid.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        digits[start] = b'0' + digit;
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    push(&digits[start..]);
    push(b"/ns/");
    push(name.as_bytes());
    let path = buf
        .get(..=len)
        .and_then(|b| std::ffi::CStr::from_bytes_with_nul(b).ok())
        .ok_or(RErrno::NAMETOOLONG)?;
    rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC | rustix::fs::OFlags::NOCTTY,
        rustix::fs::Mode::empty(),
    )
}

/// Whether the pidfd's process has exited (a zombie counts): the pidfd polls readable then.
fn has_exited(pidfd: BorrowedFd<'_>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match rustix::event::poll(&mut fds, Some(&now)) {
        Ok(n) => n > 0,
        // Cannot tell: fall back to the fdinfo check (it sees reaped processes only).
        Err(_) => pid_of_pidfd(pidfd).is_err(),
    }
}

/// Reads the `Pid:` line of `/proc/self/fdinfo/FD` for a pidfd: the pid, `ProcessGone`
/// when it reads -1 (exited), `InvalidArgument` when there is no such line (not a pidfd).
fn pid_of_pidfd(fd: BorrowedFd<'_>) -> Result<i32> {
    let raw = fd.as_raw_fd();
    let path = format!("/proc/self/fdinfo/{raw}");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::os(
            Op::OpenProcess,
            None,
            Target::Path(path.clone().into()),
            crate::error::Errno::from_io(&e).unwrap_or(crate::error::Errno::from_raw(5)),
        )
    })?;
    let pid = text
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse::<i32>().ok())
        .ok_or_else(|| {
            Error::invalid_argument(Op::OpenProcess, Target::Fd(raw), "not a pidfd".into())
        })?;
    match pid {
        -1 => Err(Error::process_gone(Op::OpenProcess, None, -1).with_errno(None)),
        0 => Err(Error::invalid_argument(
            Op::OpenProcess,
            Target::Fd(raw),
            "the pidfd's process is outside this pid namespace".into(),
        )),
        p => Ok(p),
    }
}

impl AsFd for Process {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<Process> for OwnedFd {
    fn from(p: Process) -> OwnedFd {
        p.fd
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("pidfd", &self.fd.as_raw_fd())
            .finish()
    }
}
