//! The system's view: listing every namespace (`lxns.list`, the data of `lxns ls -J`) and
//! the `/run/netns` registry shared with `ip netns` (`lxns.netns.Registry`).

use std::os::unix::ffi::OsStrExt;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::errors::lxns_error;

fn text(py: Python<'_>, bytes: &[u8]) -> Py<PyAny> {
    // Kernel bytes as str where they are UTF-8 (lsns's JSON), else as bytes.
    match std::str::from_utf8(bytes) {
        Ok(s) => s
            .into_pyobject(py)
            .map(|o| o.into_any().unbind())
            .unwrap_or_else(|_| py.None()),
        Err(_) => PyBytes::new(py, bytes).into_any().unbind(),
    }
}

/// list_namespaces(kinds=None, pid=None, threads=False) -> a list of dicts, one per
/// namespace, sorted by inode: ns, type, path, nprocs, pid, ppid, uid, command, netnsid,
/// nsfs, owner, parent (the user name is added by `lxns.list`).
#[pyfunction]
#[pyo3(signature = (kinds = None, pid = None, threads = false))]
fn list_namespaces<'py>(
    py: Python<'py>,
    kinds: Option<Vec<String>>,
    pid: Option<i32>,
    threads: bool,
) -> PyResult<Bound<'py, PyList>> {
    let mut opts = lxns::ListOptions::new()
        .threads(threads)
        .ppid(true)
        .hierarchy(true)
        .netnsid(true);
    if let Some(kinds) = kinds {
        let mut set = lxns::KindSet::default();
        for k in kinds {
            set.insert(
                k.parse()
                    .map_err(|e: lxns::Error| PyValueError::new_err(e.to_string()))?,
            );
        }
        opts = opts.kinds(set);
    }
    if let Some(pid) = pid {
        opts = opts.pid(pid);
    }
    let listing = py
        .detach(|| lxns::list(&opts))
        .map_err(|e| lxns_error(py, &e))?;
    let out = PyList::empty(py);
    for n in &listing.namespaces {
        let d = PyDict::new(py);
        d.set_item("ns", n.id.ino())?;
        d.set_item("type", n.id.kind().proc_name())?;
        d.set_item("path", n.path().map(|p| text(py, p.as_os_str().as_bytes())))?;
        d.set_item("nprocs", n.nprocs)?;
        d.set_item("pid", n.pid)?;
        d.set_item("ppid", n.ppid)?;
        d.set_item("uid", n.uid)?;
        d.set_item(
            "command",
            n.command.as_ref().map(|c| text(py, c.as_bytes())),
        )?;
        let netnsid = match n.netnsid {
            Some(lxns::NetNsId::Assigned(id)) => Some(i64::from(id)),
            _ => None,
        };
        d.set_item("netnsid", netnsid)?;
        let nsfs: Vec<Py<PyAny>> = n
            .nsfs
            .iter()
            .map(|p| text(py, p.as_os_str().as_bytes()))
            .collect();
        d.set_item("nsfs", nsfs)?;
        d.set_item("owner", n.owner)?;
        d.set_item("parent", n.parent)?;
        out.append(d)?;
    }
    Ok(out)
}

fn name_arg(obj: &Bound<'_, PyAny>) -> PyResult<std::ffi::OsString> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(std::ffi::OsStr::from_bytes(b.as_bytes()).to_owned());
    }
    obj.extract()
}

/// The named network namespaces of `ip netns` (`/run/netns`, or another directory).
#[pyclass(module = "lxns.netns", frozen)]
pub struct Registry {
    inner: lxns::netns::Registry,
}

fn network<'py>(py: Python<'py>, ns: lxns::Namespace) -> PyResult<Bound<'py, PyAny>> {
    use std::os::fd::IntoRawFd;
    let fd = ns.into_fd().into_raw_fd();
    let class = py.get_type::<crate::namespaces::NetworkNamespace>();
    let made = class.call1((fd,));
    if made.is_err() {
        crate::sys::close(fd);
    }
    made
}

#[pymethods]
impl Registry {
    /// `Registry()` is iproute2's `/run/netns`; `Registry(dir)` another directory.
    #[new]
    #[pyo3(signature = (dir = None))]
    fn new(dir: Option<std::path::PathBuf>) -> Self {
        Registry {
            inner: dir.map_or_else(lxns::netns::Registry::new, lxns::netns::Registry::at),
        }
    }

    /// The registry's directory.
    #[getter]
    fn dir(&self) -> std::path::PathBuf {
        self.inner.dir().to_path_buf()
    }

    /// `ip netns add NAME`: a new network namespace, persisted; returns it (close it).
    fn add<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let name = name_arg(name)?;
        let ns = py
            .detach(|| self.inner.add(&name))
            .map_err(|e| lxns_error(py, &e))?;
        network(py, ns)
    }

    /// `ip netns attach NAME PID`.
    fn attach(&self, py: Python<'_>, name: &Bound<'_, PyAny>, pid: i32) -> PyResult<()> {
        let name = name_arg(name)?;
        py.detach(|| self.inner.attach(&name, pid))
            .map_err(|e| lxns_error(py, &e))
    }

    /// Opens the named namespace as a NetworkNamespace.
    fn open<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let name = name_arg(name)?;
        let ns = self.inner.open(&name).map_err(|e| lxns_error(py, &e))?;
        network(py, ns)
    }

    /// `ip netns delete NAME`.
    fn delete(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = name_arg(name)?;
        py.detach(|| self.inner.delete(&name))
            .map_err(|e| lxns_error(py, &e))
    }

    /// Unmounts the registry directory's own mount (made by the first `add`, as iproute2
    /// makes it), when no name is left in it; whether it did.
    fn unmount_dir(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.unmount_dir().map_err(|e| lxns_error(py, &e))
    }

    /// `ip netns list`: the names (str, or bytes for a name that is not UTF-8).
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        let entries = self.inner.list().map_err(|e| lxns_error(py, &e))?;
        Ok(entries
            .iter()
            .map(|e| text(py, e.name.as_bytes()))
            .collect())
    }

    /// The path of NAME in the registry (checked as iproute2 checks names).
    fn path(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
        let name = name_arg(name)?;
        self.inner.path(&name).map_err(|e| lxns_error(py, &e))
    }

    /// `ip netns pids NAME`.
    fn pids(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Vec<i32>> {
        let name = name_arg(name)?;
        py.detach(|| self.inner.pids(&name))
            .map_err(|e| lxns_error(py, &e))
    }

    /// `ip netns identify PID`: the names of PID's network namespace.
    fn identify(&self, py: Python<'_>, pid: i32) -> PyResult<Vec<Py<PyAny>>> {
        let names = py
            .detach(|| self.inner.identify(pid))
            .map_err(|e| lxns_error(py, &e))?;
        Ok(names.iter().map(|n| text(py, n.as_bytes())).collect())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(list_namespaces, m)?)?;
    m.add_class::<Registry>()
}
