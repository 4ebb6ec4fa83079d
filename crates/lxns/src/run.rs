//! Running code inside namespaces without tainting any thread of the caller.
//!
//! Namespaces belong to threads. Go's `NetNS.Do` switches a locked OS thread into the target
//! namespace and back; when the switch back fails, or the callback moves the thread
//! elsewhere, the thread returns to the pool in the wrong namespace and later, unrelated code
//! runs there. lxns never switches a thread it did not create:
//!
//! - [`run`] runs a closure on a **new thread** that enters the namespaces, runs it, and ends.
//!   The calling thread never changes namespace; the helper thread is never reused, whatever
//!   the closure did to it.
//! - [`Worker`] keeps one thread parked in a set of namespaces for repeated calls (a CNI
//!   plugin configuring many interfaces). After every closure it re-enters its namespaces and
//!   checks every kind against the kernel; a thread that cannot be verified stops, and the
//!   worker reports it instead of running more code there.
//! - [`run_async`] and [`Worker::run_async`] return futures that any executor (tokio,
//!   async-std, smol, a hand-written one) can await; the work happens on the helper thread, so
//!   no executor thread ever blocks or changes namespace.
//!
//! User namespaces cannot be joined this way: the kernel refuses `setns` into a user
//! namespace (and into a time namespace) from a process with more than one thread, and a
//! helper thread makes the process multithreaded. Start a process in the namespace instead.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use crate::error::{Errno, Error, Op, Result, Target};
use crate::kind::{Kind, KindSet};
use crate::namespace::{Namespace, NsId};

/// Checks that a thread can join every namespace in `namespaces`, and that no kind appears
/// twice.
fn check_joinable(op: Op, namespaces: &[&Namespace]) -> Result<KindSet> {
    let mut kinds = KindSet::EMPTY;
    for ns in namespaces {
        let kind = ns.kind();
        let why = match kind {
            Kind::User => Some(
                "the kernel refuses setns into a user namespace from a process with more than \
                 one thread, and running code on a helper thread needs more than one; start a \
                 process in the user namespace instead (Process::enter_current_thread in a \
                 single-threaded child, or a spawned command)",
            ),
            Kind::Time => Some(
                "the kernel refuses setns into a time namespace from a process with more than \
                 one thread (EUSERS); start a process in the time namespace instead",
            ),
            _ => None,
        };
        if let Some(why) = why {
            return Err(Error::InvalidArgument {
                op,
                target: Target::Namespace(ns.id()),
                reason: why.into(),
            });
        }
        if kinds.contains(kind) {
            return Err(Error::InvalidArgument {
                op,
                target: Target::Namespace(ns.id()),
                reason: format!("two {kind} namespaces given; a thread is in one of each kind"),
            });
        }
        kinds.insert(kind);
    }
    Ok(kinds)
}

/// Enters every namespace, in the order given, on the calling (helper) thread.
fn enter_each(namespaces: &[&Namespace]) -> Result<()> {
    namespaces
        .iter()
        .try_for_each(|ns| ns.enter_current_thread())
}

/// `PIDFD_THREAD` (= `O_EXCL`, Linux 6.9): a pidfd on one thread, readable once the thread
/// has exited completely — after the kernel dropped its namespaces.
const PIDFD_THREAD: u32 = 0x80;

/// A pidfd on the calling thread, or `None` on kernels without `PIDFD_THREAD`.
fn own_thread_pidfd() -> Option<OwnedFd> {
    rustix::process::pidfd_open(
        rustix::thread::gettid(),
        rustix::process::PidfdFlags::from_bits_retain(PIDFD_THREAD),
    )
    .ok()
}

/// Blocks until the thread behind `pidfd` has exited completely. A joined thread has
/// returned, but the kernel may still be tearing it down and holding its namespaces for a
/// few microseconds; after this, it holds nothing.
fn wait_exited(pidfd: &OwnedFd) {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    while let Err(rustix::io::Errno::INTR) = poll(&mut fds, None) {}
}

/// Hands `(pidfd, finish)` to a reaper thread that runs `finish` once the thread behind
/// `pidfd` has fully exited. Used by [`run_async`], whose caller cannot block.
struct Reap {
    pidfd: OwnedFd,
    finish: Box<dyn FnOnce() + Send>,
}

fn reaper() -> Option<&'static mpsc::Sender<Reap>> {
    static REAPER: std::sync::OnceLock<Option<mpsc::Sender<Reap>>> = std::sync::OnceLock::new();
    REAPER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Reap>();
            std::thread::Builder::new()
                .name("lxns-reaper".into())
                .spawn(move || {
                    // Whoever started us may be in namespaces of their own; go to the
                    // process's (its main thread's), so the reaper pins nothing foreign.
                    go_to_process_namespaces();
                    while let Ok(reap) = rx.recv() {
                        wait_exited(&reap.pidfd);
                        (reap.finish)();
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Moves the calling thread into the namespaces of the process's main thread
/// (`/proc/self/ns/*`) for every kind a thread can join, where they differ.
fn go_to_process_namespaces() {
    for kind in [
        Kind::Net,
        Kind::Uts,
        Kind::Ipc,
        Kind::Cgroup,
        Kind::Mnt,
        Kind::Pid,
    ] {
        let path = format!("/proc/self/ns/{}", kind.proc_name());
        if let (Ok(main), Ok(mine)) = (Namespace::open_as(&path, kind), Namespace::current(kind)) {
            if main != mine {
                let _ = main.enter_current_thread();
            }
        }
    }
}

fn spawn_error(e: &std::io::Error) -> Error {
    Error::Os {
        op: Op::SpawnThread,
        kind: None,
        target: Target::None,
        errno: Errno::from_io(e).unwrap_or(Errno::from_raw(11)),
    }
}

/// Runs `f` inside `namespaces` on a dedicated thread and returns its value.
///
/// The thread enters the namespaces in the order given (a mount namespace first makes the
/// thread stop sharing cwd/root with the process, as the kernel requires), runs `f`, and
/// ends; it never runs anything else, whatever `f` did to it. The calling thread's
/// namespaces never change. `f` may borrow from the caller (the thread is scoped).
///
/// Pid and time semantics: entering a pid namespace affects only processes the closure
/// starts (`pid_for_children`). Time namespaces are refused (see the errors).
///
/// A panic in `f` is caught on the helper thread and resumed on the calling thread with the
/// original payload ([`std::panic::resume_unwind`]), so `run` panics exactly where `f`
/// would have, and nothing is left in a foreign namespace.
///
/// ```no_run
/// use lxns::{Kind, Namespace};
/// let blue = Namespace::open_as("/run/netns/blue", Kind::Net)?;
/// let links = lxns::run(&[&blue], || std::fs::read_to_string("/proc/thread-self/net/dev"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///  - [`Error::InvalidArgument`] for a user or time namespace (the kernel refuses them to a
///    thread of a multithreaded process) or two namespaces of one kind — before any thread
///    starts.
///  - The error of the `setns` that failed, naming the namespace (kind and id) that could not
///    be entered; the helper thread is discarded and `f` does not run.
///  - [`Error::Os`] with [`Op::SpawnThread`] when no thread can be created.
///
/// # References
///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
#[doc(alias = "NetNS.Do")]
#[doc(alias = "WithNetNSPath")]
pub fn run<T, F>(namespaces: &[&Namespace], f: F) -> Result<T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    check_joinable(Op::Run, namespaces)?;
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("lxns-run".into())
            .spawn_scoped(scope, move || {
                let pidfd = own_thread_pidfd();
                let result = catch_unwind(AssertUnwindSafe(move || -> Result<T> {
                    enter_each(namespaces)?;
                    Ok(f())
                }));
                (result, pidfd)
            })
            .map_err(|e| spawn_error(&e))?;
        let (result, pidfd) = match handle.join() {
            Ok(done) => done,
            // Only a panic outside `catch_unwind` (none is possible) would get here.
            Err(panic) => resume_unwind(panic),
        };
        if let Some(pidfd) = pidfd {
            wait_exited(&pidfd);
        }
        match result {
            Ok(result) => result,
            Err(panic) => resume_unwind(panic),
        }
    })
}

impl Namespace {
    /// Runs `f` inside this namespace on a dedicated thread: [`run`] with one namespace.
    ///
    /// # Errors
    /// As for [`run`].
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        run(&[self], f)
    }
}

// ---------------------------------------------------------------------------------------
// A one-shot channel whose receiving end is a Future (no executor dependency).

struct Slot<T> {
    value: Option<std::thread::Result<Result<T>>>,
    waker: Option<Waker>,
    closed: bool,
}

struct Sender<T>(Arc<Mutex<Slot<T>>>);

impl<T> Sender<T> {
    fn send(self, value: std::thread::Result<Result<T>>) {
        let waker = {
            let mut slot = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slot.closed = true;
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The future returned by [`run_async`] and [`Worker::run_async`]: resolves to the closure's
/// value, the error that kept it from running, or resumes its panic.
///
/// Dropping it does not cancel the work: the closure still runs to completion on its thread,
/// and its value is dropped there.
#[must_use = "the closure's result is only available by awaiting the future"]
pub struct RunFuture<T> {
    slot: Arc<Mutex<Slot<T>>>,
    ready: Option<Result<T>>,
}

impl<T> std::fmt::Debug for RunFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunFuture").finish_non_exhaustive()
    }
}

fn oneshot<T>() -> (Sender<T>, RunFuture<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
        closed: false,
    }));
    (Sender(Arc::clone(&slot)), RunFuture { slot, ready: None })
}

impl<T> Future for RunFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        if let Some(ready) = self.ready.take() {
            return Poll::Ready(ready);
        }
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot.value.take() {
            Some(Ok(result)) => Poll::Ready(result),
            Some(Err(panic)) => {
                drop(slot);
                resume_unwind(panic)
            }
            None if slot.closed => Poll::Ready(Err(worker_gone())),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// RunFuture holds no self-references.
impl<T> Unpin for RunFuture<T> {}

fn worker_gone() -> Error {
    Error::InvalidArgument {
        op: Op::Run,
        target: Target::None,
        reason: "the worker thread has stopped (its namespaces could not be verified after a \
                 closure, or it could not be started); create a new Worker"
            .into(),
    }
}

/// Like [`run`], as a future: the helper thread is started at once and the future resolves
/// when the closure has run. The executor's threads never block and never change namespace.
///
/// The namespaces are duplicated (`F_DUPFD_CLOEXEC`) for the helper thread, so the future is
/// `'static` and the caller keeps its handles.
///
/// ```no_run
/// # async fn demo() -> lxns::Result<()> {
/// use lxns::{Kind, Namespace};
/// let ns = Namespace::new(Kind::Net)?;
/// let inode = lxns::run_async(&[&ns], || {
///     std::fs::metadata("/proc/thread-self/ns/net").map(|m| {
///         use std::os::unix::fs::MetadataExt;
///         m.ino()
///     })
/// })
/// .await??;
/// assert_eq!(inode, ns.id().ino());
/// # Ok(()) }
/// ```
///
/// # Errors
/// As for [`run`]; errors found before the thread starts are returned by the future too.
pub fn run_async<T, F>(namespaces: &[&Namespace], f: F) -> RunFuture<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, mut fut) = oneshot();
    let prepared = check_joinable(Op::Run, namespaces).and_then(|_| {
        namespaces
            .iter()
            .map(|ns| ns.try_clone())
            .collect::<Result<Vec<Namespace>>>()
    });
    let owned = match prepared {
        Ok(owned) => owned,
        Err(e) => {
            fut.ready = Some(Err(e));
            return fut;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("lxns-run".into())
        .spawn(move || {
            let pidfd = own_thread_pidfd();
            let result = catch_unwind(AssertUnwindSafe(move || -> Result<T> {
                let refs: Vec<&Namespace> = owned.iter().collect();
                enter_each(&refs)?;
                Ok(f())
            }));
            let finish: Box<dyn FnOnce() + Send> = Box::new(move || tx.send(result));
            // Resolve the future only once this thread is completely gone.
            match (pidfd, reaper()) {
                (Some(pidfd), Some(reaper)) => {
                    if let Err(mpsc::SendError(reap)) = reaper.send(Reap { pidfd, finish }) {
                        (reap.finish)();
                    }
                }
                _ => finish(),
            }
        });
    if let Err(e) = spawned {
        fut.ready = Some(Err(spawn_error(&e)));
    }
    fut
}

// ---------------------------------------------------------------------------------------
// Worker

type Job = Box<dyn FnOnce() + Send>;

/// A thread parked in a set of namespaces, running closures one after another.
///
/// Entering namespaces costs about a microsecond per kind, and creating a thread some tens of
/// microseconds; a worker pays both once. After every closure it re-enters its namespaces
/// (so a closure that moved the thread cannot affect the next one) and checks all eight
/// kinds of the thread against `/proc/thread-self/ns`; if the thread cannot be verified, it
/// stops, and every later call fails with an error instead of running in the wrong place.
///
/// Dropping the worker lets queued closures finish, then ends and joins the thread.
///
/// ```no_run
/// use lxns::{Kind, Namespace, Worker};
/// let ns = Namespace::open_as("/run/netns/blue", Kind::Net)?;
/// let worker = Worker::new(&[&ns])?;
/// for i in 0..100 {
///     worker.run(move || { /* configure interface i */ let _ = i; })?;
/// }
/// # Ok::<(), lxns::Error>(())
/// ```
pub struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    ids: Vec<NsId>,
    /// Set by the worker thread before it stops taking jobs.
    stopped: Arc<AtomicBool>,
    /// The worker thread's pidfd, to wait for its complete exit on drop.
    pidfd: Option<OwnedFd>,
}

/// What the worker thread checks after each closure: its expected namespace of every kind.
struct Expected {
    /// The namespaces the worker entered, re-entered after each closure.
    entered: Vec<Namespace>,
    /// `(kind, ino)` of every kind the thread should be in.
    all: Vec<(Kind, u64)>,
    /// `/proc/thread-self/ns` of the worker thread, opened once.
    dir: OwnedFd,
}

impl Expected {
    fn capture(entered: Vec<Namespace>) -> Result<Expected> {
        let dir = rustix::fs::open(
            "/proc/thread-self/ns",
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| {
            Error::os(
                Op::OpenCurrent,
                None,
                Target::Path("/proc/thread-self/ns".into()),
                e.into(),
            )
        })?;
        let mut all = Vec::with_capacity(Kind::ALL.len());
        for kind in Kind::ALL {
            match rustix::fs::statat(&dir, kind.proc_name(), rustix::fs::AtFlags::empty()) {
                Ok(st) => all.push((kind, st.st_ino)),
                // A kernel without this kind has no link: nothing to check.
                Err(rustix::io::Errno::NOENT) => {}
                Err(e) => {
                    return Err(Error::os(
                        Op::OpenCurrent,
                        Some(kind),
                        Target::CurrentThread,
                        e.into(),
                    ));
                }
            }
        }
        Ok(Expected { entered, all, dir })
    }

    /// Re-enters and verifies; `false` means the thread must not run anything else.
    fn restore_and_verify(&self) -> bool {
        if self
            .entered
            .iter()
            .any(|ns| ns.enter_current_thread().is_err())
        {
            return false;
        }
        self.all.iter().all(|(kind, ino)| {
            rustix::fs::statat(&self.dir, kind.proc_name(), rustix::fs::AtFlags::empty())
                .is_ok_and(|st| st.st_ino == *ino)
        })
    }
}

impl Worker {
    /// Starts a thread that enters `namespaces` (in the order given) and waits for work.
    ///
    /// # Errors
    /// As for [`run`]: user and time namespaces are refused, and a namespace that cannot be
    /// entered is named in the error (the thread is discarded).
    pub fn new(namespaces: &[&Namespace]) -> Result<Worker> {
        check_joinable(Op::Run, namespaces)?;
        let owned = namespaces
            .iter()
            .map(|ns| ns.try_clone())
            .collect::<Result<Vec<Namespace>>>()?;
        let ids = owned.iter().map(Namespace::id).collect();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<Option<OwnedFd>>>(1);
        let stopped = Arc::new(AtomicBool::new(false));
        let stopped_in_thread = Arc::clone(&stopped);
        let thread = std::thread::Builder::new()
            .name("lxns-worker".into())
            .spawn(move || {
                let pidfd = own_thread_pidfd();
                let refs: Vec<&Namespace> = owned.iter().collect();
                let expected = enter_each(&refs).and_then(|()| Expected::capture(owned));
                let expected = match expected {
                    Ok(e) => {
                        let _ = ready_tx.send(Ok(pidfd));
                        e
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                drop(ready_tx);
                while let Ok(job) = jobs_rx.recv() {
                    job();
                    if !expected.restore_and_verify() {
                        // Flag first, so nobody sees a failed call while the worker still
                        // reports itself alive; dropping `jobs_rx` on return then makes every
                        // later call fail.
                        stopped_in_thread.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            })
            .map_err(|e| spawn_error(&e))?;
        match ready_rx.recv() {
            Ok(Ok(pidfd)) => Ok(Worker {
                jobs: Some(jobs_tx),
                thread: Some(thread),
                ids,
                stopped,
                pidfd,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(worker_gone())
            }
        }
    }

    /// The namespaces the worker is in, in the order it entered them.
    pub fn namespaces(&self) -> &[NsId] {
        &self.ids
    }

    /// Whether the worker thread is still running (it stops when it cannot verify its
    /// namespaces after a closure).
    pub fn is_alive(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst)
            && self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs `f` on the worker thread and waits for its value. A panic in `f` is resumed on
    /// the calling thread (the worker itself survives it, after re-verifying its namespaces).
    ///
    /// # Errors
    ///  - [`Error::InvalidArgument`] when the worker has stopped: a previous closure left the
    ///    thread in namespaces it could not leave or verify.
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<std::thread::Result<T>>(1);
        self.submit(Box::new(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        }))?;
        match rx.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => Err(worker_gone()),
        }
    }

    /// Like [`run`](Worker::run), as a future that any executor can await without blocking.
    ///
    /// # Errors
    /// As for [`run`](Worker::run).
    pub fn run_async<T, F>(&self, f: F) -> RunFuture<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, mut fut) = oneshot::<T>();
        let submitted = self.submit(Box::new(move || {
            tx.send(catch_unwind(AssertUnwindSafe(move || Ok(f()))));
        }));
        if let Err(e) = submitted {
            fut.ready = Some(Err(e));
        }
        fut
    }

    fn submit(&self, job: Job) -> Result<()> {
        self.jobs
            .as_ref()
            .ok_or_else(worker_gone)?
            .send(job)
            .map_err(|_| worker_gone())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(pidfd) = self.pidfd.take() {
            wait_exited(&pidfd);
        }
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field(
                "namespaces",
                &self.ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .field("alive", &self.is_alive())
            .finish()
    }
}
