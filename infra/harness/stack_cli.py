"""`python -m infra.harness.stack_cli up|down|status|logs` — the commands behind `make up/down/status/logs`.

`up` starts a supervisor process in its own session (`python -m infra.harness.stack_cli serve`), shows
its steps as they happen (from STATE_DIR/logs/stack.log) and returns once everything is
healthy; the supervisor keeps the stack running until `down` sends it SIGTERM, then
stops everything it started. Anything still alive under it after that is killed.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from infra.harness import config
from infra.harness.stack import STATE_FILE, DevStack, StackSettings, read_credentials, trusting_session
from infra.localaws.processes import descendants, http_ok, pid_alive, port_open, process_identity
from infra.localaws.template import ROOT

SUPERVISOR_PID_FILE = "supervisor.pid"


def _state_dir() -> Path:
    return config.STATE_DIR


def read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supervisor_pid(state_dir: Path) -> int | None:
    try:
        pid = int((state_dir / SUPERVISOR_PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def _print_summary(state: dict) -> None:
    print(f"\n  gateway        {state['base_url']}  (e.g. curl --cacert {state['certificate']} "
          f"{state['base_url']}/api/v1/products/health)")
    print(f"  plain HTTP     {state['http_url']}  (301 → HTTPS)")
    print(f"  internal       {state['internal_url']}  (service-to-service, loopback only)")
    print(f"  AWS endpoint   {state['aws_endpoint']}  (moto: SQS, EventBridge, Secrets Manager, SSM, SES, IAM, STS)")
    if state.get("dynamodb_endpoint"):
        print(f"  DynamoDB       {state['dynamodb_endpoint']}  (DynamoDB Local; data in {state['state_dir']}/dynamodb)")
    if state.get("sandbox_url"):
        print(f"  sandbox        {state['base_url']}/sandbox/  ({state['sandbox_url']}; "
              f"test controls {state.get('sandbox_control_url')})")
    if state.get("fx_stub_url"):
        print(f"  FX feed stub   {state['fx_stub_url']}/eurofxref-daily.xml")
    print(f"  OpenAPI        {state['base_url']}/api/v1/openapi.json")
    print(f"  certificate    {state['certificate']}")
    print(f"  credentials    {state['credentials_file']}" + ("" if Path(state["credentials_file"]).exists()
                                                            else " (not written: no auth seed yet)"))
    print(f"  logs           {Path(state['state_dir']) / 'logs'}  (make logs)")


# ---------------------------------------------------------------------- up
def up(timeout: float) -> int:
    state_dir = _state_dir()
    pid = supervisor_pid(state_dir)
    state = read_state(state_dir)
    if pid and state and state.get("status") == "up":
        print(f"already up (supervisor pid {pid})")
        _print_summary(state)
        return 0
    if pid:
        print(f"a stack is starting (supervisor pid {pid}); following its log")
        return _follow(state_dir, None, timeout)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    log_dir = state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "stack.log", "wb") as log:
        supervisor = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "infra.harness.stack_cli", "serve"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    (state_dir / SUPERVISOR_PID_FILE).write_text(str(supervisor.pid))
    return _follow(state_dir, supervisor, timeout)


def _follow(state_dir: Path, supervisor: subprocess.Popen | None, timeout: float) -> int:
    """Print the supervisor's log as it grows until the stack is up or the supervisor exits."""
    log_path = state_dir / "logs" / "stack.log"
    deadline = time.monotonic() + timeout
    offset = 0

    def drain() -> None:
        nonlocal offset
        try:
            with open(log_path, "rb") as log:
                log.seek(offset)
                chunk = log.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        offset += len(complete)
        if complete:
            sys.stdout.write(complete.decode(errors="replace"))
            sys.stdout.flush()

    while time.monotonic() < deadline:
        drain()
        state = read_state(state_dir)
        if state and state.get("status") == "up":
            drain()
            _print_summary(state)
            return 0
        exited = supervisor.poll() is not None if supervisor else supervisor_pid(state_dir) is None
        if exited:
            drain()
            print(f"\nthe stack did not start; see {log_path}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"\nthe stack is not up after {timeout:.0f}s; stopping it (see {log_path})", file=sys.stderr)
    down()
    return 1


# ---------------------------------------------------------------------- serve (the supervisor)
def serve() -> int:
    state_dir = _state_dir()
    (state_dir / SUPERVISOR_PID_FILE).write_text(str(os.getpid()))
    stack = DevStack(StackSettings(state_dir=state_dir))

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, terminate)
    try:
        stack.start()
        print("supervising; `make down` stops the stack", flush=True)
        while True:
            signal.pause()
    except SystemExit:
        print("stopping", flush=True)
        return 0
    finally:
        # a second signal must not interrupt the clean-up
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stack.stop()
        (state_dir / SUPERVISOR_PID_FILE).unlink(missing_ok=True)
        print("stopped", flush=True)


# ---------------------------------------------------------------------- down
def down(timeout: float = 30.0) -> int:
    state_dir = _state_dir()
    pid = supervisor_pid(state_dir)
    if pid is None:
        print("not running")
        (state_dir / STATE_FILE).unlink(missing_ok=True)
        (state_dir / SUPERVISOR_PID_FILE).unlink(missing_ok=True)
        return 0
    # remember everything under the supervisor, so nothing can outlive it
    below = {identity for p in descendants(pid) if (identity := process_identity(p))}
    print(f"stopping the stack (supervisor pid {pid}, {len(below)} processes)")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        print("the supervisor did not stop in time: killing it", file=sys.stderr)
        os.kill(pid, signal.SIGKILL)
    leftovers = [p for p, started in below if process_identity(p) == (p, started)]
    for p in leftovers:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if leftovers:
        print(f"killed {len(leftovers)} leftover processes", file=sys.stderr)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    (state_dir / SUPERVISOR_PID_FILE).unlink(missing_ok=True)
    print("stopped")
    return 0


# ---------------------------------------------------------------------- status
def status() -> int:
    import requests

    state_dir = _state_dir()
    pid = supervisor_pid(state_dir)
    state = read_state(state_dir)
    if pid is None or state is None:
        print("down" if pid is None else f"starting (supervisor pid {pid})")
        return 1 if pid is None else 0
    rows: list[tuple[str, bool, str]] = [("supervisor", True, f"pid {pid}")]
    for name, child in sorted(state["pids"].items()):
        rows.append((name, pid_alive(child), f"pid {child}"))
    rows.append(("aws endpoint", http_ok(f"{state['aws_endpoint']}/moto-api/"), state["aws_endpoint"]))
    if state.get("dynamodb_endpoint"):
        port = int(state["dynamodb_endpoint"].rsplit(":", 1)[1])
        rows.append(("dynamodb local", port_open(port), state["dynamodb_endpoint"]))
    for function, ports in sorted(state.get("upstreams", {}).items()):
        healthy = sum(http_ok(f"http://127.0.0.1:{port}/__runtime/health") for port in ports)
        rows.append((function, healthy == len(ports), f"{healthy}/{len(ports)} workers healthy"))
    session = trusting_session(state["certificate"])
    for service in state["services"]:
        url = f"{state['base_url']}{state['health_path'].format(service=service)}"
        try:
            code = session.get(url, timeout=5).status_code
        except requests.RequestException as error:
            code = type(error).__name__
        rows.append((f"{service} (gateway)", code == 200, f"{url} → {code}"))
    for name, ok, detail in rows:
        print(f"  {'ok  ' if ok else 'DOWN'}  {name:<24} {detail}")
    accounts = read_credentials(Path(state["credentials_file"]))
    print(f"  seeded accounts: {', '.join(sorted(accounts)) or 'none'} ({state['credentials_file']})")
    return 0 if all(ok for _, ok, _ in rows) else 1


# ---------------------------------------------------------------------- logs
def logs(follow: bool, lines: int) -> int:
    files = sorted(str(p) for p in (_state_dir() / "logs").glob("*.log"))
    if not files:
        print("no logs yet")
        return 1
    argv = ["tail", "-n", str(lines), *(["-F"] if follow else []), *files]
    os.execvp("tail", argv)  # noqa: S606, S607
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.harness.stack_cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the stack in the background; return once healthy")
    start.add_argument("--timeout", type=float, default=float(os.environ.get("STACK_UP_TIMEOUT", "240")))
    commands.add_parser("down", help="stop what `up` started")
    commands.add_parser("status", help="health of each part")
    tail = commands.add_parser("logs", help="tail the stack's logs")
    tail.add_argument("--no-follow", action="store_true")
    tail.add_argument("-n", "--lines", type=int, default=40)
    commands.add_parser("serve", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    if ns.command == "up":
        return up(ns.timeout)
    if ns.command == "down":
        return down()
    if ns.command == "status":
        return status()
    if ns.command == "logs":
        return logs(not ns.no_follow, ns.lines)
    return serve()


if __name__ == "__main__":
    sys.exit(main())
