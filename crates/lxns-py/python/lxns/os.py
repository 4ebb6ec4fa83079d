"""python-lxns's ``lxns.os``: the system calls on raw int file descriptors.

Functions return raw ints (new fds are close-on-exec; the caller closes them) and raise
``OSError`` with the kernel's errno.
"""

from __future__ import annotations

from ._native import (  # noqa: F401
    AT_EMPTY_PATH,
    AT_NO_AUTOMOUNT,
    AT_RECURSIVE,
    AT_SYMLINK_NOFOLLOW,
    CLONE_FILES,
    CLONE_FS,
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWTIME,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    CLONE_SYSVSEM,
    MOVE_MOUNT_F_AUTOMOUNTS,
    MOVE_MOUNT_F_EMPTY_PATH,
    MOVE_MOUNT_F_SYMLINKS,
    MOVE_MOUNT_T_EMPTY_PATH,
    MOVE_MOUNT_T_SYMLINKS,
    OPEN_TREE_CLOEXEC,
    OPEN_TREE_CLONE,
    move_mount,
    ns_get_nstype,
    ns_get_owner_uid,
    ns_get_parent,
    ns_get_userns,
    open_tree,
    setns,
    unshare,
)
