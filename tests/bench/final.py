"""What every bench run checks at its end, whichever benches ran.

* queues drained: every event-source queue of template.yaml empty (nothing waiting, in flight
  or delayed) within BENCH_DRAIN_TIMEOUT seconds; a queue that is not is an error (its events
  are stuck or lost);
* what the benches asked to check once the queues are empty (REPORT.after_drain: e.g. whether
  late webhook events were paid in the end or lost);
* dead letters: every DLQ's ApproximateNumberOfMessages (target 0; more is an error);
* resident memory of the whole stack: the sum of the RSS of every process the stack started
  (DynamoDB Local's java, moto_server, the IAM proxy, the FX stub, the sandbox gateway, nginx's
  master and workers, every Lambda worker), read from /proc; PSS beside it, which counts
  pages shared between processes once. The supervisor (this process: SQS pollers and
  scheduler threads, and the bench's own clients) is shown apart, and so is DynamoDB Local's
  database file (in RAM when the state folder is on tmpfs, as the bench puts it by default).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from infra.localaws.processes import descendants
from tests.bench.measure import env_float
from tests.bench.report import REPORT, count, mib

DRAIN_TIMEOUT_S = env_float("BENCH_DRAIN_TIMEOUT", 120)
DEPTHS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed")


# ---------------------------------------------------------------------- queues
def queues(stack) -> tuple[dict[str, str], dict[str, str]]:
    """({logical id: url} of queues with a redrive policy, {logical id: url} of the DLQs they name)."""
    sqs = stack.client("sqs")
    resources = stack.template.of_type("AWS::SQS::Queue")
    dlq_ids = set()
    sources = []
    for logical_id, resource in resources.items():
        redrive = (resource.get("Properties") or {}).get("RedrivePolicy")
        if redrive:
            sources.append(logical_id)
            target = redrive.get("deadLetterTargetArn")
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                attribute = target["Fn::GetAtt"]
                dlq_ids.add(attribute[0] if isinstance(attribute, list) else attribute.split(".")[0])
    dlq_ids |= {lid for lid in resources if lid.endswith("DLQ")}

    def url_of(logical_id: str) -> str:
        return sqs.get_queue_url(QueueName=stack.template.physical_name(logical_id))["QueueUrl"]

    return {lid: url_of(lid) for lid in sorted(sources)}, {lid: url_of(lid) for lid in sorted(dlq_ids)}


def undrained(stack, sources: dict[str, str], timeout: float) -> tuple[dict[str, dict], float]:
    """Wait until every queue of `sources` ({logical id: url}) is empty (nothing waiting, in flight or delayed),
    at most `timeout` seconds; ({queue: depths} of those still not empty, seconds waited)."""
    sqs = stack.client("sqs")
    began = time.monotonic()
    while True:
        pending = {}
        for logical_id, queue_url in sources.items():
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(DEPTHS))["Attributes"]
            if any(attributes.get(name, "0") != "0" for name in DEPTHS):
                pending[logical_id] = {k.replace("ApproximateNumberOfMessages", "") or "waiting": v
                                       for k, v in attributes.items()}
        if not pending or time.monotonic() - began > timeout:
            return pending, time.monotonic() - began
        time.sleep(1.0)


def drain_and_dead_letters(stack) -> None:
    sqs = stack.client("sqs")
    sources, dlqs = queues(stack)
    pending, waited = undrained(stack, sources, DRAIN_TIMEOUT_S)
    REPORT.figure("queues", f"event queues drained ({len(sources)} queues)",
                  f"{'yes' if not pending else 'NO'} after {waited:.1f} s",
                  floor=", ".join(f"{k} {v}" for k, v in pending.items()), target=f"≤ {DRAIN_TIMEOUT_S:g} s",
                  ok=not pending)
    if pending:
        REPORT.error(f"queues not drained after {DRAIN_TIMEOUT_S:g} s: {pending}")
    for check in REPORT.drained_checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - the DLQs and memory must still be reported
            REPORT.error(f"an end-of-run check broke: {type(exc).__name__}: {exc}")
    total = 0
    for logical_id, queue_url in dlqs.items():
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        depth = int(attributes["Attributes"].get("ApproximateNumberOfMessages", "0"))
        total += depth
        REPORT.figure("queues", f"{logical_id} ApproximateNumberOfMessages", count(depth), target="0", ok=depth == 0)
    if total:
        REPORT.error(f"{total} messages in dead-letter queues")


# ---------------------------------------------------------------------- memory
def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes (0, 0 when it is gone)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, pss


LABELS = {"dynamodb": "DynamoDB Local (java)", "moto": "moto_server", "iam_proxy": "IAM proxy",
          "fx_stub": "FX feed stub", "sandbox": "sandbox payment gateway", "nginx": "nginx (master + workers)"}


def stack_processes(stack) -> dict[str, set[int]]:
    """{part: pids} of every process the stack started (each with its own children)."""
    parts: dict[str, set[int]] = {}
    for name, process in stack.processes.items():
        if process.pid:
            parts[LABELS.get(name, name)] = {process.pid} | descendants(process.pid)
    workers: set[int] = set()
    for function_workers in (getattr(stack.runtime, "workers", None) or {}).values():
        for worker in function_workers:
            if worker.process is not None and worker.process.poll() is None:
                workers |= {worker.process.pid} | descendants(worker.process.pid)
    parts["Lambda workers"] = workers
    claimed = set().union(*parts.values())
    others = descendants(os.getpid()) - claimed
    if others:
        parts["other children of the supervisor"] = others
    return parts


def memory(stack) -> None:
    parts = stack_processes(stack)
    total_rss = total_pss = processes = 0
    for part, pids in sorted(parts.items(), key=lambda item: item[0]):
        sizes = [_memory(pid) for pid in pids]
        rss, pss = sum(s[0] for s in sizes), sum(s[1] for s in sizes)
        total_rss, total_pss, processes = total_rss + rss, total_pss + pss, processes + len(pids)
        REPORT.figure("memory", f"RSS {part}", mib(rss), floor=f"{len(pids)} processes, PSS {mib(pss)}")
    REPORT.figure("memory", "RSS of the whole stack", mib(total_rss),
                  floor=f"{processes} processes, PSS {mib(total_pss)}")
    rss, pss = _memory(os.getpid())
    REPORT.figure("memory", "RSS supervisor + bench (this process, not in the sum)", mib(rss), floor=f"PSS {mib(pss)}")
    database = stack.state_dir / "dynamodb"
    if database.is_dir():
        size = sum(f.stat().st_size for f in database.rglob("*") if f.is_file())
        on_tmpfs = _filesystem(database) == "tmpfs"
        REPORT.figure("memory", "DynamoDB Local's database file" + (" (tmpfs: RAM, not in RSS)" if on_tmpfs else ""),
                      mib(size), floor=str(database))


def _filesystem(path: Path) -> str:
    """The type of the filesystem `path` is on (from /proc/mounts: the longest mount point above it)."""
    best, kind = "", ""
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if str(path.resolve()).startswith(mount.rstrip("/") + "/") and len(mount) > len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return kind


def run(stack) -> None:
    try:
        drain_and_dead_letters(stack)
    finally:
        memory(stack)
