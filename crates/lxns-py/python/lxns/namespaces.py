"""Namespace classes: python-lxns's ``lxns.namespaces``, natively.

Each class references one namespace by a file descriptor it owns (unless ``closefd=False``).
``from_pid``/``from_self`` open ``/proc/PID/ns/NAME``; ``setns`` moves the **calling thread**
(the whole process when it has one thread); ``unshare`` creates one. Objects are context
managers; one collected while open warns with ``ResourceWarning``; after ``close`` every
method raises ``ValueError``. System call failures raise ``OSError`` with the kernel's errno,
exactly as python-lxns raises them.
"""

from __future__ import annotations

from . import os as _os
from ._native import (
    BaseNamespace,
    CgroupNamespace,
    IpcNamespace,
    MountNamespace,
    NetworkNamespace,
    PidNamespace,
    TimeNamespace,
    UserNamespace,
    UtsNamespace,
)


def unshare_namespaces(
    *,
    cgroup: bool = False,
    ipc: bool = False,
    network: bool = False,
    mount: bool = False,
    pid: bool = False,
    time: bool = False,
    user: bool = False,
    uts: bool = False,
) -> None:
    """Unshare multiple namespaces indicated by the boolean arguments (one unshare(2))."""
    flags = 0
    for wanted, flag in (
        (cgroup, _os.CLONE_NEWCGROUP),
        (ipc, _os.CLONE_NEWIPC),
        (network, _os.CLONE_NEWNET),
        (mount, _os.CLONE_NEWNS),
        (pid, _os.CLONE_NEWPID),
        (time, _os.CLONE_NEWTIME),
        (user, _os.CLONE_NEWUSER),
        (uts, _os.CLONE_NEWUTS),
    ):
        if wanted:
            flags |= flag
    _os.unshare(flags)


# python-lxns's tuple, as it is (UserNamespace twice: first, so that joining in this order
# gains the capabilities for the rest, and again before UtsNamespace).
ALL_NAMESPACE_CLASSES = (
    UserNamespace,
    CgroupNamespace,
    IpcNamespace,
    NetworkNamespace,
    MountNamespace,
    PidNamespace,
    TimeNamespace,
    UserNamespace,
    UtsNamespace,
)
"""All Namespace classes arranged in order suited for joining."""

__all__ = (
    "BaseNamespace",
    "CgroupNamespace",
    "IpcNamespace",
    "NetworkNamespace",
    "MountNamespace",
    "PidNamespace",
    "TimeNamespace",
    "UserNamespace",
    "UtsNamespace",
    "unshare_namespaces",
    "ALL_NAMESPACE_CLASSES",
)
