"""The scheduled reconciliation: repair what lost events and abandoned checkouts leave behind.

1. Pending orders past their payment window: the intent is cancelled, the order
   cancelled, the stock and codes released, its cart open again (the shopper starts
   over). (If the gateway says the payment succeeded after
   all, the order is marked paid instead: its webhook was lost.) They are found by a
   Query of the status index (gsi2, pending orders sorted by expiry) up to now, at most
   100 a run (the next run takes the rest): the table is never scanned.
2. Orphaned intents: open payments (pending, failed, requires_action) and claims that never
   got their payment, made before the payment window + ORPHAN_GRACE_MINUTES, whose order does
   not exist (the checkout gave up, 503, and its compensation did not reach payments): payments
   abandons each (cancels the intent, found by the order's gateway idempotency key).
   `orphan_intents_cancelled` in the report.
3. Payments that succeeded (within RECONCILE_LOOKBACK_HOURS) whose order is not paid:
   a pending order is marked paid; a cancelled one is refunded; one without an order is only
   reported (`orphan_payments`, logged with its payment id: an operator refunds it).
What it fixed is logged and emitted as metrics.
"""
from __future__ import annotations

import datetime as _dt

from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import DomainError, NotFound
from meridian.observability import count, logger

from . import carts, payments_api, repository
from .cancellation import cancel
from .checkout import payment_window
from .payment_events import mark_paid
from .state_machine import CANCELLED, PENDING_PAYMENT

ACTOR = "reconciliation"


def expire_pending(now: _dt.datetime, report: dict) -> None:
    for order in repository.expired(PENDING_PAYMENT, iso(now)):
        try:
            cancel(order, reason="payment window expired", actor=ACTOR)
            carts.reopen_for(order)                      # the shopper may start over from the same cart
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


OPEN_STATUSES = ("pending", "failed", "requires_action", "claimed")


def orphan_cutoff(now: _dt.datetime) -> _dt.datetime:
    """Payments older than this whose order does not exist were given up on: an order is stored within its
    checkout, so one still being placed is never this old (the payment window + ORPHAN_GRACE_MINUTES)."""
    return now - payment_window() - _dt.timedelta(minutes=int_env("ORPHAN_GRACE_MINUTES", 10))


def abandon_orphans(now: _dt.datetime, report: dict) -> None:
    """Open payments (and claims that never got one) made before the cutoff whose order does not exist: the
    checkout gave up on them and its compensation did not reach payments. Each is abandoned (cancelled)."""
    before = iso(orphan_cutoff(now))
    for status in OPEN_STATUSES:
        for payment in payments_api.open_before(status, before):
            order_id = payment["order_id"]
            try:
                repository.get(order_id)
                continue                                 # its order exists: expiry (above) settles it
            except NotFound:
                pass
            try:
                payments_api.abandon(order_id)
                report["orphan_intents_cancelled"] += 1
                logger.warning("orphaned payment abandoned", extra={"order_id": order_id, "status": status})
            except payments_api.PaymentRefused:          # it succeeded after all: settle_succeeded_payments reports
                report["orphan_payments"] += 1
            except DomainError as exc:
                report["errors"] += 1
                logger.warning("could not abandon an orphaned payment",
                               extra={"order_id": order_id, "error": exc.detail})


def reconcile(now: _dt.datetime | None = None) -> dict:
    now = now or utcnow()
    report = {"expired_cancelled": 0, "paid_fixed": 0, "refunds_started": 0, "orphan_payments": 0,
              "orphan_intents_cancelled": 0, "errors": 0}
    expire_pending(now, report)
    try:
        abandon_orphans(now, report)
    except DomainError as exc:  # payments unreachable: try again at the next run
        report["errors"] += 1
        logger.warning("could not list open payments", extra={"error": exc.detail})
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
