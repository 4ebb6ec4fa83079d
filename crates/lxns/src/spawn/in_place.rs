//! [`Command::exec_replacing_current_process`]: the program replaces the calling process,
//! in its namespaces, as `unshare(1)` without `--fork` and `nsenter(1)` do.

use super::command::{Command, StdioKind};
use super::parent::persist_all;
use super::plan;
use super::report::{invalid, report_error};
use crate::error::{Error, Result};
use crate::idmap::{MapKind, MapWriter, effective_ids, write_id_map, write_setgroups};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::sys::spawn::{self as sys, CloneApi};

impl Command {
    /// Whether [`exec_replacing_current_process`](Command::exec_replacing_current_process)
    /// can run this command: nothing in it needs a child process.
    pub fn can_exec_in_place(&self) -> bool {
        self.in_place_obstacle().is_none()
    }

    fn in_place_obstacle(&self) -> Option<&'static str> {
        let (euid, egid) = effective_ids();
        let joins_pid = self.joins.kinds().contains(Kind::Pid);
        if self.unshare.contains(Kind::Pid) || joins_pid {
            Some("a pid namespace holds only the children of who creates or joins it: spawn")
        } else if self.owner.is_some() {
            Some("the owner of a new user namespace is set by an intermediate process: spawn")
        } else if self.cgroup.is_some() {
            Some("CLONE_INTO_CGROUP places a new process: spawn")
        } else if self.persist.iter().any(|(k, _)| *k == Kind::Time) {
            Some("a new time namespace is entered only at exec; to persist it: spawn")
        } else if self.persist.iter().any(|(k, _)| *k == Kind::Mnt) {
            // From inside, the file lies in the new mount namespace itself: the kernel
            // refuses to mount a namespace into itself (ELOOP). unshare persists from the
            // parent too.
            Some("a mount namespace is persisted from outside it (by the parent): spawn")
        } else if self.parent_death.is_some() {
            Some("a parent-death signal needs a parent: spawn")
        } else if self
            .stdio
            .iter()
            .flatten()
            .any(|s| matches!(s.0, StdioKind::Piped))
        {
            Some("piped streams need a Child to hold the other end: spawn")
        } else if !plan::maps(self).own_ids_only(euid, egid)
            || (self.map_writer == MapWriter::Helper && self.unshare.contains(Kind::User))
        {
            Some(
                "a process can map only its own uid and gid (with setgroups denied) into a \
                 user namespace it is in; other maps are written by a parent: spawn",
            )
        } else {
            None
        }
    }

    /// Replaces the **calling process** with the program, in the requested namespaces — the
    /// way `unshare(1)` without `--fork` and `nsenter(1)` work, and like std's
    /// `CommandExt::exec`: no child is created, so the program keeps this process's pid,
    /// parent and signals, and there is one process start less.
    ///
    /// The process joins the namespaces, `unshare`s the new ones, writes its own id maps,
    /// then runs the same set-up steps a spawned child would (time offsets, hostname, mounts,
    /// new root, working directory, streams) and `execve`s. This changes the namespaces of
    /// the calling process; creating or joining a user namespace needs it to be
    /// single-threaded. Only commands for which
    /// [`can_exec_in_place`](Command::can_exec_in_place) is true can run this way (not new
    /// or joined pid namespaces, cgroups, a parent-death signal, piped streams, or maps other
    /// than the caller's own ids).
    ///
    /// # Errors
    /// Returns only on failure, with the error: [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when the command
    /// needs a child (nothing was changed), else as for [`spawn`](Command::spawn),
    /// [`unshare_current_thread`](crate::unshare_current_thread) and
    /// [`enter_all_current_thread`](crate::enter_all_current_thread). After a failure past
    /// the first check the process may already be in some new namespaces: exit.
    ///
    /// # References
    ///  - [execve(2)](https://man7.org/linux/man-pages/man2/execve.2.html),
    ///    [unshare(2)](https://man7.org/linux/man-pages/man2/unshare.2.html)
    pub fn exec_replacing_current_process(&mut self) -> Error {
        match exec_in_place(self) {
            Err(e) => e,
            Ok(never) => match never {},
        }
    }
}

fn exec_in_place(cmd: &mut Command) -> Result<std::convert::Infallible> {
    if let Some(why) = cmd.in_place_obstacle() {
        return Err(invalid(why));
    }
    // The process makes a new time namespace itself (as a child without clone3 does).
    let mut prep = plan::prepare(cmd, CloneApi::Clone)?;
    let steps = crate::join::plan(cmd.joins.refs())?;
    crate::join::enter_current_thread(&steps)?;
    let mut new = cmd.unshare;
    new.remove(Kind::Time);
    if !new.is_empty() {
        crate::unshare_current_thread(new)?;
    }
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    if let Some(value) = cmd.setgroups {
        write_setgroups(pid, value)?;
    }
    if let Some(map) = &cmd.uid_map {
        write_id_map(pid, MapKind::Uid, map)?;
    }
    if let Some(map) = &cmd.gid_map {
        write_id_map(pid, MapKind::Gid, map)?;
    }
    let mut persisted = persist_all(&cmd.persist, Namespace::current)?;
    let vectors = prep.vectors();
    // The program starts with this process's mask, less what ForwardSignals blocked here.
    let mask = sys::current_signal_mask();
    let failure = sys::exec_in_place(&prep.setup(&vectors, super::signals::exec_mask(mask)));
    // exec_in_place set the program's mask before trying execve: put this process's back.
    sys::set_signal_mask(&mask);
    drop(vectors);
    prep.child_stdio = [None, None, None];
    // The program did not start: what was persisted for it goes (best effort: after a
    // failed pivot_root the paths may no longer resolve).
    persisted.undo();
    Err(report_error(failure, cmd, &steps, pid))
}
