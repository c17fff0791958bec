"""Child processes of the local stack: start with a log file, wait until ready, stop for sure.

Every child asks the kernel to send it SIGTERM when its parent dies (PR_SET_PDEATHSIG),
so a stack whose owner crashes leaves nothing behind; `stop()` terminates, then kills.
"""
from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not glibc: the stop() path still cleans up
        pass


class ManagedProcess:
    """One child process with its output in `log_path`."""

    def __init__(self, name: str, argv: list[str], log_path: Path, *, env: dict[str, str] | None = None,
                 cwd: Path | None = None, stop_signal: int = signal.SIGTERM):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.env, self.cwd, self.stop_signal = env, cwd, stop_signal
        self.popen: subprocess.Popen | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - argv built by the stack, never from input
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, cwd=self.cwd, preexec_fn=_die_with_parent)  # noqa: PLW1509
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            self.popen.send_signal(self.stop_signal)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)


class StartupFailed(RuntimeError):
    pass


def wait_until(ready: Callable[[], bool], *, what: str, timeout: float,
               process: ManagedProcess | None = None, interval: float = 0.05) -> None:
    """Poll `ready` until it is true; fail early (with its log) if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and not process.alive():
            raise StartupFailed(f"{what}: process exited ({process.popen.returncode}); "
                                f"log {process.log_path}:\n{process.log_tail()}")
        time.sleep(interval)
    tail = f"\nlog {process.log_path}:\n{process.log_tail()}" if process else ""
    raise StartupFailed(f"{what}: not ready after {timeout:.0f}s{tail}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 10000


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(v) for v in EPHEMERAL_RANGE_FILE.read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999           # Linux's default


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1, chosen at random outside the kernel's ephemeral range.

    A port the kernel hands out for `bind(0)` lies in the ephemeral range, where any outgoing
    connection made before the port is used (the stack makes thousands) can take it as its local
    port, and the server that was to listen there fails with EADDRINUSE. Below that range only
    another listener can take it."""
    low, high = _ephemeral_range()
    candidates = list(range(LOWEST_PORT, low)) if low - LOWEST_PORT >= 1000 else list(range(high + 1, 65536))
    random.SystemRandom().shuffle(candidates)
    sockets: list[socket.socket] = []
    try:
        for port in candidates:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            sockets.append(s)
            if len(sockets) == count:
                return [s.getsockname()[1] for s in sockets]
        raise OSError(f"fewer than {count} free ports outside the ephemeral range {low}-{high}")
    finally:
        for s in sockets:
            s.close()


# ---------------------------------------------------------------------- /proc helpers
def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def pid_alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def process_identity(pid: int) -> tuple[int, int] | None:
    """(pid, start time): stays the same for one process, differs when the pid is reused."""
    stat = _stat(pid)
    return (pid, stat[2]) if stat else None


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] not in ("Z", "X"):
                children.setdefault(stat[1], []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_lines_containing(text: str) -> dict[int, str]:
    """Living processes whose command line contains `text` (like `pgrep -af`)."""
    matches = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and pid_alive(int(entry.name)):
            matches[int(entry.name)] = cmdline.strip()
    return matches
