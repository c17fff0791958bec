"""Bulk seeding for the scale benches: products and orders written straight to DynamoDB Local.

10,000 creates through the API would take far too long, so items are written with
BatchWriteItem (PynamoDB's `Model.batch_write()`, 25 items a call) from several threads. The
items are built with the services' own PynamoDB models and helpers (products.models / pim / repository,
orders.models / repository / state_machine / pricing), imported from functions/<service>/ with
their Meta pointed at the stack's tables on DynamoDB Local, so the shapes cannot drift from
what the services write:

* a product is what `products.pim.create` stores: the META item (listing copy of its texts,
  stock, gsi1/gsi2 catalog keys), one L10N item per locale, and the claims of its slug and SKU;
* an order is what checkout and the status machine store: the order item priced by
  `orders.pricing.price` with the stack's real FX snapshot, its append-only history
  (placed → paid → fulfilled / refunded, or → cancelled), the gsi1 (customer) and gsi2
  (status) keys as `repository.new_order` and `state_machine.move` set them, and the
  confirmation e-mail marker once it was paid. Statuses, customers, currencies and dates vary;
  pending orders are recent and their payment window still open, so the scheduled
  reconciliation leaves them alone during the bench.
"""
from __future__ import annotations

import datetime as _dt
import importlib
import os
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests import layer_env
from tests.bench.measure import env_int

ROOT = Path(__file__).resolve().parents[2]
THREADS = env_int("BENCH_SEED_THREADS", 4)
CHUNK = 100                                    # products / orders per task
LOCALES = [code for code in os.environ.get("BENCH_SEED_LOCALES", "en,de,fr,ja,pt-BR").split(",") if code]
CUSTOMERS = env_int("BENCH_SEED_CUSTOMERS", 1000)
CATEGORIES = ["coffee-tea", "kitchen", "stationery", "outdoor", "audio", "home", "garden", "toys"]
ADJECTIVES = ["Harbor", "Alpine", "Copper", "Linen", "Walnut", "Granite", "Meadow", "Cobalt", "Saffron", "Juniper",
              "Ember", "Tidal", "Birch", "Slate", "Velvet", "Aurora"]
NOUNS = ["Kettle", "Notebook", "Lantern", "Grinder", "Speaker", "Tumbler", "Backpack", "Planter", "Headphones",
         "Teapot", "Fountain Pen", "Cutting Board", "Thermos", "Desk Lamp", "Blanket", "Puzzle"]
NAME_IN = {"de": "Modell", "fr": "modèle", "ja": "モデル", "pt-BR": "modelo"}
CURRENCIES = [("EUR", 45), ("USD", 30), ("GBP", 10), ("JPY", 10), ("CHF", 5)]
# final status, weight; pending orders are recent, paid ones from the last week, the rest from half a year
STATUS_MIX = [("fulfilled", 55), ("paid", 18), ("cancelled", 12), ("pending_payment", 8), ("refunded", 7)]
ADDRESSES = [
    {"name": "Erika Mustermann", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
    {"name": "Jean Dupont", "line1": "12 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    {"name": "Hanako Yamada", "line1": "1-1 Chiyoda", "city": "Tokyo", "postal_code": "100-0001", "country": "JP"},
    {"name": "Ada Lovelace", "line1": "10 Downing St", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"},
    {"name": "John Smith", "line1": "1 Main St", "line2": "Apt 4", "city": "Springfield", "region": "IL",
     "postal_code": "62701", "country": "US"},
]


@dataclass(frozen=True)
class SeededProduct:
    id: str
    name: str
    base_price: Decimal


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _import_service(stack, logical_id: str, service: str, modules: list[str]) -> dict:
    """Import `modules` of functions/<service>/ with the function's template environment (TABLE_NAME…)."""
    environment = {**stack.template.function(logical_id).environment,
                   "AWS_ENDPOINT_URL_DYNAMODB": stack.dynamodb_endpoint, "AWS_ACCESS_KEY_ID": "test",
                   "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": stack.settings.region,
                   "AWS_REGION": stack.settings.region}
    code = str(ROOT / "functions" / service)
    if code not in sys.path:
        sys.path.insert(0, code)
    with layer_env.environment(environment):
        return {name: importlib.import_module(f"{service}.{name}") for name in modules}


def _point_at_stack(stack, table_name: str, *models) -> None:
    """Every model of one table → the stack's table on DynamoDB Local, with the operator's credentials."""
    for model in models:
        meta = model.Meta
        meta.table_name = table_name
        meta.host = stack.dynamodb_endpoint
        meta.region = stack.settings.region
        meta.aws_access_key_id, meta.aws_secret_access_key = "test", "test"
        meta.aws_session_token = None
        meta.max_pool_connections = max(10, THREADS * 2)
        # a bulk writer, not a request handler: patient where a function must fail fast (meridian.dynamo)
        meta.connect_timeout_seconds, meta.read_timeout_seconds, meta.max_retry_attempts = 10, 60, 5
        model._connection = None


def _in_chunks(count: int, size: int = CHUNK) -> list[range]:
    return [range(i, min(i + size, count)) for i in range(0, count, size)]


class BulkSeeder:
    """Tops the stack's catalog and order book up to a number of products / orders."""

    def __init__(self, stack, *, seed: int = 20240601):
        self.stack = stack
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.products: list[SeededProduct] = []
        self.product_table = stack.template.function("ProductsFunction").environment["TABLE_NAME"]
        self.order_table = stack.template.function("OrdersFunction").environment["TABLE_NAME"]
        self.dynamodb = stack.client("dynamodb")
        self._product_count: int | None = None
        self._order_count: int | None = None
        self._p = _import_service(stack, "ProductsFunction", "products", ["models", "pim", "repository", "views"])
        self._o = _import_service(stack, "OrdersFunction", "orders",
                                  ["models", "repository", "state_machine", "pricing", "taxes", "checkout", "emails"])
        pm, om = self._p["models"], self._o["models"]
        _point_at_stack(stack, self.product_table, pm.ProductItem, pm.LocalizedDetailsItem, pm.ClaimItem)
        _point_at_stack(stack, self.order_table, om.OrderModel, om.EmailMarker)
        self.customers = [(str(uuid.uuid4()), f"customer{n:05d}@bench.example.com") for n in range(CUSTOMERS)]
        self.seeded_by_status: dict[str, int] = {}
        self._snapshot = None

    # ------------------------------------------------------------------ counts
    def active_products(self) -> int:
        """Active products in the catalog, as the listing sees them (gsi2 CATALOG#active, Select=COUNT)."""
        total, start = 0, None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.dynamodb.query(TableName=self.product_table, IndexName="gsi2",
                                       KeyConditionExpression="gsi2pk = :p",
                                       ExpressionAttributeValues={":p": {"S": "CATALOG#active"}},
                                       Select="COUNT", **kwargs)
            total += page["Count"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return total

    def orders_by_status(self) -> dict[str, int]:
        """Orders per status, as the admin dashboard and the reconciliation see them (gsi2 STATUS#…)."""
        counts = {}
        for status in self._o["state_machine"].STATUSES:
            total, start = 0, None
            while True:
                kwargs = {"ExclusiveStartKey": start} if start else {}
                page = self.dynamodb.query(TableName=self.order_table, IndexName="gsi2",
                                           KeyConditionExpression="gsi2pk = :p",
                                           ExpressionAttributeValues={":p": {"S": f"STATUS#{status}"}},
                                           Select="COUNT", **kwargs)
                total += page["Count"]
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
            counts[status] = total
        return counts

    # ------------------------------------------------------------------ products
    def _product_items(self, index: int, rng: random.Random, now: _dt.datetime):
        pm, pim, repository = self._p["models"], self._p["pim"], self._p["repository"]
        product_id = str(uuid.uuid4())
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {index:05d}"
        slug = f"{pim.slugify(name)}-{product_id[:8]}"
        sku = f"BLK-{product_id[:8].upper()}-{index:05d}"
        category = rng.choice(CATEGORIES)
        stamp = (now - _dt.timedelta(days=rng.uniform(1, 730))).isoformat(timespec="milliseconds")
        stamp = stamp.replace("+00:00", "Z")
        base_price = Decimal(rng.randint(199, 49999)).scaleb(-2)
        description = (f"{name}: a bulk-seeded product for the scale bench, built to last, "
                       f"packed plastic-free and shipped within two working days. ") * rng.randint(1, 3)
        texts = {}
        for locale in LOCALES:
            localized = name if locale == "en" else f"{name} ({NAME_IN.get(locale, locale)})"
            texts[locale] = {"name": localized, "description": description.strip(),
                             "slug": slug if locale == "en" else None}
        details = [pm.LocalizedDetailsItem(pm.product_pk(product_id), pm.l10n_sk(locale), product_id=product_id,
                                           locale=locale, name=text["name"], description=text["description"],
                                           slug=text["slug"], updated_at=stamp)
                   for locale, text in texts.items()]
        product = pm.ProductItem(
            pm.product_pk(product_id), pm.META, id=product_id, slug=slug, category=category, status="active",
            base_price=base_price, currency="USD", sku=sku,
            attributes={"colour": rng.choice(["black", "white", "sage", "navy"]), "weight_g": rng.randint(50, 3000)},
            images=[f"https://images.meridian.example/products/{slug}.jpg"], variants=[],
            stock={pm.SIMPLE_STOCK_KEY: rng.randint(0, 500)}, holds={}, sold={}, l10n=texts,
            created_at=stamp, updated_at=stamp, version=1,
            **repository.catalog_keys("active", category, stamp, product_id))
        claimed_at = int(time.time())
        claims = [pm.ClaimItem(repository.slug_claim(slug), "CLAIM", product_id=product_id, claimed_at=claimed_at),
                  pm.ClaimItem(repository.sku_claim(sku), "CLAIM", product_id=product_id, claimed_at=claimed_at)]
        return product, details, claims, SeededProduct(product_id, name, base_price)

    def _write_products(self, indexes: range, seed: int, now: _dt.datetime) -> int:
        pm = self._p["models"]
        rng = random.Random(seed)
        built = [self._product_items(i, rng, now) for i in indexes]
        with pm.LocalizedDetailsItem.batch_write() as batch:
            for _, details, _, _ in built:
                for item in details:
                    batch.save(item)
        with pm.ClaimItem.batch_write() as batch:
            for _, _, claims, _ in built:
                for item in claims:
                    batch.save(item)
        with pm.ProductItem.batch_write() as batch:   # last, as pim.create: the product appears when complete
            for product, _, _, _ in built:
                batch.save(product)
        with self.lock:
            self.products.extend(seeded for *_, seeded in built)
        return sum(1 + len(details) + len(claims) for _, details, claims, _ in built)

    @property
    def counts(self) -> tuple[int, int]:
        """(active products, orders) in the stack now, as tracked since count_existing()."""
        return self._product_count or 0, self._order_count or 0

    def count_existing(self) -> tuple[int, int]:
        """(active products, orders) already in the stack: what seeding tops up (counted once, then tracked)."""
        if self._product_count is None:
            self._product_count = self.active_products()
        if self._order_count is None:
            self._order_count = sum(self.orders_by_status().values())
        return self._product_count, self._order_count

    def seed_products(self, total: int) -> tuple[int, int]:
        """Add active products until the catalog holds `total`; (products added, items written)."""
        self.count_existing()
        missing = max(0, total - self._product_count)
        now = _dt.datetime.now(_dt.timezone.utc)
        offset = self._product_count
        tasks = [(range(offset + chunk.start, offset + chunk.stop), self.rng.randint(0, 2**31))
                 for chunk in _in_chunks(missing)]
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            written = sum(pool.map(lambda task: self._write_products(task[0], task[1], now), tasks))
        self._product_count += missing
        return missing, written

    def catalog_sample(self, limit: int = 500) -> list[SeededProduct]:
        """Products already in the catalog (the newest `limit`), when none were seeded by this run."""
        found = self._p["models"].ProductItem.by_status.query("CATALOG#active", scan_index_forward=False,
                                                              limit=limit)
        return [SeededProduct(p.id, self._p["views"].localized(p, "en")[1]["name"], p.base_price) for p in found]

    # ------------------------------------------------------------------ orders
    def fx_snapshot(self):
        """The stack's current FX snapshot, read from the localization service as every service reads it."""
        if self._snapshot is None:
            from meridian import fx

            fx.reset()
            with layer_env.layer_reads_stack(self.stack):
                self._snapshot = fx.snapshot()
            fx.reset()
        return self._snapshot

    def _order_items(self, rng: random.Random, now: _dt.datetime, snapshot):
        om, repository, sm = self._o["models"], self._o["repository"], self._o["state_machine"]
        pricing, checkout, emails = self._o["pricing"], self._o["checkout"], self._o["emails"]
        order_id = str(uuid.uuid4())
        user_id, email = rng.choice(self.customers)
        status = _weighted(rng, STATUS_MIX)
        currency = _weighted(rng, CURRENCIES)
        if status == sm.PENDING_PAYMENT:
            created = now - _dt.timedelta(seconds=rng.uniform(5, 300))
        elif status == sm.PAID:
            created = now - _dt.timedelta(hours=rng.uniform(0.1, 24 * 7))
        else:
            created = now - _dt.timedelta(hours=rng.uniform(1, 24 * 180))
        lines = []
        for product in rng.sample(self.products, k=min(len(self.products), rng.choice([1, 1, 1, 2, 2, 3]))):
            lines.append(pricing.LineInput(line_id=product.id, product_id=product.id, sku=None, name=product.name,
                                           quantity=rng.choice([1, 1, 1, 2, 3]), base_unit_price=product.base_price))
        priced = pricing.price(lines, currency=currency, rate=snapshot.rate("USD", currency),
                               tax=self._o["taxes"].NO_TAX)
        moment = lambda when: when.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
        customer = f"customer:{user_id}"
        order = repository.new_order(
            id=order_id, user_id=user_id, email=email, status=status,
            currency=currency, **pricing.order_fields(priced, snapshot),
            shipping_address=om.ShippingAddress(**rng.choice(ADDRESSES)),
            reservation_id=order_id, payment_id=str(uuid.uuid4()), intent_id=f"pi_{uuid.uuid4().hex[:24]}",
            client_secret=f"pi_{uuid.uuid4().hex[:24]}_secret_{uuid.uuid4().hex[:24]}",
            created_at=moment(created), updated_at=moment(created),
            expires_at=moment(created + checkout.payment_window()))
        history = [sm.history_entry(sm.PENDING_PAYMENT, reason="order placed", actor=customer, at=order.created_at)]
        at, previous, markers = created, sm.PENDING_PAYMENT, []

        def moved(target: str, after: _dt.timedelta, reason: str, actor: str) -> None:
            nonlocal at, previous
            at = min(now, at + after)
            history.append(sm.history_entry(target, reason=reason, actor=actor, at=moment(at), from_status=previous))
            previous = target

        if status == sm.CANCELLED:
            if rng.random() < 0.6:
                moved(sm.CANCELLED, checkout.payment_window() + _dt.timedelta(minutes=rng.uniform(0, 5)),
                      "payment window expired", "reconciliation")
            else:
                moved(sm.CANCELLED, _dt.timedelta(minutes=rng.uniform(1, 20)), "cancelled by the customer", customer)
        elif status != sm.PENDING_PAYMENT:
            moved(sm.PAID, _dt.timedelta(seconds=rng.uniform(20, 300)), "payment succeeded", "payments")
            markers.append(om.EmailMarker(order.pk, f"EMAIL#{emails.CONFIRMATION}",
                                          sent_at=moment(at + _dt.timedelta(seconds=rng.uniform(0.5, 3))),
                                          message_id=f"bench-{uuid.uuid4().hex}"))
            if status == sm.FULFILLED:
                moved(sm.FULFILLED, _dt.timedelta(hours=rng.uniform(2, 72)), "fulfilled", "admin:bench-admin")
            elif status == sm.REFUNDED:
                moved(sm.REFUNDED, _dt.timedelta(hours=rng.uniform(2, 240)), "payment refunded", "payments")
        order.history = history
        order.status = previous
        order.updated_at = moment(at)
        if previous != sm.PENDING_PAYMENT:     # as repository.save_move indexes a moved order (new_order a new one)
            order.gsi2pk = f"STATUS#{previous}"
            order.gsi2sk = f"{order.updated_at}#{order.id}"
        return order, markers

    def _write_orders(self, count: int, seed: int, now: _dt.datetime, snapshot) -> int:
        om = self._o["models"]
        rng = random.Random(seed)
        built = [self._order_items(rng, now, snapshot) for _ in range(count)]
        with self.lock:
            for order, _ in built:
                self.seeded_by_status[order.status] = self.seeded_by_status.get(order.status, 0) + 1
        with om.OrderModel.batch_write() as batch:
            for order, _ in built:
                batch.save(order)
        with om.EmailMarker.batch_write() as batch:
            for _, markers in built:
                for marker in markers:
                    batch.save(marker)
        return sum(1 + len(markers) for _, markers in built)

    def seed_orders(self, total: int) -> tuple[int, int]:
        """Add orders (of seeded products, by seeded customers) until the order book holds `total`."""
        if not self.products:
            self.products.extend(self.catalog_sample())
        self.count_existing()
        missing = max(0, total - self._order_count)
        snapshot = self.fx_snapshot()
        now = _dt.datetime.now(_dt.timezone.utc)
        tasks = [(len(chunk), self.rng.randint(0, 2**31)) for chunk in _in_chunks(missing)]
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            written = sum(pool.map(lambda task: self._write_orders(task[0], task[1], now, snapshot), tasks))
        self._order_count += missing
        return missing, written
