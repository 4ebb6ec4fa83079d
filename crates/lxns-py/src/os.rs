//! python-lxns's low-level `lxns.os`: the system calls on raw ints, returning raw ints, with
//! `OSError(errno)` as `PyErr_SetFromErrno` raises it.

use std::ffi::CString;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::os_error;
use crate::sys;

fn c_path(path: Option<&str>) -> PyResult<CString> {
    CString::new(path.unwrap_or("")).map_err(|_| PyValueError::new_err("embedded null byte"))
}

/// unshare(2) with any flags.
#[pyfunction]
fn unshare(flags: i32) -> PyResult<()> {
    sys::unshare(flags).map_err(os_error)
}

/// setns(2) with a raw fd and nstype.
#[pyfunction]
fn setns(fd: i32, nstype: i32) -> PyResult<()> {
    sys::setns(fd, nstype).map_err(os_error)
}

/// ioctl(fd, NS_GET_USERNS): a new fd (close-on-exec) on the owning user namespace.
#[pyfunction]
fn ns_get_userns(fd: i32) -> PyResult<i32> {
    sys::ns_ioctl(fd, sys::NS_GET_USERNS).map_err(os_error)
}

/// ioctl(fd, NS_GET_PARENT): a new fd on the parent (user and pid namespaces).
#[pyfunction]
fn ns_get_parent(fd: i32) -> PyResult<i32> {
    sys::ns_ioctl(fd, sys::NS_GET_PARENT).map_err(os_error)
}

/// ioctl(fd, NS_GET_NSTYPE): the namespace's CLONE_NEW* flag.
#[pyfunction]
fn ns_get_nstype(fd: i32) -> PyResult<i32> {
    sys::ns_ioctl(fd, sys::NS_GET_NSTYPE).map_err(os_error)
}

/// ioctl(fd, NS_GET_OWNER_UID): the uid that created a user namespace.
#[pyfunction]
fn ns_get_owner_uid(fd: i32) -> PyResult<u32> {
    sys::ns_get_owner_uid(fd).map_err(os_error)
}

/// open_tree(2): a new fd. `dirfd` defaults to AT_FDCWD, as in python-lxns's C code.
#[pyfunction]
#[pyo3(signature = (dirfd = libc::AT_FDCWD, path = None, flags = 0))]
fn open_tree(dirfd: i32, path: Option<&str>, flags: u32) -> PyResult<i32> {
    let path = c_path(path)?;
    sys::open_tree(dirfd, &path, flags).map_err(os_error)
}

/// move_mount(2).
#[pyfunction]
#[pyo3(signature = (from_dirfd = libc::AT_FDCWD, from_path = None, to_dirfd = libc::AT_FDCWD, to_path = None, flags = 0))]
fn move_mount(
    from_dirfd: i32,
    from_path: Option<&str>,
    to_dirfd: i32,
    to_path: Option<&str>,
    flags: u32,
) -> PyResult<()> {
    let from = c_path(from_path)?;
    let to = c_path(to_path)?;
    sys::move_mount(from_dirfd, &from, to_dirfd, &to, flags).map_err(os_error)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(unshare, m)?)?;
    m.add_function(wrap_pyfunction!(setns, m)?)?;
    m.add_function(wrap_pyfunction!(ns_get_userns, m)?)?;
    m.add_function(wrap_pyfunction!(ns_get_parent, m)?)?;
    m.add_function(wrap_pyfunction!(ns_get_nstype, m)?)?;
    m.add_function(wrap_pyfunction!(ns_get_owner_uid, m)?)?;
    m.add_function(wrap_pyfunction!(open_tree, m)?)?;
    m.add_function(wrap_pyfunction!(move_mount, m)?)?;
    let constants: [(&str, i64); 22] = [
        ("CLONE_FILES", libc::CLONE_FILES.into()),
        ("CLONE_FS", libc::CLONE_FS.into()),
        ("CLONE_NEWCGROUP", libc::CLONE_NEWCGROUP.into()),
        ("CLONE_NEWIPC", libc::CLONE_NEWIPC.into()),
        ("CLONE_NEWNET", libc::CLONE_NEWNET.into()),
        ("CLONE_NEWNS", libc::CLONE_NEWNS.into()),
        ("CLONE_NEWPID", libc::CLONE_NEWPID.into()),
        ("CLONE_NEWTIME", libc::CLONE_NEWTIME.into()),
        ("CLONE_NEWUSER", libc::CLONE_NEWUSER.into()),
        ("CLONE_NEWUTS", libc::CLONE_NEWUTS.into()),
        ("CLONE_SYSVSEM", libc::CLONE_SYSVSEM.into()),
        ("AT_EMPTY_PATH", libc::AT_EMPTY_PATH.into()),
        ("AT_NO_AUTOMOUNT", libc::AT_NO_AUTOMOUNT.into()),
        ("AT_SYMLINK_NOFOLLOW", libc::AT_SYMLINK_NOFOLLOW.into()),
        ("OPEN_TREE_CLOEXEC", libc::O_CLOEXEC.into()),
        ("OPEN_TREE_CLONE", 1),
        ("AT_RECURSIVE", 0x8000),
        ("MOVE_MOUNT_F_EMPTY_PATH", 0x04),
        ("MOVE_MOUNT_T_EMPTY_PATH", 0x40),
        ("MOVE_MOUNT_F_AUTOMOUNTS", 0x02),
        ("MOVE_MOUNT_F_SYMLINKS", 0x01),
        ("MOVE_MOUNT_T_SYMLINKS", 0x10),
    ];
    for (name, value) in constants {
        m.add(name, value)?;
    }
    Ok(())
}
