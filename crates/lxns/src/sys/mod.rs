//! The only place in lxns with `unsafe` code.
//!
//! # Safety
//!
//! Each function here wraps one kernel call that `rustix` has no safe wrapper for: the nsfs
//! `ioctl_ns(2)` requests, the pidfd `PIDFD_GET_*_NAMESPACE` requests, `mount_setattr(2)`,
//! installing a seccomp program (`prctl(PR_SET_SECCOMP)`), `unshare(2)` restricted to namespace
//! flags, and duplicating a descriptor the process inherited by number. Every `unsafe` block carries a `// SAFETY:` line naming the
//! invariant it relies on. Everything else in the crate calls `rustix` safely and is compiled
//! under `#![deny(unsafe_code)]`.

use std::ffi::c_void;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

pub(crate) mod spawn;

use rustix::io::{Errno, Result};
use rustix::ioctl::{Getter, Ioctl, IoctlOutput, Opcode, opcode};

/// `NSIO` from linux/nsfs.h.
const NSIO: u8 = 0xb7;
/// `PIDFS_IOCTL_MAGIC` from linux/pidfd.h.
const PIDFS_IOCTL_MAGIC: u8 = 0xff;

const NS_GET_USERNS: Opcode = opcode::none(NSIO, 0x1);
const NS_GET_PARENT: Opcode = opcode::none(NSIO, 0x2);
const NS_GET_NSTYPE: Opcode = opcode::none(NSIO, 0x3);
/// Declared `_IO` in the header although it writes a `uid_t` through its argument.
const NS_GET_OWNER_UID: Opcode = opcode::none(NSIO, 0x4);
const NS_GET_PID_FROM_PIDNS: Opcode = opcode::read::<i32>(NSIO, 0x6);
const NS_GET_PID_IN_PIDNS: Opcode = opcode::read::<i32>(NSIO, 0x8);
const NS_GET_ID: Opcode = opcode::read::<u64>(NSIO, 0xd);

/// An `ioctl` whose return value is a new file descriptor (`NS_GET_USERNS`,
/// `NS_GET_PARENT`, `PIDFD_GET_*_NAMESPACE`).
struct ReturnsFd {
    opcode: Opcode,
}

// SAFETY: the ioctl takes no argument (a null pointer is passed and never dereferenced), does
// not mutate memory of ours, and on success the kernel returns a new fd that the caller owns:
// `output_from_ptr` is only called with the non-negative value of a successful call.
unsafe impl Ioctl for ReturnsFd {
    type Output = OwnedFd;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut c_void {
        std::ptr::null_mut()
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> Result<OwnedFd> {
        if out < 0 {
            return Err(Errno::BADF);
        }
        // SAFETY: a successful fd-returning ioctl returns a fresh descriptor (opened with
        // O_CLOEXEC by nsfs/pidfs) that nothing else owns; we take sole ownership here.
        Ok(unsafe { OwnedFd::from_raw_fd(out) })
    }
}

/// An `ioctl` whose return value is an integer, with an optional by-value argument
/// (`NS_GET_NSTYPE`, `NS_GET_PID_*`).
struct ReturnsInt {
    opcode: Opcode,
    arg: usize,
}

// SAFETY: the argument is passed by value (cast to a pointer-sized integer, never
// dereferenced by the kernel for these requests), no memory of ours is written, and the
// output is the plain integer return value.
unsafe impl Ioctl for ReturnsInt {
    type Output = i32;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut c_void {
        std::ptr::without_provenance_mut(self.arg)
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> Result<i32> {
        Ok(out)
    }
}

fn fd_ioctl(fd: impl AsFd, opcode: Opcode) -> Result<OwnedFd> {
    // SAFETY: `fd` is a live borrowed descriptor for the duration of the call; `ReturnsFd`
    // passes no pointer and `opcode` is one of the fd-returning requests declared above.
    unsafe { rustix::ioctl::ioctl(fd, ReturnsFd { opcode }) }
}

fn int_ioctl(fd: impl AsFd, opcode: Opcode, arg: usize) -> Result<i32> {
    // SAFETY: `fd` is a live borrowed descriptor; the requests used with this helper take
    // their argument by value and return an int, so no memory is read or written.
    unsafe { rustix::ioctl::ioctl(fd, ReturnsInt { opcode, arg }) }
}

/// `SIOCGSKNS` (`linux/sockios.h`, Linux 4.9): a socket's network namespace, as a new fd.
const SIOCGSKNS: Opcode = 0x894C;

/// `ioctl(socket, SIOCGSKNS)`: the network namespace the socket was created in.
pub(crate) fn socket_netns(socket: impl AsFd) -> Result<OwnedFd> {
    fd_ioctl(socket, SIOCGSKNS)
}

/// `ioctl(fd, NS_GET_USERNS)`: the owning user namespace.
pub(crate) fn ns_get_userns(fd: impl AsFd) -> Result<OwnedFd> {
    fd_ioctl(fd, NS_GET_USERNS)
}

/// `ioctl(fd, NS_GET_PARENT)`: the parent user or pid namespace.
pub(crate) fn ns_get_parent(fd: impl AsFd) -> Result<OwnedFd> {
    fd_ioctl(fd, NS_GET_PARENT)
}

/// `ioctl(fd, NS_GET_NSTYPE)`: the `CLONE_NEW*` flag of the namespace.
pub(crate) fn ns_get_nstype(fd: impl AsFd) -> Result<u32> {
    int_ioctl(fd, NS_GET_NSTYPE, 0).and_then(|t| u32::try_from(t).map_err(|_| Errno::INVAL))
}

/// `ioctl(fd, NS_GET_OWNER_UID, &uid)`: the uid of the creator of a user namespace, as seen
/// from the caller's user namespace.
pub(crate) fn ns_get_owner_uid(fd: impl AsFd) -> Result<u32> {
    // SAFETY: NS_GET_OWNER_UID is a valid opcode that writes exactly one `uid_t` (a u32)
    // through its argument.
    let getter = unsafe { Getter::<{ NS_GET_OWNER_UID }, u32>::new() };
    // SAFETY: `fd` is borrowed for the call; `Getter` hands the kernel an aligned
    // `MaybeUninit<u32>` that it reads back only on success.
    unsafe { rustix::ioctl::ioctl(fd, getter) }
}

/// `ioctl(fd, NS_GET_ID, &id)`: the namespace's 64-bit id, unique for the boot (Linux 6.18+).
pub(crate) fn ns_get_id(fd: impl AsFd) -> Result<u64> {
    // SAFETY: NS_GET_ID is `_IOR(0xb7, 13, __u64)`, a valid opcode that writes one u64
    // through its argument.
    let getter = unsafe { Getter::<{ NS_GET_ID }, u64>::new() };
    // SAFETY: `fd` is borrowed for the call; `Getter` hands the kernel an aligned
    // `MaybeUninit<u64>` that it reads back only on success.
    unsafe { rustix::ioctl::ioctl(fd, getter) }
}

/// A `struct file_handle` with room for nsfs's `struct nsfs_file_handle` (`{ u64 ns_id; u32
/// ns_type; u32 ns_inum; }`, Linux 6.18+), laid out as the kernel reads it.
#[repr(C)]
struct NsfsHandle {
    handle_bytes: u32,
    handle_type: i32,
    ns_id: u64,
    ns_type: u32,
    ns_inum: u32,
}

/// Opens the namespace whose 64-bit id ([`ns_get_id`]) is `id`: `open_by_handle_at(2)` with an
/// nsfs file handle, whose type is learnt from `nsfs` (any namespace fd) with
/// `name_to_handle_at(AT_EMPTY_PATH | AT_HANDLE_FID)`; `ns_type` is a `CLONE_NEW*` flag, or 0
/// for any. Linux 6.18+ (`EOPNOTSUPP` before; 6.18 itself needs the inode too: `ESTALE`).
pub(crate) fn open_ns_by_id(nsfs: BorrowedFd<'_>, id: u64, ns_type: u32) -> Result<OwnedFd> {
    let mut handle = NsfsHandle {
        handle_bytes: 16,
        handle_type: 0,
        ns_id: 0,
        ns_type: 0,
        ns_inum: 0,
    };
    let mut mount_id: libc::c_int = 0;
    // SAFETY: `handle` is a `struct file_handle` header followed by 16 bytes, the size given
    // in `handle_bytes`, so the kernel writes within it; `mount_id` is a live int; the empty
    // path with AT_EMPTY_PATH names `nsfs` itself, a descriptor borrowed for the call.
    let r = unsafe {
        libc::name_to_handle_at(
            nsfs.as_raw_fd(),
            c"".as_ptr(),
            std::ptr::from_mut(&mut handle).cast::<libc::file_handle>(),
            &mut mount_id,
            libc::AT_EMPTY_PATH | libc::AT_HANDLE_FID,
        )
    };
    if r != 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO));
    }
    handle.ns_id = id;
    handle.ns_type = ns_type;
    handle.ns_inum = 0;
    // SAFETY: `handle` is the valid file handle the kernel just filled, with its id, type
    // and inode changed (a zero type or inode is "any" where the kernel allows it, 6.19+;
    // 6.18 answers ESTALE unless both match); the call returns a new
    // descriptor (close-on-exec) or -1, and `nsfs` is borrowed for it.
    let fd = unsafe {
        libc::open_by_handle_at(
            nsfs.as_raw_fd(),
            std::ptr::from_mut(&mut handle).cast::<libc::file_handle>(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO));
    }
    // SAFETY: open_by_handle_at returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ioctl(pidns, NS_GET_PID_FROM_PIDNS, pid)`: `pid` as numbered in `pidns`, translated into
/// the caller's pid namespace.
pub(crate) fn ns_pid_from_pidns(fd: BorrowedFd<'_>, pid: u32) -> Result<i32> {
    int_ioctl(fd, NS_GET_PID_FROM_PIDNS, pid as usize)
}

/// `ioctl(pidns, NS_GET_PID_IN_PIDNS, pid)`: the caller's `pid` translated into `pidns`.
pub(crate) fn ns_pid_in_pidns(fd: BorrowedFd<'_>, pid: u32) -> Result<i32> {
    int_ioctl(fd, NS_GET_PID_IN_PIDNS, pid as usize)
}

/// `ioctl(pidfd, PIDFD_GET_<KIND>_NAMESPACE)` (Linux 6.11+): the process's namespace of one
/// kind, race-free. `nr` comes from the kind table.
pub(crate) fn pidfd_get_namespace(pidfd: impl AsFd, nr: u8) -> Result<OwnedFd> {
    fd_ioctl(pidfd, opcode::none(PIDFS_IOCTL_MAGIC, nr))
}

/// `struct mount_attr` from linux/mount.h (`MOUNT_ATTR_SIZE_VER0`, 32 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct MountAttr {
    pub(crate) attr_set: u64,
    pub(crate) attr_clr: u64,
    pub(crate) propagation: u64,
    pub(crate) userns_fd: u64,
}

/// `mount_setattr(dirfd, path, flags, &attr, sizeof attr)` (Linux 5.12+), which rustix does
/// not wrap. `userns` is the user namespace of an idmapped mount (`MOUNT_ATTR_IDMAP`): it is
/// borrowed for the call, so the fd number written into `attr` stays open throughout.
pub(crate) fn mount_setattr(
    dirfd: BorrowedFd<'_>,
    path: &std::ffi::CStr,
    flags: u32,
    mut attr: MountAttr,
    userns: Option<BorrowedFd<'_>>,
) -> Result<()> {
    if let Some(fd) = userns {
        // An open fd is never negative.
        attr.userns_fd = u64::try_from(fd.as_raw_fd()).map_err(|_| Errno::BADF)?;
    }
    // SAFETY: `path` is NUL-terminated and `attr` a live `struct mount_attr` of the size
    // passed, both outliving the call, which only reads them; `dirfd` (or AT_FDCWD) and the
    // user namespace fd are borrowed, so open, for the duration of the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dirfd.as_raw_fd(),
            path.as_ptr(),
            flags as libc::c_uint,
            std::ptr::from_ref(&attr),
            size_of::<MountAttr>(),
        )
    };
    if r < 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO));
    }
    Ok(())
}

/// `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)`: installs a classic BPF seccomp
/// program (the caller holds `no_new_privs` or `CAP_SYS_ADMIN`, or the kernel answers
/// `EACCES`). Async-signal-safe.
pub(crate) fn install_seccomp(filter: &[libc::sock_filter]) -> Result<()> {
    let prog = libc::sock_fprog {
        len: u16::try_from(filter.len()).map_err(|_| Errno::INVAL)?,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `filter`, `len` instructions long, both alive for the call;
    // the kernel copies the program and does not write through the pointer.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            std::ptr::from_ref(&prog),
        )
    };
    if r < 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO));
    }
    Ok(())
}

/// `unshare(2)` restricted to namespace flags (plus `CLONE_FS`).
///
/// `rustix` marks `unshare` unsafe because `CLONE_FILES` could split the fd table under
/// live `BorrowedFd`s. The callers pass only `CLONE_NEW*` bits (validated by `KindSet`) and
/// `CLONE_FS`, neither of which touches the fd table or memory.
pub(crate) fn unshare(flags: u32) -> Result<()> {
    use rustix::thread::UnshareFlags;
    const ALLOWED: u32 = crate::KindSet::ALL.bits() | UnshareFlags::FS.bits();
    if flags & !ALLOWED != 0 {
        return Err(Errno::INVAL);
    }
    // SAFETY: `flags` holds only CLONE_NEW* and CLONE_FS bits (checked just above); these
    // never unshare the file descriptor table or address space, which is the hazard that
    // makes `unshare_unsafe` unsafe.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::from_bits_retain(flags)) }
}

/// `fcntl(n, F_DUPFD_CLOEXEC)`: a new descriptor for the open file at number `n` (one the
/// process inherited, as bwrap's `FD` arguments name them), with `FD_CLOEXEC` set on `n`
/// too so that the number does not leak into programs started later. `EBADF` if `n` is not
/// open.
pub(crate) fn dup_inherited(n: i32) -> Result<OwnedFd> {
    if n < 0 {
        return Err(Errno::BADF);
    }
    // SAFETY: the borrow lives only for these fcntl calls, which read the number, make a
    // new descriptor and set the close-on-exec flag; nothing is closed or taken over. Were
    // `n` closed (or reused) by another thread meanwhile, the calls fail with EBADF or act
    // on whatever is there: a new descriptor either way, never an alias of one we own.
    let fd = unsafe { BorrowedFd::borrow_raw(n) };
    let dup = rustix::io::fcntl_dupfd_cloexec(fd, 0)?;
    rustix::io::fcntl_setfd(
        fd,
        rustix::io::fcntl_getfd(fd)? | rustix::io::FdFlags::CLOEXEC,
    )?;
    Ok(dup)
}

/// `setns(2)` with a raw `nstype` (0, one `CLONE_NEW*` flag, or several with a pidfd).
pub(crate) fn setns(fd: BorrowedFd<'_>, nstype: u32) -> Result<()> {
    rustix::thread::move_into_thread_name_spaces(
        fd,
        rustix::thread::ThreadNameSpaceType::from_bits_retain(nstype),
    )
}

/// The signal numbered `raw`: a named one, or a real-time one from glibc's `SIGRTMIN()` to
/// `SIGRTMAX()` (32 and 33 are glibc's own and never given out).
pub(crate) fn signal_from_raw(raw: i32) -> Option<rustix::process::Signal> {
    if let Some(named) = rustix::process::Signal::from_named_raw(raw) {
        return Some(named);
    }
    if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&raw) {
        // SAFETY: `raw` is in libc's SIGRTMIN..=SIGRTMAX, the range rustix's contract asks
        // for (signals libc does not reserve for itself).
        return Some(unsafe { rustix::process::Signal::from_raw_unchecked(raw) });
    }
    None
}

// ---------------------------------------------------------------------------------------
// State that a forked child must not inherit.

/// Bumped in every child `fork(2)` makes (a `pthread_atfork` child handler): a
/// [`PerProcess`] value made before the fork is stale in the child.
static FORK_GENERATION: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one atomic add, no lock, no allocation.
    FORK_GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

fn register_fork_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `after_fork_in_child` is an `extern "C" fn()` with static lifetime that
        // only does an atomic add; no prepare or parent handler is installed. A failure
        // (ENOMEM) leaves forked children with the parent's state, as before.
        let _ = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    });
}

/// A lazily made value of which every process has its own: after `fork(2)` the child makes
/// a fresh one on first use and never touches the parent's (whose locks may have been held
/// by threads the child does not have, and whose threads it does not have). The parent's
/// copy is leaked in the child: it cannot be dropped safely there.
pub(crate) struct PerProcess<T: 'static> {
    current: std::sync::atomic::AtomicPtr<(usize, T)>,
    make: fn() -> T,
}

impl<T: Sync + 'static> PerProcess<T> {
    pub(crate) const fn new(make: fn() -> T) -> PerProcess<T> {
        PerProcess {
            current: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
            make,
        }
    }

    /// This process's value.
    pub(crate) fn get(&'static self) -> &'static T {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, SeqCst};
        register_fork_handler();
        loop {
            let generation = FORK_GENERATION.load(SeqCst);
            let seen = self.current.load(Acquire);
            // SAFETY: a non-null pointer here came from `Box::into_raw` below and is never
            // freed once published (stale values are leaked), so it is valid for 'static.
            if let Some(value) = unsafe { seen.as_ref() } {
                if value.0 == generation {
                    return &value.1;
                }
            }
            let fresh = Box::into_raw(Box::new((generation, (self.make)())));
            match self.current.compare_exchange(seen, fresh, AcqRel, Acquire) {
                // SAFETY: just published; never freed (see above).
                Ok(_) => return &unsafe { &*fresh }.1,
                Err(_) => {
                    // SAFETY: `fresh` was never published: we still own it alone.
                    drop(unsafe { Box::from_raw(fresh) });
                }
            }
        }
    }
}
