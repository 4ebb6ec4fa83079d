//! python-lxns's `lxns.namespaces` classes, natively: `BaseNamespace` and its eight
//! subclasses, with python-lxns's methods, exceptions and errnos.

use std::os::fd::{IntoRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

use crate::errors::{os_error, os_error_path};
use crate::sys;

/// A reference to a namespace by file descriptor (python-lxns's `BaseNamespace`). Not used
/// directly: its subclasses name the kind. `NAMESPACE_CONSTANT` is the kind's `CLONE_NEW*`
/// flag, `NAMESPACE_PROC_NAME` its name under `/proc/PID/ns`.
#[pyclass(subclass, frozen, module = "lxns.namespaces")]
pub struct BaseNamespace {
    /// -1 once closed.
    fd: AtomicI32,
    closefd: bool,
    nstype: i32,
    class: &'static str,
}

fn class_info(cls: &Bound<'_, PyType>) -> PyResult<(i32, String)> {
    let nstype: i32 = cls.getattr("NAMESPACE_CONSTANT")?.extract()?;
    let name: String = cls.getattr("NAMESPACE_PROC_NAME")?.extract()?;
    Ok((nstype, name))
}

fn class_name(nstype: i32) -> &'static str {
    match nstype {
        libc::CLONE_NEWCGROUP => "CgroupNamespace",
        libc::CLONE_NEWIPC => "IpcNamespace",
        libc::CLONE_NEWNET => "NetworkNamespace",
        libc::CLONE_NEWNS => "MountNamespace",
        libc::CLONE_NEWPID => "PidNamespace",
        libc::CLONE_NEWTIME => "TimeNamespace",
        libc::CLONE_NEWUSER => "UserNamespace",
        libc::CLONE_NEWUTS => "UtsNamespace",
        _ => "BaseNamespace",
    }
}

/// The check of python-lxns's `__init__`: the fd's `NS_GET_NSTYPE` must be `nstype`.
/// Only an fd on nsfs is asked (a device could act on the request): anything else fails
/// as the kernel fails a regular file, with `ENOTTY`; a closed fd with `EBADF`.
fn validate(fd: RawFd, nstype: i32, class: &str) -> PyResult<()> {
    let Some(borrowed) = sys::borrow(fd) else {
        return Err(os_error(libc::EBADF));
    };
    let found = match lxns::Namespace::identify_fd(borrowed) {
        Ok(id) => id.kind().clone_flag() as i32,
        Err(e) => return Err(os_error(e.raw_os_error().unwrap_or(libc::ENOTTY))),
    };
    if found != nstype {
        return Err(PyValueError::new_err(format!(
            "File descriptor {fd} does not reference the {class} namespace."
        )));
    }
    Ok(())
}

impl BaseNamespace {
    fn make(fd: RawFd, closefd: bool, nstype: i32) -> BaseNamespace {
        let class = class_name(nstype);
        BaseNamespace {
            fd: AtomicI32::new(fd),
            closefd,
            nstype,
            class,
        }
    }

    /// The open fd, or python-lxns's `ValueError` with `message`.
    pub fn raw(&self, message: &str) -> PyResult<RawFd> {
        let fd = self.fd.load(Ordering::Relaxed);
        if fd < 0 {
            Err(PyValueError::new_err(message.to_owned()))
        } else {
            Ok(fd)
        }
    }

    /// An lxns handle of its own (a duplicate) on this namespace.
    pub fn to_namespace(&self, py: Python<'_>) -> PyResult<lxns::Namespace> {
        let fd = self.raw("Namespace file descriptor is already closed.")?;
        let borrowed = sys::borrow(fd).ok_or_else(|| os_error(libc::EBADF))?;
        lxns::Namespace::from_borrowed_fd(borrowed, None).map_err(crate::errors::to_py(py))
    }

    fn open_from_pid(pid: &Bound<'_, PyAny>, proc_name: &str) -> PyResult<RawFd> {
        let pid: String = if let Ok(s) = pid.cast::<PyString>() {
            s.extract::<String>()?
        } else {
            let n: i64 = pid.extract()?;
            n.to_string()
        };
        let path = format!("/proc/{pid}/ns/{proc_name}");
        match rustix::fs::open(
            path.as_str(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        ) {
            Ok(fd) => Ok(fd.into_raw_fd()),
            Err(e) => Err(os_error_path(e.raw_os_error(), path)),
        }
    }
}

fn construct<'py>(
    cls: &Bound<'py, PyType>,
    fd: RawFd,
    closefd: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    macro_rules! exact {
        ($($t:ident),*) => {
            $(if cls.is(py.get_type::<$t>()) {
                validate(fd, $t::FLAG, stringify!($t))?;
                let init = PyClassInitializer::from(BaseNamespace::make(fd, closefd, $t::FLAG))
                    .add_subclass($t);
                return Ok(Bound::new(py, init)?.into_any());
            })*
        };
    }
    exact!(
        UserNamespace,
        MountNamespace,
        NetworkNamespace,
        IpcNamespace,
        CgroupNamespace,
        PidNamespace,
        TimeNamespace,
        UtsNamespace
    );
    cls.call1((fd,))
}

#[pymethods]
impl BaseNamespace {
    #[classattr]
    const NAMESPACE_CONSTANT: i32 = -1;
    #[classattr]
    const NAMESPACE_PROC_NAME: &'static str = "\0";

    /// Wraps an existing namespace fd. `closefd=False` leaves it open on close.
    ///
    /// Raises ValueError when the fd refers to another kind of namespace, OSError (ENOTTY)
    /// when it is no namespace, OSError (EBADF) when it is not open.
    #[new]
    #[classmethod]
    #[pyo3(signature = (fd, closefd = true))]
    fn __new__(cls: &Bound<'_, PyType>, fd: RawFd, closefd: bool) -> PyResult<Self> {
        let (nstype, _) = class_info(cls)?;
        let name = cls.name()?.to_string();
        validate(fd, nstype, &name)?;
        Ok(BaseNamespace::make(fd, closefd, nstype))
    }

    /// The namespace's file descriptor. Raises ValueError once closed.
    fn fileno(&self) -> PyResult<RawFd> {
        self.raw("Namespace file descriptor is already closed.")
    }

    /// Moves the calling thread into the namespace (setns(2)). Raises OSError with the
    /// kernel's errno.
    fn setns(&self) -> PyResult<()> {
        let fd = self.raw("Trying switch to closed namespace.")?;
        sys::setns(fd, self.nstype).map_err(os_error)
    }

    /// The user namespace that owns this one (NS_GET_USERNS), as a new UserNamespace.
    fn get_user_namespace<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fd = self.raw("Namespace closed. Cannot get user namespace.")?;
        let user = sys::ns_ioctl(fd, sys::NS_GET_USERNS).map_err(os_error)?;
        let made = construct(&py.get_type::<UserNamespace>(), user, true);
        if made.is_err() {
            sys::close(user);
        }
        made
    }

    /// Closes the fd (when owned). Later calls do nothing.
    fn close(&self) {
        let fd = self.fd.swap(-1, Ordering::Relaxed);
        if fd >= 0 && self.closefd {
            sys::close(fd);
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args, **_kwargs))]
    fn __exit__(
        &self,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) {
        self.close();
    }

    /// Opens `/proc/PID/ns/NAME` (`pid` an int or "self").
    #[classmethod]
    fn from_pid<'py>(
        cls: &Bound<'py, PyType>,
        pid: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (_, name) = class_info(cls)?;
        let fd = Self::open_from_pid(pid, &name)?;
        let made = construct(cls, fd, true);
        if made.is_err() {
            sys::close(fd);
        }
        made
    }

    /// The caller's current namespace of this kind.
    #[classmethod]
    fn from_self<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
        let me = PyString::new(cls.py(), "self");
        Self::from_pid(cls, me.as_any())
    }

    /// The inode of the caller's current namespace of this kind (without opening it).
    #[classmethod]
    fn get_current_ns_id(cls: &Bound<'_, PyType>) -> PyResult<u64> {
        let (_, name) = class_info(cls)?;
        let path = format!("/proc/self/ns/{name}");
        rustix::fs::stat(path.as_str())
            .map(|st| st.st_ino)
            .map_err(|e| os_error_path(e.raw_os_error(), path))
    }

    /// Creates and enters a new namespace of this kind (unshare(2)).
    #[classmethod]
    fn unshare(cls: &Bound<'_, PyType>) -> PyResult<()> {
        let (nstype, _) = class_info(cls)?;
        sys::unshare(nstype).map_err(os_error)
    }

    /// The namespace's inode number. Raises ValueError once closed.
    #[getter]
    fn ns_id(&self) -> PyResult<u64> {
        let fd = self.raw("Namespace already closed")?;
        let borrowed = sys::borrow(fd).ok_or_else(|| os_error(libc::EBADF))?;
        rustix::fs::fstat(borrowed)
            .map(|st| st.st_ino)
            .map_err(|e| os_error(e.raw_os_error()))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?.to_string();
        let id = match slf.get().ns_id() {
            Ok(id) => id.to_string(),
            Err(_) => "closed".into(),
        };
        Ok(format!("<{name} id={id}>"))
    }

    /// `/proc/sys/user/max_NAME_namespaces`.
    #[classmethod]
    fn get_current_limit(cls: &Bound<'_, PyType>) -> PyResult<u64> {
        let (_, name) = class_info(cls)?;
        let path = format!("/proc/sys/user/max_{name}_namespaces");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| os_error_path(e.raw_os_error().unwrap_or(libc::EIO), path.clone()))?;
        text.trim()
            .parse()
            .map_err(|_| PyValueError::new_err(format!("{path}: not a number: {text:?}")))
    }

    /// Writes `/proc/sys/user/max_NAME_namespaces`.
    #[classmethod]
    fn set_current_limit(cls: &Bound<'_, PyType>, new_limit: i64) -> PyResult<()> {
        let (_, name) = class_info(cls)?;
        let path = format!("/proc/sys/user/max_{name}_namespaces");
        std::fs::write(&path, new_limit.to_string())
            .map_err(|e| os_error_path(e.raw_os_error().unwrap_or(libc::EIO), path))
    }
}

impl Drop for BaseNamespace {
    fn drop(&mut self) {
        let fd = *self.fd.get_mut();
        if fd >= 0 && self.closefd {
            // python-lxns's __del__: warn, then close.
            let id = sys::borrow(fd)
                .and_then(|b| rustix::fs::fstat(b).ok())
                .map_or_else(|| "closed".to_owned(), |st| st.st_ino.to_string());
            crate::errors::resource_warning(format!("unclosed namespace <{} id={id}>", self.class));
            sys::close(fd);
        }
    }
}

macro_rules! kind_class {
    ($name:ident, $flag:expr, $proc:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(extends = BaseNamespace, subclass, frozen, module = "lxns.namespaces")]
        pub struct $name;

        impl $name {
            pub const FLAG: i32 = $flag;
        }

        #[pymethods]
        impl $name {
            #[classattr]
            const NAMESPACE_CONSTANT: i32 = $flag;
            #[classattr]
            const NAMESPACE_PROC_NAME: &'static str = $proc;

            #[new]
            #[classmethod]
            #[pyo3(signature = (fd, closefd = true))]
            fn __new__(
                cls: &Bound<'_, PyType>,
                fd: RawFd,
                closefd: bool,
            ) -> PyResult<PyClassInitializer<Self>> {
                let name = cls.name()?.to_string();
                validate(fd, $flag, &name)?;
                Ok(
                    PyClassInitializer::from(BaseNamespace::make(fd, closefd, $flag))
                        .add_subclass($name),
                )
            }
        }
    };
}

kind_class!(
    CgroupNamespace,
    libc::CLONE_NEWCGROUP,
    "cgroup",
    "Cgroups namespace."
);
kind_class!(IpcNamespace, libc::CLONE_NEWIPC, "ipc", "IPC namespace.");
kind_class!(
    NetworkNamespace,
    libc::CLONE_NEWNET,
    "net",
    "Network namespace."
);
kind_class!(MountNamespace, libc::CLONE_NEWNS, "mnt", "Mount namespace.");
kind_class!(PidNamespace, libc::CLONE_NEWPID, "pid", "PID namespace.");
kind_class!(
    TimeNamespace,
    libc::CLONE_NEWTIME,
    "time",
    "Time namespace."
);
kind_class!(
    UserNamespace,
    libc::CLONE_NEWUSER,
    "user",
    "User namespace."
);
kind_class!(
    UtsNamespace,
    libc::CLONE_NEWUTS,
    "uts",
    "UTS namespace.\n\nProvides isolation of system identifiers: hostname and NIS domain name."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BaseNamespace>()?;
    m.add_class::<CgroupNamespace>()?;
    m.add_class::<IpcNamespace>()?;
    m.add_class::<NetworkNamespace>()?;
    m.add_class::<MountNamespace>()?;
    m.add_class::<PidNamespace>()?;
    m.add_class::<TimeNamespace>()?;
    m.add_class::<UserNamespace>()?;
    m.add_class::<UtsNamespace>()?;
    Ok(())
}
