//! Spawning into new and existing namespaces (`lxns.Command`, whose Popen-like side is
//! Python: `python/lxns/_command.py`), over `lxns::Command`.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::ExitStatusExt;
use std::sync::Mutex;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::lxns_error;
use crate::run::namespace_of;

/// A str (filesystem encoding, surrogateescape), bytes or os.PathLike, as bytes.
fn os_arg(obj: &Bound<'_, PyAny>) -> PyResult<OsString> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(OsString::from_vec(b.as_bytes().to_vec()));
    }
    if obj.hasattr("__fspath__")? {
        return os_arg(&obj.call_method0("__fspath__")?);
    }
    obj.extract::<OsString>()
        .map_err(|_| PyTypeError::new_err("expected str, bytes or os.PathLike"))
}

/// None: inherit; DEVNULL (-3): /dev/null; an fd >= 0: a duplicate of it.
fn stdio(spec: Option<i32>, which: &str) -> PyResult<lxns::Stdio> {
    match spec {
        None => Ok(lxns::Stdio::inherit()),
        Some(-3) => Ok(lxns::Stdio::null()),
        Some(fd) if fd >= 0 => {
            let borrowed = crate::sys::borrow(fd)
                .ok_or_else(|| PyValueError::new_err(format!("{which}: bad fd {fd}")))?;
            let own: OwnedFd = rustix::io::fcntl_dupfd_cloexec(borrowed, 0)
                .map_err(|e| crate::errors::os_error(e.raw_os_error()))?;
            Ok(lxns::Stdio::from(own))
        }
        Some(other) => Err(PyValueError::new_err(format!(
            "{which}: {other} is neither None, DEVNULL nor a file descriptor"
        ))),
    }
}

fn id_map(items: &Bound<'_, PyAny>) -> PyResult<lxns::IdMap> {
    let mut text = String::new();
    for item in items.try_iter()? {
        let (inside, outside, count): (u32, u32, u32) = item?.extract()?;
        text.push_str(&format!("{inside} {outside} {count}\n"));
    }
    text.parse()
        .map_err(|e: lxns::Error| PyValueError::new_err(e.to_string()))
}

/// A process lxns started (the native side of `lxns.Popen`).
#[pyclass(module = "lxns", frozen)]
pub struct Child {
    child: Mutex<Option<lxns::Child>>,
    /// A duplicate of the child's pidfd, polled for exit without the lock.
    pidfd: OwnedFd,
    pid: i32,
}

fn returncode(status: std::process::ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| -status.signal().unwrap_or(0))
}

#[pymethods]
impl Child {
    #[getter]
    fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit status, subprocess-style (negative: killed by that signal), or None when
    /// it has not exited within `timeout` seconds (None: wait for ever). The GIL is
    /// released meanwhile.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<i32>> {
        let ms = timeout.map(|t| (t.max(0.0) * 1000.0).ceil() as i64);
        let fd = self.pidfd.as_fd();
        let ready = py.detach(|| {
            let deadline =
                ms.map(|m| std::time::Instant::now() + std::time::Duration::from_millis(m as u64));
            loop {
                let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
                let spec = left.map(|l| rustix::time::Timespec {
                    tv_sec: l.as_secs() as i64,
                    tv_nsec: i64::from(l.subsec_nanos()),
                });
                let mut fds = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::IN,
                )];
                match rustix::event::poll(&mut fds, spec.as_ref()) {
                    Ok(0) => return false,
                    Ok(_) => return true,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(_) => return true,
                }
            }
        });
        if !ready {
            return Ok(None);
        }
        self.poll(py)
    }

    /// The exit status if it has exited, else None (never blocks).
    fn poll(&self, py: Python<'_>) -> PyResult<Option<i32>> {
        let mut guard = self
            .child
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        let Some(child) = guard.as_mut() else {
            return Ok(None);
        };
        child
            .try_wait()
            .map(|s| s.map(returncode))
            .map_err(|e| lxns_error(py, &e))
    }

    /// Sends signal number `signal` (through the pidfd: never to a recycled pid).
    fn send_signal(&self, py: Python<'_>, signal: i32) -> PyResult<()> {
        let sig = lxns::parse_signal(&signal.to_string())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut guard = self
            .child
            .lock()
            .map_err(|_| PyValueError::new_err("poisoned"))?;
        match guard.as_mut() {
            Some(child) => child.signal(sig).map_err(|e| lxns_error(py, &e)),
            None => Ok(()),
        }
    }
}

/// spawn(args, **options) -> Child: `lxns.Command(...).popen()` underneath.
#[pyfunction]
#[pyo3(signature = (args, *, unshare = None, join = None, env = None, cwd = None,
    stdin = None, stdout = None, stderr = None, uid_map = None, gid_map = None,
    map_root = false, map_current_user = false, hostname = None, root = None,
    mount_proc = false, uid = None, gid = None, kill_on_parent_death = false))]
#[allow(clippy::too_many_arguments)]
fn spawn(
    py: Python<'_>,
    args: &Bound<'_, PyAny>,
    unshare: Option<&Bound<'_, PyAny>>,
    join: Option<&Bound<'_, PyAny>>,
    env: Option<&Bound<'_, PyDict>>,
    cwd: Option<&Bound<'_, PyAny>>,
    stdin: Option<i32>,
    stdout: Option<i32>,
    stderr: Option<i32>,
    uid_map: Option<&Bound<'_, PyAny>>,
    gid_map: Option<&Bound<'_, PyAny>>,
    map_root: bool,
    map_current_user: bool,
    hostname: Option<&Bound<'_, PyAny>>,
    root: Option<&Bound<'_, PyAny>>,
    mount_proc: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    kill_on_parent_death: bool,
) -> PyResult<Child> {
    let argv: Vec<OsString> =
        if args.cast::<pyo3::types::PyString>().is_ok() || args.cast::<PyBytes>().is_ok() {
            vec![os_arg(args)?]
        } else {
            args.try_iter()?
                .map(|a| os_arg(&a?))
                .collect::<PyResult<_>>()?
        };
    let Some((program, rest)) = argv.split_first() else {
        return Err(PyValueError::new_err("args is empty: no program to run"));
    };
    let mut cmd = lxns::Command::new(program);
    cmd.args(rest);
    if let Some(kinds) = unshare {
        let mut set = lxns::KindSet::default();
        for k in kinds.try_iter()? {
            let k = k?;
            let name: String = k.extract()?;
            let kind: lxns::Kind = name
                .parse()
                .map_err(|e: lxns::Error| PyValueError::new_err(e.to_string()))?;
            set.insert(kind);
        }
        cmd.unshare(set);
    }
    if let Some(list) = join {
        for item in list.try_iter()? {
            let ns = namespace_of(py, &item?)?;
            cmd.join(&ns);
        }
    }
    if let Some(env) = env {
        cmd.env_clear();
        for (k, v) in env.iter() {
            cmd.env(os_arg(&k)?, os_arg(&v)?);
        }
    }
    if let Some(dir) = cwd {
        cmd.current_dir(std::path::PathBuf::from(os_arg(dir)?));
    }
    cmd.stdin(stdio(stdin, "stdin")?);
    cmd.stdout(stdio(stdout, "stdout")?);
    cmd.stderr(stdio(stderr, "stderr")?);
    if map_root {
        cmd.map_root();
    }
    if map_current_user {
        cmd.map_current_user();
    }
    if let Some(m) = uid_map {
        cmd.uid_map(id_map(m)?);
    }
    if let Some(m) = gid_map {
        cmd.gid_map(id_map(m)?);
    }
    if let Some(h) = hostname {
        cmd.hostname(os_arg(h)?);
    }
    if let Some(r) = root {
        cmd.root(std::path::PathBuf::from(os_arg(r)?));
    }
    if mount_proc {
        cmd.mount_proc();
    }
    if let Some(u) = uid {
        cmd.uid(u);
    }
    if let Some(g) = gid {
        cmd.gid(g);
    }
    if kill_on_parent_death {
        cmd.kill_on_parent_death(lxns::Signal::KILL);
    }
    let child = py.detach(|| cmd.spawn()).map_err(|e| lxns_error(py, &e))?;
    let pidfd = rustix::io::fcntl_dupfd_cloexec(child.pidfd(), 0)
        .map_err(|e| crate::errors::os_error(e.raw_os_error()))?;
    let pid = child.pid();
    Ok(Child {
        child: Mutex::new(Some(child)),
        pidfd,
        pid,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(spawn, m)?)?;
    m.add_class::<Child>()
}
