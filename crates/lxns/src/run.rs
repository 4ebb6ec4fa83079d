//! Running code inside namespaces without tainting any thread of the caller.
//!
//! Namespaces belong to threads. Go's `NetNS.Do` switches an OS thread into the target
//! namespace and back; when the switch back fails, or the callback moves the thread
//! elsewhere, the thread goes back to the pool in the wrong namespace and later, unrelated
//! code runs there. lxns never switches a thread it did not create, and never reuses one it
//! cannot vouch for:
//!
//! - [`run`] hands a closure to a **helper thread** of lxns's own pool. The helper enters the
//!   namespaces, runs the closure, returns to the process's namespaces (`setns`, which the
//!   kernel confirms) and only then hands back the value. If the closure panicked or moved
//!   the thread through lxns, the helper also checks all of its namespaces against
//!   `/proc/thread-self/ns`; a helper that cannot be verified, or that unshared its
//!   filesystem attributes for a mount namespace, is retired — it exits, and the value is
//!   handed back only once the kernel has torn it down. For every kind not given, the closure
//!   sees the **process's** namespaces (those of its main thread), whichever thread calls.
//! - [`run_scoped`] runs a closure that may borrow from the caller on a **new thread** that
//!   ends afterwards; kinds not given are the calling thread's.
//! - [`Worker`] keeps one thread parked in a set of namespaces for repeated calls (a CNI
//!   plugin configuring many interfaces), with the same restore-and-verify rule.
//! - [`run_async`] and [`Worker::run_async`] return futures any executor can await; the work
//!   happens on a helper thread, so no executor thread blocks or changes namespace.
//!
//! Helpers and callers hand work over through queues that each consumer polls briefly before
//! parking, so back-to-back calls cost a few microseconds instead of two cross-CPU wake-ups.
//!
//! User namespaces cannot be joined this way: the kernel refuses `setns` into a user
//! namespace (and into a time namespace) from a process with more than one thread, and a
//! helper thread makes the process multithreaded. Start a process in the namespace instead.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::enter::take_mutated;
use crate::error::{Errno, Error, Op, Reason, Result, Target};
use crate::kind::{Kind, KindSet};
use crate::namespace::{Namespace, NsId};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------
// Checks shared by every entry point.

/// Checks that a thread can join every namespace in `namespaces`, and that no kind appears
/// twice. Returns the kinds.
fn check_joinable(namespaces: &[&Namespace]) -> Result<KindSet> {
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
            return Err(Error::invalid_argument(
                Op::Run,
                Target::Namespace(ns.id()),
                why.into(),
            ));
        }
        if kinds.contains(kind) {
            return Err(Error::invalid_argument(
                Op::Run,
                Target::Namespace(ns.id()),
                format!("two {kind} namespaces given; a thread is in one of each kind"),
            ));
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

fn duplicate(namespaces: &[&Namespace]) -> Result<Vec<Namespace>> {
    namespaces.iter().map(|ns| ns.try_clone()).collect()
}

fn spawn_error(e: &std::io::Error) -> Error {
    Error::os(
        Op::SpawnThread,
        None,
        Target::None,
        Errno::from_io(e).unwrap_or(Errno::from_raw(11)),
    )
}

fn helper_gone() -> Error {
    Error::invalid_argument(
        Op::Run,
        Target::None,
        "the helper thread has stopped (its namespaces could not be verified after a \
                 closure, or it could not be started); for a Worker, create a new one"
            .into(),
    )
}

// ---------------------------------------------------------------------------------------
// Waiting for a thread to be completely gone.

/// `PIDFD_THREAD` (= `O_EXCL`, Linux 6.9): a pidfd on one thread, readable once the thread
/// has exited completely — after the kernel dropped its namespaces.
const PIDFD_THREAD: u32 = 0x80;

/// How to tell that a thread has exited completely: a thread pidfd (`PIDFD_THREAD`, Linux
/// 6.9+), readable then; on older kernels its `/proc/self/task/TID` entry, which the kernel
/// removes only when it releases the task — after `exit_task_namespaces` dropped its
/// namespaces (the `CLONE_CHILD_CLEARTID` futex that `join` waits on is cleared earlier).
#[derive(Debug)]
pub(crate) struct ThreadExit {
    pidfd: Option<OwnedFd>,
    tid: i32,
}

impl ThreadExit {
    /// For the calling thread.
    pub(crate) fn current() -> ThreadExit {
        let tid = rustix::thread::gettid();
        ThreadExit {
            pidfd: rustix::process::pidfd_open(
                tid,
                rustix::process::PidfdFlags::from_bits_retain(PIDFD_THREAD),
            )
            .ok(),
            tid: tid.as_raw_nonzero().get(),
        }
    }

    /// For the calling thread, always through `/proc/self/task` (for tests of the fallback).
    #[cfg(test)]
    fn current_without_pidfd() -> ThreadExit {
        ThreadExit {
            pidfd: None,
            tid: rustix::thread::gettid().as_raw_nonzero().get(),
        }
    }

    /// Blocks until the thread has exited completely. A joined thread has returned, but the
    /// kernel may still be tearing it down and holding its namespaces for a few
    /// microseconds; after this, it holds nothing. Without a thread pidfd this polls
    /// (yielding the CPU) for the task entry to go.
    pub(crate) fn wait(&self) {
        use rustix::event::{PollFd, PollFlags, poll};
        if let Some(pidfd) = &self.pidfd {
            let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
            while let Err(rustix::io::Errno::INTR) = poll(&mut fds, None) {}
            return;
        }
        let path = format!("/proc/self/task/{}", self.tid);
        while rustix::fs::access(path.as_str(), rustix::fs::Access::EXISTS).is_ok() {
            std::thread::yield_now();
        }
    }
}

/// `finish` to run once the thread behind `pidfd` has fully exited.
struct Reap {
    pidfd: ThreadExit,
    finish: Box<dyn FnOnce() + Send>,
}

/// The reaper: a thread that runs `finish` callbacks once the threads they belong to are
/// gone; used when a retiring thread must hand back a value without making anyone block on
/// it. It exits after [`HELPER_IDLE_EXIT`] without work, or when [`drain_helpers`] stops it.
struct Reaper {
    tx: mpsc::Sender<Reap>,
    exit: Arc<std::sync::OnceLock<ThreadExit>>,
}

/// Hands `reap` to the reaper (started if none runs); gives it back if no thread can run it.
fn reap_later(reap: Reap) -> std::result::Result<(), Reap> {
    let mut slot = reaper();
    if slot.is_none() {
        let (tx, rx) = mpsc::channel::<Reap>();
        let exit = Arc::new(std::sync::OnceLock::new());
        let theirs = Arc::clone(&exit);
        let started = std::thread::Builder::new()
            .name("lxns-reaper".into())
            .spawn(move || {
                let _ = theirs.set(ThreadExit::current());
                // Whoever started us may be in namespaces of their own; take the process's,
                // so the reaper pins nothing foreign.
                let _ = Home::of_process();
                reaper_main(&rx, &theirs);
            });
        if started.is_err() {
            return Err(reap);
        }
        *slot = Some(Reaper { tx, exit });
    }
    match slot.as_ref() {
        Some(r) => r.tx.send(reap).map_err(|mpsc::SendError(reap)| reap),
        None => Err(reap),
    }
}

fn reaper_main(rx: &mpsc::Receiver<Reap>, me: &Arc<std::sync::OnceLock<ThreadExit>>) {
    loop {
        match rx.recv_timeout(HELPER_IDLE_EXIT) {
            Ok(reap) => {
                reap.pidfd.wait();
                (reap.finish)();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Leave: no sender may send once we are out of the slot (sends hold its
                // lock), then finish what was sent before.
                let mut slot = reaper();
                if slot.as_ref().is_some_and(|r| Arc::ptr_eq(&r.exit, me)) {
                    *slot = None;
                }
                drop(slot);
                while let Ok(reap) = rx.try_recv() {
                    reap.pidfd.wait();
                    (reap.finish)();
                }
                return;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Stops the reaper, if one runs, and waits until it is gone. Whether one ran.
fn stop_reaper() -> bool {
    let Some(reaper) = reaper().take() else {
        return false;
    };
    let exit = Arc::clone(&reaper.exit);
    // Dropping the last sender ends its loop once it has run what was queued.
    drop(reaper);
    // It sets its handle first thing; until then it is starting (a yield's wait).
    loop {
        if let Some(e) = exit.get() {
            e.wait();
            return true;
        }
        std::thread::yield_now();
    }
}

/// Ends the calling helper thread's usefulness: `deliver` runs once it has fully exited.
fn retire(pidfd: ThreadExit, deliver: Box<dyn FnOnce() + Send>) {
    if let Err(reap) = reap_later(Reap {
        pidfd,
        finish: deliver,
    }) {
        (reap.finish)();
    }
}

// ---------------------------------------------------------------------------------------
// Spin-then-park handoff.

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const PARKED: u8 = 2;

/// How long a waiting side polls before it parks.
const SPIN: Duration = Duration::from_micros(50);

/// A queue from any number of producers to one consumer thread. The consumer polls for
/// [`SPIN`] and then parks; a producer unparks it only when it actually parked, so a busy
/// exchange never goes through the scheduler. Producers never wait. A closed queue refuses
/// values.
struct Handoff<T> {
    /// `FULL` while the queue is not empty (changed only with `queue` locked, except the
    /// consumer's `EMPTY -> PARKED`).
    state: AtomicU8,
    queue: Mutex<(std::collections::VecDeque<T>, bool)>,
    consumer: Thread,
}

impl<T> Handoff<T> {
    fn new(consumer: Thread) -> Handoff<T> {
        Handoff {
            state: AtomicU8::new(EMPTY),
            queue: Mutex::new((std::collections::VecDeque::new(), false)),
            consumer,
        }
    }

    /// Queues `value`; gives it back if the queue is closed.
    fn put(&self, value: T) -> std::result::Result<(), T> {
        let was_parked = {
            let mut q = lock(&self.queue);
            if q.1 {
                return Err(value);
            }
            q.0.push_back(value);
            self.state.swap(FULL, Ordering::AcqRel) == PARKED
        };
        if was_parked {
            self.consumer.unpark();
        }
        Ok(())
    }

    /// Waits for the next value (called by the consumer thread only). `None` once the queue
    /// is closed and empty.
    fn take(&self) -> Option<T> {
        // Without a deadline the wait ends only with a value or the close.
        self.take_until(None).unwrap_or(None)
    }

    /// As [`take`](Handoff::take), but gives up after `limit` with nothing: `Err(())`.
    fn take_for(&self, limit: Duration) -> std::result::Result<Option<T>, ()> {
        self.take_until(Some(Instant::now() + limit))
    }

    /// The consumer's wait: poll for [`SPIN`] (spinning, then yielding the CPU), then park
    /// until a producer unparks it or `deadline` passes (`Err(())`).
    fn take_until(&self, deadline: Option<Instant>) -> std::result::Result<Option<T>, ()> {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if self.state.load(Ordering::Acquire) == FULL {
                let mut q = lock(&self.queue);
                let value = q.0.pop_front();
                if q.0.is_empty() {
                    self.state.store(EMPTY, Ordering::Release);
                }
                if value.is_some() || q.1 {
                    return Ok(value);
                }
                continue;
            }
            spins = spins.wrapping_add(1);
            if spins < 256 {
                std::hint::spin_loop();
                continue;
            }
            let now = Instant::now();
            if now.duration_since(start) < SPIN {
                // The other side may be waiting for this CPU.
                std::thread::yield_now();
                continue;
            }
            if deadline.is_some_and(|d| now >= d) {
                return Err(());
            }
            if self
                .state
                .compare_exchange(EMPTY, PARKED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                match deadline {
                    None => {
                        while self.state.load(Ordering::Acquire) == PARKED {
                            std::thread::park();
                        }
                    }
                    Some(d) => {
                        std::thread::park_timeout(d.saturating_duration_since(now));
                        // Not woken by a producer: stop being parked (unless one came).
                        let _ = self.state.compare_exchange(
                            PARKED,
                            EMPTY,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        );
                    }
                }
            }
        }
    }

    /// Closes the queue (consumer side) and returns what nobody will take now.
    fn close(&self) -> Vec<T> {
        let mut q = lock(&self.queue);
        q.1 = true;
        let was_parked = self.state.swap(FULL, Ordering::AcqRel) == PARKED;
        let rest = q.0.drain(..).collect();
        drop(q);
        if was_parked {
            self.consumer.unpark();
        }
        rest
    }
}

// ---------------------------------------------------------------------------------------
// The namespaces a helper thread must be in between closures.

/// The kinds a thread of a multithreaded process can change, with the link to check.
const CHECKED: [(&str, Kind); 10] = [
    ("cgroup", Kind::Cgroup),
    ("ipc", Kind::Ipc),
    ("mnt", Kind::Mnt),
    ("net", Kind::Net),
    ("pid", Kind::Pid),
    ("pid_for_children", Kind::Pid),
    ("time", Kind::Time),
    ("time_for_children", Kind::Time),
    ("user", Kind::User),
    ("uts", Kind::Uts),
];

/// A helper thread's home: handles on the namespaces it belongs in (to go back with `setns`)
/// and the inode of every `/proc/thread-self/ns` link (to verify).
struct Home {
    handles: Vec<Namespace>,
    expected: Vec<(&'static str, u64)>,
    dir: OwnedFd,
}

impl Home {
    /// Moves the calling thread to the namespaces of the process's main thread
    /// (`/proc/self/ns/*`) and records them as its home.
    fn of_process() -> Result<Home> {
        let mut handles = Vec::new();
        for kind in [
            Kind::Cgroup,
            Kind::Ipc,
            Kind::Net,
            Kind::Uts,
            Kind::Pid,
            Kind::Mnt,
        ] {
            let name = if kind == Kind::Pid {
                "pid_for_children"
            } else {
                kind.proc_name()
            };
            let main = match Namespace::open_as(format!("/proc/self/ns/{name}"), kind) {
                Ok(ns) => ns,
                // No pid_for_children while the main thread's new pid namespace is empty.
                Err(e) if kind == Kind::Pid && matches!(e.reason(), Reason::NotFound) => {
                    Namespace::open_as("/proc/self/ns/pid", kind)?
                }
                Err(e) => return Err(e),
            };
            if main != Namespace::current_for_children(kind)? {
                main.enter_current_thread()?;
            }
            if kind != Kind::Mnt {
                handles.push(main);
            }
        }
        let _ = take_mutated();
        Self::capture(handles)
    }

    /// Records the calling thread's present namespaces as its home.
    fn of_current_thread(entered: Vec<Namespace>) -> Result<Home> {
        Self::capture(entered)
    }

    fn capture(handles: Vec<Namespace>) -> Result<Home> {
        use rustix::fs::{Mode, OFlags};
        let dir = rustix::fs::open(
            "/proc/thread-self/ns",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            Error::os(
                Op::OpenCurrent,
                None,
                Target::Path("/proc/thread-self/ns".into()),
                e.into(),
            )
        })?;
        let mut expected = Vec::with_capacity(CHECKED.len());
        for (name, kind) in CHECKED {
            match rustix::fs::statat(&dir, name, rustix::fs::AtFlags::empty()) {
                Ok(st) => expected.push((name, st.st_ino)),
                // A kernel without this kind, or an empty new pid namespace: nothing to check.
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
        Ok(Home {
            handles,
            expected,
            dir,
        })
    }

    /// Goes back home after a closure: re-enters the namespaces of `kinds` (every home kind
    /// when `full`), and with `full` also checks every link. `false`: the thread must not be
    /// used again.
    fn restore(&self, kinds: KindSet, full: bool) -> bool {
        let entered_ok = self
            .handles
            .iter()
            .filter(|h| full || kinds.contains(h.kind()))
            .all(|h| h.enter_current_thread().is_ok());
        let _ = take_mutated();
        entered_ok && (!full || self.verify())
    }

    fn verify(&self) -> bool {
        self.expected.iter().all(|(name, ino)| {
            rustix::fs::statat(&self.dir, *name, rustix::fs::AtFlags::empty())
                .is_ok_and(|st| st.st_ino == *ino)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Jobs and replies.

/// How a job's value gets back to whoever waits for it.
trait Reply<T>: Send + 'static {
    fn send(self, value: std::thread::Result<Result<T>>);
}

/// A caller blocked in [`run`] or [`Worker::run`].
impl<T: Send + 'static> Reply<T> for Arc<Handoff<std::thread::Result<Result<T>>>> {
    fn send(self, value: std::thread::Result<Result<T>>) {
        // A reply slot is never closed.
        let _ = self.put(value);
    }
}

/// What a helper thread does with a finished job.
struct Done {
    /// Whether the thread is verified to be back home and may run more jobs.
    clean: bool,
    /// Hands the value back; called after the thread is home (or gone).
    deliver: Box<dyn FnOnce() + Send>,
}

trait Job: Send {
    fn run(self: Box<Self>, home: &Home) -> Done;
    fn fail(self: Box<Self>, error: Error);
}

struct RunJob<F, T, R> {
    namespaces: Vec<Namespace>,
    f: F,
    reply: R,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<F, T, R> Job for RunJob<F, T, R>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
    R: Reply<T>,
{
    fn run(self: Box<Self>, home: &Home) -> Done {
        let RunJob {
            namespaces,
            f,
            reply,
            ..
        } = *self;
        let kinds: KindSet = namespaces.iter().map(Namespace::kind).collect();
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<T> {
            let refs: Vec<&Namespace> = namespaces.iter().collect();
            enter_each(&refs)?;
            let _ = take_mutated();
            Ok(f())
        }));
        // A panic, or the closure moving the thread through lxns: check everything.
        let full = result.is_err() || take_mutated();
        // A mount namespace unshared this thread's cwd/root from the process: never reuse.
        let clean = !kinds.contains(Kind::Mnt) && home.restore(kinds, full);
        drop(namespaces);
        Done {
            clean,
            deliver: Box::new(move || reply.send(result)),
        }
    }

    fn fail(self: Box<Self>, error: Error) {
        self.reply.send(Ok(Err(error)));
    }
}

/// Whether the calling thread is in the process's namespaces of every kind a helper goes
/// home to: a `statat` of each pair of links through two directory fds (far cheaper than
/// opening the namespaces).
fn at_process_home() -> bool {
    use rustix::fs::{AtFlags, Mode, OFlags};
    let dir = |p: &str| {
        rustix::fs::open(
            p,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    };
    let (Ok(mine), Ok(main)) = (dir("/proc/thread-self/ns"), dir("/proc/self/ns")) else {
        return false;
    };
    let ino = |d: &OwnedFd, name: &str| {
        rustix::fs::statat(d, name, AtFlags::empty())
            .ok()
            .map(|s| s.st_ino)
    };
    ["cgroup", "ipc", "net", "uts", "mnt", "pid_for_children"]
        .iter()
        .all(|k| ino(&mine, k) == ino(&main, k))
}

// ---------------------------------------------------------------------------------------
// The helper-thread pool behind `run` and `run_async`.

struct PoolThread {
    inbox: Handoff<Box<dyn Job>>,
    /// To wait for the thread to be gone ([`drain_helpers`]).
    exit: ThreadExit,
}

/// The process's helpers: the idle ones, each parked (or polling) on its inbox, and the
/// reaper. Per process: a child of `fork(2)` has none of these threads, so it starts with an
/// empty pool of its own instead of the parent's (whose locks a parent thread may have held).
struct Pool {
    idle: Mutex<Vec<Arc<PoolThread>>>,
    reaper: Mutex<Option<Reaper>>,
}

static POOL: crate::sys::PerProcess<Pool> = crate::sys::PerProcess::new(|| Pool {
    idle: Mutex::new(Vec::new()),
    reaper: Mutex::new(None),
});

fn idle() -> MutexGuard<'static, Vec<Arc<PoolThread>>> {
    lock(&POOL.get().idle)
}

fn reaper() -> MutexGuard<'static, Option<Reaper>> {
    lock(&POOL.get().reaper)
}

/// How many verified helpers wait for work at most; the rest exit after their job.
const MAX_IDLE: usize = 8;

/// How long an idle helper (or the reaper) waits for work before it exits, so that a process
/// that stopped calling [`run`] becomes single-threaded again on its own.
pub const HELPER_IDLE_EXIT: Duration = Duration::from_secs(2);

fn dispatch(job: Box<dyn Job>) {
    let idle = idle().pop();
    match idle {
        Some(helper) => {
            // Idle helpers never close their inbox.
            if let Err(job) = helper.inbox.put(job) {
                job.fail(helper_gone());
            }
        }
        None => {
            // The job travels to the new thread through a slot we can take it back from
            // if the thread cannot be created.
            let slot = Arc::new(Mutex::new(Some(job)));
            let theirs = Arc::clone(&slot);
            let spawned = std::thread::Builder::new()
                .name("lxns-helper".into())
                .spawn(move || {
                    if let Some(job) = lock(&theirs).take() {
                        helper_main(job);
                    }
                });
            if let Err(e) = spawned {
                if let Some(job) = lock(&slot).take() {
                    job.fail(spawn_error(&e));
                }
            }
        }
    }
}

fn helper_main(first: Box<dyn Job>) {
    let pidfd = ThreadExit::current();
    let home = match Home::of_process() {
        Ok(home) => home,
        Err(e) => {
            // This thread may be half-way somewhere: it takes no job but this failure.
            first.fail(Error::invalid_argument(
                Op::Run,
                Target::None,
                format!("a helper thread could not join the process's namespaces: {e}"),
            ));
            return;
        }
    };
    let me = Arc::new(PoolThread {
        inbox: Handoff::new(std::thread::current()),
        exit: ThreadExit::current(),
    });
    let mut job = first;
    loop {
        let Done { clean, deliver } = job.run(&home);
        if !clean {
            retire(pidfd, deliver);
            return;
        }
        // Offer ourselves before handing the value back, so a caller that calls again at
        // once finds us.
        let offered = {
            let mut idle = idle();
            if idle.len() < MAX_IDLE {
                idle.push(Arc::clone(&me));
                true
            } else {
                false
            }
        };
        deliver();
        if !offered {
            return;
        }
        let next = match me.inbox.take_for(HELPER_IDLE_EXIT) {
            Ok(next) => next,
            // Idle too long: leave the pool, unless a caller has just taken us out of it
            // (its job is on the way: wait for it).
            Err(()) => {
                let mut idle = idle();
                match idle.iter().position(|h| Arc::ptr_eq(h, &me)) {
                    Some(i) => {
                        idle.swap_remove(i);
                        drop(idle);
                        me.inbox.close();
                        return;
                    }
                    None => {
                        drop(idle);
                        me.inbox.take()
                    }
                }
            }
        };
        match next {
            Some(next) => job = next,
            None => return,
        }
    }
}

/// Ends lxns's idle helper threads (those of [`run`] and [`run_async`]) and its reaper, and
/// returns once the kernel has released every one of them: after it, a process that has no
/// threads of its own and no [`Worker`] alive is single-threaded again, so it may create or
/// join a user namespace (the kernel refuses that to multithreaded processes: see
/// [`Reason::MultiThreaded`](crate::Reason::MultiThreaded)). Helpers also exit by
/// themselves after [`HELPER_IDLE_EXIT`] without work. A helper busy with a closure is not
/// waited for. Returns how many threads ended.
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// let net = lxns::Namespace::new(lxns::Kind::Net)?;
/// lxns::run(&[&net], || ())?; // a helper thread now waits for more work
/// lxns::drain_helpers();
/// // No lxns thread is left: (this doctest's own harness may have others.)
/// # Ok::<(), lxns::Error>(())
/// ```
pub fn drain_helpers() -> usize {
    let helpers: Vec<Arc<PoolThread>> = std::mem::take(&mut *idle());
    for h in &helpers {
        for job in h.inbox.close() {
            job.fail(helper_gone());
        }
    }
    let mut ended = 0;
    for h in &helpers {
        h.exit.wait();
        ended += 1;
    }
    if stop_reaper() {
        ended += 1;
    }
    ended
}

/// Runs `f` inside `namespaces` on one of lxns's helper threads and returns its value.
///
/// The helper enters the namespaces in the order given (setns), runs `f`, goes back to the
/// process's namespaces, and hands back the value. For every kind not given, `f` runs in the
/// namespaces of the process (its main thread) — as with Go's `NetNS.Do`, whichever thread
/// calls. The calling thread never changes namespace. A helper is used again only when the
/// kernel has confirmed it is back home; if `f` panicked or changed the thread's namespaces
/// through lxns, every namespace link of the thread is checked too, and a helper that fails
/// (or that entered a mount namespace) is retired: `run` returns only after it has exited
/// completely.
///
/// What is not seen: a closure that calls `setns(2)`/`unshare(2)` itself, bypassing lxns, on
/// a kind it was not given; checking every link after every call would cost about 35 µs. Run
/// such code with [`run_scoped`] (its thread is never reused), or call
/// [`Worker::verify`] on a worker.
///
/// What binds where: a socket made in `f` belongs to the namespace (and keeps it after `f`
/// returns it); `/proc/thread-self/net/*` is the namespace's; `/sys` is **not** (sysfs shows
/// the namespace of whoever mounted it). See the crate docs and [`recipes`](crate::recipes).
///
/// The helpers make the process **multithreaded** while they live: the kernel then refuses
/// it user namespaces ([`Reason::MultiThreaded`](crate::Reason::MultiThreaded)). An idle
/// helper exits after [`HELPER_IDLE_EXIT`]; [`drain_helpers`] ends them at once.
///
/// `f` must be `'static` (capture by `move`; clone handles with
/// [`Namespace::try_clone`]); [`run_scoped`] takes borrowing closures.
///
/// A panic in `f` is resumed on the calling thread with the original payload
/// ([`std::panic::resume_unwind`]).
///
/// ```no_run
/// use lxns::{Kind, Namespace};
/// let blue = Namespace::open_as("/run/netns/blue", Kind::Net)?;
/// let devices = lxns::run(&[&blue], || std::fs::read_to_string("/proc/thread-self/net/dev"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) for a user or time namespace (the kernel refuses them to a
///    thread of a multithreaded process) or two namespaces of one kind — before any thread
///    is involved.
///  - The error of the `setns` that failed, naming the namespace (kind and id) that could not
///    be entered; `f` does not run, and the helper goes home (or is retired).
///  - [`Reason::Os`](crate::Reason::Os) with [`Op::SpawnThread`] when a helper thread cannot be created.
///
/// # References
///  - [setns(2)](https://man7.org/linux/man-pages/man2/setns.2.html)
#[doc(alias = "NetNS.Do")]
#[doc(alias = "WithNetNSPath")]
pub fn run<T, F>(namespaces: &[&Namespace], f: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    check_joinable(namespaces)?;
    let reply = Arc::new(Handoff::new(std::thread::current()));
    dispatch(Box::new(RunJob {
        namespaces: duplicate(namespaces)?,
        f,
        reply: Arc::clone(&reply),
        _value: std::marker::PhantomData,
    }));
    match reply.take() {
        Some(Ok(result)) => result,
        Some(Err(panic)) => resume_unwind(panic),
        None => Err(helper_gone()),
    }
}

/// [`run`] for a closure that returns a `Result`: lxns's error and the closure's come back as
/// one `E` (anything `From<lxns::Error>`: `std::io::Error`, `anyhow::Error`, `Box<dyn
/// Error>`, your own), instead of `Result<Result<T, E>>`.
///
/// ```
/// # if !rustix::process::geteuid().is_root() { return Ok(()); }
/// let ns = lxns::Namespace::new(lxns::Kind::Net)?;
/// let dev: String = lxns::try_run(&[&ns], || std::fs::read_to_string("/proc/thread-self/net/dev"))?;
/// assert!(dev.contains("lo:"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// As for [`run`], converted into `E`; and whatever `f` returns.
pub fn try_run<T, E, F>(namespaces: &[&Namespace], f: F) -> std::result::Result<T, E>
where
    F: FnOnce() -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    run(namespaces, f)?
}

/// Runs `f` inside `namespaces` on a **new** thread that ends afterwards, and returns its
/// value. Unlike [`run`], `f` may borrow from the caller. Kinds not given follow lxns's one
/// rule, as for [`run`] and [`Worker`]: the namespaces of the process (its main thread), not
/// the calling thread's. It costs a thread creation per call.
///
/// `run_scoped` returns only once the thread has exited completely, so nothing holds the
/// namespaces on its behalf afterwards. A panic in `f` is resumed on the calling thread.
///
/// # Errors
/// As for [`run`].
pub fn run_scoped<T, F>(namespaces: &[&Namespace], f: F) -> Result<T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    check_joinable(namespaces)?;
    // Checked on the calling thread (its /proc entries are warm; a new thread's first
    // lookups cost some 60 µs), and remembered: a thread found home is not checked again
    // until lxns moves it.
    let caller_moved = crate::enter::was_mutated() && {
        if at_process_home() {
            let _ = take_mutated();
            false
        } else {
            true
        }
    };
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("lxns-run".into())
            .spawn_scoped(scope, move || {
                let pidfd = ThreadExit::current();
                let result = catch_unwind(AssertUnwindSafe(move || -> Result<T> {
                    // The one rule for kinds not given: the process's, as for `run`. A caller
                    // that lxns never moved is in them already (the new thread inherits).
                    if caller_moved {
                        Home::of_process()?;
                    }
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
        pidfd.wait();
        match result {
            Ok(result) => result,
            Err(panic) => resume_unwind(panic),
        }
    })
}

impl Namespace {
    /// Runs `f` inside this namespace on a helper thread: [`run`] with one namespace.
    ///
    /// # Errors
    /// As for [`run`].
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        run(&[self], f)
    }

    /// Runs a borrowing closure inside this namespace on a new thread: [`run_scoped`] with
    /// one namespace.
    ///
    /// # Errors
    /// As for [`run`].
    pub fn run_scoped<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        run_scoped(&[self], f)
    }
}

// ---------------------------------------------------------------------------------------
// Futures.

struct Slot<T> {
    value: Option<std::thread::Result<Result<T>>>,
    waker: Option<Waker>,
    closed: bool,
}

struct Sender<T>(Arc<Mutex<Slot<T>>>);

impl<T: Send + 'static> Reply<T> for Sender<T> {
    fn send(self, value: std::thread::Result<Result<T>>) {
        let waker = {
            let mut slot = lock(&self.0);
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
            let mut slot = lock(&self.0);
            slot.closed = true;
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The future returned by [`run_async`] and [`Worker::run_async`]: resolves to the closure's
/// value or the error that kept it from running, and resumes its panic.
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
        let mut slot = lock(&self.slot);
        match slot.value.take() {
            Some(Ok(result)) => Poll::Ready(result),
            Some(Err(panic)) => {
                drop(slot);
                resume_unwind(panic)
            }
            None if slot.closed => Poll::Ready(Err(helper_gone())),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// RunFuture holds no self-references.
impl<T> Unpin for RunFuture<T> {}

/// Like [`run`], as a future: the closure goes to a helper thread at once and the future
/// resolves when it has run and the helper is back home (or gone). The executor's threads
/// never block and never change namespace.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use lxns::{Kind, Namespace};
/// let ns = Namespace::new(Kind::Net)?;
/// let inode = lxns::run_async(&[&ns], || {
///     use std::os::unix::fs::MetadataExt;
///     std::fs::metadata("/proc/thread-self/ns/net").map(|m| m.ino())
/// })
/// .await??;
/// assert_eq!(inode, ns.id().ino());
/// # Ok(()) }
/// ```
///
/// # Errors
/// As for [`run`], through the future.
pub fn run_async<T, F>(namespaces: &[&Namespace], f: F) -> RunFuture<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, mut fut) = oneshot();
    match check_joinable(namespaces).and_then(|_| duplicate(namespaces)) {
        Ok(owned) => dispatch(Box::new(RunJob {
            namespaces: owned,
            f,
            reply: tx,
            _value: std::marker::PhantomData,
        })),
        Err(e) => fut.ready = Some(Err(e)),
    }
    fut
}

// ---------------------------------------------------------------------------------------
// Worker

/// A thread parked in a set of namespaces, running closures one after another.
///
/// Entering namespaces costs about a microsecond per kind; a worker enters once. After every
/// closure it re-enters its namespaces (so a closure that moved the thread cannot affect the
/// next one); if the closure panicked or changed the thread's namespaces through lxns, it
/// also re-enters every other kind it started in and checks every `/proc/thread-self/ns`
/// link. A worker that cannot be verified stops: every later call fails with an error
/// instead of running in the wrong place. [`Worker::verify`] checks on demand.
///
/// Dropping the worker lets a running closure finish, then ends the thread and waits until
/// it has exited completely.
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
    inbox: Arc<Handoff<Option<Box<dyn Job>>>>,
    thread: Option<JoinHandle<()>>,
    ids: Vec<NsId>,
    /// Set by the worker thread before it stops taking jobs.
    stopped: Arc<AtomicBool>,
    /// The worker thread's pidfd, to wait for its complete exit on drop.
    pidfd: Option<ThreadExit>,
    /// The process the thread belongs to: a child of `fork(2)` has a copy of this handle
    /// but not the thread.
    owner: rustix::process::Pid,
}

/// The error of a [`Worker`] used in a child of `fork(2)`, which has no copy of its thread.
fn forked_worker(owner: rustix::process::Pid) -> Error {
    Error::invalid_argument(
        Op::Run,
        Target::Pid(owner.as_raw_nonzero().get()),
        format!(
            "this Worker's thread belongs to process {owner}, not to this one (fork(2) copies \
             no threads): create a new Worker in this process"
        ),
    )
}

/// A job for a worker: runs `f` in place (the worker is already in its namespaces).
struct WorkerJob<F, T, R> {
    f: F,
    reply: R,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<F, T, R> Job for WorkerJob<F, T, R>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
    R: Reply<T>,
{
    fn run(self: Box<Self>, home: &Home) -> Done {
        let WorkerJob { f, reply, .. } = *self;
        let _ = take_mutated();
        let result = catch_unwind(AssertUnwindSafe(|| Ok(f())));
        let full = result.is_err() || take_mutated();
        let kinds: KindSet = home.handles.iter().map(Namespace::kind).collect();
        let clean = home.restore(kinds, full);
        Done {
            clean,
            deliver: Box::new(move || reply.send(result)),
        }
    }

    fn fail(self: Box<Self>, error: Error) {
        self.reply.send(Ok(Err(error)));
    }
}

/// Checks `home` on request of [`Worker::verify`].
struct VerifyJob(Arc<Handoff<std::thread::Result<Result<()>>>>);

impl Job for VerifyJob {
    fn run(self: Box<Self>, home: &Home) -> Done {
        let clean = home.verify();
        let reply = self.0;
        Done {
            clean,
            deliver: Box::new(move || {
                let _ = reply.put(Ok(if clean { Ok(()) } else { Err(helper_gone()) }));
            }),
        }
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.0.put(Ok(Err(error)));
    }
}

impl Worker {
    /// Starts a thread that enters `namespaces` (in the order given) and waits for work. Kinds
    /// not given are the process's (its main thread's), the one rule of [`run`] and
    /// [`run_scoped`].
    ///
    /// # Errors
    /// As for [`run`]: user and time namespaces are refused, and a namespace that cannot be
    /// entered is named in the error (the thread is discarded).
    pub fn new(namespaces: &[&Namespace]) -> Result<Worker> {
        check_joinable(namespaces)?;
        let owned = duplicate(namespaces)?;
        let ids = owned.iter().map(Namespace::id).collect();
        type Inbox = Arc<Handoff<Option<Box<dyn Job>>>>;
        let (ready_tx, ready_rx) = mpsc::sync_channel::<(Result<Inbox>, ThreadExit)>(1);
        let stopped = Arc::new(AtomicBool::new(false));
        let stopped_in_thread = Arc::clone(&stopped);
        let thread = std::thread::Builder::new()
            .name("lxns-worker".into())
            .spawn(move || {
                let pidfd = ThreadExit::current();
                let refs: Vec<&Namespace> = owned.iter().collect();
                // Kinds not given: the process's, as for `run`.
                let home = Home::of_process()
                    .and_then(|_| enter_each(&refs))
                    .and_then(|()| {
                        let _ = take_mutated();
                        Home::of_current_thread(owned)
                    });
                let home = match home {
                    Ok(home) => home,
                    Err(e) => {
                        let _ = ready_tx.send((Err(e), pidfd));
                        return;
                    }
                };
                let inbox: Inbox = Arc::new(Handoff::new(std::thread::current()));
                let _ = ready_tx.send((Ok(Arc::clone(&inbox)), pidfd));
                drop(ready_tx);
                while let Some(Some(job)) = inbox.take() {
                    let Done { clean, deliver } = job.run(&home);
                    if !clean {
                        // Flag first, so no caller sees a failure while the worker still
                        // reports itself alive.
                        stopped_in_thread.store(true, Ordering::SeqCst);
                        deliver();
                        break;
                    }
                    deliver();
                }
                stopped_in_thread.store(true, Ordering::SeqCst);
                for pending in inbox.close().into_iter().flatten() {
                    pending.fail(helper_gone());
                }
            })
            .map_err(|e| spawn_error(&e))?;
        match ready_rx.recv() {
            Ok((Ok(inbox), pidfd)) => Ok(Worker {
                inbox,
                thread: Some(thread),
                ids,
                stopped,
                pidfd: Some(pidfd),
                owner: rustix::process::getpid(),
            }),
            Ok((Err(e), pidfd)) => {
                // Not gone until the kernel released the thread (and the namespaces it was
                // half-way into).
                let _ = thread.join();
                pidfd.wait();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(helper_gone())
            }
        }
    }

    /// The namespaces the worker is in, in the order it entered them.
    pub fn namespaces(&self) -> &[NsId] {
        &self.ids
    }

    /// Whether the worker thread still takes work (it stops when it cannot verify its
    /// namespaces after a closure). False in a child of `fork(2)`, which has no copy of the
    /// thread: there [`run`](Worker::run) fails with
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument).
    pub fn is_alive(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst) && rustix::process::getpid() == self.owner
    }

    /// Checks every namespace link of the worker thread against what it was when the worker
    /// started; the worker stops if any differs.
    ///
    /// # Errors
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when the worker has stopped or fails the check.
    pub fn verify(&self) -> Result<()> {
        let reply = Arc::new(Handoff::new(std::thread::current()));
        self.call(Box::new(VerifyJob(Arc::clone(&reply))), &reply)
    }

    /// Runs `f` on the worker thread and waits for its value. A panic in `f` is resumed on
    /// the calling thread (the worker survives it, after re-verifying its namespaces).
    /// Calls from several threads are queued and run in order.
    ///
    /// # Errors
    ///  - [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when the worker has stopped: a previous closure left the
    ///    thread in namespaces it could not leave or verify.
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let reply = Arc::new(Handoff::new(std::thread::current()));
        let job = Box::new(WorkerJob {
            f,
            reply: Arc::clone(&reply),
            _value: std::marker::PhantomData,
        });
        self.call(job, &reply)
    }

    fn call<T>(
        &self,
        job: Box<dyn Job>,
        reply: &Handoff<std::thread::Result<Result<T>>>,
    ) -> Result<T> {
        if rustix::process::getpid() != self.owner {
            return Err(forked_worker(self.owner));
        }
        if self.inbox.put(Some(job)).is_err() {
            return Err(helper_gone());
        }
        // The worker always answers: with the value, or by failing the job when it stops.
        match reply.take() {
            Some(Ok(result)) => result,
            Some(Err(panic)) => resume_unwind(panic),
            None => Err(helper_gone()),
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
        if rustix::process::getpid() != self.owner {
            fut.ready = Some(Err(forked_worker(self.owner)));
            return fut;
        }
        let job: Box<dyn Job> = Box::new(WorkerJob {
            f,
            reply: tx,
            _value: std::marker::PhantomData,
        });
        if self.inbox.put(Some(job)).is_err() {
            fut.ready = Some(Err(helper_gone()));
        }
        fut
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if rustix::process::getpid() != self.owner {
            // A forked child's copy: the thread is not ours to stop or join (joining a
            // thread this process does not have would never return).
            std::mem::forget(self.thread.take());
            return;
        }
        let _ = self.inbox.put(None);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(pidfd) = self.pidfd.take() {
            pidfd.wait();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Inodes of the net namespaces of every thread of this process.
    fn threads_net() -> Vec<u64> {
        use std::os::unix::fs::MetadataExt;
        std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|t| std::fs::metadata(t.path().join("ns/net")).ok())
            .map(|m| m.ino())
            .collect()
    }

    /// Both ways of waiting — the thread pidfd and, as kernels before 6.9 must, the
    /// `/proc/self/task/TID` entry — return only once no thread is left in the namespace the
    /// helper made.
    #[test]
    fn a_waited_thread_holds_no_namespace_any_more() {
        if rustix::process::geteuid().as_raw() != 0 {
            return; // creating a network namespace needs root (the suite runs as root)
        }
        for with_pidfd in [true, false] {
            for _ in 0..200 {
                let handle = std::thread::spawn(move || {
                    let exit = if with_pidfd {
                        ThreadExit::current()
                    } else {
                        ThreadExit::current_without_pidfd()
                    };
                    crate::unshare_current_thread(Kind::Net).expect("unshare net");
                    let ns = Namespace::current(Kind::Net).expect("current net");
                    (exit, ns.id().ino())
                });
                let (exit, ino) = handle.join().expect("helper");
                exit.wait();
                assert!(
                    !threads_net().contains(&ino),
                    "a thread is still in the helper's namespace (pidfd: {with_pidfd})"
                );
            }
        }
    }
}
