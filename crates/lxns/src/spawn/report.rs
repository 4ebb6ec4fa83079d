//! Errors of a spawn: the typed error for each failed step, named by its input.

use std::ffi::CString;
use std::path::PathBuf;

use rustix::io::Errno as RErrno;

use super::SpawnStep;
use super::command::Command;
use crate::error::{Error, Op, Result, Target};
use crate::join::Step;
use crate::kind::{Kind, KindSet};
use crate::sys::spawn::Report;

/// An [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) of the preparation: nothing was started.
pub(super) fn invalid(reason: impl Into<String>) -> Error {
    Error::invalid_argument(Op::Spawn(SpawnStep::Prepare), Target::None, reason.into())
}

/// `bytes` as a C string, or an error naming `what` when it holds a NUL byte.
pub(super) fn cstring(bytes: &[u8], what: &str) -> Result<CString> {
    CString::new(bytes).map_err(|_| invalid(format!("{what} contains a NUL byte")))
}

/// The typed error for a failed clone. `ENOSYS` or `EPERM` with no namespace to blame is a
/// seccomp filter refusing both `clone3(2)` and `clone(2)` with `CLONE_PIDFD`.
pub(super) fn clone_error(e: RErrno, kinds: KindSet) -> Error {
    let op = Op::Spawn(SpawnStep::Clone);
    match e {
        RErrno::NOSYS => Error::unsupported(
            op,
            None,
            "clone3 and clone with CLONE_PIDFD (Linux 5.2+; or a seccomp filter blocks \
                   them: run where the seccomp profile allows clone3 or clone)"
                .into(),
            Some(e.into()),
        ),
        e => crate::enter::creation_error(op, e, kinds, Target::None),
    }
}

/// The typed error for a report from the child.
pub(super) fn report_error(r: Report, cmd: &Command, joins: &[Step<'_>], pid: i32) -> Error {
    let op = Op::Spawn(r.step);
    let errno = r.errno;
    let path_of = |p: &Option<PathBuf>| Target::Path(p.clone().unwrap_or_default());
    match r.step {
        SpawnStep::Exec => {
            let target = Target::Path(PathBuf::from(&cmd.program));
            match errno {
                RErrno::NOENT | RErrno::NOTDIR => Error::not_found(op, None, target),
                RErrno::ACCESS | RErrno::PERM => {
                    Error::permission_denied(op, None, target, errno.into(), None)
                }
                e => Error::os(op, None, target, e.into()),
            }
        }
        SpawnStep::Join => match usize::try_from(r.index).ok().and_then(|i| joins.get(i)) {
            Some(step) => crate::join::step_error(step, errno),
            None => Error::os(op, None, Target::Pid(pid), errno.into()),
        },
        SpawnStep::Clone => clone_error(errno, cmd.unshare),
        // The child's own maps (`Prepared::own_maps`): the same error as the parent's write.
        SpawnStep::Maps => {
            let file = ["setgroups", "uid_map", "gid_map"]
                .get(r.index as usize)
                .unwrap_or(&"uid_map");
            crate::idmap::write_error(
                pid,
                &format!("/proc/{pid}/{file}"),
                errno.into(),
                Op::WriteIdMap,
            )
        }
        SpawnStep::Filesystem => super::sandbox::step_error(&cmd.fs, r.index, errno),
        SpawnStep::RootBind
        | SpawnStep::RootChdir
        | SpawnStep::PivotRoot
        | SpawnStep::DetachOldRoot => {
            let target = path_of(&cmd.root);
            match errno {
                RErrno::NOENT => Error::not_found(op, Some(Kind::Mnt), target),
                e => Error::os(op, Some(Kind::Mnt), target, e.into()),
            }
        }
        SpawnStep::MountProc => {
            Error::os(op, Some(Kind::Mnt), path_of(&cmd.proc_mount), errno.into())
        }
        SpawnStep::Cwd => match errno {
            RErrno::NOENT => Error::not_found(op, None, path_of(&cmd.cwd)),
            e => Error::os(op, None, path_of(&cmd.cwd), e.into()),
        },
        SpawnStep::Hostname | SpawnStep::Domainname => {
            Error::os(op, Some(Kind::Uts), Target::Pid(pid), errno.into())
        }
        SpawnStep::TimeNamespace | SpawnStep::TimeOffsets | SpawnStep::TimeEnter => {
            Error::os(op, Some(Kind::Time), Target::Pid(pid), errno.into())
        }
        SpawnStep::Cgroup | SpawnStep::CgroupNamespace => Error::os(
            op,
            Some(Kind::Cgroup),
            Target::Path(cmd.cgroup.clone().unwrap_or_default()),
            errno.into(),
        ),
        SpawnStep::DisableUserNamespaces => {
            let what = [
                "/proc/sys/user/max_user_namespaces",
                "unshare(CLONE_NEWUSER)",
                "/proc/self/setgroups",
                "/proc/self/uid_map",
                "/proc/self/gid_map",
            ];
            let target = what
                .get(r.index as usize)
                .unwrap_or(&"unshare(CLONE_NEWUSER)");
            Error::os(
                op,
                Some(Kind::User),
                Target::Path((*target).into()),
                errno.into(),
            )
        }
        SpawnStep::AssertUserNamespacesDisabled => Error::invalid_argument(
            op,
            Target::Pid(pid),
            "creation of new user namespaces was not disabled as requested: the program \
             could create one (disable them with disable_user_namespaces, or join a user \
             namespace where they are)"
                .into(),
        ),
        SpawnStep::Propagation => {
            Error::os(op, Some(Kind::Mnt), Target::Path("/".into()), errno.into())
        }
        _ => Error::os(op, None, Target::Pid(pid), errno.into()),
    }
}
