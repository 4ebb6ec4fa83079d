//! python-lxns's `lxns.mount.ClonedTree`, over lxns's mount module (`lxns::mount::Tree`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Mutex;

use crate::errors::os_error;

/// A clone of the mount tree at a path (open_tree(2) with OPEN_TREE_CLONE), to be attached
/// elsewhere with `mount(path)` (move_mount(2)): a bind mount made in two steps, so that the
/// second can happen after entering another mount namespace.
#[pyclass(module = "lxns.mount")]
pub struct ClonedTree {
    tree: Mutex<Option<lxns::mount::Tree>>,
    original_path: String,
}

fn errno_of(e: &lxns::Error) -> PyErr {
    os_error(e.raw_os_error().unwrap_or(libc::EINVAL))
}

#[pymethods]
impl ClonedTree {
    /// Clones the tree at `path` (str or os.PathLike). Needs CAP_SYS_ADMIN over the current
    /// mount namespace; OSError with the kernel's errno otherwise.
    #[new]
    fn new(path: std::path::PathBuf) -> PyResult<Self> {
        let tree = lxns::mount::Tree::clone_of(&path, false).map_err(|e| errno_of(&e))?;
        Ok(ClonedTree {
            tree: Mutex::new(Some(tree)),
            original_path: path.display().to_string(),
        })
    }

    /// Attaches the clone at `path` (move_mount(2)). ValueError once closed.
    fn mount(&self, path: std::path::PathBuf) -> PyResult<()> {
        let guard = self
            .tree
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let tree = guard
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("Tree is already closed."))?;
        tree.attach(&path).map_err(|e| errno_of(&e))
    }

    /// Closes the tree's fd; later calls do nothing.
    fn close(&self) {
        if let Ok(mut g) = self.tree.lock() {
            g.take();
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

    fn __repr__(&self) -> String {
        let closed = self.tree.lock().map(|g| g.is_none()).unwrap_or(true);
        format!(
            "<ClonedTree{} original_path={}>",
            if closed { " closed" } else { "" },
            self.original_path
        )
    }
}

impl Drop for ClonedTree {
    fn drop(&mut self) {
        let open = self
            .tree
            .get_mut()
            .map(|t| t.take().is_some())
            .unwrap_or(false);
        if open {
            crate::errors::resource_warning(format!(
                "unclosed tree <ClonedTree original_path={}>",
                self.original_path
            ));
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ClonedTree>()
}
