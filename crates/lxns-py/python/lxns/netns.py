"""Named network namespaces, shared with iproute2's ``ip netns`` (``/run/netns``).

``Registry()`` is ``/run/netns``; ``Registry(dir)`` another directory. Names are checked as
iproute2 checks them; ``add`` never replaces an existing name; nothing here breaks a
concurrent ``ip netns``.
"""

from __future__ import annotations

from ._native import Registry

__all__ = ("Registry",)
