"""python-lxns's ``lxns.mount``: bind mounts through the new mount API (open_tree(2) and
move_mount(2)), backed by lxns's mount module (``lxns::mount::Tree``)."""

from __future__ import annotations

from ._native import ClonedTree

__all__ = ("ClonedTree",)
