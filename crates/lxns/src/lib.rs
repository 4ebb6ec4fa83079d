//! # lxns: Linux namespaces, safely
//!
//! lxns references, inspects, creates and enters the eight kinds of Linux namespaces
//! (cgroup, ipc, mnt, net, pid, time, user, uts) from safe Rust. It is the library behind
//! the `lxns` command.
//!
//! ## Referencing a namespace
//!
//! A [`Namespace`] owns one `O_CLOEXEC` file descriptor on nsfs and knows its [`Kind`]. It
//! keeps the namespace alive while it exists. Every constructor validates what it opened:
//!
//! ```no_run
//! use lxns::{Kind, Namespace, Process};
//!
//! let mine = Namespace::current(Kind::Net)?;                     // the calling thread's
//! let init = Namespace::of_process(1, Kind::Net)?;               // via a pidfd: race-free
//! let blue = Namespace::open_as("/run/netns/blue", Kind::Net)?;  // a bind mount, kind checked
//! let any = Namespace::open("/proc/self/ns/uts")?;               // kind detected
//! let p = Process::open(1)?;                                     // several kinds of one process
//! let (ipc, uts) = (p.namespace(Kind::Ipc)?, p.namespace(Kind::Uts)?);
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! Opening a path that does not exist, a file that is not a namespace, or a namespace of the
//! wrong kind gives distinct errors ([`Reason::NotFound`], [`Reason::NotNamespace`],
//! [`Reason::WrongKind`]). A pid is pinned with `pidfd_open(2)` before its namespace is taken,
//! so a pid that is reused meanwhile yields [`Reason::ProcessGone`], never another process's
//! namespace.
//!
//! ## Inspecting
//!
//! [`Namespace::id`] is the identity (`net:[4026531840]`); handles compare equal when they
//! refer to the same namespace. The `ioctl_ns(2)` queries are methods:
//! [`user_namespace`](Namespace::user_namespace) (the owner),
//! [`parent`](Namespace::parent) (user and pid), [`owner_uid`](Namespace::owner_uid),
//! [`ns_id`](Namespace::ns_id) (the 64-bit id, Linux 6.18+), and pid translation
//! ([`pid_to_caller`](Namespace::pid_to_caller)). [`limit`] and [`set_limit`] read and set
//! `/proc/sys/user/max_<kind>_namespaces`.
//!
//! ## Entering and creating — mind the thread
//!
//! **Namespaces belong to threads, not processes.** `setns(2)` and `unshare(2)` change the
//! calling thread only, and a thread left in the wrong namespace silently runs later work
//! there — the classic bug of Go's `NetNS.Do` users, and a live hazard on any thread pool.
//! lxns therefore names every function that changes the calling thread `…_current_thread`:
//!
//! - [`Namespace::enter_current_thread`]: `setns` into one namespace.
//! - [`Process::enter_current_thread`]: several namespaces of a process at once
//!   (`setns(pidfd, flags)`), atomically; [`Process::enter_all_current_thread`] is
//!   `nsenter -a`.
//! - [`enter_all_current_thread`]: several handles, ordered for privileged and unprivileged
//!   callers.
//! - [`unshare_current_thread`] / [`Namespace::unshare_current_thread`]: create namespaces.
//!
//! Call them on a thread you own and discard, or in a single-threaded process about to
//! `exec`. To make a namespace without moving anyone, use [`Namespace::new`], which does the
//! `unshare` on a helper thread that ends at once:
//!
//! ```no_run
//! use lxns::{Kind, Namespace};
//!
//! let scratch = Namespace::new(Kind::Net)?;     // a fresh network namespace, caller unmoved
//! std::thread::spawn(move || -> lxns::Result<()> {
//!     scratch.enter_current_thread()?;          // this thread only, and it ends right after
//!     // ... configure interfaces in `scratch` ...
//!     Ok(())
//! })
//! .join()
//! .expect("helper thread panicked")?;
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! ## Running code inside namespaces
//!
//! Most programs do not want to move a thread at all; they want some code to run *in* a
//! namespace. [`run`] does that on a helper thread of lxns's pool: the helper enters, runs the
//! closure, goes back to the process's namespaces (checked) and returns the value; a helper
//! it cannot vouch for is retired, never reused. [`Worker`] parks one thread in a set of
//! namespaces for many calls; [`run_async`] and [`Worker::run_async`] are futures for any
//! executor; [`run_scoped`] runs a borrowing closure on a new thread; [`cni`] mirrors Go
//! CNI's `pkg/ns`:
//!
//! ```no_run
//! use lxns::{Kind, Namespace, Worker};
//!
//! let blue = Namespace::open_as("/run/netns/blue", Kind::Net)?;
//! let dev = lxns::run(&[&blue], || std::fs::read_to_string("/proc/thread-self/net/dev"))?;
//! let worker = Worker::new(&[&blue])?;           // for a hundred calls in a row
//! for i in 0..100 {
//!     worker.run(move || { /* configure interface i */ let _ = i; })?;
//! }
//! # let _ = dev;
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! ## Spawning programs in namespaces
//!
//! [`Command`] is [`std::process::Command`] plus namespaces: new ones of any kind, existing
//! ones to join, uid/gid maps (including rootless ones through `newuidmap` and
//! `/etc/subuid`), hostname, a fresh `/proc`, a new root, clock offsets, a parent-death
//! signal and a cgroup. The child is made by `clone3(2)` directly inside its new namespaces
//! (in a new pid namespace the program is pid 1), so no thread of the caller ever moves, and
//! a multithreaded program may create user namespaces this way. Where a seccomp filter
//! blocks `clone3` (container engines' default profiles answer `ENOSYS` or `EPERM`), `clone(2)`
//! with `CLONE_PIDFD` (Linux 5.2) takes its place with every feature kept. Every process a
//! spawn creates is handed to you as a [`Child`] or reaped, on every path; [`Child`] holds a
//! pidfd:
//!
//! ```no_run
//! use lxns::{Command, Kind, KindSet, Stdio};
//!
//! // `unshare -Urn --fork ip link` as a library call, rootless:
//! let out = Command::new("ip")
//!     .arg("link")
//!     .unshare(KindSet::from(Kind::User) | Kind::Net)
//!     .map_root()
//!     .output()?;
//! // A pid-1 shell with its own /proc, hostname and network, kept running:
//! let mut child = Command::new("sh")
//!     .unshare(KindSet::from(Kind::Pid) | Kind::Uts | Kind::Net)
//!     .mount_proc()
//!     .hostname("sandbox")
//!     .stdin(Stdio::piped())
//!     .spawn()?;
//! let net = child.namespace(Kind::Net)?;       // its namespaces, through the pidfd
//! child.kill()?;
//! child.wait()?;
//! # let _ = (out, net);
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! A program that is about to become the command (as `unshare(1)` does) can skip the child:
//! [`Command::exec_replacing_current_process`].
//!
//! ## Listing and persisting
//!
//! [`list`] finds every namespace on the system — through processes, nsfs bind mounts, open
//! fds and (on request) threads — with lsns's columns, in time linear in the number of
//! processes. [`Namespace::persist`] keeps a namespace alive by bind mount (any kind);
//! [`unpersist`] undoes it; [`netns::Registry`] is `ip netns`'s `/run/netns`, compatible both
//! ways:
//!
//! ```no_run
//! use lxns::{Kind, ListOptions};
//! let nets = lxns::list(&ListOptions::new().kinds(Kind::Net))?;
//! let blue = lxns::netns::Registry::new().add("blue")?; // visible to `ip netns list`
//! # let _ = (nets, blue);
//! # Ok::<(), lxns::Error>(())
//! ```
//!
//! The kernel refuses user namespaces (create or join) and joining time namespaces to a
//! process with more than one thread; lxns reports that as [`Reason::MultiThreaded`] with the
//! way out in its hint. A Rust test binary is always multithreaded: do such work in a child
//! process.
//!
//! ## Sockets, sysfs and `/proc` bind where they were made
//!
//! A socket belongs to the network namespace it was **created** in, whichever thread uses it
//! later; sysfs (`/sys/class/net`) shows the network namespace of whoever **mounted** it;
//! `/proc/thread-self/net/*` shows the calling thread's. So, in [`run`] or a [`Worker`],
//! create sockets (netlink ones too) inside the closure and read `/proc/thread-self/net`,
//! not `/sys`: a veth that exists only in the target namespace is absent from `/sys/class/net`
//! there (ENOENT) and present in `/proc/thread-self/net/dev`. A socket made inside can be
//! returned and used from any thread afterwards (see [`recipes`]).
//!
//! ## Errors
//!
//! One small [`Error`] (a pointer: `Result<()>` is 8 bytes): the failed step ([`Op`]), the
//! kind, the pid/path/namespace ([`Target`]), the kernel's errno when a system call answered
//! ([`Error::raw_os_error`]; `None` when lxns refused before asking), and the class of
//! failure ([`Error::reason`], a `#[non_exhaustive]` [`Reason`] to match on). `Display` is one
//! line; `{:#}` adds the remedy for the classic traps ([`Error::hint`]: user namespaces in a
//! multithreaded process, `EPERM` and which user namespace's `CAP_SYS_ADMIN` is missing,
//! `ENOSPC` and which sysctl to raise). `Debug` is that long form, so
//! `fn main() -> lxns::Result<()>` prints both. Nothing in lxns panics on bad input.
//!
//! ## Kernels
//!
//! lxns needs Linux 4.11 (the nsfs ioctls), and 5.3 for anything that takes a pid
//! (`pidfd_open`). Each newer call is used where the kernel has it and emulated where it does
//! not, or where a seccomp profile blocks it:
//!
//! | feature | kernel | below it, lxns… |
//! |---|---|---|
//! | [`Namespace`], [`list`], [`netns`], limits | 4.11 | [`kernel::require`] says so |
//! | [`Process`], [`Command`], [`run`] with pids | 5.3 | [`kernel::require`] says so |
//! | `clone3` with `CLONE_INTO_CGROUP` | 5.7 | spawns with `clone(2)` + `CLONE_PIDFD` (5.2; also where seccomp blocks `clone3`) |
//! | `open_tree`/`move_mount` | 5.2 | persists with a `mount(2)` bind |
//! | time namespaces | 5.6 | `Kind::Time` is [`Reason::Unsupported`] |
//! | `setns(pidfd, several kinds)` | 5.8 | joins kind by kind in the join plan's order |
//! | `pidfd_getfd` ([`Process::socket_namespace`]) | 5.6 | [`Reason::Unsupported`] |
//! | `PIDFD_THREAD` | 6.9 | waits for `/proc/self/task/TID` to go |
//! | idmapped binfmt_misc per user namespace ([`Command::mount_binfmt_misc_at`]) | 6.7 | the kernel's `EPERM` |
//! | `PIDFD_GET_*_NAMESPACE` | 6.11 | opens `/proc/PID/ns/KIND`, then checks the pidfd |
//! | `NS_GET_PID_*_PIDNS` | 6.11 | translates through `NSpid:` in `/proc/PID/status` |
//! | `NS_GET_ID`, nsfs file handles ([`Namespace::ns_id`], [`Namespace::open_by_id`]) | 6.18 | [`Reason::Unsupported`] |
//!
//! [`kernel`] has the same table with the details, and [`kernel::require`] checks a minimum
//! with a clear error.
//!
//! ## Coming from another library
//!
//! [`porting`] maps python-lxns, CPython's `os.setns`/`os.unshare`, Haskell's
//! `linux-namespaces`, Go CNI's `pkg/ns` and `vishvananda/netns` onto lxns, call by call;
//! [`recipes`] has whole jobs (a veth pair configured over netlink, a tokio server in a
//! network namespace, a rootless sandbox, a CNI plugin).
//!
//! ## What lxns does not do
//!
//! - It does not change the calling thread behind your back: only `…_current_thread`
//!   functions do, and only the calling thread.
//! - It does not keep processes alive: a [`Namespace`] keeps its namespace, a [`Process`]
//!   keeps only its identity.
//! - It takes no raw fd numbers: fds go in and out as [`OwnedFd`](std::os::fd::OwnedFd) and
//!   [`BorrowedFd`](std::os::fd::BorrowedFd).
//! - It never passes `CLONE_FILES`, `CLONE_VM` or other non-namespace flags to `unshare`,
//!   and spawns with a fork-like `clone3`/`clone` (no shared memory between parent and
//!   child).
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cni;
mod enter;
mod error;
mod fd;
mod idmap;
mod inspect;
mod join;
pub mod kernel;
mod kind;
mod list;
pub mod mount;
mod namespace;
pub mod netns;
mod nspid;
mod persist;
pub mod porting;
mod process;
pub mod recipes;
mod run;
mod signal;
mod spawn;
#[allow(unsafe_code)] // The one module with unsafe code: see its `# Safety` section.
mod sys;

pub use enter::{
    enter_all_current_thread, keep_capabilities_current_thread, setns_current_thread,
    unshare_current_thread,
};
pub use error::{Errno, Error, Op, Reason, Result, Target};
pub use fd::inherited_fd;
pub use idmap::{
    IdMap, IdRange, MapKind, MapWriter, Setgroups, read_id_map, subordinate_id_blocks,
    subordinate_ids, write_id_map, write_setgroups,
};
pub use inspect::{limit, parse_limit, set_limit};
pub use join::JoinPlan;
pub use kind::{Iter as KindSetIter, Kind, KindSet};
pub use list::{ListOptions, Listing, NetNsId, NsInfo, list};
pub use namespace::{Namespace, NsId};
pub use persist::{is_persisted, unpersist};
pub use process::Process;
pub use run::{
    HELPER_IDLE_EXIT, RunFuture, Worker, drain_helpers, run, run_async, run_scoped, try_run,
};
pub use signal::parse_signal;

/// The crate's private parsers of kernel text, for the fuzz targets in `fuzz/` only
/// (`cargo fuzz` builds with `--cfg fuzzing`); not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// A `/proc/PID/mountinfo` line: the nsfs mount it describes, if any.
    pub fn mountinfo_line(line: &[u8]) -> Option<(crate::Kind, u64, std::path::PathBuf)> {
        crate::list::parse_mountinfo_nsfs(line)
    }
    /// The `NSpid:` numbers of a `/proc/PID/status` text.
    pub fn nspid_line(status: &[u8]) -> Option<Vec<i32>> {
        crate::nspid::nspid_line(status)
    }
    /// The valid blocks of `uid`'s in subuid-format `text`, laid out from 0.
    pub fn subuid_blocks(
        text: &str,
        uid: u32,
        name: Option<&str>,
    ) -> crate::Result<Vec<crate::IdRange>> {
        crate::idmap::valid_blocks(text, "/etc/subuid", uid, name)
    }
}
/// The signal type of [`Child::signal`], [`Command::kill_on_parent_death`] and
/// [`ForwardSignals::block`] (rustix's, re-exported so that no dependent needs rustix).
pub use rustix::process::Signal;
pub use spawn::{
    Capabilities, Child, Command, ForwardSignals, FsOp, Output, Propagation, SpawnStep, Stdio,
};

/// The README's tour, compiled and run as a doctest (so it cannot rot).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
