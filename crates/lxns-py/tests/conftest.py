"""Shared helpers: fork workers (python-lxns's ProcessPoolExecutor pattern), unprivileged
children, and namespace holders that are always reaped."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

import lxns

NOBODY = 65534


def ns_ino(kind: str, pid: "int | str" = "self") -> int:
    return os.stat(f"/proc/{pid}/ns/{kind}").st_ino


def thread_ino(kind: str) -> int:
    return os.stat(f"/proc/thread-self/ns/{kind}").st_ino


def forked(fn, *args, uid: "int | None" = None, timeout: float = 30):
    """fn(*args) in a fresh process and its value (its exception re-raised): a fork worker
    (python-lxns's ProcessPoolExecutor pattern), or with `uid` a new interpreter started as
    that user (exec makes it dumpable, as a login would: its /proc files are its own)."""
    if uid is None:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
            return ex.submit(fn, *args).result(timeout)
    here = os.path.dirname(os.path.abspath(__file__))
    # The test's interpreter may live where the user cannot reach it (pyenv's under /root):
    # then the system's python3 runs the same installed packages (the wheel is abi3).
    python = sys.executable
    if os.path.realpath(python).startswith("/root/") and os.path.exists("/usr/bin/python3"):
        python = "/usr/bin/python3"
    site = os.path.dirname(os.path.dirname(lxns.__file__))
    done = subprocess.run(
        [python, "-c", _RUNNER, here],
        env={"PYTHONPATH": site, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        input=pickle.dumps((fn.__module__, fn.__name__, args)),
        capture_output=True, timeout=timeout, user=uid, group=uid, extra_groups=[],
        cwd="/",
    )
    if done.returncode != 0:
        raise AssertionError(f"child as uid {uid} failed: {done.stderr.decode()}")
    ok, value = pickle.loads(done.stdout)
    if not ok:
        raise value
    return value


_RUNNER = """
import importlib, pickle, sys
sys.path.insert(0, sys.argv[1])
module, name, args = pickle.loads(sys.stdin.buffer.read())
try:
    result = (True, getattr(importlib.import_module(module), name)(*args))
except BaseException as e:
    result = (False, e)
sys.stdout.buffer.write(pickle.dumps(result))
"""


class Holder:
    """A `cat` in new namespaces (unshare(1) execs it), killed and reaped on exit.

    Readiness is a round trip: the line written to cat's stdin comes back on
    its stdout only once cat runs, so the process is in its final image (no
    exec left to happen) and in its namespaces when the constructor returns.
    """

    def __init__(self, *flags: str) -> None:
        self.proc = subprocess.Popen(
            ["unshare", *flags, "--", "cat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        )
        try:
            self.proc.stdin.write(b"ready\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline().decode()
        except OSError:
            line = ""
        if line != "ready\n":
            self.__exit__(None, None, None)
            raise AssertionError(f"holder unshare {flags} did not start")
        self.pid = self.proc.pid

    def __enter__(self) -> "Holder":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


@pytest.fixture
def holder():
    made = []

    def make(*flags: str) -> Holder:
        h = Holder(*flags)
        made.append(h)
        return h

    yield make
    for h in made:
        h.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def namespaces_unchanged():
    """No test may move the test process (python-lxns's own integrity check)."""
    kinds = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
    before = {k: ns_ino(k) for k in kinds}
    yield
    assert {k: ns_ino(k) for k in kinds} == before, "the test process changed namespace"


def require_root() -> None:
    # The suite runs as root (CI); as another user the root-only tests fail loudly.
    assert os.geteuid() == 0, "this test needs root (run the suite as root)"


sys.dont_write_bytecode = True
