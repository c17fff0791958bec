"""Reservations of the orders service: hold stock for every line or none, then commit or release it.

The reservation status machine (the moves below, and no others):

    (new) → held        reserve: every line's units HELD (stock.py), all or nothing
    (new) → rejected    a line could not be held: nothing held; the id replays the same 409
    held  → committed   commit, while the hold has not expired: the held units SOLD
    held  → released    release: the held units RETURNed to stock
    held  → expired     the sweep, or a commit that comes too late, once the hold has expired: RETURNed
    pending → released | expired    records of the former step-by-step code (`finish_old_record`)

Each move is ONE DynamoDB transaction over the reservation item and its products' items
(repository.hold / repository.finish), conditional on the status it moves from (and on the
expiry, as the move says), so two moves of one reservation never both apply. A line out of
stock cancels the whole reservation: the transaction's CancellationReasons say which
product's condition failed and carry that product as it was, so the 409 names the first line
that could not be held.

Records written before reservations were transactional can be `pending` with some of their
lines held, or final with holds left to settle (a crash between two of the old single-item
steps): the sweep (and release) finish those line by line, each step conditional on its hold.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable

from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import ServiceUnavailable, Unprocessable, ValidationFailed
from meridian.observability import count, logger

from . import repository
from .errors import ReservationNotFound, ReservationStateConflict, StockInconsistent, StockUnavailable
from .models import META, ProductItem, ReservationItem, ReservationLine
from .stock import RETURN, SELL, line_of, units_available

NEW = None
PENDING, HELD, COMMITTED, RELEASED, EXPIRED, REJECTED = (
    "pending", "held", "committed", "released", "expired", "rejected")   # pending: only in records of the old code
STATUSES = (PENDING, HELD, COMMITTED, RELEASED, EXPIRED, REJECTED)
# (from, to) → when the move may happen: "unexpired" while the hold lasts, "expired" once it is over, None any time
TRANSITIONS: dict[tuple[str | None, str], str | None] = {
    (NEW, HELD): None,
    (NEW, REJECTED): None,
    (HELD, COMMITTED): "unexpired",
    (HELD, RELEASED): None,
    (HELD, EXPIRED): "expired",
    (PENDING, RELEASED): None,
    (PENDING, EXPIRED): "expired",
}
# what becomes of the units a reservation held once it ends in this status
SETTLES: dict[str, str] = {COMMITTED: SELL, RELEASED: RETURN, EXPIRED: RETURN, REJECTED: RETURN}
FINAL = frozenset(SETTLES)
RELEASED_OR_ENDED = (RELEASED, EXPIRED, REJECTED)   # release answers these as they are


def allowed(current: str | None, target: str) -> bool:
    return (current, target) in TRANSITIONS


def default_ttl_seconds() -> int:
    return int_env("RESERVATION_TTL_SECONDS", 900)


# --------------------------------------------------------------------------- moves
def move(item: ReservationItem, target: str, now: _dt.datetime) -> bool:
    """Move a held reservation to its final status `target` in ONE transaction, its holds sold or back in
    stock as SETTLES says. False when the reservation was not as read (it changed meanwhile, or the
    move's expiry condition does not hold)."""
    if item.status != HELD or not allowed(HELD, target):
        raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}.")
    step = SETTLES[target]
    reasons = repository.finish(item, source=HELD, target=target, step=step, expiry=TRANSITIONS[(HELD, target)],
                                now=now)
    if reasons is None:
        item.status, item.gsi1pk, item.gsi1sk = target, None, None
        if step == RETURN:
            count("StockReturned", sum(int(line.quantity) for line in item.lines), reason=target)
        return True
    if reasons[0] is not None:
        return False
    grouped = repository.by_product(item.lines)
    missing = [pid for pid, reason in zip(grouped, reasons[1:], strict=False) if reason is not None]
    count("ReservationInconsistent")
    logger.error("held reservation without its holds", extra={"reservation_id": item.id, "products": missing})
    raise StockInconsistent(f"Reservation {item.id} is held but products {', '.join(missing)} hold none of it.",
                            reservation_id=item.id)


def expire(item: ReservationItem, now: _dt.datetime) -> bool:
    moved = move(item, EXPIRED, now)
    if moved:
        count("ReservationExpired")
        logger.info("reservation expired; stock returned", extra={"reservation_id": item.id})
    return moved


def finish_old_record(item: ReservationItem, now: _dt.datetime, *, release: bool = False) -> bool:
    """Finish a record of the old, non-transactional code: a `pending` one (some lines held), or a final one
    whose holds were not all settled. The record moves first (conditional; back into the due index at once,
    so a crash is picked up by the next sweep), then each line's own step, conditional on its hold."""
    if item.status == PENDING:
        if not release and item.hold_until_epoch > now.timestamp():
            return False
        target = RELEASED if release else EXPIRED
        if not repository.move_pending(item, target, now):
            return False
        item.status = target
    if item.status not in FINAL:
        return False
    for line in item.lines:
        repository.step_line(item.id, line, SETTLES[item.status])
    repository.close(item, now)
    return True


# --------------------------------------------------------------------------- the API
def _merge(items: list[dict]) -> list[tuple[str, str | None, int, int]]:
    """(product id, sku, quantity, first index) with duplicate lines summed, in a stable order."""
    merged: dict[tuple[str, str], list] = {}
    for index, line in enumerate(items):
        pid, sku = str(line["product_id"]), line.get("sku")
        key = (pid, (sku or "").upper())
        if key in merged:
            merged[key][2] += line["quantity"]
        else:
            merged[key] = [pid, sku, line["quantity"], index]
    return sorted((tuple(v) for v in merged.values()), key=lambda v: (v[0], (v[1] or "").upper()))


def _request_hash(lines: Iterable[tuple[str, str | None, int]]) -> str:
    canonical = ";".join(f"{pid}:{(sku or '').upper()}:{qty}" for pid, sku, qty in sorted(
        lines, key=lambda line: (line[0], (line[1] or "").upper())))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _name_of(product: ProductItem) -> str:
    texts = product.l10n.as_dict() if product.l10n else {}
    return (texts.get("en") or {}).get("name") or product.slug


def reserve(reservation_id: str, items: list[dict], *, ttl_seconds: int | None = None, caller: str | None = None,
            now: _dt.datetime | None = None) -> tuple[ReservationItem, bool]:
    """Hold stock for every line or none. Returns (reservation, created); the same id replays its first outcome."""
    now = now or utcnow()
    reservation_id = str(reservation_id)
    merged = _merge(items)
    request_hash = _request_hash((pid, sku, qty) for pid, sku, qty, _ in merged)

    existing = repository.get_reservation(reservation_id)
    if existing is not None:
        return _replay(existing, request_hash), False

    products = repository.get_products({pid for pid, _, _, _ in merged})
    lines, errors = [], {}
    for pid, sku, qty, index in merged:
        product = products.get(pid)
        if product is None:
            raise StockUnavailable(pid, sku, "not_found", qty, 0)
        if product.status != "active":
            raise StockUnavailable(pid, sku, "not_available", qty, 0)
        found = line_of(product, sku)
        if found is None:
            errors[f"items.{index}.sku"] = ["Choose one of the product's SKUs." if product.variants or sku else
                                            "Unknown SKU."]
            continue
        lines.append(ReservationLine(product_id=pid, sku=found.sku, stock_key=found.stock_key, quantity=qty,
                                     unit_price=found.unit_price, currency=product.currency or "USD",
                                     name=_name_of(product), weight_grams=found.weight_grams,
                                     tax_class=product.tax_class,
                                     fixed_prices={code: format(amount, "f")
                                                   for code, amount in found.fixed_prices.items()} or None))
    if errors:
        raise ValidationFailed(errors)
    products_held = list(repository.by_product(lines))
    if len(products_held) + 1 > repository.MAX_TRANSACTION_ITEMS:
        raise ValidationFailed({"items": [f"At most {repository.MAX_TRANSACTION_ITEMS - 1} different products."]})

    ttl = ttl_seconds or default_ttl_seconds()
    hold_until = now + _dt.timedelta(seconds=ttl)
    item = ReservationItem(
        repository.reservation_pk(reservation_id), META, id=reservation_id, status=HELD, caller=caller, lines=lines,
        hold_until=iso(hold_until), hold_until_epoch=int(hold_until.timestamp()), created_at=iso(now),
        updated_at=iso(now), gsi1pk=repository.due_partition(reservation_id),
        gsi1sk=repository.due_key(iso(hold_until), reservation_id), request_hash=request_hash)

    for _ in range(3):
        reasons = repository.hold(item)
        if reasons is None:
            count("ReservationHeld")
            return item, True
        if reasons[0] is not None:  # the same reservation id was made meanwhile (a concurrent retry)
            return _replay(repository.get_reservation(reservation_id), request_hash), False
        problem = _first_problem(lines, products_held, reasons[1:])
        if problem is not None:
            return _reject(item, problem, request_hash, now)
        # the products no longer fail the conditions that failed a moment ago: try again
    raise ServiceUnavailable("Stock is changing too fast right now; retry.", retry_after=1)


def _line_problem(line: ReservationLine, product: ProductItem | None) -> StockUnavailable | None:
    qty = int(line.quantity)
    if product is None:
        return StockUnavailable(line.product_id, line.sku, "not_found", qty, 0)
    if product.status != "active":
        return StockUnavailable(line.product_id, line.sku, "not_available", qty, 0)
    available = units_available(product, line.stock_key)
    if available < qty:
        return StockUnavailable(line.product_id, line.sku, "insufficient_stock", qty, available)
    return None


def _first_problem(lines: list[ReservationLine], products: list[str], reasons: list) -> StockUnavailable | None:
    """The first line (in the reservation's order) whose product's condition failed, and why."""
    failed = {product_id: repository.product_as_it_was(product_id, reason)
              for product_id, reason in zip(products, reasons, strict=False)
              if reason is not None and reason.code == "ConditionalCheckFailed"}
    for line in lines:
        if line.product_id in failed:
            problem = _line_problem(line, failed[line.product_id])
            if problem is not None:
                return problem
    return None


def _reject(item: ReservationItem, problem: StockUnavailable, request_hash: str, now: _dt.datetime):
    """Record the rejection (nothing is held) so that the same id replays this 409, then raise it."""
    item.status, item.gsi1pk, item.gsi1sk = REJECTED, None, None
    item.failure = {k: problem.extra[k] for k in ("product_id", "sku", "reason", "requested", "available")}
    item.expires_at = repository.retention(now)
    try:
        repository.put_rejected(item)
    except repository.ConditionFailed:   # a concurrent retry of the same id got there first
        return _replay(repository.get_reservation(item.id), request_hash), False
    count("ReservationRejected", reason=problem.extra["reason"])
    raise problem


def _replay(item: ReservationItem, request_hash: str) -> ReservationItem:
    if getattr(item, "request_hash", None) not in (None, request_hash):
        raise Unprocessable(f"Reservation {item.id} was already made with different items.",
                            reservation_id=item.id)
    if item.status in (HELD, COMMITTED):
        return item
    if item.status == REJECTED and item.failure is not None:
        failure = item.failure.as_dict()
        raise StockUnavailable(failure["product_id"], failure.get("sku"), failure["reason"],
                               int(failure.get("requested", 0)), int(failure.get("available", 0)))
    raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}.")


def _load(reservation_id: str) -> ReservationItem:
    item = repository.get_reservation(str(reservation_id))
    if item is None:
        raise ReservationNotFound(str(reservation_id))
    return item


def commit(reservation_id: str, *, now: _dt.datetime | None = None) -> ReservationItem:
    """The held units are sold. Idempotent; 409 once released or expired."""
    now = now or utcnow()
    for _ in range(3):
        item = _load(reservation_id)
        if item.status == COMMITTED:
            return item
        if item.status == HELD:
            if item.hold_until_epoch <= now.timestamp():
                expire(item, now)
                raise ReservationStateConflict(item.id, EXPIRED, f"Reservation {item.id} has expired.")
            if move(item, COMMITTED, now):
                count("ReservationCommitted")
                return item
            continue  # it changed under us: look again
        raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}; "
                                       "only a held reservation can be committed.")
    raise ReservationStateConflict(str(reservation_id), "unknown", "The reservation keeps changing; retry.")


def release(reservation_id: str, *, now: _dt.datetime | None = None) -> ReservationItem:
    """Return the held units to stock. Idempotent; 409 once committed."""
    now = now or utcnow()
    for _ in range(3):
        item = _load(reservation_id)
        if item.status in RELEASED_OR_ENDED:
            return item
        if item.status == COMMITTED:
            raise ReservationStateConflict(item.id, item.status,
                                           f"Reservation {item.id} is committed; its stock is sold.")
        if item.status == PENDING:
            finish_old_record(item, now, release=True)
            continue
        if move(item, RELEASED, now):
            count("ReservationReleased")
            return item
    raise ReservationStateConflict(str(reservation_id), "unknown", "The reservation keeps changing; retry.")


def get(reservation_id: str) -> ReservationItem:
    return _load(reservation_id)

