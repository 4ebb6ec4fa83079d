//! [`ForwardSignals`]: relaying the signals a stand-in process receives to its child.

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitStatus;

use rustix::io::Errno as RErrno;
use rustix::process::Signal;

use super::SpawnStep;
use super::child::Child;
use crate::error::{Error, Op, Result, Target};
use crate::sys::spawn as sys;

/// Forwards signals sent to the caller to a child, for programs that stand in for the
/// command they run (as `lxns run` does for `SIGTERM`, `SIGINT` and `SIGHUP`).
///
/// [`block`](ForwardSignals::block) blocks the signals on the calling thread and opens a
/// `signalfd` for them — do it *before* spawning, so no signal is lost in between. A child
/// spawned while a `ForwardSignals` is alive on the spawning thread starts with these
/// signals unblocked (and otherwise with the caller's mask). A signal the process ignores
/// when `block` is called (under nohup(1), or SIGINT in a background job) is not taken: it
/// stays ignored, for the child too, as it would without lxns in between. [`wait`](ForwardSignals::wait) then waits for the child
/// and relays every such signal that a process sent (`kill`) to it with `pidfd_send_signal`;
/// one the kernel sent for a terminal (^C) is not relayed, since the child, in the same
/// foreground process group, received it already. Dropping restores the mask.
/// In a multithreaded program, process-directed signals may go to another thread that does
/// not block them.
///
/// # References
///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html),
///    [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
#[derive(Debug)]
pub struct ForwardSignals {
    fd: OwnedFd,
    old: sys::SigMask,
    signals: Vec<i32>,
}

thread_local! {
    /// Signals blocked by live `ForwardSignals` on this thread: unblocked again for children.
    static FORWARDED: std::cell::RefCell<Vec<i32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The signal mask a program spawned from this thread starts with: `caller`'s, less what a
/// live [`ForwardSignals`] blocked here for relaying.
pub(super) fn exec_mask(caller: sys::SigMask) -> sys::SigMask {
    FORWARDED.with(|f| caller.without(f.borrow().iter().copied()))
}

impl ForwardSignals {
    /// Blocks `signals` on the calling thread and starts collecting them.
    ///
    /// # Errors
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for an invalid signal; [`Reason::Os`](crate::Reason::Os) if `signalfd` fails.
    pub fn block(signals: &[Signal]) -> Result<ForwardSignals> {
        // A signal the process ignores (nohup, a background job's SIGINT) is left alone: it
        // stays ignored here and for the child, instead of being caught and relayed.
        let raw: Vec<i32> = signals
            .iter()
            .map(|s| s.as_raw())
            .filter(|s| !sys::is_ignored(*s))
            .collect();
        let (fd, old) = sys::block_signals(&raw)
            .map_err(|e| Error::os(Op::Spawn(SpawnStep::Signals), None, Target::None, e.into()))?;
        // Only what this call blocked: a signal the caller had blocked already stays blocked
        // for children too.
        let added: Vec<i32> = raw.into_iter().filter(|s| !old.contains(*s)).collect();
        FORWARDED.with(|f| f.borrow_mut().extend(added.iter().copied()));
        Ok(ForwardSignals {
            fd,
            old,
            signals: added,
        })
    }

    /// Waits for `child` to exit, forwarding each blocked signal that arrives meanwhile.
    ///
    /// # Errors
    /// As for [`Child::wait`].
    pub fn wait(&self, child: &mut Child) -> Result<ExitStatus> {
        use rustix::event::{PollFd, PollFlags, poll};
        loop {
            let mut fds = [
                PollFd::new(&child.pidfd, PollFlags::IN),
                PollFd::new(&self.fd, PollFlags::IN),
            ];
            match poll(&mut fds, None) {
                Ok(_) | Err(RErrno::INTR) => {}
                Err(e) => return Err(super::child::wait_error(child.pid, e)),
            }
            let [exited, signalled] = [fds[0].revents(), fds[1].revents()];
            if !signalled.is_empty() {
                let (sig, from_kernel) = sys::read_signal(self.fd.as_fd())
                    .map_err(|e| super::child::wait_error(child.pid, e))?;
                // A terminal's ^C reaches the child too (same process group): pass on only
                // what a process sent, so the child does not get it twice.
                if let (Some(sig), false) = (Signal::from_named_raw(sig), from_kernel) {
                    child.signal(sig)?;
                }
            }
            if !exited.is_empty() {
                return child.wait();
            }
        }
    }
}

impl Drop for ForwardSignals {
    fn drop(&mut self) {
        FORWARDED.with(|f| {
            let mut f = f.borrow_mut();
            for sig in &self.signals {
                if let Some(i) = f.iter().position(|s| s == sig) {
                    f.remove(i);
                }
            }
        });
        sys::set_signal_mask(&self.old);
    }
}
