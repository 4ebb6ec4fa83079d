//! [`Child`] and [`Output`]: a running or finished program, held by pidfd.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use rustix::io::Errno as RErrno;
use rustix::process::{Signal, WaitId, WaitIdOptions};

use super::SpawnStep;
use crate::error::{Error, Op, Result, Target};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::process::Process;

/// The output of a finished child ([`Command::output`](crate::Command::output)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// What it wrote to standard output (if piped).
    pub stdout: Vec<u8>,
    /// What it wrote to standard error (if piped).
    pub stderr: Vec<u8>,
}

/// A spawned child process, held by pidfd.
///
/// Call [`wait`](Child::wait) to reap it. Dropping a `Child` does not kill it (as with std),
/// but unlike std it leaves no zombie: a child that has exited is reaped at once, and one
/// still running is handed to a short-lived `lxns-reaper` thread that waits for it and ends
/// with it (so the process is multithreaded until then: mind this before
/// [`unshare_current_thread`](crate::unshare_current_thread) of a user namespace).
#[derive(Debug)]
pub struct Child {
    pub(super) pid: i32,
    pub(super) pidfd: OwnedFd,
    pub(super) status: Option<ExitStatus>,
    /// Where `{ "exit-code": N }` goes once reaped ([`Command::json_status_fd`](crate::Command::json_status_fd)).
    pub(super) status_fd: Option<File>,
    /// The write end of the child's standard input, if [`Stdio::piped`](crate::Stdio::piped).
    pub stdin: Option<File>,
    /// The read end of the child's standard output, if [`Stdio::piped`](crate::Stdio::piped).
    pub stdout: Option<File>,
    /// The read end of the child's standard error, if [`Stdio::piped`](crate::Stdio::piped).
    pub stderr: Option<File>,
}

impl Child {
    /// The child's pid in the caller's pid namespace (in its own new pid namespace it is 1).
    pub fn id(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// The child's pid, signed as the kernel's `pid_t`.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The child's pidfd: stable even after the pid is reused.
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// A [`Process`] handle on the child (a new pidfd).
    ///
    /// # Errors
    /// [`Reason::Os`](crate::Reason::Os) if the pidfd cannot be duplicated.
    pub fn process(&self) -> Result<Process> {
        let fd = self
            .pidfd
            .try_clone()
            .map_err(|e| Error::from_io(Op::OpenProcess, Target::Pid(self.pid), &e))?;
        Process::from_pidfd(fd)
    }

    /// One of the child's namespaces, through its pidfd (race-free).
    ///
    /// # Errors
    /// As for [`Namespace::of_pidfd`]: [`Reason::ProcessGone`](crate::Reason::ProcessGone) once it has exited.
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        Namespace::of_pidfd(self.pidfd.as_fd(), kind)
    }

    /// Sends `SIGKILL` (`pidfd_send_signal`). Killing a child that has already exited but
    /// not been waited for is not an error.
    ///
    /// # Errors
    /// [`Reason::Os`](crate::Reason::Os) if the kernel refuses.
    pub fn kill(&mut self) -> Result<()> {
        self.signal(Signal::KILL)
    }

    /// Sends `signal` to the child (`pidfd_send_signal(2)`).
    ///
    /// # Errors
    /// [`Reason::Os`](crate::Reason::Os) if the kernel refuses; nothing when the child has exited.
    ///
    /// # References
    ///  - [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        match rustix::process::pidfd_send_signal(&self.pidfd, signal) {
            Ok(()) | Err(RErrno::SRCH) => Ok(()),
            Err(e) => Err(Error::os(Op::Run, None, Target::Pid(self.pid), e.into())),
        }
    }

    /// Waits for the child to exit (`waitid(P_PIDFD)`), reaping it.
    ///
    /// # Errors
    /// [`Reason::Os`](crate::Reason::Os) with `Op::Spawn(SpawnStep::Wait)` if `waitid` fails.
    ///
    /// # References
    ///  - [waitid(2)](https://man7.org/linux/man-pages/man2/waitid.2.html) (`P_PIDFD`)
    pub fn wait(&mut self) -> Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = wait_pidfd(self.pidfd.as_fd(), self.pid, false)?
            .ok_or_else(|| wait_error(self.pid, RErrno::CHILD))?;
        self.reaped(s);
        Ok(s)
    }

    /// Reaps the child if it has exited, without blocking.
    ///
    /// # Errors
    /// As for [`wait`](Child::wait).
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let s = wait_pidfd(self.pidfd.as_fd(), self.pid, true)?;
        if let Some(s) = s {
            self.reaped(s);
        }
        Ok(s)
    }

    /// Closes stdin, reads stdout and stderr to the end (both at once, so neither pipe can
    /// fill up and stall the child), then waits.
    ///
    /// # Errors
    /// As for [`wait`](Child::wait), and [`Reason::Os`](crate::Reason::Os) if reading fails.
    pub fn wait_with_output(mut self) -> Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = read_both(self.stdout.take(), self.stderr.take())
            .map_err(|e| Error::from_io(Op::Spawn(SpawnStep::Wait), Target::Pid(self.pid), &e))?;
        let status = self.wait()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

fn read_both(out: Option<File>, err: Option<File>) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut bufs = (Vec::new(), Vec::new());
    match (out, err) {
        (None, None) => {}
        (Some(mut f), None) => {
            f.read_to_end(&mut bufs.0)?;
        }
        (None, Some(mut f)) => {
            f.read_to_end(&mut bufs.1)?;
        }
        (Some(mut o), Some(mut e)) => {
            let mut open = [true, true];
            let mut chunk = [0u8; 16384];
            while open[0] || open[1] {
                let mut fds = Vec::with_capacity(2);
                if open[0] {
                    fds.push(PollFd::new(&o, PollFlags::IN));
                }
                if open[1] {
                    fds.push(PollFd::new(&e, PollFlags::IN));
                }
                match poll(&mut fds, None) {
                    Ok(_) | Err(RErrno::INTR) => {}
                    Err(err) => return Err(err.into()),
                }
                let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
                drop(fds);
                let mut ready = ready.into_iter();
                for (i, is_open) in open.iter_mut().enumerate() {
                    if !*is_open || !ready.next().unwrap_or(false) {
                        continue;
                    }
                    let (file, buf) = if i == 0 {
                        (&mut o, &mut bufs.0)
                    } else {
                        (&mut e, &mut bufs.1)
                    };
                    match file.read(&mut chunk) {
                        Ok(0) => *is_open = false,
                        Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
            }
        }
    }
    Ok(bufs)
}

pub(super) fn wait_pidfd(
    pidfd: BorrowedFd<'_>,
    pid: i32,
    nohang: bool,
) -> Result<Option<ExitStatus>> {
    let mut options = WaitIdOptions::EXITED;
    if nohang {
        options |= WaitIdOptions::NOHANG;
    }
    loop {
        match rustix::process::waitid(WaitId::PidFd(pidfd), options) {
            Ok(None) => return Ok(None),
            Ok(Some(st)) => {
                let raw = if let Some(code) = st.exit_status() {
                    (code & 0xff) << 8
                } else if let Some(sig) = st.terminating_signal() {
                    sig | if st.dumped() { 0x80 } else { 0 }
                } else {
                    return Ok(None);
                };
                return Ok(Some(ExitStatus::from_raw(raw)));
            }
            Err(RErrno::INTR) => {}
            Err(e) => return Err(wait_error(pid, e)),
        }
    }
}

pub(super) fn wait_error(pid: i32, e: RErrno) -> Error {
    Error::os(Op::Spawn(SpawnStep::Wait), None, Target::Pid(pid), e.into())
}

impl Child {
    /// Records the status; writes the exit line of [`Command::json_status_fd`](crate::Command::json_status_fd).
    fn reaped(&mut self, status: ExitStatus) {
        self.status = Some(status);
        if let Some(mut f) = self.status_fd.take() {
            use std::io::Write;
            let code = status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(255);
            let _ = writeln!(f, "{{ \"exit-code\": {code} }}");
        }
    }

    /// A child from a pidfd the spawn holds (stdio not yet attached).
    pub(super) fn new(pid: i32, pidfd: OwnedFd) -> Child {
        Child {
            pid,
            pidfd,
            status: None,
            status_fd: None,
            stdin: None,
            stdout: None,
            stderr: None,
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.status.is_some() {
            return;
        }
        match wait_pidfd(self.pidfd.as_fd(), self.pid, true) {
            Ok(None) => {}
            // Exited and reaped now, or not ours to reap (reaped by someone else).
            Ok(Some(_)) | Err(_) => return,
        }
        let Ok(pidfd) = self.pidfd.try_clone() else {
            return;
        };
        let pid = self.pid;
        // Still running: wait for it on a thread of its own, which ends when it does.
        let _ = std::thread::Builder::new()
            .name("lxns-reaper".into())
            .spawn(move || wait_pidfd(pidfd.as_fd(), pid, false));
    }
}
