"""Stock: reservations for the orders service, and the sweep that expires them.

Every stock change is ONE conditional UpdateItem on the product item, so stock can never
go below zero, whatever the concurrency (DynamoDB applies a conditional write atomically):

    hold     SET stock.k = stock.k - q, holds.<rid|k> = q
             IF status = active AND stock.k >= q AND holds.<rid|k> does not exist
    release  SET stock.k = stock.k + q  REMOVE holds.<rid|k>    IF holds.<rid|k> exists
    commit   SET sold.k = sold.k + q    REMOVE holds.<rid|k>    IF holds.<rid|k> exists

The `holds` entry makes every line step idempotent (a retried hold or release changes
nothing the second time) and records, on the product itself, which reservation holds
which units. No multi-item transaction is needed: a reservation record moves
pending → held → committed | released | expired (or pending → rejected) with conditional
writes, and whoever moves it to a final state re-applies the matching line step to
every line (idempotent). While a reservation has work left (a hold that can expire, or
holds to clean up) it sits in the sparse gsi1 partition RESERVATIONS#DUE#<shard> sorted
by due time; the scheduled sweep finishes whatever is due, so a crash at any point
leaves nothing held for longer than the reservation's TTL.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.errors import Unprocessable, ValidationFailed
from meridian.money import Money
from meridian.observability import count, logger
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from .errors import ReservationNotFound, ReservationStateConflict, StockUnavailable
from .models import META, SIMPLE_STOCK_KEY, ProductItem, ReservationItem, ReservationLine, product_pk

DUE_SHARDS = 4
FINISHED_RETENTION_DAYS = 30
OPEN = ("pending", "held")
FINAL_RELEASED = ("released", "expired", "rejected")


def default_ttl_seconds() -> int:
    return int_env("RESERVATION_TTL_SECONDS", 900)


# --------------------------------------------------------------------------- small helpers
def _conditional_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _reservation_pk(reservation_id: str) -> str:
    return f"RESERVATION#{reservation_id}"


def _due_partition(reservation_id: str) -> str:
    return f"RESERVATIONS#DUE#{uuid.UUID(reservation_id).int % DUE_SHARDS}"


def _due_key(moment: str, reservation_id: str) -> str:
    return f"{moment}#{reservation_id}"


def _hold_key(reservation_id: str, stock_key: str) -> str:
    return f"{reservation_id}|{stock_key}"


def _request_hash(lines: Iterable[tuple[str, str | None, int]]) -> str:
    canonical = ";".join(f"{pid}:{(sku or '').upper()}:{qty}" for pid, sku, qty in sorted(
        lines, key=lambda line: (line[0], (line[1] or "").upper())))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stock_key_for(product: ProductItem, sku: str | None) -> tuple[str, str | None, Decimal] | None:
    """(stock key, SKU to report, unit price) of `sku` on `product`; None when it has no such SKU."""
    if product.variants:
        if not sku:
            return None
        for variant in product.variants:
            if variant.sku.upper() == sku.upper():
                price = variant.base_price if variant.base_price is not None else product.base_price
                return variant.sku, variant.sku, price
        return None
    if sku and (product.sku or "").upper() != sku.upper():
        return None
    return SIMPLE_STOCK_KEY, product.sku, product.base_price


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


def reservation_view(item: ReservationItem) -> dict[str, Any]:
    return {
        "reservation_id": item.id,
        "status": item.status,
        "expires_at": item.hold_until,
        "created_at": item.created_at,
        "items": [{
            "product_id": line.product_id,
            "sku": line.sku,
            "quantity": int(line.quantity),
            "unit_price": Money(line.unit_price, line.currency).to_json(),
            "name": line.name,
        } for line in item.lines],
    }


# --------------------------------------------------------------------------- line steps
def _hold_line(reservation_id: str, line: ReservationLine) -> StockUnavailable | None:
    key, qty = line.stock_key, int(line.quantity)
    hold = _hold_key(reservation_id, key)
    target = ProductItem(product_pk(line.product_id), META)
    try:
        target.update(
            actions=[ProductItem.stock[key].set(ProductItem.stock[key] - qty), ProductItem.holds[hold].set(qty)],
            condition=(ProductItem.status == "active") & (ProductItem.stock[key] >= qty)
            & ProductItem.holds[hold].does_not_exist())
        left = int(target.stock.as_dict().get(key, 0))
        if left < 0:  # impossible on DynamoDB; a store without atomic conditional writes (moto) can get here
            _release_line(reservation_id, line)
            count("NegativeStockCorrected")
            return StockUnavailable(line.product_id, line.sku, "insufficient_stock", qty, 0)
        return None
    except UpdateError as error:
        if not _conditional_failed(error):
            raise
    try:
        current = ProductItem.get(product_pk(line.product_id), META, consistent_read=True)
    except DoesNotExist:
        return StockUnavailable(line.product_id, line.sku, "not_found", qty, 0)
    if hold in (current.holds.as_dict() if current.holds else {}):
        return None  # already held by this reservation (a retry)
    if current.status != "active":
        return StockUnavailable(line.product_id, line.sku, "not_available", qty, 0)
    available = int((current.stock.as_dict() if current.stock else {}).get(key, 0))
    return StockUnavailable(line.product_id, line.sku, "insufficient_stock", qty, max(0, available))


def _release_line(reservation_id: str, line: ReservationLine) -> bool:
    key, qty = line.stock_key, int(line.quantity)
    hold = _hold_key(reservation_id, key)
    try:
        ProductItem(product_pk(line.product_id), META).update(
            actions=[ProductItem.stock[key].set(ProductItem.stock[key] + qty), ProductItem.holds[hold].remove()],
            condition=ProductItem.holds[hold].exists())
        return True
    except UpdateError as error:
        if not _conditional_failed(error):
            raise
        return False  # nothing held (never was, or already returned)


def _commit_line(reservation_id: str, line: ReservationLine) -> bool:
    key, qty = line.stock_key, int(line.quantity)
    hold = _hold_key(reservation_id, key)
    try:
        ProductItem(product_pk(line.product_id), META).update(
            actions=[ProductItem.sold[key].set((ProductItem.sold[key] | 0) + qty), ProductItem.holds[hold].remove()],
            condition=ProductItem.holds[hold].exists())
        return True
    except UpdateError as error:
        if not _conditional_failed(error):
            raise
        return False


# --------------------------------------------------------------------------- reservation record
def _load(reservation_id: str) -> ReservationItem | None:
    try:
        return ReservationItem.get(_reservation_pk(reservation_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def _transition(item: ReservationItem, from_statuses: tuple[str, ...], to_status: str, *,
                now: _dt.datetime, due_now: bool = False, extra: list | None = None,
                condition=None) -> bool:
    """Move the record to `to_status` if it is still in one of `from_statuses`."""
    actions = [ReservationItem.status.set(to_status), ReservationItem.updated_at.set(iso(now))]
    if due_now:  # work left (line steps): visible to the sweep right away should we crash
        actions.append(ReservationItem.gsi1sk.set(_due_key(iso(now), item.id)))
    actions.extend(extra or [])
    check = ReservationItem.status.is_in(*from_statuses)
    if condition is not None:
        check = check & condition
    try:
        item.update(actions=actions, condition=check)
        return True
    except UpdateError as error:
        if not _conditional_failed(error):
            raise
        return False


def _finish(item: ReservationItem, now: _dt.datetime) -> None:
    """Nothing left to do: leave the sweep's index and let the table TTL remove it later."""
    retention = int((now + _dt.timedelta(days=FINISHED_RETENTION_DAYS)).timestamp())
    item.update(actions=[ReservationItem.gsi1pk.remove(), ReservationItem.gsi1sk.remove(),
                         ReservationItem.expires_at.set(retention)])


def _settle(item: ReservationItem, now: _dt.datetime) -> None:
    """Apply the line step that matches the record's final status to every line, then finish."""
    if item.status == "committed":
        for line in item.lines:
            _commit_line(item.id, line)
    elif item.status in FINAL_RELEASED:
        returned = sum(int(line.quantity) for line in item.lines if _release_line(item.id, line))
        if returned:
            count("StockReturned", returned, reason=item.status)
    else:
        return
    if item.gsi1pk is not None:
        _finish(item, now)


# --------------------------------------------------------------------------- the API
def reserve(reservation_id: str, items: list[dict], *, ttl_seconds: int | None = None, caller: str | None = None,
            now: _dt.datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Hold stock for every line or none. Returns (view, created); the same id replays its first outcome."""
    now = now or utcnow()
    reservation_id = str(reservation_id)
    merged = _merge(items)
    request_hash = _request_hash((pid, sku, qty) for pid, sku, qty, _ in merged)

    existing = _load(reservation_id)
    if existing is not None:
        return _replay(existing, request_hash, now), False

    products = _load_products({pid for pid, _, _, _ in merged})
    lines, errors = [], {}
    for pid, sku, qty, index in merged:
        product = products.get(pid)
        if product is None:
            raise StockUnavailable(pid, sku, "not_found", qty, 0)
        if product.status != "active":
            raise StockUnavailable(pid, sku, "not_available", qty, 0)
        found = stock_key_for(product, sku)
        if found is None:
            errors[f"items.{index}.sku"] = ["Choose one of the product's SKUs." if product.variants or sku else
                                            "Unknown SKU."]
            continue
        stock_key, reported_sku, price = found
        lines.append(ReservationLine(product_id=pid, sku=reported_sku, stock_key=stock_key, quantity=qty,
                                     unit_price=price, currency=product.currency or "USD", name=_name_of(product)))
    if errors:
        raise ValidationFailed(errors)

    ttl = ttl_seconds or default_ttl_seconds()
    hold_until = now + _dt.timedelta(seconds=ttl)
    item = ReservationItem(
        _reservation_pk(reservation_id), META, id=reservation_id, status="pending", caller=caller, lines=lines,
        hold_until=iso(hold_until), hold_until_epoch=int(hold_until.timestamp()), created_at=iso(now),
        updated_at=iso(now), gsi1pk=_due_partition(reservation_id), gsi1sk=_due_key(iso(hold_until), reservation_id),
        request_hash=request_hash)
    try:
        item.save(condition=ReservationItem.pk.does_not_exist())
    except PutError as error:
        if not _conditional_failed(error):
            raise
        return _replay(_load(reservation_id), request_hash, now), False
    return _apply(item, now), True


def _replay(item: ReservationItem, request_hash: str, now: _dt.datetime) -> dict[str, Any]:
    if getattr(item, "request_hash", None) not in (None, request_hash):
        raise Unprocessable(f"Reservation {item.id} was already made with different items.",
                            reservation_id=item.id)
    if item.status in ("held", "committed"):
        return reservation_view(item)
    if item.status == "pending":
        if item.hold_until_epoch > now.timestamp():
            return _apply(item, now)  # an earlier attempt stopped half-way: finish it (every step is idempotent)
        _expire(item, now)
    if item.status == "rejected" and item.failure is not None:
        failure = item.failure.as_dict()
        raise StockUnavailable(failure["product_id"], failure.get("sku"), failure["reason"],
                               int(failure.get("requested", 0)), int(failure.get("available", 0)))
    raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}.")


def _apply(item: ReservationItem, now: _dt.datetime) -> dict[str, Any]:
    for line in item.lines:
        problem = _hold_line(item.id, line)
        if problem is not None:
            failure = {k: problem.extra[k] for k in ("product_id", "sku", "reason", "requested", "available")}
            if _transition(item, ("pending",), "rejected", now=now, due_now=True,
                           extra=[ReservationItem.failure.set(failure)]):
                item.status = "rejected"
            else:
                item = _load(item.id)
            if item.status in ("held", "committed"):
                return reservation_view(item)  # a concurrent retry of the same reservation won
            _settle(item, now)
            count("ReservationRejected", reason=problem.extra["reason"])
            raise problem
    if not _transition(item, ("pending",), "held", now=now):
        item = _load(item.id)
        if item.status not in ("held", "committed"):
            _settle(item, now)
            raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}.")
        return reservation_view(item)
    item.status = "held"
    count("ReservationHeld")
    return reservation_view(item)


def _expire(item: ReservationItem, now: _dt.datetime) -> bool:
    moved = _transition(item, OPEN, "expired", now=now, due_now=True,
                        condition=ReservationItem.hold_until_epoch <= int(now.timestamp()))
    fresh = _load(item.id)
    item.status, item.gsi1pk = fresh.status, fresh.gsi1pk
    _settle(fresh, now)
    if moved:
        count("ReservationExpired")
        logger.info("reservation expired; stock returned", extra={"reservation_id": item.id})
    return moved


def commit(reservation_id: str, *, now: _dt.datetime | None = None) -> dict[str, Any]:
    """The held units are sold. Idempotent; 409 once released or expired."""
    now = now or utcnow()
    for _ in range(3):
        item = _load(str(reservation_id))
        if item is None:
            raise ReservationNotFound(str(reservation_id))
        if item.status == "committed":
            _settle(item, now)
            return reservation_view(item)
        if item.status == "held":
            if item.hold_until_epoch <= now.timestamp():
                _expire(item, now)
                raise ReservationStateConflict(item.id, "expired", f"Reservation {item.id} has expired.")
            if _transition(item, ("held",), "committed", now=now, due_now=True,
                           condition=ReservationItem.hold_until_epoch > int(now.timestamp())):
                item.status = "committed"
                _settle(item, now)
                count("ReservationCommitted")
                return reservation_view(item)
            continue  # it changed under us: look again
        raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}; "
                                       "only a held reservation can be committed.")
    raise ReservationStateConflict(str(reservation_id), "unknown", "The reservation keeps changing; retry.")


def release(reservation_id: str, *, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Return the held units to stock. Idempotent; 409 once committed."""
    now = now or utcnow()
    for _ in range(3):
        item = _load(str(reservation_id))
        if item is None:
            raise ReservationNotFound(str(reservation_id))
        if item.status in FINAL_RELEASED:
            _settle(item, now)
            return reservation_view(item)
        if item.status == "committed":
            raise ReservationStateConflict(item.id, item.status,
                                           f"Reservation {item.id} is committed; its stock is sold.")
        if _transition(item, (item.status,), "released", now=now, due_now=True):
            item.status = "released"
            _settle(item, now)
            count("ReservationReleased")
            return reservation_view(item)
    raise ReservationStateConflict(str(reservation_id), "unknown", "The reservation keeps changing; retry.")


def get_reservation(reservation_id: str) -> dict[str, Any]:
    item = _load(str(reservation_id))
    if item is None:
        raise ReservationNotFound(str(reservation_id))
    return reservation_view(item)


def sweep(*, now: _dt.datetime | None = None, budget: int = 500) -> dict[str, int]:
    """Finish every reservation that is due: expire unheld holds (stock back), clean up the rest."""
    now = now or utcnow()
    upper = _due_key(iso(now), "~")
    stats = {"examined": 0, "expired": 0, "settled": 0}
    for shard in range(DUE_SHARDS):
        for due in ReservationItem.due.query(f"RESERVATIONS#DUE#{shard}", ReservationItem.gsi1sk <= upper,
                                             limit=budget):
            if stats["examined"] >= budget:
                return stats
            stats["examined"] += 1
            item = _load(due.id)
            if item is None or item.gsi1pk is None:
                continue
            if item.status in OPEN:
                if item.hold_until_epoch <= now.timestamp() and _expire(item, now):
                    stats["expired"] += 1
            else:
                _settle(item, now)
                stats["settled"] += 1
    return stats


# --------------------------------------------------------------------------- stock levels
def _load_products(ids: set[str]) -> dict[str, ProductItem]:
    keys = [(product_pk(pid), META) for pid in ids]
    return {item.id: item for item in ProductItem.batch_get(keys)}


def _name_of(product: ProductItem) -> str:
    texts = product.l10n.as_dict() if product.l10n else {}
    return (texts.get("en") or {}).get("name") or product.slug


def stock_levels(product: ProductItem) -> list[dict[str, Any]]:
    """Available / held / sold units per stock key (SKU), for admins and the internal API."""
    stock = product.stock.as_dict() if product.stock else {}
    holds = product.holds.as_dict() if product.holds else {}
    sold = product.sold.as_dict() if product.sold else {}
    keys = [v.sku for v in product.variants] if product.variants else [SIMPLE_STOCK_KEY]
    out = []
    for key in keys:
        held = sum(int(q) for h, q in holds.items() if h.rsplit("|", 1)[-1] == key)
        out.append({"sku": product.sku if key == SIMPLE_STOCK_KEY else key, "available": int(stock.get(key, 0)),
                    "held": held, "sold": int(sold.get(key, 0))})
    return out


def set_available(product: ProductItem, sku: str | None, quantity: int, *, now: _dt.datetime | None = None
                  ) -> tuple[dict, dict]:
    """Set the units available to reserve for one stock key; returns (before, after) levels."""
    now = now or utcnow()
    found = stock_key_for(product, sku)
    if found is None:
        raise ValidationFailed({"sku": ["Choose one of the product's SKUs." if product.variants else
                                        "This product has no such SKU."]})
    key = found[0]
    before = next(level for level in stock_levels(product) if level["sku"] == found[1])
    product.update(actions=[ProductItem.stock[key].set(quantity), ProductItem.updated_at.set(iso(now))],
                   condition=ProductItem.pk.exists())
    after = next(level for level in stock_levels(product) if level["sku"] == found[1])
    return before, after
