"""The figures of one bench run: each printed as it is measured, then all of them again as one table.

A figure is a value next to what it is judged against: a floor (the bare operation it is built
on, measured in the same run) and/or a target, and a verdict: "ok", "OVER TARGET", or "" when
the figure is informational. Missing a target is not an error (the figures are the
deliverable); `error()` records what is one (failed requests, lost or dead-lettered events)
and makes `python -m tests.bench` exit non-zero.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

OK, OVER = "ok", "OVER TARGET"


@dataclass
class Figure:
    section: str
    name: str
    value: str                     # formatted, with its unit
    floor: str = ""                # what it is compared with, formatted ("bare Query 3.1 ms")
    target: str = ""               # "≤ 13.1 ms", "0 errors", ...
    verdict: str = ""              # OK / OVER / "" (informational)


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drained_checks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def after_drain(self, check: Callable[[], None]) -> None:
        """Run `check` at the end of the run, once every event queue has drained (final.py)."""
        self.drained_checks.append(check)

    def figure(self, section: str, name: str, value: str, *, floor: str = "", target: str = "",
               ok: bool | None = None) -> Figure:
        verdict = "" if ok is None else (OK if ok else OVER)
        figure = Figure(section, name, value, floor, target, verdict)
        with self._lock:
            self.figures.append(figure)
        beside = "; ".join(part for part in (floor and f"floor: {floor}", target and f"target {target}") if part)
        print(f"  {name}: {value}" + (f"  ({beside})" if beside else "") + (f"  {verdict}" if verdict else ""),
              flush=True)
        return figure

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
        print(f"  ERROR: {message}", flush=True)

    def note(self, message: str) -> None:
        with self._lock:
            self.notes.append(message)
        print(f"  {message}", flush=True)

    def table(self) -> str:
        headers = ("section", "figure", "value", "floor (bare)", "target", "verdict")
        rows = [(f.section, f.name, f.value, f.floor, f.target, f.verdict) for f in self.figures]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

        def line(cells) -> str:
            return " | ".join(str(c).ljust(w) if i not in (2,) else str(c).rjust(w)
                              for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [line(headers), "-+-".join("-" * w for w in widths)]
        previous = None
        for row in rows:
            out.append(line(row if row[0] != previous else ("",) + row[1:]))
            previous = row[0]
        over = sum(1 for f in self.figures if f.verdict == OVER)
        met = sum(1 for f in self.figures if f.verdict == OK)
        out.append("")
        out.append(f"{len(self.figures)} figures: {met} ok, {over} over target, "
                   f"{len(self.figures) - met - over} informational; {len(self.errors)} errors")
        out += [f"ERROR: {e}" for e in self.errors]
        return "\n".join(out)


REPORT = Report()


# ---------------------------------------------------------------------- formatting
def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def per_second(value: float) -> str:
    return f"{value:.1f}/s" if value < 100 else f"{value:.0f}/s"


def mib(value_bytes: float) -> str:
    return f"{value_bytes / 2**20:.0f} MiB"


def count(value: int) -> str:
    return f"{value:,}"
