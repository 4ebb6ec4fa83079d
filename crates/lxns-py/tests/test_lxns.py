"""What python-lxns lacks: run inside namespaces from any thread, Worker, asyncio, spawning,
listing, the ip-netns registry, typed errors, fork safety."""

from __future__ import annotations

import asyncio
import errno
import json
import multiprocessing
import os
import socket
import subprocess
import tempfile
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor

import pytest

import lxns
from conftest import NOBODY, forked, ns_ino, require_root, thread_ino
from lxns import os as lxos
from lxns.namespaces import NetworkNamespace, UtsNamespace


def _new_net():
    """A new network namespace, made on a throwaway thread (the caller never moves)."""
    def make():
        lxos.unshare(lxos.CLONE_NEWNET)
        return NetworkNamespace.from_pid("thread-self")
    return lxns.run_scoped(make)


def test_run_lands_inside_and_caller_stays(holder):
    h = holder("--net", "--uts")
    with NetworkNamespace.from_pid(h.pid) as net, UtsNamespace.from_pid(h.pid) as uts:
        got = lxns.run(lambda: (thread_ino("net"), thread_ino("uts"), thread_ino("mnt")), net, uts)
    assert got == (ns_ino("net", h.pid), ns_ino("uts", h.pid), ns_ino("mnt"))
    assert thread_ino("net") == ns_ino("net")


def test_run_accepts_paths_and_args(holder):
    h = holder("--net")
    assert lxns.run(lambda a, b: (a + b, thread_ino("net")), f"/proc/{h.pid}/ns/net",
                    args=(1, 2)) == (3, ns_ino("net", h.pid))


def test_run_sees_the_namespaces_links():
    require_root()
    with _new_net() as net:
        def links():
            return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        # A child process inherits the helper thread's namespaces.
        out = lxns.run(links, net)
    assert [line.split(":")[1].strip() for line in out.splitlines()] == ["lo"]


class Marker(Exception):
    pass


def test_exception_passes_through_unchanged():
    original = Marker("from inside")
    with UtsNamespace.from_self() as uts:
        def boom():
            raise original
        with pytest.raises(Marker) as e:
            lxns.run(boom, uts)
    assert e.value is original


def test_200_threads_each_land_in_their_namespace():
    require_root()
    nets = [_new_net() for _ in range(200)]
    try:
        ids = [n.ns_id for n in nets]
        assert len(set(ids)) == 200
        home = {t: None for t in range(200)}
        results = [None] * 200
        barrier = threading.Barrier(200)

        def worker(i):
            barrier.wait()
            home[i] = thread_ino("net")
            results[i] = lxns.run(lambda: thread_ino("net"), nets[i])
            # This Python thread never moved.
            assert thread_ino("net") == home[i] == ns_ino("net")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == ids
    finally:
        for n in nets:
            n.close()


def test_worker_runs_in_order_and_closes():
    with UtsNamespace.from_self() as uts, lxns.Worker(uts) as w:
        assert w.alive
        assert w.namespaces == [f"uts:[{ns_ino('uts')}]"]
        seen = []
        for i in range(50):
            w.run(seen.append, i)
        assert seen == list(range(50))
        with pytest.raises(Marker):
            w.run(lambda: (_ for _ in ()).throw(Marker()))
        assert w.alive
    assert not w.alive
    with pytest.raises(ValueError):
        w.run(print)


def test_asyncio_forms(holder):
    h = holder("--net")

    async def main():
        with NetworkNamespace.from_pid(h.pid) as net:
            a = await lxns.run_async(thread_ino, net, args=("net",))
            with lxns.Worker(net) as w:
                b = await w.run_async(thread_ino, "net")
        return a, b

    assert asyncio.run(main()) == (ns_ino("net", h.pid),) * 2


def test_run_refuses_user_namespace_with_typed_error():
    with lxns.namespaces.UserNamespace.from_self() as user:
        with pytest.raises(lxns.Error) as e:
            lxns.run(print, user)
    assert isinstance(e.value, OSError)
    assert "user" in str(e.value)


def test_typed_errors_keep_errno_and_hint():
    with tempfile.TemporaryDirectory() as d:
        reg = lxns.netns.Registry(d)
        with pytest.raises(lxns.NotFoundError) as e:
            reg.open("missing-" + uuid.uuid4().hex[:8])
        assert isinstance(e.value, FileNotFoundError) and e.value.errno == errno.ENOENT
        assert e.value.reason == "NotFound" and e.value.target
        with tempfile.NamedTemporaryFile() as f:
            with pytest.raises(lxns.NotNamespaceError) as e:
                lxns.run(print, f.name)
            assert e.value.errno == errno.ENOTTY
        with pytest.raises(lxns.InvalidArgumentError) as e:
            reg.path("a/b")
        assert isinstance(e.value, ValueError)


def test_process_gone_is_process_lookup_error():
    with pytest.raises(lxns.Error):
        lxns.list(pid=2**22 + 3)


# --- fork -----------------------------------------------------------------------------------

def _run_in_child(pid):
    with NetworkNamespace.from_pid(pid) as net:
        return lxns.run(lambda: thread_ino("net"), net)


_INHERITED = None


def _worker_in_child():
    w = _INHERITED
    try:
        w.run(print)
    except lxns.InvalidArgumentError as e:
        return "refused", w.alive, "fork" in str(e)
    return "ran"


# Forking a process that has threads is the point here (CPython 3.12+ warns about it).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_children_get_their_own_helpers(holder):
    h = holder("--net")
    with NetworkNamespace.from_pid(h.pid) as net:
        lxns.run(thread_ino, net, args=("net",))  # the parent now has idle helpers
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
            got = [ex.submit(_run_in_child, h.pid).result(20) for _ in range(4)]
        assert got == [ns_ino("net", h.pid)] * 4
        global _INHERITED
        with lxns.Worker(net) as w:
            _INHERITED = w
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
                assert ex.submit(_worker_in_child).result(20) == ("refused", False, True)
            _INHERITED = None
            assert w.run(thread_ino, "net") == ns_ino("net", h.pid)


# --- Command ---------------------------------------------------------------------------------

def test_command_hostname_in_new_uts_and_user():
    done = lxns.Command(["hostname"], unshare=["user", "uts"], map_root=True,
                        hostname="lxns-py").run(capture_output=True, check=True)
    assert done.stdout == b"lxns-py\n" and done.returncode == 0


def test_command_pid_namespace_makes_pid_1():
    done = lxns.Command(["sh", "-c", "echo $$; id -u"], unshare=["user", "pid", "mnt"],
                        map_root=True, mount_proc=True).run(capture_output=True, text=True)
    assert done.stdout.split() == ["1", "0"]


def test_command_joins_existing(holder):
    h = holder("--net")
    with NetworkNamespace.from_pid(h.pid) as net:
        done = lxns.Command(["readlink", "/proc/self/ns/net"], join=[net]).run(capture_output=True)
    assert done.stdout.decode().strip() == f"net:[{ns_ino('net', h.pid)}]"


def test_command_stdio_env_cwd_returncode_signal():
    with tempfile.TemporaryDirectory() as d:
        p = lxns.Command(["sh", "-c", 'cat; echo "$X" >&2; pwd; exit 3'], env={"X": "y", "PATH": os.environ["PATH"]},
                         cwd=d).popen(stdin=lxns.PIPE, stdout=lxns.PIPE, stderr=lxns.PIPE)
        out, err = p.communicate(b"in\n", timeout=20)
        assert (out, err, p.returncode) == (f"in\n{os.path.realpath(d)}\n".encode(), b"y\n", 3)
    p = lxns.Command(["sleep", "60"]).popen()
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(0.05)
    p.kill()
    assert p.wait(20) == -9
    with pytest.raises(subprocess.TimeoutExpired):
        lxns.Command(["sleep", "60"]).run(timeout=0.1)
    with pytest.raises(subprocess.CalledProcessError):
        lxns.Command(["false"]).run(check=True)


def test_command_bad_program_is_typed_error():
    with pytest.raises(lxns.NotFoundError):
        lxns.Command(["/nonexistent-lxns-py-program"]).run()
    with pytest.raises(ValueError):
        lxns.Command([]).run()


def _rootless_command():
    done = lxns.Command(["id", "-u"], unshare=["user", "net"], map_root=True).run(capture_output=True)
    return os.getuid(), done.returncode, done.stdout


def test_command_rootless():
    assert forked(_rootless_command, uid=NOBODY) == (NOBODY, 0, b"0\n")


# --- list and netns ---------------------------------------------------------------------------

def test_list_matches_lxns_ls_json(holder):
    h = holder("--net", "--uts")
    rows = {(r["type"], r["ns"]): r for r in lxns.list()}
    ls = os.environ.get("LXNS_BIN", "lxns")
    doc = json.loads(subprocess.run([ls, "ls", "-J"], capture_output=True, check=True).stdout)
    mine = {(r["type"], r["ns"]): r for r in doc["namespaces"]}
    for key in [("net", ns_ino("net", h.pid)), ("uts", ns_ino("uts", h.pid))]:
        assert key in rows and key in mine
        for field in ("ns", "type", "nprocs", "pid", "user", "command"):
            assert rows[key][field] == mine[key][field], field
        assert rows[key]["pid"] == h.pid
    # Both see the system's initial namespaces, with the same keys.
    assert set(mine) & set(rows) >= {("net", ns_ino("net")), ("mnt", ns_ino("mnt"))}
    assert set(doc["namespaces"][0]) <= set(next(iter(rows.values())))
    assert all(r["type"] == "net" for r in lxns.list(kinds="net"))


def test_netns_registry_add_list_open_delete():
    require_root()
    with tempfile.TemporaryDirectory() as d:
        reg = lxns.netns.Registry(d)
        name = "lxns-py-" + uuid.uuid4().hex[:8]
        try:
            with reg.add(name) as net:
                assert isinstance(net, NetworkNamespace)
                assert reg.list() == [name]
                with pytest.raises(lxns.AlreadyExistsError):
                    reg.add(name)
                path = reg.path(name)
                assert os.stat(path).st_ino == net.ns_id
                out = subprocess.run(["nsenter", f"--net={path}", "ip", "-o", "link"],
                                     capture_output=True, text=True, check=True).stdout
                assert [line.split(":")[1].strip() for line in out.splitlines()] == ["lo"]
                with reg.open(name) as again:
                    assert again.ns_id == net.ns_id
        finally:
            try:
                reg.delete(name)
            except lxns.NotFoundError:
                pass
            reg.unmount_dir()
        assert reg.list() == []
