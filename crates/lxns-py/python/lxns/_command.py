"""``lxns.Command`` and ``lxns.Popen``: subprocess's shape, lxns's namespaces."""

from __future__ import annotations

import os
import subprocess
import threading
from typing import IO, Any, Iterable, Mapping, Sequence

from . import _native

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
STDOUT = subprocess.STDOUT


def _fd_of(spec: Any) -> "int | None":
    if spec is None or spec == DEVNULL:
        return spec
    if isinstance(spec, int):
        return spec
    return spec.fileno()


class Popen:
    """A process started by :meth:`Command.popen`, as ``subprocess.Popen`` is: ``pid``,
    ``returncode``, ``stdin``/``stdout``/``stderr`` (file objects for ``PIPE``), ``poll``,
    ``wait``, ``communicate``, ``send_signal``, ``terminate``, ``kill``, and ``with``.
    Signals go through the process's pidfd, so never to a recycled pid."""

    def __init__(self, command: "Command", stdin: Any = None, stdout: Any = None,
                 stderr: Any = None, text: bool = False) -> None:
        self.args = command.args
        self.returncode: "int | None" = None
        self.stdin: "IO[Any] | None" = None
        self.stdout: "IO[Any] | None" = None
        self.stderr: "IO[Any] | None" = None
        self._text = text
        theirs: list[int] = []
        fds: dict[str, "int | None"] = {}
        mode = {"stdin": "w", "stdout": "r", "stderr": "r"}
        for name, spec in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
            if spec == PIPE:
                r, w = os.pipe()
                mine, child = (w, r) if name == "stdin" else (r, w)
                theirs.append(child)
                fds[name] = child
                f = os.fdopen(mine, mode[name] + ("" if text else "b"))
                setattr(self, name, f)
            elif spec == STDOUT and name == "stderr":
                fds[name] = fds.get("stdout") if fds.get("stdout") is not None else 1
            else:
                fds[name] = _fd_of(spec)
        try:
            self._child = _native.spawn(command.args, stdin=fds["stdin"], stdout=fds["stdout"],
                                        stderr=fds["stderr"], **command._options)
        except BaseException:
            for f in (self.stdin, self.stdout, self.stderr):
                if f is not None:
                    f.close()
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        self.pid: int = self._child.pid

    def poll(self) -> "int | None":
        """The exit status if the process has exited, else None."""
        if self.returncode is None:
            self.returncode = self._child.poll()
        return self.returncode

    def wait(self, timeout: "float | None" = None) -> int:
        """Waits (the GIL released) and returns the exit status; raises
        ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        if self.returncode is None:
            code = self._child.wait(timeout)
            if code is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self.returncode = code
        return self.returncode

    def communicate(self, input: Any = None, timeout: "float | None" = None) -> tuple[Any, Any]:
        """Writes ``input`` to stdin, reads stdout and stderr to their ends, waits; returns
        ``(stdout, stderr)`` (None for a stream not piped)."""
        results: dict[str, Any] = {}

        def reader(name: str, f: IO[Any]) -> None:
            results[name] = f.read()
            f.close()

        threads = []
        for name in ("stdout", "stderr"):
            f = getattr(self, name)
            if f is not None:
                t = threading.Thread(target=reader, args=(name, f), daemon=True)
                t.start()
                threads.append(t)
        if self.stdin is not None:
            try:
                if input:
                    self.stdin.write(input)
            except BrokenPipeError:
                pass
            finally:
                try:
                    self.stdin.close()
                except BrokenPipeError:
                    pass
        for t in threads:
            t.join(timeout)
            if t.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)
        self.wait(timeout)
        return results.get("stdout"), results.get("stderr")

    def send_signal(self, sig: int) -> None:
        """Sends signal ``sig`` (nothing once the process was waited for)."""
        if self.returncode is None:
            self._child.send_signal(int(sig))

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)

    def __enter__(self) -> "Popen":
        return self

    def __exit__(self, *exc: Any) -> None:
        for f in (self.stdout, self.stderr, self.stdin):
            if f is not None:
                try:
                    f.close()
                except BrokenPipeError:
                    pass
        self.wait()

    def __repr__(self) -> str:
        return f"<lxns.Popen: returncode: {self.returncode} args: {self.args!r}>"


class Command:
    """A program to start in new and existing namespaces (``lxns::Command``).

    ``args`` is a sequence (or one str/bytes/PathLike) as for ``subprocess``. Options:
    ``unshare`` (kind names: "user", "net", "mnt", "pid", "uts", "ipc", "cgroup", "time"),
    ``join`` (namespace objects or paths, entered in the order given), ``env`` (the whole
    environment; default: inherited), ``cwd``, ``map_root`` / ``map_current_user`` /
    ``uid_map`` / ``gid_map`` (lists of ``(inside, outside, count)``), ``hostname``,
    ``root`` (pivot_root into it), ``mount_proc``, ``uid``, ``gid``,
    ``kill_on_parent_death``. A new pid namespace makes the program its pid 1.
    """

    def __init__(self, args: "Sequence[Any] | str | bytes | os.PathLike[Any]", *,
                 unshare: "Iterable[str] | None" = None, join: "Iterable[Any] | None" = None,
                 env: "Mapping[Any, Any] | None" = None, cwd: Any = None,
                 map_root: bool = False, map_current_user: bool = False,
                 uid_map: "Iterable[tuple[int, int, int]] | None" = None,
                 gid_map: "Iterable[tuple[int, int, int]] | None" = None,
                 hostname: "str | bytes | None" = None, root: Any = None,
                 mount_proc: bool = False, uid: "int | None" = None, gid: "int | None" = None,
                 kill_on_parent_death: bool = False) -> None:
        self.args = args
        self._options = dict(
            unshare=list(unshare) if unshare is not None else None,
            join=list(join) if join is not None else None,
            env=dict(env) if env is not None else None, cwd=cwd,
            map_root=map_root, map_current_user=map_current_user,
            uid_map=list(uid_map) if uid_map is not None else None,
            gid_map=list(gid_map) if gid_map is not None else None,
            hostname=hostname, root=root, mount_proc=mount_proc, uid=uid, gid=gid,
            kill_on_parent_death=kill_on_parent_death)

    def popen(self, *, stdin: Any = None, stdout: Any = None, stderr: Any = None,
              text: bool = False) -> Popen:
        """Starts the program; stdio as for ``subprocess.Popen`` (None, PIPE, DEVNULL, an fd
        or a file object; stderr=STDOUT)."""
        return Popen(self, stdin, stdout, stderr, text)

    def run(self, *, input: Any = None, capture_output: bool = False,
            stdin: Any = None, stdout: Any = None, stderr: Any = None,
            timeout: "float | None" = None, check: bool = False,
            text: bool = False) -> "subprocess.CompletedProcess[Any]":
        """Runs the program to its end, as ``subprocess.run`` does (on a timeout the process
        is killed and reaped, then ``TimeoutExpired`` is raised)."""
        if capture_output:
            stdout = stderr = PIPE
        if input is not None:
            stdin = PIPE
        with self.popen(stdin=stdin, stdout=stdout, stderr=stderr, text=text) as p:
            try:
                out, err = p.communicate(input, timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise
        done = subprocess.CompletedProcess(self.args, p.returncode, out, err)
        if check:
            done.check_returncode()
        return done
