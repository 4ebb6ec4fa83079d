"""lxns's typed errors as exceptions: ``lxns.Error`` (an ``OSError``) and one subclass per
reason, each also the built-in exception Python code already catches for it."""

from __future__ import annotations


class Error(OSError):
    """An lxns error: ``errno`` is the kernel's (None when no system call failed); the
    message's first line names the operation, the namespace kind and the target, the second
    (when there is one) says what to do. Also: ``op``, ``kind``, ``target``, ``reason``,
    ``hint``."""

    op: str
    kind: "str | None"
    target: str
    reason: str
    hint: "str | None"


class NotFoundError(Error, FileNotFoundError):
    """The path, process or namespace does not exist (ENOENT)."""


class NotNamespaceError(Error):
    """The file is not a namespace (not on nsfs)."""


class WrongKindError(Error, ValueError):
    """The namespace is of another kind than the one asked for."""


class ProcessGoneError(Error, ProcessLookupError):
    """The process exited (ESRCH)."""


class PermissionDeniedError(Error, PermissionError):
    """The kernel refused (EPERM/EACCES): a missing capability over the owning user
    namespace."""


class MultiThreadedError(Error):
    """A user namespace was refused because the process has several threads."""


class LimitReachedError(Error):
    """A namespace limit (/proc/sys/user/max_*_namespaces) was reached (ENOSPC)."""


class UnsupportedError(Error):
    """The running kernel lacks what was asked for."""


class InvalidArgumentError(Error, ValueError):
    """Input lxns or the kernel refused (EINVAL)."""


class AlreadyExistsError(Error, FileExistsError):
    """The name exists already (EEXIST)."""


class BusyError(Error):
    """The target is busy (EBUSY)."""


_BY_REASON = {
    "NotFound": NotFoundError,
    "NotNamespace": NotNamespaceError,
    "WrongKind": WrongKindError,
    "ProcessGone": ProcessGoneError,
    "PermissionDenied": PermissionDeniedError,
    "MultiThreaded": MultiThreadedError,
    "LimitReached": LimitReachedError,
    "Unsupported": UnsupportedError,
    "InvalidArgument": InvalidArgumentError,
    "AlreadyExists": AlreadyExistsError,
    "Busy": BusyError,
    "Os": Error,
}
