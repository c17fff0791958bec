"""EventBridge schedule expressions: `rate(value unit)` and `cron(min hour dom month dow year)`.

`parse("rate(5 minutes)")` / `parse("cron(0 12 ? * MON-FRI *)")` return an object whose
`next_after(moment, anchor)` is the first fire time strictly after `moment` (UTC, minute
precision for cron; a rate fires at anchor + k * interval, anchor being when it was created).
AWS cron syntax: six fields; day-of-month or day-of-week must be `?` (not both);
day-of-week 1-7 = SUN-SAT; `L`, `W`, `LW`, `nL` and `n#k` as AWS documents them.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                        "NOV", "DEC"), start=1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_SEARCH_YEARS = 10


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    interval: timedelta

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        periods = max(1, (moment - anchor) // self.interval + 1)     # fires at anchor + k * interval, k >= 1
        return anchor + periods * self.interval


def parse_rate(expression: str) -> Rate:
    found = _RATE.match(expression.strip())
    if not found:
        raise ScheduleError(f"not a rate expression: {expression!r}")
    value, unit = int(found.group(1)), found.group(2)
    if value < 1:
        raise ScheduleError("a rate must be at least 1")
    if (value == 1) != (not unit.endswith("s")):
        raise ScheduleError(f"AWS wants the singular unit for 1 and the plural otherwise: {expression!r}")
    return Rate(value * _UNITS[unit.rstrip("s")])


# ---------------------------------------------------------------------------- cron
def _number(token: str, names: dict[str, int], low: int, high: int) -> int:
    value = names.get(token.upper()) if not token.isdigit() else int(token)
    if value is None or not low <= value <= high:
        raise ScheduleError(f"{token!r} is not in {low}-{high}")
    return value


def _values(field: str, names: dict[str, int], low: int, high: int) -> frozenset[int]:
    """`*`, `a`, `a-b`, `*/n`, `a/n`, `a-b/n` and comma lists of them."""
    out: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ScheduleError(f"bad step in {item!r}")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = _number(first, names, low, high), _number(last, names, low, high)
            if start > end:
                raise ScheduleError(f"range {item!r} runs backwards")
        else:
            start = _number(body, names, low, high)
            end = high if step_text else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1                       # Monday → 2 … Sunday → 1


def _nearest_weekday(year: int, month: int, day: int) -> int:
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = date(year, month, day).weekday()
    if weekday == 5:                                          # Saturday → Friday, or Monday if the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:                                          # Sunday → Monday, or Friday if the last day
        return day + 1 if day < last else day - 2
    return day


@dataclass(frozen=True)
class DayOfMonth:
    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekdays: frozenset[int] = frozenset()

    def matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if day.day in self.days or (self.last and day.day == last):
            return True
        if self.last_weekday and day.day == _nearest_weekday(day.year, day.month, last):
            return True
        return any(day.day == _nearest_weekday(day.year, day.month, n) for n in self.nearest_weekdays)


@dataclass(frozen=True)
class DayOfWeek:
    days: frozenset[int] = frozenset()
    last_of_month: frozenset[int] = frozenset()               # 6L: the last Friday
    nth: frozenset[tuple[int, int]] = frozenset()             # 3#2: the second Tuesday

    def matches(self, day: date) -> bool:
        weekday = _aws_weekday(day)
        if weekday in self.days:
            return True
        if weekday in self.last_of_month and day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth


def _day_of_month(field: str) -> DayOfMonth:
    days, nearest, last, last_weekday = set(), set(), False, False
    for item in field.split(","):
        upper = item.upper()
        if upper == "L":
            last = True
        elif upper == "LW":
            last_weekday = True
        elif upper.endswith("W") and upper[:-1].isdigit():
            nearest.add(_number(upper[:-1], {}, 1, 31))
        else:
            days |= _values(item, {}, 1, 31)
    return DayOfMonth(frozenset(days), last, last_weekday, frozenset(nearest))


def _day_of_week(field: str) -> DayOfWeek:
    days, last_of_month, nth = set(), set(), set()
    for item in field.split(","):
        upper = item.upper()
        if upper == "L":
            days.add(7)
        elif upper.endswith("L"):
            last_of_month.add(_number(upper[:-1], _DAYS, 1, 7))
        elif "#" in upper:
            weekday, _, which = upper.partition("#")
            if not which.isdigit() or not 1 <= int(which) <= 5:
                raise ScheduleError(f"bad #n in {item!r}")
            nth.add((_number(weekday, _DAYS, 1, 7), int(which)))
        else:
            days |= _values(item, _DAYS, 1, 7)
    return DayOfWeek(frozenset(days), frozenset(last_of_month), frozenset(nth))


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonth | None          # None: '?'
    months: frozenset[int]
    day_of_week: DayOfWeek | None            # None: '?'
    years: frozenset[int]

    def day_matches(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month is not None:
            return self.day_of_month.matches(day)
        return self.day_of_week is not None and self.day_of_week.matches(day)

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first matching minute strictly after `moment` (UTC), or None within the next years."""
        moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        day = start.date()
        for _ in range(366 * _SEARCH_YEARS):
            if self.day_matches(day):
                for hour in hours:
                    if day == start.date() and hour < start.hour:
                        continue
                    for minute in minutes:
                        if day == start.date() and hour == start.hour and minute < start.minute:
                            continue
                        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)
            day += timedelta(days=1)
        return None


def parse_cron(expression: str) -> Cron:
    found = _CRON.match(expression.strip())
    if not found:
        raise ScheduleError(f"not a cron expression: {expression!r}")
    parts = found.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(f"AWS cron has 6 fields (min hour day-of-month month day-of-week year): {expression!r}")
    minute, hour, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise ScheduleError("exactly one of day-of-month and day-of-week must be '?'")
    return Cron(minutes=_values(minute, {}, 0, 59), hours=_values(hour, {}, 0, 23),
                day_of_month=None if dom == "?" else _day_of_month(dom),
                months=_values(month, _MONTHS, 1, 12),
                day_of_week=None if dow == "?" else _day_of_week(dow),
                years=_values(year, {}, 1970, 2199))


def parse(expression: str) -> Rate | Cron:
    text = expression.strip()
    if text.startswith("rate("):
        return parse_rate(text)
    if text.startswith("cron("):
        return parse_cron(text)
    raise ScheduleError(f"a schedule is rate(...) or cron(...): {expression!r}")
