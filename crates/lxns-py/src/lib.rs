//! The native half of the `lxns` Python package (`lxns._native`); the Python half, in
//! `python/lxns/`, arranges it into python-lxns's modules and adds the Pythonic layers.
//!
//! | file | what |
//! |---|---|
//! | `sys.rs` | the only `unsafe`: system calls on raw int fds |
//! | `errors.rs` | python-lxns's `OSError`s; lxns's typed errors as `lxns.Error` subclasses |
//! | `namespaces.rs` | `BaseNamespace` and the eight kind classes |
//! | `os.rs` | python-lxns's `lxns.os` functions and constants |
//! | `mount.rs` | `ClonedTree`, over `lxns::mount` |
//! | `run.rs` | `run`, `run_scoped`, `Worker`: callables inside namespaces |
//! | `command.rs` | `spawn` and `Child`: processes in new and existing namespaces |
//! | `system.rs` | `list_namespaces`, the `/run/netns` `Registry` |

use pyo3::prelude::*;

mod command;
mod errors;
mod mount;
mod namespaces;
mod os;
mod run;
mod sys;
mod system;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    namespaces::register(m)?;
    os::register(m)?;
    mount::register(m)?;
    run::register(m)?;
    command::register(m)?;
    system::register(m)?;
    Ok(())
}
