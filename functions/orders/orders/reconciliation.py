"""The scheduled reconciliation: repair what lost events and abandoned checkouts leave behind.

1. Pending orders past their payment window: the intent is cancelled, the order
   cancelled, the stock released. (If the gateway says the payment succeeded after
   all, the order is marked paid instead: its webhook was lost.) They are found by a
   Query of the status index (gsi2, pending orders sorted by expiry) up to now, at most
   100 a run (the next run takes the rest): the table is never scanned.
2. Payments that succeeded (within RECONCILE_LOOKBACK_HOURS) whose order is not paid:
   a pending order is marked paid; a cancelled one is refunded.
What it fixed is logged and emitted as metrics.
"""
from __future__ import annotations

import datetime as _dt

from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import DomainError, NotFound
from meridian.observability import count, logger

from . import payments_api, repository
from .cancellation import cancel
from .payment_events import mark_paid
from .state_machine import CANCELLED, PENDING_PAYMENT

ACTOR = "reconciliation"


def expire_pending(now: _dt.datetime, report: dict) -> None:
    for order in repository.expired(PENDING_PAYMENT, iso(now)):
        try:
            cancel(order, reason="payment window expired", actor=ACTOR)
            report["expired_cancelled"] += 1
        except payments_api.PaymentRefused:
            mark_paid(repository.get(order.id), actor=ACTOR, reason="payment succeeded (reconciled)")
            report["paid_fixed"] += 1
        except DomainError as exc:
            report["errors"] += 1
            logger.warning("could not expire order", extra={"order_id": order.id, "error": exc.detail})


def settle_succeeded_payments(now: _dt.datetime, report: dict) -> None:
    since = iso(now - _dt.timedelta(hours=int_env("RECONCILE_LOOKBACK_HOURS", 24)))
    for payment in payments_api.succeeded_since(since):
        try:
            order = repository.get(payment["order_id"])
        except NotFound:
            report["orphan_payments"] += 1
            logger.warning("succeeded payment without an order", extra={"payment_id": payment["id"]})
            continue
        try:
            if order.status == PENDING_PAYMENT:
                mark_paid(order, actor=ACTOR, reason="payment succeeded (reconciled)")
                report["paid_fixed"] += 1
            elif order.status == CANCELLED:
                payments_api.refund_in_full(order.payment_id)
                report["refunds_started"] += 1
        except DomainError as exc:
            report["errors"] += 1
            logger.warning("could not settle payment", extra={"order_id": order.id, "error": exc.detail})


def reconcile(now: _dt.datetime | None = None) -> dict:
    now = now or utcnow()
    report = {"expired_cancelled": 0, "paid_fixed": 0, "refunds_started": 0, "orphan_payments": 0, "errors": 0}
    expire_pending(now, report)
    try:
        settle_succeeded_payments(now, report)
    except DomainError as exc:  # payments unreachable: try again at the next run
        report["errors"] += 1
        logger.warning("could not list succeeded payments", extra={"error": exc.detail})
    for name, value in report.items():
        if value:
            count(f"Reconciliation_{name}", value)
    logger.info("reconciliation finished", extra=report)
    return report
