"""lxns: Linux namespaces for Python (the ``lxns-rs`` distribution).

A drop-in for python-lxns (``lxns.namespaces``, ``lxns.os``, ``lxns.mount``), plus what it
lacks, over the lxns Rust library:

- :func:`run` / :class:`Worker`: call a function inside namespaces on a helper thread; the
  calling thread never moves; the GIL is released while waiting; ``run_async`` and
  ``Worker.run_async`` are the asyncio forms.
- :class:`Command`: spawn programs into new and existing namespaces, subprocess-style.
- :func:`list`: every namespace on the system (the data of ``lxns ls -J``).
- :mod:`lxns.netns`: the ``ip netns`` registry.
- :class:`Error` and its subclasses: lxns's typed errors, rooted at ``OSError``.
"""

from __future__ import annotations

import asyncio as _asyncio
import builtins as _builtins
import functools as _functools
import pwd as _pwd
from typing import Any, Callable, TypeVar

from . import mount, namespaces, netns, os  # noqa: F401
from ._command import DEVNULL, PIPE, STDOUT, Command, Popen  # noqa: F401
from ._errors import (  # noqa: F401
    AlreadyExistsError,
    BusyError,
    Error,
    InvalidArgumentError,
    LimitReachedError,
    MultiThreadedError,
    NotFoundError,
    NotNamespaceError,
    PermissionDeniedError,
    ProcessGoneError,
    UnsupportedError,
    WrongKindError,
)
from ._native import Worker as _NativeWorker
from ._native import drain_helpers, list_namespaces
from ._native import run as _run
from ._native import run_scoped as _run_scoped

T = TypeVar("T")


def run(func: "Callable[..., T]", *namespaces: Any, args: tuple = ()) -> T:
    """Calls ``func(*args)`` on one of lxns's helper threads inside ``namespaces`` (objects of
    :mod:`lxns.namespaces`, objects with ``fileno()``, or paths), entered in the order given;
    kinds not given are the process's. Returns its value; an exception it raises is raised
    here unchanged. User and time namespaces cannot be entered by a thread of a
    multithreaded process: use :class:`Command` for those."""
    return _run(func, *namespaces, args=tuple(args))


def run_scoped(func: "Callable[..., T]", *namespaces: Any, args: tuple = ()) -> T:
    """Like :func:`run`, on a new thread used once: for a function that changes its own
    thread's namespaces (``os.setns``, ``os.unshare``)."""
    return _run_scoped(func, *namespaces, args=tuple(args))


async def run_async(func: "Callable[..., T]", *namespaces: Any, args: tuple = ()) -> T:
    """:func:`run` for asyncio: awaits without blocking the event loop."""
    loop = _asyncio.get_running_loop()
    return await loop.run_in_executor(None, _functools.partial(run, func, *namespaces, args=args))


class Worker(_NativeWorker):
    """A thread that stays inside namespaces and runs functions there, in order:
    ``Worker(*namespaces)``; ``run(func, *args)``; ``close()`` or ``with``. In a forked
    child the worker's thread does not exist: ``run`` raises :class:`InvalidArgumentError`."""

    async def run_async(self, func: "Callable[..., T]", *args: Any) -> T:
        """:meth:`run` for asyncio."""
        loop = _asyncio.get_running_loop()
        return await loop.run_in_executor(None, _functools.partial(self.run, func, *args))


def _user(uid: "int | None") -> "str | None":
    if uid is None:
        return None
    try:
        return _pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def list(kinds: "Any" = None, pid: "int | None" = None, threads: bool = False) -> "_builtins.list[dict[str, Any]]":  # noqa: A001
    """Every namespace on the system, sorted by inode, as ``lxns ls -J`` lists them: dicts
    with its keys (``ns``, ``type``, ``nprocs``, ``pid``, ``user``, ``command``) and more
    (``path``, ``ppid``, ``uid``, ``netnsid``, ``nsfs``, ``owner``, ``parent``). ``kinds``:
    kind names to keep; ``pid``: only that process's namespaces."""
    if isinstance(kinds, str):
        kinds = [kinds]
    rows = list_namespaces(_builtins.list(kinds) if kinds is not None else None, pid, threads)
    for row in rows:
        row["user"] = _user(row["uid"])
    return rows


__all__ = [
    "AlreadyExistsError", "BusyError", "Command", "DEVNULL", "Error", "InvalidArgumentError",
    "LimitReachedError", "MultiThreadedError", "NotFoundError", "NotNamespaceError", "PIPE",
    "PermissionDeniedError", "Popen", "ProcessGoneError", "STDOUT", "UnsupportedError",
    "Worker", "WrongKindError", "drain_helpers", "list", "mount", "namespaces", "netns", "os",
    "run", "run_async", "run_scoped",
]
