"""python-lxns's documented behaviour (its docs and its test suite, 0.1.0), checked with the
kernel's view: /proc/self/ns inodes, uids, hostname, mountinfo, ip link."""

from __future__ import annotations

import errno
import gc
import os
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytest

from conftest import NOBODY, forked, ns_ino, require_root
from lxns import os as lxos
from lxns.mount import ClonedTree
from lxns.namespaces import (
    ALL_NAMESPACE_CLASSES,
    BaseNamespace,
    CgroupNamespace,
    IpcNamespace,
    MountNamespace,
    NetworkNamespace,
    PidNamespace,
    TimeNamespace,
    UserNamespace,
    UtsNamespace,
    unshare_namespaces,
)

CLASSES = {
    "cgroup": (CgroupNamespace, lxos.CLONE_NEWCGROUP),
    "ipc": (IpcNamespace, lxos.CLONE_NEWIPC),
    "net": (NetworkNamespace, lxos.CLONE_NEWNET),
    "mnt": (MountNamespace, lxos.CLONE_NEWNS),
    "pid": (PidNamespace, lxos.CLONE_NEWPID),
    "time": (TimeNamespace, lxos.CLONE_NEWTIME),
    "user": (UserNamespace, lxos.CLONE_NEWUSER),
    "uts": (UtsNamespace, lxos.CLONE_NEWUTS),
}


# --- lxns.namespaces --------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_constants_and_from_self(name):
    cls, flag = CLASSES[name]
    assert cls.NAMESPACE_CONSTANT == flag
    assert cls.NAMESPACE_PROC_NAME == name
    assert issubclass(cls, BaseNamespace)
    with cls.from_self() as ns:
        assert isinstance(ns, cls)
        assert ns.ns_id == ns_ino(name) == cls.get_current_ns_id()
        assert os.fstat(ns.fileno()).st_ino == ns_ino(name)
        assert repr(ns) == f"<{cls.__name__} id={ns_ino(name)}>"
        assert os.get_inheritable(ns.fileno()) is False
    assert repr(ns) == f"<{cls.__name__} id=closed>"


def test_all_namespace_classes_is_python_lxns_tuple():
    assert ALL_NAMESPACE_CLASSES == (
        UserNamespace, CgroupNamespace, IpcNamespace, NetworkNamespace, MountNamespace,
        PidNamespace, TimeNamespace, UserNamespace, UtsNamespace,
    )


def test_from_pid_int_and_self(holder):
    h = holder("--net")
    with NetworkNamespace.from_pid(h.pid) as there, NetworkNamespace.from_pid("self") as here:
        assert there.ns_id == ns_ino("net", h.pid) != here.ns_id


def test_from_pid_missing_process_is_file_not_found():
    with pytest.raises(FileNotFoundError) as e:
        NetworkNamespace.from_pid(2**22 + 1)
    assert type(e.value) is FileNotFoundError
    assert e.value.errno == errno.ENOENT


def test_use_after_close_is_value_error():
    ns = UtsNamespace.from_self()
    ns.close()
    ns.close()  # a second close is ignored
    for call in (ns.fileno, ns.setns, ns.get_user_namespace, lambda: ns.ns_id):
        with pytest.raises(ValueError):
            call()


def test_context_manager_closes_the_fd():
    with IpcNamespace.from_self() as ns:
        fd = ns.fileno()
        os.fstat(fd)
    with pytest.raises(OSError) as e:
        os.fstat(fd)
    assert e.value.errno == errno.EBADF


def test_unclosed_namespace_warns_and_closes():
    ns = UtsNamespace.from_self()
    fd = ns.fileno()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        del ns
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) and "unclosed namespace" in str(w.message)
               for w in seen)
    with pytest.raises(OSError):
        os.fstat(fd)


def test_init_wraps_fd_and_checks_kind():
    fd = os.open("/proc/self/ns/uts", os.O_RDONLY | os.O_CLOEXEC)
    with pytest.raises(ValueError, match="does not reference the NetworkNamespace"):
        NetworkNamespace(fd)
    os.fstat(fd)  # a refused fd stays open, as in python-lxns
    ns = UtsNamespace(fd)
    assert ns.fileno() == fd
    ns.close()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_init_closefd_false_leaves_fd_open():
    fd = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    ns = NetworkNamespace(fd, closefd=False)
    ns.close()
    os.fstat(fd)
    os.close(fd)


def test_init_on_non_namespace_is_enotty_and_closed_fd_ebadf():
    with tempfile.TemporaryFile() as f:
        with pytest.raises(OSError) as e:
            NetworkNamespace(f.fileno())
        assert type(e.value) is OSError and e.value.errno == errno.ENOTTY
    r, w = os.pipe()
    os.close(w)
    os.close(r)
    with pytest.raises(OSError) as e:
        NetworkNamespace(r)
    assert e.value.errno == errno.EBADF


def test_base_namespace_refuses_every_fd():
    with NetworkNamespace.from_self() as net, pytest.raises(ValueError):
        BaseNamespace(net.fileno())


def test_get_user_namespace_is_owner():
    with NetworkNamespace.from_self() as net, net.get_user_namespace() as user:
        assert isinstance(user, UserNamespace)
        assert user.ns_id == ns_ino("user")


def _setns_and_report(pid):
    with NetworkNamespace.from_pid(pid) as ns:
        ns.setns()
    return ns_ino("net")


def test_setns_moves_the_process(holder):
    h = holder("--net")
    assert forked(_setns_and_report, h.pid) == ns_ino("net", h.pid)


def _unshare_uts_set_hostname():
    UtsNamespace.unshare()
    socket.sethostname("lxns-py-box")
    return socket.gethostname(), ns_ino("uts")


def test_unshare_uts_and_hostname():
    require_root()
    name, ino = forked(_unshare_uts_set_hostname)
    assert name == "lxns-py-box"
    assert ino != ns_ino("uts")
    assert socket.gethostname() != "lxns-py-box"


def _unshare_net_links():
    unshare_namespaces(network=True)
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return [line.split(":")[1].strip() for line in out.splitlines()], ns_ino("net")


def test_unshare_namespaces_network_has_only_lo():
    require_root()
    links, ino = _unshare_net_links_forked()
    assert links == ["lo"]
    assert ino != ns_ino("net")


def _unshare_net_links_forked():
    return forked(_unshare_net_links)


def _unshare_user_ids():
    before = UserNamespace.get_current_ns_id()
    unshare_namespaces(user=True)
    return before, UserNamespace.get_current_ns_id(), os.getuid()


@pytest.mark.parametrize("uid", [None, NOBODY], ids=["root", "rootless"])
def test_unshare_namespaces_user(uid):
    before, after, uid_inside = forked(_unshare_user_ids, uid=uid)
    assert before == ns_ino("user")
    assert after != before
    assert uid_inside == 65534  # unmapped: the overflow uid


def _class_unshare_user():
    before = os.getuid()
    UserNamespace.unshare()
    return before, os.getuid()


@pytest.mark.parametrize("uid", [None, NOBODY], ids=["root", "rootless"])
def test_class_unshare_user(uid):
    before, after = forked(_class_unshare_user, uid=uid)
    assert before == (0 if uid is None else uid)
    assert after != before or uid == 65534


def _limits_in_own_userns():
    UserNamespace.unshare()
    UserNamespace.set_current_limit(0)
    return UserNamespace.get_current_limit()


@pytest.mark.parametrize("uid", [None, NOBODY], ids=["root", "rootless"])
def test_namespace_limits(uid):
    assert UserNamespace.get_current_limit() > 0
    assert forked(_limits_in_own_userns, uid=uid) == 0
    assert UserNamespace.get_current_limit() > 0


def _rootless_setns_refused():
    # Opening pid 1's namespace (EACCES) or entering it (EPERM): python-lxns raises the
    # same PermissionError, from os.open or from setns.
    try:
        with NetworkNamespace.from_pid(1) as ns:
            ns.setns()
    except OSError as e:
        return type(e).__name__, e.errno in (errno.EPERM, errno.EACCES)
    return None


def test_rootless_setns_is_permission_error():
    assert forked(_rootless_setns_refused, uid=NOBODY) == ("PermissionError", True)


def _unshare_multithreaded():
    import threading
    ev = threading.Event()
    t = threading.Thread(target=ev.wait)
    t.start()
    try:
        UserNamespace.unshare()
    except OSError as e:
        return e.errno
    finally:
        ev.set()
        t.join()
    return None


def test_unshare_user_multithreaded_is_einval():
    assert forked(_unshare_multithreaded) == errno.EINVAL


# --- lxns.os ------------------------------------------------------------------------------

def test_os_errors_match_python_lxns():
    with pytest.raises(OSError) as e:
        lxos.unshare(-1)
    assert e.value.errno == errno.EINVAL
    with tempfile.TemporaryFile() as f:
        with pytest.raises(OSError) as e:
            lxos.setns(f.fileno(), 0)
        assert e.value.errno == errno.EINVAL
        for fn in (lxos.ns_get_userns, lxos.ns_get_parent, lxos.ns_get_nstype,
                   lxos.ns_get_owner_uid):
            with pytest.raises(OSError) as e:
                fn(f.fileno())
            assert type(e.value) is OSError and e.value.errno == errno.ENOTTY, fn


def test_os_ns_get_nstype():
    with open("/proc/self/ns/user") as f:
        assert lxos.ns_get_nstype(f.fileno()) == lxos.CLONE_NEWUSER
    with open("/proc/self/ns/net") as f:
        assert lxos.ns_get_nstype(f.fileno()) == lxos.CLONE_NEWNET


def _owner_uid_in_new_userns():
    lxos.unshare(lxos.CLONE_NEWUSER)
    with open("/proc/self/ns/user") as f:
        return lxos.ns_get_owner_uid(f.fileno()), os.getpid()


def test_os_ns_get_functions(holder):
    h = holder("--user")
    with open(f"/proc/{h.pid}/ns/user") as child:
        assert lxos.ns_get_owner_uid(child.fileno()) == os.getuid()
        parent = lxos.ns_get_parent(child.fileno())
        owner = lxos.ns_get_userns(child.fileno())
        try:
            assert os.fstat(parent).st_ino == ns_ino("user")
            assert os.fstat(owner).st_ino == ns_ino("user")
            assert os.get_inheritable(parent) is False
        finally:
            os.close(parent)
            os.close(owner)
    with open("/proc/sys/kernel/overflowuid") as f:
        overflow = int(f.read())
    uid, _ = forked(_owner_uid_in_new_userns)
    assert uid == overflow


def test_os_constants():
    assert (lxos.CLONE_NEWNS, lxos.CLONE_NEWUSER, lxos.CLONE_NEWNET) == (0x20000, 0x10000000, 0x40000000)
    assert lxos.OPEN_TREE_CLONE == 1 and lxos.OPEN_TREE_CLOEXEC == os.O_CLOEXEC
    assert lxos.MOVE_MOUNT_F_EMPTY_PATH == 4 and lxos.AT_RECURSIVE == 0x8000


def _open_tree_bind(foo, bar):
    lxos.unshare(lxos.CLONE_NEWUSER | lxos.CLONE_NEWNS)
    tree = lxos.open_tree(path=str(foo), flags=lxos.OPEN_TREE_CLONE)
    lxos.move_mount(tree, to_path=str(bar), flags=lxos.MOVE_MOUNT_F_EMPTY_PATH)
    os.close(tree)
    mounted = any(line.split()[4] == str(bar) for line in open("/proc/self/mountinfo"))
    return Path(bar).read_text(), mounted


def _cloned_tree_bind(foo, bar):
    unshare_namespaces(user=True, mount=True)
    with ClonedTree(foo) as tree:
        assert "original_path=" in repr(tree)
        tree.mount(bar)
    with pytest.raises(ValueError):
        tree.mount(bar)
    mounted = any(line.split()[4] == str(bar) for line in open("/proc/self/mountinfo"))
    return Path(bar).read_text(), mounted


@pytest.mark.parametrize("uid", [None, NOBODY], ids=["root", "rootless"])
@pytest.mark.parametrize("how", [_open_tree_bind, _cloned_tree_bind], ids=["os", "ClonedTree"])
def test_bind_mount_in_own_mount_namespace(how, uid):
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        foo, bar = Path(d, "foo"), Path(d, "bar")
        foo.write_text("foo")
        bar.write_text("bar")
        os.chmod(foo, 0o644)
        os.chmod(bar, 0o644)
        assert forked(how, foo, bar, uid=uid) == ("foo", True)
        assert bar.read_text() == "bar"  # the bind stayed in the child's mount namespace


def test_cloned_tree_errors():
    with pytest.raises(FileNotFoundError):
        ClonedTree("/nonexistent-lxns-py")
