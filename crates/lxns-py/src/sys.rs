//! The only `unsafe` of the Python bindings: system calls on raw integer fds, as Python code
//! hands them over (python-lxns's `lxns.os` takes and returns plain ints), and borrowing an
//! fd that a Python object owns.
//!
//! rustix takes `BorrowedFd`s, which promise an open descriptor; a Python caller's int
//! promises nothing (it may be closed, or -1, or `AT_FDCWD`), and the kernel's answer to a
//! bad one (`EBADF`) is what python-lxns users get. These wrappers therefore pass the ints
//! to the kernel as they are, through `libc::syscall`/`libc::ioctl`, which read no memory of
//! ours beyond the NUL-terminated paths given.

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// `-1` and errno, as the C library returns them, into `Err(errno)`.
fn check(ret: libc::c_long) -> Result<libc::c_long, i32> {
    if ret == -1 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(ret)
    }
}

fn int(ret: libc::c_long) -> i32 {
    i32::try_from(ret).unwrap_or(i32::MAX)
}

/// `unshare(2)` with any flags (python-lxns passes them through; `CLONE_FILES`/`CLONE_FS`
/// change only the kernel's tables, never memory of ours).
pub fn unshare(flags: i32) -> Result<(), i32> {
    // SAFETY: unshare takes one integer and touches no user memory.
    check(libc::c_long::from(unsafe { libc::unshare(flags) })).map(drop)
}

/// `setns(2)` on a raw fd and nstype.
pub fn setns(fd: RawFd, nstype: i32) -> Result<(), i32> {
    // SAFETY: setns takes two integers and touches no user memory.
    check(libc::c_long::from(unsafe { libc::setns(fd, nstype) })).map(drop)
}

/// An `ioctl_ns(2)` request that takes no argument (`NS_GET_USERNS`, `NS_GET_PARENT`,
/// `NS_GET_NSTYPE`): its integer result.
pub fn ns_ioctl(fd: RawFd, request: libc::c_ulong) -> Result<i32, i32> {
    // SAFETY: these requests take no argument (a zero is passed and never dereferenced).
    check(libc::c_long::from(unsafe { libc::ioctl(fd, request, 0) })).map(int)
}

/// `ioctl(fd, NS_GET_OWNER_UID, &uid)`.
pub fn ns_get_owner_uid(fd: RawFd) -> Result<u32, i32> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: NS_GET_OWNER_UID writes one uid_t through the pointer, which points to `uid`.
    check(libc::c_long::from(unsafe {
        libc::ioctl(fd, NS_GET_OWNER_UID, &raw mut uid)
    }))?;
    Ok(uid)
}

pub const NS_GET_USERNS: libc::c_ulong = 0xb701;
pub const NS_GET_PARENT: libc::c_ulong = 0xb702;
pub const NS_GET_NSTYPE: libc::c_ulong = 0xb703;
pub const NS_GET_OWNER_UID: libc::c_ulong = 0xb704;

/// `open_tree(2)`: the new fd.
pub fn open_tree(dirfd: RawFd, path: &CStr, flags: u32) -> Result<i32, i32> {
    // SAFETY: `path` is NUL-terminated and outlives the call; the kernel only reads it.
    check(unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            dirfd,
            path.as_ptr(),
            libc::c_uint::from(flags),
        )
    })
    .map(int)
}

/// `move_mount(2)`.
pub fn move_mount(
    from_dirfd: RawFd,
    from_path: &CStr,
    to_dirfd: RawFd,
    to_path: &CStr,
    flags: u32,
) -> Result<(), i32> {
    // SAFETY: both paths are NUL-terminated and outlive the call; the kernel only reads them.
    check(unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            from_dirfd,
            from_path.as_ptr(),
            to_dirfd,
            to_path.as_ptr(),
            libc::c_uint::from(flags),
        )
    })
    .map(drop)
}

/// Closes a raw fd that the calling Python object owns.
pub fn close(fd: RawFd) {
    // SAFETY: only called by the object that owns `fd` (it was opened for it or handed over
    // with closefd=True), once: the object forgets the number before calling.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
}

/// Borrows an fd that a live Python object owns, for the duration of one call made with
/// the GIL held (so the object cannot close it meanwhile). A negative fd is `None`.
pub fn borrow<'a>(fd: RawFd) -> Option<BorrowedFd<'a>> {
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is non-negative and open: the caller holds the GIL and the object that
    // owns the fd (and only closes it with the GIL held) for as long as the borrow lives.
    Some(unsafe { BorrowedFd::borrow_raw(fd) })
}
