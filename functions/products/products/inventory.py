"""Stock: reservations for the orders service, and the sweep that expires them.

Stock lives on the product item: `stock.<k>` = units available to reserve of stock key k (the
SKU, or "_"), `holds.<rid|k>` = units reservation rid holds of k, `sold.<k>` = units sold. A
reservation and the stock it holds change together: every step is ONE DynamoDB transaction
(TransactWriteItems) over the reservation item and the item of each of its products (one update
per product, whatever its number of SKUs; ≤ 50 products + 1 ≤ DynamoDB's 100 items), applied
all or nothing:

    reserve  PUT the reservation (held, in the due index)          IF it does not exist
             per product: SET stock.k = stock.k - q, holds.<rid|k> = q
                          IF status = active AND stock.k >= q AND holds.<rid|k> does not exist
    commit   the reservation held → committed, out of the index    IF status = held AND hold_until > now
             per product: SET sold.k = sold.k + q   REMOVE holds.<rid|k>   IF holds.<rid|k> exists
    release  the reservation held → released (expire: → expired IF hold_until <= now), out of the index
             per product: SET stock.k = stock.k + q  REMOVE holds.<rid|k>  IF holds.<rid|k> exists

DynamoDB evaluates the conditions and applies the writes atomically, so stock never goes below
zero and never disagrees with the reservations holding it, whatever the concurrency. A line out
of stock cancels the whole reservation: the transaction's CancellationReasons say which product's
condition failed and carry that product as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD),
so the 409 names the first line that could not be held, and nothing is held. The rejected
reservation is then recorded (status rejected, with the failure) so that its id replays the same
409. A transaction that collided with another one on the same item (TransactionConflict) or was
throttled is retried with jittered backoff.

While held, a reservation sits in the sparse gsi1 partition RESERVATIONS#DUE#<0-3> sorted by its
hold_until: the scheduled sweep Queries each shard up to now (never a Scan) and expires what it
finds. A reservation leaves the index in the transaction that finishes it, which also sets the
table TTL (`expires_at`, 30 days later; never on a hold).

Records written before reservations were transactional can be `pending` with some of their
lines held, or final with holds left to settle (a crash between two of the old single-item
steps): the sweep (and release) finish those line by line, each step conditional on its hold
(`_finish_legacy`).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from meridian.clock import iso, utcnow
from meridian.config import int_env
from meridian.dynamo import condition_failed
from meridian.errors import DomainError, ServiceUnavailable, Unprocessable, ValidationFailed
from meridian.money import Money
from meridian.observability import count, logger
from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .errors import ReservationNotFound, ReservationStateConflict, StockUnavailable
from .models import META, SIMPLE_STOCK_KEY, ProductItem, ReservationItem, ReservationLine, product_pk, transaction

DUE_SHARDS = 4
FINISHED_RETENTION_DAYS = 30
MAX_TRANSACTION_ITEMS = 100          # DynamoDB's limit for one TransactWriteItems
TRANSACTION_ATTEMPTS = 8
HELD, COMMITTED, PENDING = "held", "committed", "pending"   # pending: only in records of the old code
FINAL_RELEASED = ("released", "expired", "rejected")
RETRYABLE_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class StockInconsistent(DomainError):
    """A held reservation whose product has no matching hold (never happens while every change is a
    transaction): nothing is changed, the reservation is left for an operator."""


def default_ttl_seconds() -> int:
    return int_env("RESERVATION_TTL_SECONDS", 900)


# --------------------------------------------------------------------------- small helpers
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


# --------------------------------------------------------------------------- transactions
def _transact(write: Callable[[TransactWrite], None]) -> list | None:
    """Apply the transaction `write` fills in: None once applied, else its cancellation reasons (one per
    item, in pynamodb's order, None for the items that were fine) when a condition failed.

    A cancellation only for collisions with another transaction on the same item, or for throttling,
    is retried with jittered exponential backoff; still colliding after TRANSACTION_ATTEMPTS → 503.
    """
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with transaction() as tx:
                write(tx)
            return None
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            reasons = list(error.cancellation_reasons)
            codes = {reason.code for reason in reasons if reason is not None}
            if "ConditionalCheckFailed" in codes:
                return reasons
            if not codes or not codes <= RETRYABLE_CANCELLATIONS:
                raise
        count("StockTransactionRetried")
        time.sleep(random.uniform(0, min(1.0, 0.025 * 2 ** attempt)))
    raise ServiceUnavailable("Stock is changing too fast right now; retry.", retry_after=1)


def update_product(product: ProductItem, actions: list, condition) -> None:
    """One UpdateItem of a product item, retried while a reservation's transaction holds that item
    (DynamoDB refuses the write with TransactionConflictException meanwhile). Admin writes use it."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            product.update(actions=actions, condition=condition)
            return
        except UpdateError as error:
            if error.cause_response_code != "TransactionConflictException" or attempt == TRANSACTION_ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0, min(1.0, 0.025 * 2 ** attempt)))


def _by_product(lines: Iterable[ReservationLine]) -> dict[str, list[ReservationLine]]:
    """The lines of each product, products in the order of their first line (one update per product item)."""
    grouped: dict[str, list[ReservationLine]] = {}
    for line in lines:
        grouped.setdefault(line.product_id, []).append(line)
    return grouped


def _hold(tx: TransactWrite, reservation_id: str, product_id: str, lines: list[ReservationLine]) -> None:
    """Take every line's units of one product out of its stock, if each stock key has enough."""
    actions, condition = [], ProductItem.status == "active"
    for line in lines:
        key, qty, hold = line.stock_key, int(line.quantity), _hold_key(reservation_id, line.stock_key)
        actions += [ProductItem.stock[key].set(ProductItem.stock[key] - qty), ProductItem.holds[hold].set(qty)]
        condition &= (ProductItem.stock[key] >= qty) & ProductItem.holds[hold].does_not_exist()
    tx.update(ProductItem(product_pk(product_id), META), actions=actions, condition=condition,
              return_values=ALL_OLD)


def _unhold_actions(reservation_id: str, lines: list[ReservationLine], *, sell: bool) -> tuple[list, Any]:
    """Actions and condition that end the holds of `lines` (all on one product): sold, or back to stock."""
    actions, condition = [], None
    for line in lines:
        key, qty, hold = line.stock_key, int(line.quantity), _hold_key(reservation_id, line.stock_key)
        counter = (ProductItem.sold[key].set((ProductItem.sold[key] | 0) + qty) if sell
                   else ProductItem.stock[key].set(ProductItem.stock[key] + qty))
        actions += [counter, ProductItem.holds[hold].remove()]
        check = ProductItem.holds[hold].exists()
        condition = check if condition is None else condition & check
    return actions, condition


def _retention(now: _dt.datetime) -> int:
    return int((now + _dt.timedelta(days=FINISHED_RETENTION_DAYS)).timestamp())


def _settle(item: ReservationItem, to_status: str, condition, now: _dt.datetime) -> bool:
    """Move a held reservation to its final status, out of the due index, with its holds sold (committed)
    or back in stock, in ONE transaction. False when the reservation's `condition` failed (it changed)."""
    sell = to_status == COMMITTED
    grouped = _by_product(item.lines)

    def write(tx: TransactWrite) -> None:
        tx.update(item, actions=[ReservationItem.status.set(to_status), ReservationItem.updated_at.set(iso(now)),
                                 ReservationItem.gsi1pk.remove(), ReservationItem.gsi1sk.remove(),
                                 ReservationItem.expires_at.set(_retention(now))], condition=condition)
        for product_id, lines in grouped.items():
            actions, holds_exist = _unhold_actions(item.id, lines, sell=sell)
            tx.update(ProductItem(product_pk(product_id), META), actions=actions, condition=holds_exist)

    reasons = _transact(write)
    if reasons is None:
        item.status, item.gsi1pk, item.gsi1sk = to_status, None, None
        if not sell:
            count("StockReturned", sum(int(line.quantity) for line in item.lines), reason=to_status)
        return True
    if reasons[0] is not None:
        return False
    missing = [pid for pid, reason in zip(grouped, reasons[1:], strict=False) if reason is not None]
    count("ReservationInconsistent")
    logger.error("held reservation without its holds", extra={"reservation_id": item.id, "products": missing})
    raise StockInconsistent(f"Reservation {item.id} is held but products {', '.join(missing)} hold none of it.",
                            reservation_id=item.id)


# --------------------------------------------------------------------------- reservation record
def _load(reservation_id: str) -> ReservationItem | None:
    try:
        return ReservationItem.get(_reservation_pk(reservation_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def _product_as_it_was(product_id: str, reason) -> ProductItem | None:
    """The product a failed condition saw (ALL_OLD), or as it is now when the answer did not carry it."""
    if reason.raw_item:
        return ProductItem.from_raw_data(reason.raw_item)
    try:
        return ProductItem.get(product_pk(product_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def _line_problem(line: ReservationLine, product: ProductItem | None) -> StockUnavailable | None:
    qty = int(line.quantity)
    if product is None:
        return StockUnavailable(line.product_id, line.sku, "not_found", qty, 0)
    if product.status != "active":
        return StockUnavailable(line.product_id, line.sku, "not_available", qty, 0)
    available = int((product.stock.as_dict() if product.stock else {}).get(line.stock_key, 0))
    if available < qty:
        return StockUnavailable(line.product_id, line.sku, "insufficient_stock", qty, max(0, available))
    return None


def _first_problem(lines: list[ReservationLine], products: list[str], reasons: list) -> StockUnavailable | None:
    """The first line (in the reservation's order) whose product's condition failed, and why."""
    failed = {product_id: _product_as_it_was(product_id, reason)
              for product_id, reason in zip(products, reasons, strict=False)
              if reason is not None and reason.code == "ConditionalCheckFailed"}
    for line in lines:
        if line.product_id in failed:
            problem = _line_problem(line, failed[line.product_id])
            if problem is not None:
                return problem
    return None


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
        return _replay(existing, request_hash), False

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
    grouped = _by_product(lines)
    if len(grouped) + 1 > MAX_TRANSACTION_ITEMS:
        raise ValidationFailed({"items": [f"At most {MAX_TRANSACTION_ITEMS - 1} different products."]})

    ttl = ttl_seconds or default_ttl_seconds()
    hold_until = now + _dt.timedelta(seconds=ttl)
    item = ReservationItem(
        _reservation_pk(reservation_id), META, id=reservation_id, status=HELD, caller=caller, lines=lines,
        hold_until=iso(hold_until), hold_until_epoch=int(hold_until.timestamp()), created_at=iso(now),
        updated_at=iso(now), gsi1pk=_due_partition(reservation_id), gsi1sk=_due_key(iso(hold_until), reservation_id),
        request_hash=request_hash)

    def write(tx: TransactWrite) -> None:
        tx.save(item, condition=ReservationItem.pk.does_not_exist())          # reasons[0]
        for product_id, product_lines in grouped.items():                     # reasons[1:], in this order
            _hold(tx, reservation_id, product_id, product_lines)

    for _ in range(3):
        reasons = _transact(write)
        if reasons is None:
            count("ReservationHeld")
            return reservation_view(item), True
        if reasons[0] is not None:  # the same reservation id was made meanwhile (a concurrent retry)
            return _replay(_load(reservation_id), request_hash), False
        problem = _first_problem(lines, list(grouped), reasons[1:])
        if problem is not None:
            return _reject(item, problem, request_hash, now)
        # the products no longer fail the conditions that failed a moment ago: try again
    raise ServiceUnavailable("Stock is changing too fast right now; retry.", retry_after=1)


def _reject(item: ReservationItem, problem: StockUnavailable, request_hash: str, now: _dt.datetime):
    """Record the rejection (nothing is held) so that the same id replays this 409, then raise it."""
    item.status, item.gsi1pk, item.gsi1sk = "rejected", None, None
    item.failure = {k: problem.extra[k] for k in ("product_id", "sku", "reason", "requested", "available")}
    item.expires_at = _retention(now)
    try:
        item.save(condition=ReservationItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return _replay(_load(item.id), request_hash), False   # a concurrent retry of the same id got there first
    count("ReservationRejected", reason=problem.extra["reason"])
    raise problem


def _replay(item: ReservationItem, request_hash: str) -> dict[str, Any]:
    if getattr(item, "request_hash", None) not in (None, request_hash):
        raise Unprocessable(f"Reservation {item.id} was already made with different items.",
                            reservation_id=item.id)
    if item.status in (HELD, COMMITTED):
        return reservation_view(item)
    if item.status == "rejected" and item.failure is not None:
        failure = item.failure.as_dict()
        raise StockUnavailable(failure["product_id"], failure.get("sku"), failure["reason"],
                               int(failure.get("requested", 0)), int(failure.get("available", 0)))
    raise ReservationStateConflict(item.id, item.status, f"Reservation {item.id} is {item.status}.")


def _expire(item: ReservationItem, now: _dt.datetime) -> bool:
    moved = _settle(item, "expired", (ReservationItem.status == HELD)
                    & (ReservationItem.hold_until_epoch <= int(now.timestamp())), now)
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
        if item.status == COMMITTED:
            return reservation_view(item)
        if item.status == HELD:
            if item.hold_until_epoch <= now.timestamp():
                _expire(item, now)
                raise ReservationStateConflict(item.id, "expired", f"Reservation {item.id} has expired.")
            if _settle(item, COMMITTED, (ReservationItem.status == HELD)
                       & (ReservationItem.hold_until_epoch > int(now.timestamp())), now):
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
            return reservation_view(item)
        if item.status == COMMITTED:
            raise ReservationStateConflict(item.id, item.status,
                                           f"Reservation {item.id} is committed; its stock is sold.")
        if item.status == PENDING:
            _finish_legacy(item, now, release=True)
            continue
        if _settle(item, "released", ReservationItem.status == HELD, now):
            count("ReservationReleased")
            return reservation_view(item)
    raise ReservationStateConflict(str(reservation_id), "unknown", "The reservation keeps changing; retry.")


def get_reservation(reservation_id: str) -> dict[str, Any]:
    item = _load(str(reservation_id))
    if item is None:
        raise ReservationNotFound(str(reservation_id))
    return reservation_view(item)


def sweep(*, now: _dt.datetime | None = None, budget: int = 500) -> dict[str, int]:
    """Expire every held reservation whose time has passed (stock back): a Query of each due shard up to now."""
    now = now or utcnow()
    upper = _due_key(iso(now), "~")
    stats = {"examined": 0, "expired": 0, "settled": 0, "errors": 0}
    for shard in range(DUE_SHARDS):
        for due in ReservationItem.due.query(f"RESERVATIONS#DUE#{shard}", ReservationItem.gsi1sk <= upper,
                                             limit=budget):
            if stats["examined"] >= budget:
                return stats
            stats["examined"] += 1
            item = _load(due.id)
            if item is None or item.gsi1pk is None:
                continue
            try:
                if item.status == HELD:
                    if item.hold_until_epoch <= now.timestamp() and _expire(item, now):
                        stats["expired"] += 1
                elif _finish_legacy(item, now):
                    stats["settled"] += 1
            except StockInconsistent:
                stats["errors"] += 1
    return stats


def _finish_legacy(item: ReservationItem, now: _dt.datetime, *, release: bool = False) -> bool:
    """Finish a record of the old, non-transactional code: a `pending` one (some lines held), or a final one
    whose holds were not all settled. The record moves first (conditional; back into the due index at once,
    so a crash is picked up by the next sweep), then each line's own step, conditional on its hold."""
    if item.status == PENDING:
        if not release and item.hold_until_epoch > now.timestamp():
            return False
        target = "released" if release else "expired"
        try:
            item.update(actions=[ReservationItem.status.set(target), ReservationItem.updated_at.set(iso(now)),
                                 ReservationItem.gsi1sk.set(_due_key(iso(now), item.id))],
                        condition=ReservationItem.status == PENDING)
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False
        item.status = target
    if item.status not in (COMMITTED, *FINAL_RELEASED):
        return False
    for line in item.lines:
        actions, hold_exists = _unhold_actions(item.id, [line], sell=item.status == COMMITTED)
        try:
            ProductItem(product_pk(line.product_id), META).update(actions=actions, condition=hold_exists)
        except UpdateError as error:
            if not condition_failed(error):
                raise   # else: nothing held (never was, or already settled)
    item.update(actions=[ReservationItem.gsi1pk.remove(), ReservationItem.gsi1sk.remove(),
                         ReservationItem.expires_at.set(_retention(now))])
    return True


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
    update_product(product, [ProductItem.stock[key].set(quantity), ProductItem.updated_at.set(iso(now))],
                   ProductItem.pk.exists())
    after = next(level for level in stock_levels(product) if level["sku"] == found[1])
    return before, after
