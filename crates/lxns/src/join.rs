//! The join plan: which namespaces to `setns(2)` into, in which order, and what to skip —
//! one rule for every way lxns joins existing namespaces:
//! [`enter_all_current_thread`](crate::enter_all_current_thread),
//! [`Process::enter_all_current_thread`], a [`Command`](crate::Command)'s child
//! ([`Command::join`](crate::Command::join), [`Command::join_process`](crate::Command::join_process))
//! and `lxns enter`.
//!
//! # The rule
//!  1. **Skip** what is already shared: a namespace equal to the calling thread's
//!     `/proc/thread-self/ns/<kind>_for_children` link for pid and time (what `setns` of
//!     those kinds changes, and what a child is created in), and to the plain link for every
//!     other kind (for them the two are the same). Re-entering one's own user namespace is
//!     an error to the kernel; the rest would be wasted work.
//!  2. **Order**: the sources in the order given, except that a step with a mount namespace
//!     comes after the others (so `/proc` lookups between steps still resolve) and a step with
//!     a user namespace comes last (a privileged caller keeps its own capabilities for the
//!     others).
//!  3. **Retry**: a step refused with `EPERM` is retried once after all the others, as
//!     nsenter(1) does: an unprivileged caller gains its capabilities over the namespaces it
//!     owns only by entering their user namespace.
//!
//! A process's namespaces are joined in one atomic step through its pidfd
//! (`setns(pidfd, flags)`, Linux 5.8+), whose inner order the kernel chooses (user first).
//! Where the kernel refuses that form (5.3–5.7, or a seccomp filter answering `EINVAL`),
//! each kind is opened from the process and joined as its own step, by the same rule.

use std::os::fd::AsFd;

use crate::error::{Error, Op, Result, Target};
use crate::kind::{Kind, KindSet};
use crate::namespace::Namespace;
use crate::process::Process;
use crate::sys;

/// Where a join takes its namespaces from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SourceRef<'a> {
    /// One namespace handle.
    Namespace(&'a Namespace),
    /// These kinds of a process, through its pidfd.
    Process(&'a Process, KindSet),
}

/// One `setns(2)` of a plan.
/// What a step joins: a caller's handle or process, or a namespace lxns opened for it (a
/// process's kind, on kernels that refuse `setns` on a pidfd).
#[derive(Debug)]
pub(crate) enum StepSource<'a> {
    Ref(SourceRef<'a>),
    Owned(Namespace),
}

#[derive(Debug)]
pub(crate) struct Step<'a> {
    pub source: StepSource<'a>,
    pub kinds: KindSet,
}

impl Step<'_> {
    pub(crate) fn join(&self) -> sys::spawn::Join<'_> {
        let fd = match &self.source {
            StepSource::Ref(SourceRef::Namespace(ns)) => ns.as_fd(),
            StepSource::Ref(SourceRef::Process(p, _)) => p.as_fd(),
            StepSource::Owned(ns) => ns.as_fd(),
        };
        sys::spawn::Join {
            fd,
            nstype: self.kinds,
        }
    }

    pub(crate) fn rank(&self) -> u8 {
        if self.kinds.contains(Kind::User) {
            2
        } else if self.kinds.contains(Kind::Mnt) {
            1
        } else {
            0
        }
    }
}

/// Whether the calling thread (and so a child it creates) is in `ns` already.
fn shared(ns: &Namespace) -> bool {
    Namespace::current_for_children(ns.kind()).is_ok_and(|cur| cur == *ns)
}

/// The plan for `sources`: skipped, ordered (module docs).
///
/// # Errors
/// As for [`Process::namespace`] when a process's namespace cannot be read to compare.
pub(crate) fn plan<'a>(sources: impl IntoIterator<Item = SourceRef<'a>>) -> Result<Vec<Step<'a>>> {
    let mut steps = Vec::new();
    for source in sources {
        let kinds = match source {
            SourceRef::Namespace(ns) if shared(ns) => continue,
            SourceRef::Namespace(ns) => KindSet::of(ns.kind()),
            SourceRef::Process(p, kinds) => {
                let mut left = kinds;
                for kind in kinds.iter() {
                    if shared(&p.namespace(kind)?) {
                        left.remove(kind);
                    }
                }
                if !left.is_empty() && !pidfd_setns_supported() {
                    steps.extend(per_kind(p, left)?);
                    continue;
                }
                left
            }
        };
        if !kinds.is_empty() {
            steps.push(Step {
                source: StepSource::Ref(source),
                kinds,
            });
        }
    }
    steps.sort_by_key(Step::rank);
    Ok(steps)
}

/// Runs `steps` on the **calling thread** (`sys::spawn::join_all`, the same code a spawned
/// child runs). Returns the kinds entered.
/// A step per kind of `p`, through namespaces opened from it (`PIDFD_GET_*_NAMESPACE` or
/// `/proc`): how kernels before 5.8, which refuse `setns` on a pidfd, join a process.
pub(crate) fn per_kind<'a>(p: &Process, kinds: KindSet) -> Result<Vec<Step<'a>>> {
    kinds
        .iter()
        .map(|kind| {
            Ok(Step {
                source: StepSource::Owned(p.namespace(kind)?),
                kinds: KindSet::of(kind),
            })
        })
        .collect()
}

/// Whether the kernel (and any seccomp filter) accepts `setns(pidfd, flags)` (Linux 5.8+).
///
/// Without a seccomp filter the version decides. Under a filter (which may answer `EINVAL`
/// as old kernels do) a helper thread asks once per process: `setns(pidfd of this process,
/// CLONE_NEWUTS | CLONE_NEWIPC)` succeeds or fails with `EPERM` where the form exists, and
/// fails with `EINVAL` where it does not. The thread may move; it ends, and is waited for
/// until the kernel has released it.
pub(crate) fn pidfd_setns_supported() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => return true,
        2 => return false,
        _ => {}
    }
    let filtered = !matches!(
        rustix::thread::secure_computing_mode(),
        Ok(rustix::thread::SecureComputingMode::Disabled)
    );
    let old_kernel = !crate::kernel::Version::current().at_least(5, 8);
    let supported = if old_kernel {
        false
    } else if !filtered {
        true
    } else {
        probe_pidfd_setns()
    };
    STATE.store(if supported { 1 } else { 2 }, Ordering::Relaxed);
    supported
}

fn probe_pidfd_setns() -> bool {
    let probe = std::thread::Builder::new()
        .name("lxns-probe".into())
        .spawn(|| {
            let exit = crate::run::ThreadExit::current();
            let answer = rustix::process::pidfd_open(
                rustix::process::getpid(),
                rustix::process::PidfdFlags::empty(),
            )
            .map(|pidfd| {
                sys::setns(
                    pidfd.as_fd(),
                    KindSet::of(Kind::Uts).bits() | KindSet::of(Kind::Ipc).bits(),
                )
            });
            (exit, answer)
        });
    match probe.map(std::thread::JoinHandle::join) {
        Ok(Ok((exit, answer))) => {
            exit.wait();
            !matches!(answer, Ok(Err(rustix::io::Errno::INVAL)))
        }
        // No thread: assume the modern kernel the version says it is.
        _ => true,
    }
}

pub(crate) fn enter_current_thread(steps: &[Step<'_>]) -> Result<KindSet> {
    crate::enter::mark_mutated();
    let joins: Vec<sys::spawn::Join<'_>> = steps.iter().map(Step::join).collect();
    if joins.len() > sys::spawn::MAX_JOINS {
        return Err(too_many());
    }
    sys::spawn::join_all(&joins).map_err(|(i, e)| match steps.get(i) {
        Some(step) => step_error(step, e),
        None => Error::os(Op::Setns, None, Target::CurrentThread, e.into()),
    })?;
    Ok(steps.iter().fold(KindSet::EMPTY, |acc, s| acc | s.kinds))
}

pub(crate) fn too_many() -> Error {
    Error::invalid_argument(
        Op::Setns,
        Target::None,
        format!(
            "at most {} namespaces can be joined at once",
            sys::spawn::MAX_JOINS
        ),
    )
}

/// The typed error for a failed step.
pub(crate) fn step_error(step: &Step<'_>, e: rustix::io::Errno) -> Error {
    let ns = match &step.source {
        StepSource::Ref(SourceRef::Namespace(ns)) => *ns,
        StepSource::Owned(ns) => ns,
        StepSource::Ref(SourceRef::Process(p, _)) => {
            return crate::enter::setns_process_error(p, step.kinds, e);
        }
    };
    crate::enter::setns_error(e, Some(ns), ns.kind(), Target::Namespace(ns.id()))
}

/// Namespaces to join, from handles and from processes, planned by lxns's one join rule
/// (module docs of [`crate::JoinPlan`]): already-shared namespaces skipped, mount then user
/// last, `EPERM` retried after the others.
///
/// Used by `lxns enter`; [`Command::join`](crate::Command::join) and
/// [`enter_all_current_thread`](crate::enter_all_current_thread) plan the same way.
///
/// ```no_run
/// use lxns::{JoinPlan, Kind, Namespace, Process};
/// let mut plan = JoinPlan::new();
/// plan.namespace(Namespace::open_as("/proc/1/ns/net", Kind::Net)?);
/// plan.process(Process::open(1)?, Kind::Uts | Kind::Ipc);
/// std::thread::spawn(move || plan.enter_current_thread()).join().expect("thread")?;
/// # Ok::<(), lxns::Error>(())
/// ```
///
/// # References
///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html),
///    [nsenter(1)](https://man7.org/linux/man-pages/man1/nsenter.1.html)
#[derive(Debug, Default)]
pub struct JoinPlan {
    sources: Vec<Source>,
}

#[derive(Debug)]
enum Source {
    Namespace(Namespace),
    Process(Process, KindSet),
}

impl JoinPlan {
    /// An empty plan.
    pub fn new() -> JoinPlan {
        JoinPlan::default()
    }

    /// Adds a namespace to join.
    pub fn namespace(&mut self, ns: Namespace) -> &mut JoinPlan {
        self.sources.push(Source::Namespace(ns));
        self
    }

    /// Adds the namespaces of `kinds` of a process, joined at once through its pidfd.
    pub fn process(&mut self, process: Process, kinds: impl Into<KindSet>) -> &mut JoinPlan {
        let kinds = kinds.into();
        if !kinds.is_empty() {
            self.sources.push(Source::Process(process, kinds));
        }
        self
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Every kind named by the plan (before skipping what is shared).
    pub fn kinds(&self) -> KindSet {
        self.sources.iter().fold(KindSet::EMPTY, |acc, s| match s {
            Source::Namespace(ns) => acc | ns.kind(),
            Source::Process(_, kinds) => acc | *kinds,
        })
    }

    pub(crate) fn refs(&self) -> impl Iterator<Item = SourceRef<'_>> {
        self.sources.iter().map(|s| match s {
            Source::Namespace(ns) => SourceRef::Namespace(ns),
            Source::Process(p, kinds) => SourceRef::Process(p, *kinds),
        })
    }

    /// The `setns(2)` calls the plan makes from the calling thread, in order: the kinds of
    /// each (one kind for a handle, several for a process).
    ///
    /// # Errors
    /// As for [`Process::namespace`], when a process's namespaces cannot be compared.
    pub fn steps(&self) -> Result<Vec<KindSet>> {
        Ok(plan(self.refs())?.iter().map(|s| s.kinds).collect())
    }

    /// Moves the **calling thread** into the plan's namespaces. Returns the kinds entered.
    ///
    /// # Errors
    /// As for [`Namespace::enter_current_thread`] and [`Process::enter_current_thread`],
    /// naming the namespace or process that failed. On error the thread may already be in
    /// some of the namespaces: do this on a thread you will discard.
    pub fn enter_current_thread(&self) -> Result<KindSet> {
        enter_current_thread(&plan(self.refs())?)
    }
}
