//! The parent's side of a spawn: the protocol with the child, and the guard that makes sure
//! every process a spawn creates is either handed to the caller as a [`Child`] or killed and
//! reaped, on every path.
//!
//! 1. Decide how to clone ([`sys::clone_api`]), prepare the plan, open the channels.
//! 2. Block every signal, clone, restore the mask ([`sys`]'s module docs).
//! 3. Two-stage (joins, then a new process): receive the final process's pidfd from the
//!    intermediate on the stage socket, and reap the intermediate.
//! 4. The parent's part: id maps, cgroup placement without `clone3`, persisted namespaces;
//!    then the go byte.
//! 5. The report pipe: end-of-file means the program runs; a record names the failed step.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::io::Errno as RErrno;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions};

use super::SpawnStep;
use super::child::{Child, wait_pidfd};
use super::command::Command;
use super::plan::{self, Prepared};
use super::report::{clone_error, report_error};
use crate::error::{Error, Op, Result, Target};
use crate::join::{self, Step};
use crate::kind::Kind;
use crate::namespace::Namespace;
use crate::sys::spawn::{self as sys, ChildPlan, StageRecord};

/// The processes of a spawn not yet handed over, and what was persisted for them. Dropping
/// it kills and reaps them all and removes the persisted namespaces.
struct Guard {
    intermediate: Option<(i32, OwnedFd)>,
    child: Option<Child>,
    persisted: Persisted,
}

impl Guard {
    /// Hands the child over: nothing is killed any more.
    fn disarm(mut self) -> Option<Child> {
        self.persisted = Persisted::default();
        self.child.take()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some((pid, fd)) = self.intermediate.take() {
            let _ = rustix::process::pidfd_send_signal(&fd, Signal::KILL);
            let _ = wait_pidfd(fd.as_fd(), pid, false);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.persisted.undo();
    }
}

/// The channels between parent and child: (parent's end, child's end).
struct Channels {
    report: (OwnedFd, OwnedFd),
    stage: Option<(OwnedFd, OwnedFd)>,
    go: Option<(OwnedFd, OwnedFd)>,
}

impl Channels {
    fn open(two_stage: bool, go: bool) -> Result<Channels> {
        let err =
            |e: RErrno| Error::os(Op::Spawn(SpawnStep::Prepare), None, Target::None, e.into());
        let pipe = || rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(err);
        let stage = two_stage
            .then(|| {
                rustix::net::socketpair(
                    AddressFamily::UNIX,
                    SocketType::SEQPACKET,
                    SocketFlags::CLOEXEC,
                    None,
                )
                .map_err(err)
            })
            .transpose()?;
        // go: the child reads, the parent writes.
        let go = go.then(pipe).transpose()?.map(|(r, w)| (w, r));
        Ok(Channels {
            report: pipe()?,
            stage,
            go,
        })
    }
}

/// Spawns `cmd` and returns the child once the program runs.
pub(super) fn spawn(cmd: &mut Command) -> Result<Child> {
    let mut prep = plan::prepare(cmd, sys::clone_api())?;
    let steps = join::plan(cmd.joins.refs())?;
    if steps.len() > sys::MAX_JOINS {
        return Err(join::too_many());
    }
    let joined = steps
        .iter()
        .fold(crate::KindSet::EMPTY, |acc, s| acc | s.kinds);
    // An owner for the new user namespace is set by an intermediate process too.
    let two_stage = (!steps.is_empty() && (joined.contains(Kind::Pid) || !cmd.unshare.is_empty()))
        || cmd.owner.is_some();
    let channels = Channels::open(two_stage, plan::needs_go(cmd, &prep))?;
    let records: Records = (cmd.info.take(), cmd.json_status.take());
    let first = clone(cmd, &prep, &steps, &channels)?;
    // The child has its own copies of its ends now; ours must go so that end-of-file works.
    prep.child_stdio = [None, None, None];
    let Channels { report, stage, go } = channels;
    let (report_r, report_w) = report;
    drop(report_w);
    let stage_r = stage.map(|(ours, _)| ours);
    let go_w = go.map(|(ours, _)| ours);

    let mut guard = Guard {
        intermediate: None,
        child: None,
        persisted: Persisted::default(),
    };
    match stage_r {
        None => guard.child = Some(Child::new(first.0, first.1)),
        Some(stage) => {
            guard.intermediate = Some(first);
            guard.child = Some(receive_handover(&mut guard, stage, cmd, &steps)?);
        }
    }
    if let Some(go_w) = go_w {
        parent_part(cmd, &mut prep, &mut guard, records)?;
        let pid = guard.child.as_ref().map_or(0, Child::pid);
        if let Some(fd) = cmd.userns_block.take() {
            // The caller's part: it writes the maps, then a byte (or closes its end).
            sys::block_on(fd.as_fd()).map_err(|e| {
                Error::os(
                    Op::Spawn(SpawnStep::Block),
                    Some(Kind::User),
                    Target::Pid(pid),
                    e.into(),
                )
            })?;
        }
        rustix::io::write(&go_w, &[1]).map_err(|e| {
            Error::os(
                Op::Spawn(SpawnStep::WaitForParent),
                None,
                Target::Pid(pid),
                e.into(),
            )
        })?;
    }
    let pid = guard.child.as_ref().map_or(0, Child::pid);
    match sys::read_report(report_r.as_fd()) {
        Ok(None) => {}
        Ok(Some(r)) => return Err(report_error(r, cmd, &steps, pid)),
        Err(e) => {
            return Err(Error::os(
                Op::Spawn(SpawnStep::Exec),
                None,
                Target::Pid(pid),
                e.into(),
            ));
        }
    }
    let mut child = guard.disarm().ok_or_else(|| {
        Error::os(
            Op::Spawn(SpawnStep::Clone),
            None,
            Target::None,
            RErrno::SRCH.into(),
        )
    })?;
    let [stdin, stdout, stderr] = std::mem::take(&mut prep.parent_stdio);
    child.stdin = stdin.map(File::from);
    child.stdout = stdout.map(File::from);
    child.stderr = stderr.map(File::from);
    Ok(child)
}

/// Creates the first process with every signal blocked (module docs of [`sys`]); returns
/// its pid and pidfd.
fn clone(
    cmd: &Command,
    prep: &Prepared,
    steps: &[Step<'_>],
    channels: &Channels,
) -> Result<(i32, OwnedFd)> {
    let joins: Vec<sys::Join<'_>> = steps.iter().map(Step::join).collect();
    let vectors = prep.vectors();
    let caller_mask = sys::block_all_signals();
    let plan = ChildPlan {
        api: prep.api,
        report: channels.report.1.as_fd(),
        stage: channels.stage.as_ref().map(|(_, theirs)| theirs.as_fd()),
        go: channels.go.as_ref().map(|(_, theirs)| theirs.as_fd()),
        parent_ends: [
            Some(channels.report.0.as_fd()),
            channels.stage.as_ref().map(|(ours, _)| ours.as_fd()),
            channels.go.as_ref().map(|(ours, _)| ours.as_fd()),
        ],
        new: cmd.unshare,
        cgroup: prep.cgroup.as_ref().map(AsFd::as_fd),
        cgroup_by_parent: prep.cgroup_procs.is_some(),
        joins: &joins,
        parent_death: cmd
            .parent_death
            .zip(prep.parent_pidfd.as_ref().map(AsFd::as_fd)),
        owner: cmd.owner,
        own_maps: prep
            .own_maps
            .as_ref()
            .map(|texts| texts.each_ref().map(Option::as_deref)),
        setup: prep.setup(&vectors, super::signals::exec_mask(caller_mask)),
    };
    let created = sys::spawn(&plan);
    sys::set_signal_mask(&caller_mask);
    let (pid, fd) = created.map_err(|e| clone_error(e, cmd.unshare))?;
    Ok((pid.as_raw_nonzero().get(), fd))
}

/// Receives the final process of a two-stage spawn from the intermediate, and reaps the
/// intermediate.
fn receive_handover(
    guard: &mut Guard,
    stage: OwnedFd,
    cmd: &Command,
    steps: &[Step<'_>],
) -> Result<Child> {
    let record = sys::read_stage(stage.as_fd());
    let first = guard.intermediate.as_ref().map_or(0, |(pid, _)| *pid);
    // The intermediate exits right after its record: reap it whatever it said.
    if let Some((pid, fd)) = guard.intermediate.take() {
        let _ = wait_pidfd(fd.as_fd(), pid, false);
    }
    let clone_err = |e: RErrno| {
        Error::os(
            Op::Spawn(SpawnStep::Clone),
            None,
            Target::Pid(first),
            e.into(),
        )
    };
    match record {
        Ok(Some(StageRecord::HandedOver { pidfd, pid })) => Ok(Child::new(pid, pidfd)),
        Ok(Some(StageRecord::Failed { report, pid })) => {
            if let Some(p) = Pid::from_raw(pid) {
                // It could not hand the final process over and killed it: reap it by pid
                // (an unreaped child's pid is not reused).
                let _ = rustix::process::waitid(WaitId::Pid(p), WaitIdOptions::EXITED);
            }
            Err(report_error(report, cmd, steps, first))
        }
        Ok(None) => Err(clone_err(RErrno::PIPE)),
        Err(e) => Err(clone_err(e)),
    }
}

/// What the parent does while the child waits for its go byte: write the id maps, place the
/// child in its cgroup (without `clone3`), persist its new namespaces.
fn parent_part(
    cmd: &Command,
    prep: &mut Prepared,
    guard: &mut Guard,
    records: Records,
) -> Result<()> {
    let Some(child) = guard.child.as_ref() else {
        return Ok(());
    };
    let pid = child.pid();
    let maps = plan::maps(cmd);
    if maps.any() && prep.own_maps.is_none() {
        crate::idmap::write_maps(pid, &maps)?;
    }
    if let Some(procs) = prep.cgroup_procs.as_mut() {
        procs.write_all(pid.to_string().as_bytes()).map_err(|e| {
            let path = cmd.cgroup.clone().unwrap_or_default().join("cgroup.procs");
            Error::from_io(Op::Spawn(SpawnStep::Cgroup), Target::Path(path), &e)
                .with_kind(Some(Kind::Cgroup))
        })?;
    }
    guard.persisted = persist_all(&cmd.persist, |kind| child.namespace(kind))?;
    write_info(records, guard, cmd.unshare)
}

/// The descriptors of [`Command::info_fd`] and [`Command::json_status_fd`], taken from the
/// command by the spawn that writes them.
type Records = (Option<File>, Option<File>);

/// bwrap's information record for the child: its pid and the inodes of the namespaces made
/// for it (`created`; bwrap names no user namespace).
fn info_record(pid: i32, one_line: bool, created: crate::KindSet) -> String {
    let mut fields = vec![format!("\"child-pid\": {pid}")];
    for kind in [
        Kind::Cgroup,
        Kind::Ipc,
        Kind::Mnt,
        Kind::Net,
        Kind::Pid,
        Kind::Uts,
    ] {
        if !created.contains(kind) {
            continue;
        }
        let path = format!("/proc/{pid}/ns/{}", kind.proc_name());
        if let Ok(m) = std::fs::metadata(path) {
            use std::os::unix::fs::MetadataExt;
            fields.push(format!("\"{}-namespace\": {}", kind.proc_name(), m.ino()));
        }
    }
    if one_line {
        format!("{{ {} }}\n", fields.join(", "))
    } else {
        format!("{{\n    {}\n}}\n", fields.join(",\n    "))
    }
}

/// Writes the records of [`Command::info_fd`] and [`Command::json_status_fd`]; the status
/// descriptor goes to the child, for the exit line.
fn write_info(
    (info, json_status): Records,
    guard: &mut Guard,
    created: crate::KindSet,
) -> Result<()> {
    let Some(child) = guard.child.as_mut() else {
        return Ok(());
    };
    let pid = child.pid();
    let fail = |e: std::io::Error| Error::from_io(Op::Spawn(SpawnStep::Info), Target::Pid(pid), &e);
    if let Some(mut info) = info {
        info.write_all(info_record(pid, false, created).as_bytes())
            .map_err(fail)?;
    }
    if let Some(mut status) = json_status {
        status
            .write_all(info_record(pid, true, created).as_bytes())
            .map_err(fail)?;
        child.status_fd = Some(status);
    }
    Ok(())
}

/// What a spawn persisted: each path, and whether lxns created its file (else it was an
/// existing empty file, as unshare(1) wants one, which is unmounted but kept).
#[derive(Debug, Default)]
pub(super) struct Persisted(Vec<(PathBuf, bool)>);

impl Persisted {
    /// Undoes the persisting (best effort): unmounts, and removes the files lxns created.
    pub(super) fn undo(&mut self) {
        for (path, created) in self.0.drain(..) {
            if created {
                let _ = crate::unpersist(&path);
            } else {
                let _ = rustix::mount::unmount(
                    &path,
                    rustix::mount::UnmountFlags::DETACH | rustix::mount::UnmountFlags::NOFOLLOW,
                );
            }
        }
    }
}

/// Persists each `(kind, path)` with the namespace `get` returns: onto the file at `path`
/// when one exists (unshare's rule: an empty regular file, not a symlink, nothing mounted),
/// else onto a file created for it. On a failure, undoes what it persisted before.
pub(super) fn persist_all(
    list: &[(Kind, PathBuf)],
    get: impl Fn(Kind) -> Result<Namespace>,
) -> Result<Persisted> {
    let mut done = Persisted::default();
    for (kind, path) in list {
        let existing = rustix::fs::lstat(path).is_ok();
        let result = get(*kind).and_then(|ns| {
            if existing {
                ns.persist_onto_existing(path)
            } else {
                ns.persist(path)
            }
        });
        if let Err(e) = result {
            done.undo();
            return Err(e);
        }
        done.0.push((path.clone(), !existing));
    }
    Ok(done)
}
