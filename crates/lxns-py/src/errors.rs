//! Errors: python-lxns's plain `OSError`s for the drop-in modules, and lxns's typed errors
//! (`lxns.Error` and its subclasses, `python/lxns/_errors.py`) for the rest.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The C library's text for `errno`, as `os.strerror` gives it.
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// `OSError(errno, strerror)`, which Python turns into its subclass for the errno
/// (`FileNotFoundError`, `PermissionError`, …): what `PyErr_SetFromErrno` raises in
/// python-lxns.
pub fn os_error(errno: i32) -> PyErr {
    PyOSError::new_err((errno, strerror(errno)))
}

/// As [`os_error`], with the file name (as `os.open` raises it).
pub fn os_error_path(errno: i32, path: String) -> PyErr {
    PyOSError::new_err((errno, strerror(errno), path))
}

static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

fn classes(py: Python<'_>) -> PyResult<&Bound<'_, PyDict>> {
    Ok(CLASSES
        .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            let module = py.import("lxns._errors")?;
            Ok(module
                .getattr("_BY_REASON")?
                .cast_into::<PyDict>()?
                .unbind())
        })?
        .bind(py))
}

fn reason_name(reason: &lxns::Reason) -> &'static str {
    use lxns::Reason;
    match reason {
        Reason::NotFound => "NotFound",
        Reason::NotNamespace { .. } => "NotNamespace",
        Reason::WrongKind { .. } => "WrongKind",
        Reason::ProcessGone { .. } => "ProcessGone",
        Reason::PermissionDenied { .. } => "PermissionDenied",
        Reason::MultiThreaded { .. } => "MultiThreaded",
        Reason::LimitReached { .. } => "LimitReached",
        Reason::Unsupported { .. } => "Unsupported",
        Reason::InvalidArgument { .. } => "InvalidArgument",
        Reason::AlreadyExists => "AlreadyExists",
        Reason::Busy => "Busy",
        _ => "Os",
    }
}

/// An lxns error as the exception of its reason: `OSError(errno, message)` (errno `None`
/// when no system call failed), the message being the error's line and, on a second line,
/// its hint; attributes `op`, `kind`, `target`, `reason` and `hint`.
pub fn lxns_error(py: Python<'_>, e: &lxns::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let classes = classes(py)?;
        let reason = reason_name(e.reason());
        let class = match classes.get_item(reason)? {
            Some(c) => c,
            None => classes
                .get_item("Os")?
                .ok_or_else(|| PyValueError::new_err("no Os"))?,
        };
        let mut message = e.to_string();
        let hint = e.hint();
        if let Some(h) = &hint {
            message.push('\n');
            message.push_str(h);
        }
        let exc = match e.raw_os_error() {
            Some(errno) => class.call1((errno, message))?,
            None => class.call1((message,))?,
        };
        exc.setattr("op", e.op().to_string())?;
        exc.setattr("kind", e.kind().map(|k| k.proc_name()))?;
        exc.setattr("target", e.target().to_string())?;
        exc.setattr("reason", reason)?;
        exc.setattr("hint", hint)?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|err| err)
}

/// `map_err` helper: `.map_err(to_py(py))`.
pub fn to_py(py: Python<'_>) -> impl Fn(lxns::Error) -> PyErr + '_ {
    move |e| lxns_error(py, &e)
}

/// Emits `ResourceWarning(message)` (python-lxns's `__del__` warning); a warning turned into
/// an error by the filters is reported as unraisable, as `__del__`'s would be.
pub fn resource_warning(message: String) {
    Python::attach(|py| {
        let category = py.get_type::<pyo3::exceptions::PyResourceWarning>();
        let text = std::ffi::CString::new(message).unwrap_or_default();
        if let Err(e) = PyErr::warn(py, &category, &text, 1) {
            e.write_unraisable(py, None);
        }
    });
}
