//! Spawning programs in new and existing namespaces: [`Command`] and [`Child`].
//!
//! A [`Command`] has the shape of [`std::process::Command`] (program, arguments, environment,
//! working directory, standard streams, [`spawn`](Command::spawn) /
//! [`status`](Command::status) / [`output`](Command::output)) plus namespace set-up: new
//! namespaces of any kind, existing ones to join, uid/gid maps, hostname, a fresh `/proc`,
//! a new root, time offsets, parent-death signal and cgroup.
//!
//! # How a spawn works
//!
//! 1. The command is turned into a validated plan: every string, path, argument vector and
//!    file descriptor the child needs is allocated or opened *before* the clone.
//! 2. With every signal blocked, `clone3(CLONE_PIDFD | CLONE_NEW*)` creates the child
//!    directly inside its new namespaces. In a new pid namespace the program is pid 1: there
//!    is no extra fork. Where `clone3` is blocked (seccomp profiles of container engines
//!    answer `ENOSYS` or `EPERM`), `clone(2)` with `CLONE_PIDFD` does the same, the child
//!    making a new time namespace itself and the parent writing `cgroup.procs`.
//! 3. When a user namespace is created with maps of the caller's own uid and gid (one line
//!    each, `setgroups` denied: `map_root`, `map_user_as`, bwrap's maps), the child writes
//!    them itself, as the kernel allows (user_namespaces(7)), with no round trip. Other maps
//!    are the parent's: the child waits on a pipe while the parent writes `setgroups`,
//!    `uid_map` and `gid_map` (directly, or through `newuidmap`/`newgidmap` when that is
//!    what it takes).
//! 4. The child then sets the time offsets, hostname, mount propagation, new root and
//!    `/proc`, working directory and standard streams — async-signal-safe system calls only —
//!    restores the caller's signal mask and calls `execve`. A failure is reported on a
//!    close-on-exec pipe, naming the step.
//!
//! Joining existing namespaces happens in an intermediate process first (their owners grant
//! the privilege; the order is lxns's one join rule, [`JoinPlan`](crate::JoinPlan)), which
//! then clones the final process with `CLONE_PARENT | CLONE_PIDFD` and passes that pidfd to
//! the parent over a socket of its own, so the program is still the caller's direct child
//! and the [`Child`]'s pidfd refers to it — never looked up by number.
//!
//! Every process a spawn creates is handed to the caller as a [`Child`] or killed and reaped
//! before the spawn returns its error; a dropped [`Child`] is reaped too.
//!
//! No thread of the caller ever changes namespace: spawning is safe from any thread of a
//! multithreaded program, including a new user namespace (the kernel refuses that to
//! `unshare(2)` in a multithreaded process, but not to `clone3`).
//!
//! ```no_run
//! use lxns::{Command, Kind, KindSet};
//! // As root, or as anyone with unprivileged user namespaces:
//! let out = Command::new("ip")
//!     .args(["-o", "link"])
//!     .unshare(KindSet::from(Kind::User) | Kind::Net)
//!     .map_root()
//!     .output()?;
//! assert!(String::from_utf8_lossy(&out.stdout).contains("lo"));
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! # References
//!  - [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html),
//!    [posix_spawn(3)](https://man7.org/linux/man-pages/man3/posix_spawn.3.html),
//!    [execve(2)](https://man7.org/linux/man-pages/man2/execve.2.html),
//!    [user_namespaces(7)](https://man7.org/linux/man-pages/man7/user_namespaces.7.html),
//!    [pivot_root(2)](https://man7.org/linux/man-pages/man2/pivot_root.2.html),
//!    [time_namespaces(7)](https://man7.org/linux/man-pages/man7/time_namespaces.7.html),
//!    [unshare(1)](https://man7.org/linux/man-pages/man1/unshare.1.html)
//!
//! # Layout
//!  - `command`: the [`Command`] builder and its setters;
//!  - `plan`: validation and everything allocated or opened before the clone;
//!  - `parent`: the protocol with the child, and the guard that kills, reaps and unpersists;
//!  - `child`: [`Child`] and [`Output`];
//!  - `in_place`: [`Command::exec_replacing_current_process`];
//!  - `signals`: [`ForwardSignals`];
//!  - `report`: the typed error of each failed step;
//!  - `step`: [`SpawnStep`], shared with `sys::spawn` (the child's side, all its `unsafe`).

mod child;
mod command;
mod in_place;
mod parent;
mod plan;
mod report;
pub(crate) mod sandbox;
mod signals;
mod step;

pub use child::{Child, Output};
pub use command::{Command, Propagation, Stdio};
pub use sandbox::{Capabilities, FsOp};
pub use signals::ForwardSignals;
pub use step::SpawnStep;
