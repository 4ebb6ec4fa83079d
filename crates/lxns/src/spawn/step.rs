//! [`SpawnStep`]: the steps of a spawn, named in errors, and the wire format between the
//! parent and its child (`sys::spawn`).

/// The step of a spawn that failed, in [`Op::Spawn`](crate::Op::Spawn).
///
/// The same enum travels from the child to the parent (as its `u32` discriminant, between
/// a parent and a child of the same binary only), so a step the child can fail at is always
/// one the caller can match on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum SpawnStep {
    /// Checking the command and preparing everything before the clone.
    Prepare = 0,
    /// `clone3(2)` (or `clone(2)` where `clone3` is blocked): creating the process and its
    /// new namespaces.
    Clone = 1,
    /// `setns(2)` into a namespace to join.
    Join = 2,
    /// Writing `setgroups`, `uid_map`, `gid_map` (or running `newuidmap`/`newgidmap`).
    Maps = 3,
    /// `prctl(PR_SET_PDEATHSIG)`.
    ParentDeathSignal = 4,
    /// Resetting the signal mask and dispositions.
    Signals = 5,
    /// Waiting for the parent to finish the maps.
    WaitForParent = 6,
    /// `unshare(CLONE_NEWTIME)` for a time namespace made by the child itself.
    TimeNamespace = 7,
    /// Writing `/proc/self/timens_offsets`.
    TimeOffsets = 8,
    /// `setns` into the new time namespace.
    TimeEnter = 9,
    /// `sethostname(2)`.
    Hostname = 10,
    /// `setdomainname(2)`.
    Domainname = 11,
    /// Setting the propagation of `/` (`mount(MS_REC|MS_PRIVATE)`).
    Propagation = 12,
    /// Bind-mounting the new root onto itself.
    RootBind = 13,
    /// `chdir` into the new root (or to `/` after the pivot).
    RootChdir = 14,
    /// `pivot_root(".", ".")`.
    PivotRoot = 15,
    /// Detaching the old root (`umount2(".", MNT_DETACH)`).
    DetachOldRoot = 16,
    /// Mounting proc.
    MountProc = 17,
    /// `chdir` to the working directory.
    Cwd = 18,
    /// Setting up standard streams (`dup2`).
    Stdio = 19,
    /// `execve(2)`.
    Exec = 20,
    /// Waiting for the child.
    Wait = 21,
    /// Handing the final process of a two-stage spawn (one that joins namespaces, then
    /// creates some) over to the parent: its pidfd, passed with `SCM_RIGHTS`.
    Handover = 22,
    /// Placing the child in its cgroup by writing `cgroup.procs` (where `clone3`'s
    /// `CLONE_INTO_CGROUP` is not available).
    Cgroup = 23,
    /// `unshare(CLONE_NEWCGROUP)` after the child was placed in its cgroup (where `clone3`
    /// is not available).
    CgroupNamespace = 24,
    /// Setting the uid and gid the program runs as ([`Command::uid`](crate::Command::uid),
    /// [`Command::gid`](crate::Command::gid)): setgroups, setresgid, setresuid.
    Credentials = 25,
    /// Mounting `binfmt_misc` ([`Command::mount_binfmt_misc_at`](crate::Command::mount_binfmt_misc_at)).
    MountBinfmt = 26,
    /// Writing a binary format to `binfmt_misc`'s `register` file
    /// ([`Command::register_binfmt`](crate::Command::register_binfmt)).
    RegisterBinfmt = 27,
    /// Raising the permitted capabilities into the ambient set
    /// ([`Command::keep_capabilities`](crate::Command::keep_capabilities)): `capset`,
    /// `prctl(PR_CAP_AMBIENT_RAISE)`.
    KeepCapabilities = 28,
    /// Becoming the owner of the new user namespace before creating it
    /// ([`Command::user_namespace_owner`](crate::Command::user_namespace_owner)): setgroups,
    /// setresgid, setresuid in the intermediate process.
    Owner = 29,
    /// One of the new root's filesystem operations ([`Command::fs`](crate::Command::fs)),
    /// named in the error's target.
    Filesystem = 30,
    /// Limiting the capabilities ([`Command::capabilities`](crate::Command::capabilities)):
    /// bounding set, `capset`, ambient set.
    Capabilities = 31,
    /// `prctl(PR_SET_NO_NEW_PRIVS)` ([`Command::no_new_privs`](crate::Command::no_new_privs)).
    NoNewPrivs = 32,
    /// `setsid(2)` ([`Command::new_session`](crate::Command::new_session)).
    Session = 33,
    /// Waiting on the block descriptor ([`Command::block_on`](crate::Command::block_on)).
    Block = 34,
    /// Installing a seccomp program ([`Command::seccomp`](crate::Command::seccomp)), the
    /// error's index naming which.
    Seccomp = 35,
    /// Bringing up the loopback interface of a new network namespace
    /// ([`Command::loopback_up`](crate::Command::loopback_up)).
    Loopback = 36,
    /// Writing the information record ([`Command::info_fd`](crate::Command::info_fd),
    /// [`Command::json_status_fd`](crate::Command::json_status_fd)), in the parent.
    Info = 37,
    /// Making user namespaces unavailable
    /// ([`Command::disable_user_namespaces`](crate::Command::disable_user_namespaces)):
    /// writing `user.max_user_namespaces`, the nested `unshare(CLONE_NEWUSER)` and its maps
    /// (the index: 0 the sysctl, 1 the unshare, 2 setgroups, 3 uid_map, 4 gid_map).
    DisableUserNamespaces = 38,
    /// The check of
    /// [`Command::assert_user_namespaces_disabled`](crate::Command::assert_user_namespaces_disabled):
    /// a user namespace could be created.
    AssertUserNamespacesDisabled = 39,
}

impl SpawnStep {
    const ALL: [SpawnStep; 40] = [
        SpawnStep::Prepare,
        SpawnStep::Clone,
        SpawnStep::Join,
        SpawnStep::Maps,
        SpawnStep::ParentDeathSignal,
        SpawnStep::Signals,
        SpawnStep::WaitForParent,
        SpawnStep::TimeNamespace,
        SpawnStep::TimeOffsets,
        SpawnStep::TimeEnter,
        SpawnStep::Hostname,
        SpawnStep::Domainname,
        SpawnStep::Propagation,
        SpawnStep::RootBind,
        SpawnStep::RootChdir,
        SpawnStep::PivotRoot,
        SpawnStep::DetachOldRoot,
        SpawnStep::MountProc,
        SpawnStep::Cwd,
        SpawnStep::Stdio,
        SpawnStep::Exec,
        SpawnStep::Wait,
        SpawnStep::Handover,
        SpawnStep::Cgroup,
        SpawnStep::CgroupNamespace,
        SpawnStep::Credentials,
        SpawnStep::MountBinfmt,
        SpawnStep::RegisterBinfmt,
        SpawnStep::KeepCapabilities,
        SpawnStep::Owner,
        SpawnStep::Filesystem,
        SpawnStep::Capabilities,
        SpawnStep::NoNewPrivs,
        SpawnStep::Session,
        SpawnStep::Block,
        SpawnStep::Seccomp,
        SpawnStep::Loopback,
        SpawnStep::Info,
        SpawnStep::DisableUserNamespaces,
        SpawnStep::AssertUserNamespacesDisabled,
    ];

    /// The step with wire number `v`.
    pub(crate) fn from_wire(v: u32) -> Option<SpawnStep> {
        SpawnStep::ALL.into_iter().find(|s| *s as u32 == v)
    }
}

impl std::fmt::Display for SpawnStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpawnStep::Prepare => "prepare",
            SpawnStep::Clone => "clone3",
            SpawnStep::Join => "join namespace (setns)",
            SpawnStep::Maps => "write id maps",
            SpawnStep::ParentDeathSignal => "set parent-death signal",
            SpawnStep::Signals => "reset signals",
            SpawnStep::WaitForParent => "wait for parent",
            SpawnStep::TimeNamespace => "create time namespace",
            SpawnStep::TimeOffsets => "write /proc/self/timens_offsets",
            SpawnStep::TimeEnter => "enter new time namespace",
            SpawnStep::Hostname => "sethostname",
            SpawnStep::Domainname => "setdomainname",
            SpawnStep::Propagation => "set mount propagation of /",
            SpawnStep::RootBind => "bind-mount new root onto itself",
            SpawnStep::RootChdir => "chdir into new root",
            SpawnStep::PivotRoot => "pivot_root",
            SpawnStep::DetachOldRoot => "detach old root",
            SpawnStep::MountProc => "mount proc",
            SpawnStep::Cwd => "chdir to working directory",
            SpawnStep::Stdio => "set up stdin/stdout/stderr",
            SpawnStep::Exec => "execve",
            SpawnStep::Wait => "wait",
            SpawnStep::Handover => "hand the new process over (SCM_RIGHTS)",
            SpawnStep::Cgroup => "write cgroup.procs",
            SpawnStep::CgroupNamespace => "create cgroup namespace",
            SpawnStep::Credentials => "set uid and gid (setgroups, setresgid, setresuid)",
            SpawnStep::MountBinfmt => "mount binfmt_misc",
            SpawnStep::RegisterBinfmt => "register a binary format (binfmt_misc register)",
            SpawnStep::KeepCapabilities => "raise capabilities into the ambient set",
            SpawnStep::Owner => {
                "become the user namespace's owner (setgroups, setresgid, setresuid)"
            }
            SpawnStep::Filesystem => "build the sandbox root",
            SpawnStep::Capabilities => "limit capabilities",
            SpawnStep::NoNewPrivs => "set no_new_privs",
            SpawnStep::Session => "create a new session (setsid)",
            SpawnStep::Block => "wait on the block descriptor",
            SpawnStep::Seccomp => "install a seccomp program",
            SpawnStep::Loopback => "bring up the loopback interface (rtnetlink)",
            SpawnStep::Info => "write the information record",
            SpawnStep::DisableUserNamespaces => {
                "disable user namespaces (max_user_namespaces, nested user namespace)"
            }
            SpawnStep::AssertUserNamespacesDisabled => "check that user namespaces are disabled",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_round_trips_through_the_wire() {
        for (i, step) in SpawnStep::ALL.into_iter().enumerate() {
            assert_eq!(step as usize, i, "numbered without gaps");
            assert_eq!(SpawnStep::from_wire(step as u32), Some(step));
        }
        let past = u32::try_from(SpawnStep::ALL.len()).unwrap();
        assert_eq!(SpawnStep::from_wire(past), None);
    }
}
