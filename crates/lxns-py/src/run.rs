//! What python-lxns lacks: running a Python callable inside namespaces on one of lxns's
//! helper threads (`lxns.run`) or on a dedicated one (`lxns.Worker`), the caller's thread
//! never moving, the GIL released while it waits.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::errors::lxns_error;
use crate::namespaces::BaseNamespace;

/// An lxns handle on what Python gave: a namespace object of `lxns.namespaces`, an object
/// with `fileno()` (python-lxns's own classes, a file), or a path (str or os.PathLike).
pub fn namespace_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<lxns::Namespace> {
    if let Ok(ns) = obj.cast::<BaseNamespace>() {
        return ns.get().to_namespace(py);
    }
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let path: std::path::PathBuf = obj.extract()?;
        return lxns::Namespace::open(&path).map_err(|e| lxns_error(py, &e));
    }
    if obj.hasattr("fileno")? {
        let fd: i32 = obj.call_method0("fileno")?.extract()?;
        let borrowed = crate::sys::borrow(fd)
            .ok_or_else(|| PyValueError::new_err(format!("fileno() gave {fd}")))?;
        return lxns::Namespace::from_borrowed_fd(borrowed, None).map_err(|e| lxns_error(py, &e));
    }
    Err(PyTypeError::new_err(format!(
        "expected a namespace (lxns.namespaces object, object with fileno(), or path), got {}",
        obj.get_type().name()?
    )))
}

fn namespaces_of(py: Python<'_>, items: &Bound<'_, PyTuple>) -> PyResult<Vec<lxns::Namespace>> {
    items.iter().map(|o| namespace_of(py, &o)).collect()
}

type Outcome = PyResult<Py<PyAny>>;

fn call(func: Py<PyAny>, args: Py<PyTuple>) -> Outcome {
    Python::attach(|py| func.call1(py, args.bind(py)))
}

fn finish(py: Python<'_>, result: lxns::Result<Outcome>) -> Outcome {
    match result {
        Ok(outcome) => outcome,
        Err(e) => Err(lxns_error(py, &e)),
    }
}

fn run_on_helper(
    py: Python<'_>,
    func: Py<PyAny>,
    namespaces: &Bound<'_, PyTuple>,
    args: Option<Py<PyTuple>>,
    scoped: bool,
) -> Outcome {
    let owned = namespaces_of(py, namespaces)?;
    let args = args.unwrap_or_else(|| PyTuple::empty(py).unbind());
    let result = py.detach(move || {
        let refs: Vec<&lxns::Namespace> = owned.iter().collect();
        let job = move || call(func, args);
        if scoped {
            lxns::run_scoped(&refs, job)
        } else {
            lxns::run(&refs, job)
        }
    });
    finish(py, result)
}

/// run(func, *namespaces, args=()) -> the value of func(*args), called on an lxns helper
/// thread inside `namespaces` (entered in the order given; kinds not given are the
/// process's). The calling thread never changes namespace; the GIL is released while it
/// waits. An exception raised by func is raised here unchanged.
#[pyfunction]
#[pyo3(signature = (func, *namespaces, args = None))]
fn run(
    py: Python<'_>,
    func: Py<PyAny>,
    namespaces: &Bound<'_, PyTuple>,
    args: Option<Py<PyTuple>>,
) -> Outcome {
    run_on_helper(py, func, namespaces, args, false)
}

/// run_scoped(func, *namespaces, args=()) -> like run(), on a new thread used once: for a
/// callable that changes its thread's namespaces itself (os.setns, os.unshare).
#[pyfunction]
#[pyo3(signature = (func, *namespaces, args = None))]
fn run_scoped(
    py: Python<'_>,
    func: Py<PyAny>,
    namespaces: &Bound<'_, PyTuple>,
    args: Option<Py<PyTuple>>,
) -> Outcome {
    run_on_helper(py, func, namespaces, args, true)
}

/// drain_helpers() -> how many of lxns's idle helper threads ended (after it, a process
/// with no other threads may create a user namespace again).
#[pyfunction]
fn drain_helpers(py: Python<'_>) -> usize {
    py.detach(lxns::drain_helpers)
}

/// A thread that stays inside namespaces and runs callables there, in order
/// (`Worker(*namespaces)`). `close()` (or `with`) ends it.
#[pyclass(module = "lxns", frozen, subclass)]
pub struct Worker {
    inner: Mutex<Option<Arc<lxns::Worker>>>,
}

impl Worker {
    fn get(&self) -> PyResult<Arc<lxns::Worker>> {
        self.inner
            .lock()
            .map_err(|_| PyValueError::new_err("Worker lock poisoned"))?
            .clone()
            .ok_or_else(|| PyValueError::new_err("Worker is closed."))
    }
}

#[pymethods]
impl Worker {
    #[new]
    #[pyo3(signature = (*namespaces))]
    fn new(py: Python<'_>, namespaces: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let owned = namespaces_of(py, namespaces)?;
        let worker = py
            .detach(move || {
                let refs: Vec<&lxns::Namespace> = owned.iter().collect();
                lxns::Worker::new(&refs)
            })
            .map_err(|e| lxns_error(py, &e))?;
        Ok(Worker {
            inner: Mutex::new(Some(Arc::new(worker))),
        })
    }

    /// run(func, *args) -> func(*args), called on the worker thread.
    #[pyo3(signature = (func, *args))]
    fn run(&self, py: Python<'_>, func: Py<PyAny>, args: Py<PyTuple>) -> Outcome {
        let worker = self.get()?;
        let result = py.detach(move || worker.run(move || call(func, args)));
        finish(py, result)
    }

    /// The kernel's ids of the namespaces the worker is in ("net:[4026532304]", …).
    #[getter]
    fn namespaces(&self) -> PyResult<Vec<String>> {
        Ok(self
            .get()?
            .namespaces()
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// Whether the worker still takes work (False once closed, or in a forked child).
    #[getter]
    fn alive(&self) -> bool {
        self.get().is_ok_and(|w| w.is_alive())
    }

    /// Ends the thread and waits until the kernel released it. Later calls do nothing.
    fn close(&self, py: Python<'_>) {
        let taken = self.inner.lock().ok().and_then(|mut g| g.take());
        py.detach(move || drop(taken));
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) {
        self.close(py);
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(run_scoped, m)?)?;
    m.add_function(wrap_pyfunction!(drain_helpers, m)?)?;
    m.add_class::<Worker>()
}
