"""The enter/return loop of bench/loops.sh in Python: python-lxns (PyPI ``lxns`` 0.1.0,
``lxns.namespaces``) or this repository's lxns-rs (whichever the venv has as ``lxns``), and
CPython's own ``os.setns`` (3.12+; PY_LOOP_CPYTHON=0 leaves it out).

    python py_loop.py PID ITERS REPS

prints ``ITER <variant> <ns per iteration>`` once per repetition and variant (the contract of
every loop program in bench/). A library that is missing is reported on stderr and its
variants are left out.
"""

import os
import sys
import time


def inode(path):
    return os.stat(path).st_ino


def timed(variant, iters, reps, body):
    for _ in range(reps):
        start = time.perf_counter_ns()
        for _ in range(iters):
            body()
        print(f"ITER {variant} {(time.perf_counter_ns() - start) / iters:.1f}", flush=True)


def python_lxns(pid, target, iters, reps):
    try:
        import lxns
        from lxns.namespaces import NetworkNamespace
    except ImportError as e:
        print(f"py_loop: lxns.namespaces not importable ({e}): its variants are left out", file=sys.stderr)
        return
    # Both python-lxns and this repository's package (lxns-rs, crates/lxns-py) are imported
    # as `lxns`; the venv decides which one runs. lxns-rs has lxns.run.
    impl = "lxns-rs" if hasattr(lxns, "run") else "lxns"
    home = NetworkNamespace.from_self()
    probe = NetworkNamespace.from_pid(pid)
    probe.setns()
    if inode("/proc/thread-self/ns/net") != inode(target):
        sys.exit("py_loop: NetworkNamespace.setns did not switch")
    home.setns()
    probe.close()

    def open_enter_return_close():
        ns = NetworkNamespace.from_pid(pid)
        ns.setns()
        home.setns()
        ns.close()

    timed(f"{impl} from_pid-setns-back-close", iters, reps, open_enter_return_close)
    kept = NetworkNamespace.from_pid(pid)

    def enter_return():
        kept.setns()
        home.setns()

    timed(f"{impl} setns-pair(pre-opened)", iters, reps, enter_return)
    kept.close()
    home.close()


def cpython(target, iters, reps):
    if not hasattr(os, "setns"):
        print(f"py_loop: Python {sys.version.split()[0]} has no os.setns (3.12+): its variants are left out",
              file=sys.stderr)
        return
    flags = os.O_RDONLY | os.O_CLOEXEC
    home = os.open("/proc/thread-self/ns/net", flags)

    def open_enter_return_close():
        fd = os.open(target, flags)
        os.setns(fd, os.CLONE_NEWNET)
        os.setns(home, os.CLONE_NEWNET)
        os.close(fd)

    timed("os.setns open-setns-back-close", iters, reps, open_enter_return_close)
    kept = os.open(target, flags)

    def enter_return():
        os.setns(kept, os.CLONE_NEWNET)
        os.setns(home, os.CLONE_NEWNET)

    timed("os.setns setns-pair(pre-opened)", iters, reps, enter_return)
    os.close(kept)
    os.close(home)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: py_loop.py PID ITERS REPS")
    pid, iters, reps = (int(a) for a in sys.argv[1:])
    target = f"/proc/{pid}/ns/net"
    if inode(target) == inode("/proc/self/ns/net"):
        sys.exit(f"py_loop: pid {pid} is in our network namespace")
    python_lxns(pid, target, iters, reps)
    if os.environ.get("PY_LOOP_CPYTHON", "1") == "1":
        cpython(target, iters, reps)
    if inode("/proc/thread-self/ns/net") != inode("/proc/self/ns/net"):
        sys.exit("py_loop: the thread did not end in its own network namespace")


main()
