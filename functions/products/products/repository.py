"""The products table: the ONLY module that reads or writes it (gets, puts, queries, conditional writes,
transactions). The rules that decide what to write live in pim.py, stock.py, reservations.py, listing.py.

Keys (models.py describes the item kinds and indexes):
  PRODUCT#<id> / META and / L10N#<locale>; CLAIM#SLUG#[<locale>#]<slug>, CLAIM#SKU#<SKU> / CLAIM;
  RESERVATION#<id> / META, in gsi1 RESERVATIONS#DUE#<0-3> / <due at>#<id> while it has work left;
  products in gsi1 CATALOG#<status>#<category> and gsi2 CATALOG#<status>, both / <created_at>#<id>.

A reservation's step is ONE transaction (TransactWriteItems) over the reservation item and the item of
each of its products (one update per product, whatever its number of SKUs; at most 50 products + 1
item, under DynamoDB's 100), with the stock steps of stock.py as its product updates. A transaction
cancelled only by collisions with another one (TransactionConflict) or by throttling is retried with
jittered backoff; an admin write that meets a transaction in flight on a product item is retried the
same way. A conditional write refused because its condition did not hold is told apart from every
other failure by `meridian.dynamo.condition_failed`.
"""
from __future__ import annotations

import datetime as _dt
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from meridian.clock import iso
from meridian.dynamo import condition_failed
from meridian.errors import ServiceUnavailable
from meridian.observability import count
from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from .models import (
    META,
    TAXONOMY_PARTITION,
    ClaimItem,
    LocalizedDetailsItem,
    ProductItem,
    ReservationItem,
    ReservationLine,
    RestockItem,
    TaxonomyItem,
    catalog_partition,
    l10n_sk,
    product_pk,
    taxonomy_pk,
    transaction,
)
from .stock import HOLD, SELL

DUE_SHARDS = 4
FINISHED_RETENTION_DAYS = 30
MAX_TRANSACTION_ITEMS = 100          # DynamoDB's limit for one TransactWriteItems
TRANSACTION_ATTEMPTS = 8
STALE_CLAIM_SECONDS = 300
RETRYABLE_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class ConditionFailed(Exception):
    """A conditional write was refused: its condition did not hold."""


# --------------------------------------------------------------------------- keys
def reservation_pk(reservation_id: str) -> str:
    return f"RESERVATION#{reservation_id}"


def due_partition(reservation_id: str) -> str:
    return f"RESERVATIONS#DUE#{uuid.UUID(reservation_id).int % DUE_SHARDS}"


def due_key(moment: str, reservation_id: str) -> str:
    return f"{moment}#{reservation_id}"


def hold_key(reservation_id: str, stock_key: str) -> str:
    return f"{reservation_id}|{stock_key}"


def slug_claim(slug: str, locale: str | None = None) -> str:
    return f"CLAIM#SLUG#{locale}#{slug}" if locale else f"CLAIM#SLUG#{slug}"


def sku_claim(sku: str) -> str:
    return f"CLAIM#SKU#{sku.upper()}"


def catalog_keys(status: str, category: str, created_at: str, product_id: str) -> dict[str, str]:
    """The index keys that list a product in the catalog (gsi1 by category, gsi2 across categories)."""
    sort_key = f"{created_at}#{product_id}"
    return {"gsi1pk": catalog_partition(status, category), "gsi1sk": sort_key,
            "gsi2pk": catalog_partition(status), "gsi2sk": sort_key}


def retention(now: _dt.datetime) -> int:
    """The table TTL of a finished reservation (never set on a hold)."""
    return int((now + _dt.timedelta(days=FINISHED_RETENTION_DAYS)).timestamp())


# --------------------------------------------------------------------------- products
def get_product(product_id: str, *, consistent: bool = False) -> ProductItem | None:
    try:
        return ProductItem.get(product_pk(product_id), META, consistent_read=consistent)
    except DoesNotExist:
        return None


def get_products(ids: set[str], *, texts_in: list[str] | None = None) -> dict[str, ProductItem]:
    """The products of `ids` that exist (one BatchGetItem per 100). `texts_in`: read only what a line of
    them is made of (stock.line_of, its stock and status, weight, tax class), with the texts of these
    locales (not the open holds, which grow with the reservations); None: whole items."""
    keys = [(product_pk(pid), META) for pid in ids]
    projection = None if texts_in is None else [
        ProductItem.pk, ProductItem.sk, ProductItem.id, ProductItem.slug, ProductItem.status,
        ProductItem.base_price, ProductItem.currency, ProductItem.sku, ProductItem.variants, ProductItem.stock,
        ProductItem.weight_grams, ProductItem.tax_class, ProductItem.prices,
        *(ProductItem.l10n[code] for code in texts_in)]
    return {item.id: item for item in ProductItem.batch_get(keys, attributes_to_get=projection)}


def put_new_product(product: ProductItem) -> None:
    """Write a product that does not exist yet; ConditionFailed if it does."""
    try:
        product.save(condition=ProductItem.pk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            raise ConditionFailed(product.id) from None
        raise


def update_product(product: ProductItem, actions: list, condition) -> None:
    """One UpdateItem of a product item (ConditionFailed if `condition` does not hold), retried while a
    reservation's transaction holds that item (DynamoDB refuses the write with
    TransactionConflictException meanwhile). Every admin write of a product goes through here."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            product.update(actions=actions, condition=condition)
            return
        except UpdateError as error:
            if condition_failed(error):
                raise ConditionFailed(product.id) from None
            if error.cause_response_code != "TransactionConflictException" or attempt == TRANSACTION_ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0, min(1.0, 0.025 * 2 ** attempt)))


def set_stock(product: ProductItem, stock_key: str, quantity: int, now: _dt.datetime) -> None:
    """The units available to reserve of one stock key (the product item is refreshed)."""
    update_product(product, [ProductItem.stock[stock_key].set(quantity), ProductItem.updated_at.set(iso(now))],
                   ProductItem.pk.exists())


def set_texts(product: ProductItem, locale: str, text: dict[str, Any], now: _dt.datetime) -> None:
    """The listing copy of one locale's texts on the product item."""
    update_product(product, [ProductItem.l10n[locale].set(text), ProductItem.updated_at.set(iso(now))],
                   ProductItem.pk.exists())


def product_changes(*, now: _dt.datetime, version: int, slug: str | None = None, fields: dict[str, Any] | None = None,
                    status_category: tuple[str, str] | None = None, base_text: tuple[str, dict] | None = None
                    ) -> list:
    """The update actions of an admin change (pim.update): the new version, and what changed."""
    actions = [ProductItem.updated_at.set(iso(now)), ProductItem.version.set(version)]
    if slug is not None:
        actions.append(ProductItem.slug.set(slug))
    for field, value in (fields or {}).items():
        actions.append(getattr(ProductItem, field).set(value))
    if status_category is not None:
        status, category = status_category
        actions += [ProductItem.status.set(status), ProductItem.category.set(category),
                    ProductItem.gsi1pk.set(catalog_partition(status, category)),
                    ProductItem.gsi2pk.set(catalog_partition(status))]
    if base_text is not None:
        locale, text = base_text
        actions.append(ProductItem.l10n[locale].set(text))
    return actions


def update_product_version(product: ProductItem, actions: list, read_version: int) -> None:
    """Apply `actions` if the product is still at `read_version` (optimistic concurrency; ConditionFailed)."""
    update_product(product, actions, ProductItem.version == read_version)


# --------------------------------------------------------------------------- claims (uniqueness)
def claim(claim_pk: str, product_id: str) -> bool:
    """Claim a unique value for `product_id` (idempotent); False if another product holds it.

    A claim left by a create that never finished (no such product, and older than STALE_CLAIM_SECONDS)
    is taken over, conditionally on its holder."""
    item = ClaimItem(claim_pk, "CLAIM", product_id=product_id, claimed_at=int(time.time()))
    try:
        item.save(condition=ClaimItem.pk.does_not_exist() | (ClaimItem.product_id == product_id))
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
    try:
        current = ClaimItem.get(claim_pk, "CLAIM", consistent_read=True)
    except DoesNotExist:
        return claim(claim_pk, product_id)
    if get_product(current.product_id, consistent=True) is not None:
        return False
    if current.claimed_at is not None and time.time() - current.claimed_at < STALE_CLAIM_SECONDS:
        return False
    try:
        item.save(condition=ClaimItem.product_id == current.product_id)
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
        return False


def unclaim(claim_pk: str, product_id: str) -> None:
    """Give a claim up, if `product_id` still holds it."""
    try:
        ClaimItem(claim_pk, "CLAIM").delete(condition=ClaimItem.product_id == product_id)
    except DeleteError as error:
        if not condition_failed(error):
            raise


def claimed_by(claim_pk: str) -> str | None:
    """The product id holding a claim, if any."""
    try:
        return ClaimItem.get(claim_pk, "CLAIM").product_id
    except DoesNotExist:
        return None


# --------------------------------------------------------------------------- localized details
def _details(product_id: str, locale: str, text: dict[str, Any], stamp: str) -> LocalizedDetailsItem:
    return LocalizedDetailsItem(product_pk(product_id), l10n_sk(locale), product_id=product_id, locale=locale,
                                name=text["name"], description=text.get("description") or "",
                                slug=text.get("slug"), updated_at=stamp)


def put_details(product_id: str, locale: str, text: dict[str, Any], now: _dt.datetime) -> None:
    """The (product, locale) details item: the source of truth of a localized text."""
    _details(product_id, locale, text, iso(now)).save()


def put_all_details(product_id: str, texts: dict[str, dict[str, Any]], stamp: str) -> None:
    with LocalizedDetailsItem.batch_write() as batch:
        for locale, text in texts.items():
            batch.save(_details(product_id, locale, text, stamp))


def details_of(product_id: str) -> list[LocalizedDetailsItem]:
    """Every (product, locale) details item of a product."""
    return list(LocalizedDetailsItem.query(product_pk(product_id), LocalizedDetailsItem.sk.startswith("L10N#")))


# --------------------------------------------------------------------------- catalog
def catalog(status: str, category: str | None, *, after: tuple[str, str] | None, limit: int, page_size: int,
            texts_in: list[str] | None) -> Iterator[ProductItem]:
    """Products of one catalog partition, newest first: ONE index Query (gsi1 with a category, gsi2
    without), starting after (product id, sort key), reading at most `limit` entries. `texts_in`: read
    only what a shopper's view is made of, with the texts of these locales; None: whole items."""
    partition = catalog_partition(status, category)
    index, hash_name, range_name = ((ProductItem.by_category, "gsi1pk", "gsi1sk") if category
                                    else (ProductItem.by_status, "gsi2pk", "gsi2sk"))
    start = None
    if after is not None:
        product_id, sort_key = after
        start = {"pk": {"S": product_pk(product_id)}, "sk": {"S": META},
                 hash_name: {"S": partition}, range_name: {"S": sort_key}}
    projection = None if texts_in is None else [
        ProductItem.pk, ProductItem.sk, ProductItem.id, ProductItem.slug, ProductItem.category,
        ProductItem.base_price, ProductItem.images, ProductItem.variants, ProductItem.stock, ProductItem.gsi2sk,
        ProductItem.weight_grams, ProductItem.tax_class, ProductItem.prices,
        *(ProductItem.l10n[code] for code in texts_in)]
    return index.query(partition, scan_index_forward=False, limit=limit, page_size=page_size,
                       last_evaluated_key=start, attributes_to_get=projection)


# --------------------------------------------------------------------------- reservations
def get_reservation(reservation_id: str) -> ReservationItem | None:
    try:
        return ReservationItem.get(reservation_pk(reservation_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def due_reservations(shard: int, until: str, limit: int) -> Iterator[ReservationItem]:
    """Reservations of one due shard whose due key is up to `until` (a Query, never a Scan)."""
    return ReservationItem.due.query(f"RESERVATIONS#DUE#{shard}", ReservationItem.gsi1sk <= until, limit=limit)


def product_as_it_was(product_id: str, reason) -> ProductItem | None:
    """The product a failed condition saw (ALL_OLD), or as it is now when the answer did not carry it."""
    if reason.raw_item:
        return ProductItem.from_raw_data(reason.raw_item)
    return get_product(product_id, consistent=True)


def transact(write: Callable[[TransactWrite], None]) -> list | None:
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


def by_product(lines: Iterable[ReservationLine]) -> dict[str, list[ReservationLine]]:
    """The lines of each product, products in the order of their first line (one update per product item)."""
    grouped: dict[str, list[ReservationLine]] = {}
    for line in lines:
        grouped.setdefault(line.product_id, []).append(line)
    return grouped


def _step(step: str, reservation_id: str, lines: list[ReservationLine]) -> tuple[list, Any]:
    """Actions and condition of one stock step (stock.py) over `lines`, all of one product."""
    actions, condition = [], ProductItem.status == "active" if step == HOLD else None
    for line in lines:
        key, qty, hold = line.stock_key, int(line.quantity), hold_key(reservation_id, line.stock_key)
        if step == HOLD:
            actions += [ProductItem.stock[key].set(ProductItem.stock[key] - qty), ProductItem.holds[hold].set(qty)]
            check = (ProductItem.stock[key] >= qty) & ProductItem.holds[hold].does_not_exist()
        else:
            counter = (ProductItem.sold[key].set((ProductItem.sold[key] | 0) + qty) if step == SELL
                       else ProductItem.stock[key].set(ProductItem.stock[key] + qty))
            actions += [counter, ProductItem.holds[hold].remove()]
            check = ProductItem.holds[hold].exists()
        condition = check if condition is None else condition & check
    return actions, condition


def hold(item: ReservationItem) -> list | None:
    """ONE transaction: put the new reservation (IF it does not exist: reasons[0]) and HOLD its lines on
    each of its products (reasons[1:], products in `by_product` order). None once applied."""
    grouped = by_product(item.lines)

    def write(tx: TransactWrite) -> None:
        tx.save(item, condition=ReservationItem.pk.does_not_exist())
        for product_id, lines in grouped.items():
            actions, condition = _step(HOLD, item.id, lines)
            tx.update(ProductItem(product_pk(product_id), META), actions=actions, condition=condition,
                      return_values=ALL_OLD)

    return transact(write)


def finish(item: ReservationItem, *, source: str, target: str, step: str, expiry: str | None,
           now: _dt.datetime) -> list | None:
    """ONE transaction: the reservation `source → target` (IF still `source`, and IF its hold has not
    expired / has expired as `expiry` says: reasons[0]), out of the due index with its table TTL set,
    and `step` (SELL or RETURN) for its lines on each product (reasons[1:]). None once applied."""
    condition = ReservationItem.status == source
    if expiry == "unexpired":
        condition &= ReservationItem.hold_until_epoch > int(now.timestamp())
    elif expiry == "expired":
        condition &= ReservationItem.hold_until_epoch <= int(now.timestamp())
    grouped = by_product(item.lines)

    def write(tx: TransactWrite) -> None:
        tx.update(item, actions=[ReservationItem.status.set(target), ReservationItem.updated_at.set(iso(now)),
                                 ReservationItem.gsi1pk.remove(), ReservationItem.gsi1sk.remove(),
                                 ReservationItem.expires_at.set(retention(now))], condition=condition)
        for product_id, lines in grouped.items():
            actions, holds_exist = _step(step, item.id, lines)
            tx.update(ProductItem(product_pk(product_id), META), actions=actions, condition=holds_exist)

    return transact(write)


def put_rejected(item: ReservationItem) -> None:
    """Record a rejected reservation (nothing held) if its id is new; ConditionFailed otherwise."""
    try:
        item.save(condition=ReservationItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        raise ConditionFailed(item.id) from None


# --------------------------------------------------------------------------- records of the old step-by-step code
def move_pending(item: ReservationItem, target: str, now: _dt.datetime) -> bool:
    """`pending → target` IF still pending, due at once (a crash is picked up by the next sweep);
    False when it changed meanwhile."""
    try:
        item.update(actions=[ReservationItem.status.set(target), ReservationItem.updated_at.set(iso(now)),
                             ReservationItem.gsi1sk.set(due_key(iso(now), item.id))],
                    condition=ReservationItem.status == "pending")
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def step_line(reservation_id: str, line: ReservationLine, step: str) -> None:
    """One line's SELL or RETURN on its own, IF its hold exists (else nothing is held: never was, or
    already settled)."""
    actions, hold_exists = _step(step, reservation_id, [line])
    try:
        ProductItem(product_pk(line.product_id), META).update(actions=actions, condition=hold_exists)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def close(item: ReservationItem, now: _dt.datetime) -> None:
    """Out of the due index, with its table TTL."""
    item.update(actions=[ReservationItem.gsi1pk.remove(), ReservationItem.gsi1sk.remove(),
                         ReservationItem.expires_at.set(retention(now))])


# --------------------------------------------------------------------------- restocks (orders' returns)
def restock_pk(restock_id: str) -> str:
    return f"RESTOCK#{restock_id}"


def get_restock(restock_id: str) -> RestockItem | None:
    try:
        return RestockItem.get(restock_pk(restock_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def restock(item: RestockItem) -> list | None:
    """ONE transaction: put the restock record (IF its id is new: reasons[0]) and the RESTOCK step (stock.py)
    of its lines on each product (IF the product exists: reasons[1:], products in `by_product` order). None
    once applied."""
    grouped = by_product(item.lines)

    def write(tx: TransactWrite) -> None:
        tx.save(item, condition=RestockItem.pk.does_not_exist())
        for product_id, lines in grouped.items():
            actions = []
            for line in lines:
                key, qty = line.stock_key, int(line.quantity)
                actions += [ProductItem.stock[key].set((ProductItem.stock[key] | 0) + qty),
                            ProductItem.sold[key].set((ProductItem.sold[key] | 0) - qty)]
            tx.update(ProductItem(product_pk(product_id), META), actions=actions,
                      condition=ProductItem.pk.exists())

    return transact(write)


# --------------------------------------------------------------------------- taxonomy: categories, attributes
def taxonomy() -> list[TaxonomyItem]:
    """Every category and attribute-dictionary entry: ONE Query of gsi1 partition TAXONOMY (a few hundred items
    at most; DynamoDB pages it past 1 MB)."""
    return list(TaxonomyItem.by_kind.query(TAXONOMY_PARTITION))


def get_taxonomy_item(kind: str, key: str) -> TaxonomyItem | None:
    try:
        return TaxonomyItem.get(taxonomy_pk(kind, key), META, consistent_read=True)
    except DoesNotExist:
        return None


def put_taxonomy_item(item: TaxonomyItem) -> None:
    item.save()


def delete_taxonomy_item(kind: str, key: str) -> None:
    TaxonomyItem(taxonomy_pk(kind, key), META).delete()


def category_in_use(category: str, statuses: Iterable[str]) -> bool:
    """Whether any product of these statuses is in `category` (one Query of one entry per status)."""
    return any(next(iter(ProductItem.by_category.query(catalog_partition(status, category), limit=1)), None)
               is not None for status in statuses)
