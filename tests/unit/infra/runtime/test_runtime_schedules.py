"""rate()/cron() parsing and next fire times (infra/localaws/runtime/schedules.py) and scheduled events."""
from datetime import datetime, timedelta, timezone

import pytest

from infra.localaws.runtime import schedules
from infra.localaws.runtime.scheduler import ScheduleSource, VirtualClock, schedule_sources, scheduled_event
from infra.localaws.template import Template

UTC = timezone.utc


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("expression, interval", [
    ("rate(1 minute)", timedelta(minutes=1)), ("rate(5 minutes)", timedelta(minutes=5)),
    ("rate(1 hour)", timedelta(hours=1)), ("rate(12 hours)", timedelta(hours=12)),
    ("rate(1 day)", timedelta(days=1)), ("rate(3 days)", timedelta(days=3)),
])
def test_rate_parsing(expression, interval):
    assert schedules.parse(expression) == schedules.Rate(interval)


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(2 weeks)",
                                        "rate(1.5 hours)", "every hour", "cron(0 12 * * ? *"])
def test_bad_rates(expression):
    with pytest.raises(schedules.ScheduleError):
        schedules.parse(expression)


def test_rate_fires_at_anchor_plus_multiples():
    rate = schedules.parse("rate(5 minutes)")
    anchor = at(2026, 1, 1, 10, 0)
    assert rate.next_after(anchor, anchor) == at(2026, 1, 1, 10, 5)
    assert rate.next_after(at(2026, 1, 1, 10, 7, 30), anchor) == at(2026, 1, 1, 10, 10)
    assert rate.next_after(at(2026, 1, 1, 10, 10), anchor) == at(2026, 1, 1, 10, 15)


@pytest.mark.parametrize("expression, after, expected", [
    ("cron(0 12 * * ? *)", at(2026, 3, 10, 12, 0), at(2026, 3, 11, 12, 0)),
    ("cron(0 12 * * ? *)", at(2026, 3, 10, 11, 59), at(2026, 3, 10, 12, 0)),
    ("cron(0/15 * * * ? *)", at(2026, 3, 10, 8, 16), at(2026, 3, 10, 8, 30)),
    ("cron(*/10 9-17 ? * MON-FRI *)", at(2026, 3, 13, 17, 55), at(2026, 3, 16, 9, 0)),   # Fri → Mon
    ("cron(0 18 ? * 2-6 *)", at(2026, 3, 14, 0, 0), at(2026, 3, 16, 18, 0)),             # numeric MON-FRI
    ("cron(15 10 L * ? *)", at(2026, 2, 1, 0, 0), at(2026, 2, 28, 10, 15)),               # last day of month
    ("cron(0 9 LW * ? *)", at(2026, 5, 1, 0, 0), at(2026, 5, 29, 9, 0)),                 # May 31 2026 is a Sunday
    ("cron(0 9 15W * ? *)", at(2026, 8, 1, 0, 0), at(2026, 8, 14, 9, 0)),                # Aug 15 2026 is a Saturday
    ("cron(0 8 ? * 6L *)", at(2026, 3, 1, 0, 0), at(2026, 3, 27, 8, 0)),                 # last Friday
    ("cron(0 8 ? * 3#2 *)", at(2026, 3, 1, 0, 0), at(2026, 3, 10, 8, 0)),                # second Tuesday
    ("cron(0 0 1 JAN ? 2027)", at(2026, 6, 1, 0, 0), at(2027, 1, 1, 0, 0)),
    ("cron(30 6 1,15 * ? *)", at(2026, 3, 1, 6, 30), at(2026, 3, 15, 6, 30)),
])
def test_cron_next_after(expression, after, expected):
    assert schedules.parse(expression).next_after(after) == expected


def test_cron_with_no_future_time():
    assert schedules.parse("cron(0 0 1 JAN ? 2020)").next_after(at(2026, 1, 1)) is None


@pytest.mark.parametrize("expression", [
    "cron(0 12 * * * *)",          # both day fields set
    "cron(0 12 ? * ? *)",          # both '?'
    "cron(0 12 * *)",              # too few fields
    "cron(60 12 * * ? *)",         # minute out of range
    "cron(0 24 * * ? *)",          # hour out of range
    "cron(0 12 ? * FOO *)",        # unknown day name
    "cron(0 12 ? * 3#6 *)",        # no sixth weekday
    "cron(0 12 10-5 * ? *)",       # backwards range
])
def test_bad_crons(expression):
    with pytest.raises(schedules.ScheduleError):
        schedules.parse(expression)


def test_template_schedules_are_found_and_parsed():
    sources = {s.function: s for s in schedule_sources(Template())}
    assert sources["FxRefreshFunction"].expression == "rate(1 hour)"
    assert sources["FxRefreshFunction"].schedule == schedules.Rate(timedelta(hours=1))
    assert sources["ReservationSweepFunction"].schedule == schedules.Rate(timedelta(minutes=1))


def test_scheduled_event_shape_and_input_override():
    source = ScheduleSource("Fn", "Hourly", "rate(1 hour)", schedules.parse("rate(1 hour)"),
                            "arn:aws:events:us-east-1:123456789012:rule/x")
    event = scheduled_event(source, "eu-west-1", at(2026, 3, 10, 12, 0, 5))
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-03-10T12:00:05Z" and event["region"] == "eu-west-1"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/x"] and event["detail"] == {}
    custom = ScheduleSource("Fn", "E", "rate(1 hour)", source.schedule, source.rule_arn, input='{"job": "sweep"}')
    assert scheduled_event(custom, "us-east-1") == {"job": "sweep"}


def test_virtual_clock_scales_schedule_time():
    clock = VirtualClock(scale=0.01, origin=1000.0)
    anchor = clock.to_virtual(1000.0)
    due = schedules.parse("rate(1 hour)").next_after(anchor, anchor)
    assert clock.to_real(due) == pytest.approx(1036.0)          # rate(1 hour) every 36 s at scale 0.01
