"""Fires the `Schedule` / `ScheduleV2` events of template.yaml (moto stores schedules, never fires them).

Each enabled schedule gets a thread that sleeps until its next time and invokes the
function with an EventBridge "Scheduled Event" (or the event's `Input`, as EventBridge
does). LOCALAWS_SCHEDULE_SCALE speeds time up for tests: 0.01 fires rate(1 hour) every
36 s and runs cron expressions on a clock 100× fast. `fire(logical_id)` fires one now.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .invocation import Invocation
from .schedules import Cron, Rate, parse

log = logging.getLogger("localaws.runtime.scheduler")
SCALE_ENV = "LOCALAWS_SCHEDULE_SCALE"
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class ScheduleSource:
    function: str
    event_name: str
    expression: str
    schedule: Rate | Cron
    rule_arn: str
    input: str | None = None
    enabled: bool = True


def schedule_sources(template) -> list[ScheduleSource]:
    sources = []
    region, stack = template.ctx.region, template.ctx.stack_name
    for function in template.functions():
        for name, event in function.events.items():
            if event["Type"] not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties", {})
            if event["Type"] == "Schedule":
                expression = props["Schedule"]
                enabled = bool(props.get("Enabled", True)) and props.get("State", "ENABLED") == "ENABLED"
            else:
                expression = props["ScheduleExpression"]
                enabled = props.get("State", "ENABLED") == "ENABLED"
            rule_name = props.get("Name") or f"{stack}-{function.logical_id}{name}"
            kind = "rule" if event["Type"] == "Schedule" else "schedule/default"
            sources.append(ScheduleSource(
                function=function.logical_id, event_name=name, expression=expression, schedule=parse(expression),
                rule_arn=f"arn:aws:events:{region}:{ACCOUNT_ID}:{kind}/{rule_name}",
                input=props.get("Input"), enabled=enabled))
    return sources


def scheduled_event(source: ScheduleSource, region: str, now: datetime | None = None) -> Any:
    if source.input is not None:
        return json.loads(source.input)
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT_ID, "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [source.rule_arn], "detail": {}}


def scale_from_env() -> float:
    value = float(os.environ.get(SCALE_ENV, "1") or "1")
    if value <= 0:
        raise ValueError(f"{SCALE_ENV} must be > 0")
    return value


class VirtualClock:
    """Real time → schedule time, running 1/scale as fast as real time from `origin`."""

    def __init__(self, scale: float, origin: float | None = None):
        self.scale = scale
        self.origin = time.time() if origin is None else origin

    def to_virtual(self, real: float) -> datetime:
        return datetime.fromtimestamp(self.origin + (real - self.origin) / self.scale, timezone.utc)

    def to_real(self, virtual: datetime) -> float:
        return self.origin + (virtual.timestamp() - self.origin) * self.scale


class Scheduler:
    def __init__(self, sources: list[ScheduleSource], invoke: Callable[[str, Any], Invocation], *,
                 region: str = "us-east-1", scale: float | None = None):
        self.sources = sources
        self.invoke = invoke
        self.region = region
        self.clock = VirtualClock(scale if scale is not None else scale_from_env())
        self.fired: dict[str, int] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.clock.origin = time.time()
        anchor = self.clock.to_virtual(self.clock.origin)
        for source in self.sources:
            if not source.enabled:
                continue
            thread = threading.Thread(target=self._run, args=(source, anchor), daemon=True,
                                      name=f"schedule-{source.function}-{source.event_name}")
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def next_fire(self, source: ScheduleSource, after_real: float, anchor: datetime) -> float | None:
        upcoming = source.schedule.next_after(self.clock.to_virtual(after_real), anchor)
        return None if upcoming is None else self.clock.to_real(upcoming)

    def _run(self, source: ScheduleSource, anchor: datetime) -> None:
        after = time.time()
        while not self._stop.is_set():
            due = self.next_fire(source, after, anchor)
            if due is None:
                log.info("schedule %s of %s has no future fire time", source.expression, source.function)
                return
            if self._stop.wait(max(0.0, due - time.time())):
                return
            self._fire(source)
            after = max(due, time.time())          # skip fire times missed while the function ran

    def _fire(self, source: ScheduleSource) -> Invocation | None:
        self.fired[source.function] = self.fired.get(source.function, 0) + 1
        try:
            outcome = self.invoke(source.function, scheduled_event(source, self.region))
        except OSError as error:
            log.warning("schedule %s could not invoke %s: %s", source.expression, source.function, error)
            return None
        if outcome.failed:
            log.warning("scheduled %s failed: %s", source.function, outcome.error_type)
        return outcome

    def fire(self, logical_id: str) -> Invocation:
        """Fire the first schedule of a function now, in the caller's thread."""
        source = next((s for s in self.sources if s.function == logical_id), None)
        if source is None:
            raise KeyError(f"{logical_id} has no Schedule event")
        self.fired[logical_id] = self.fired.get(logical_id, 0) + 1
        return self.invoke(logical_id, scheduled_event(source, self.region))
