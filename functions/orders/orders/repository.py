"""Reading and writing the orders table: the only module that touches it.

An order is ONE item with its append-only history (see models.py): a new order is one conditional
put, a change one conditional update (on condition that status and version are still the ones
read; its history entry appended in the same write). Which changes are allowed, and what they
record, is state_machine.py's; this module only writes them.
"""
from __future__ import annotations

from meridian.dynamo import applied, condition_failed
from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist, UpdateError

from .models import (
    ORDER_SK,
    CartModel,
    EmailMarker,
    HistoryEntry,
    OrderModel,
    PromotionModel,
    PromotionUseModel,
    ShippingZoneModel,
    TaxRateModel,
)

NO_REGION = "-"


# ---------------------------------------------------------------------------- writes
def new_order(**fields) -> OrderModel:
    """An order not stored yet, indexed: gsi1 by user and creation, gsi2 by status and, in the status it is
    created in (awaiting payment), by `expires_at` (so the due ones are a Query up to now); a move re-sorts
    it by the time of the move (save_move)."""
    order = OrderModel(OrderModel.key(fields["id"]), ORDER_SK, **fields)
    order.gsi1pk = f"USER#{order.user_id}"
    order.gsi1sk = f"{order.created_at}#{order.id}"
    order.gsi2pk = f"STATUS#{order.status}"
    order.gsi2sk = f"{order.expires_at}#{order.id}"
    return order


def create(order: OrderModel, first: HistoryEntry) -> None:
    """Store a new order with its first history entry (one conditional put; never overwrites)."""
    order.history = [first]
    order.save(condition=OrderModel.pk.does_not_exist())


def save_change(order: OrderModel, entry: HistoryEntry, *, changes: dict, appends: dict) -> bool:
    """Write one change of `order` (state_machine.py): `entry.status` as its status, its version + 1, `entry`
    appended to its history, `changes` ({attribute: value}) set and `appends` ({list attribute: [items]})
    appended, in ONE update on condition that the status and version are still the ones read; False when
    they are not (nothing written). A new status re-sorts the order in its status's partition (gsi2)."""
    current, target, now = order.status, entry.status, entry.at
    version = int(order.version or 0)
    actions = [OrderModel.version.set(version + 1), OrderModel.updated_at.set(now),
               OrderModel.history.set(OrderModel.history.append([entry]))]
    if target != current:
        actions += [OrderModel.status.set(target), OrderModel.gsi2pk.set(f"STATUS#{target}"),
                    OrderModel.gsi2sk.set(f"{now}#{order.id}")]
    actions += [getattr(OrderModel, name).set(value) for name, value in changes.items()]
    actions += [getattr(OrderModel, name).set(getattr(OrderModel, name).append(items))
                for name, items in appends.items()]
    same_version = (OrderModel.version == version) if order.version is not None else OrderModel.version.does_not_exist()
    try:
        order.update(actions=actions, condition=(OrderModel.status == current) & same_version)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return False
    return True


def email_sent(order_id: str, kind: str) -> bool:
    try:
        EmailMarker.get(OrderModel.key(order_id), f"EMAIL#{kind}", consistent_read=True)
        return True
    except DoesNotExist:
        return False


def mark_email_sent(order_id: str, kind: str, *, at: str, message_id: str | None) -> None:
    EmailMarker(OrderModel.key(order_id), f"EMAIL#{kind}", sent_at=at, message_id=message_id).save()


# ---------------------------------------------------------------------------- reads
def get(order_id: str) -> OrderModel:
    try:
        return OrderModel.get(OrderModel.key(order_id), ORDER_SK, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such order.") from None


def visible(order_id: str, who) -> OrderModel:
    """The order when `who` owns it or is an admin; 404 otherwise (another user's order does not exist)."""
    order = get(order_id)
    if not who.may_see(order.user_id):
        raise NotFound("No such order.")
    return order


def claim_guest_orders(email: str, user_id: str) -> int:
    """Give the orders placed as a guest with `email` to the customer `user_id` (they proved the address);
    how many moved. Each is one conditional update, so a repeat moves nothing twice."""
    moved = 0
    for order in OrderModel.by_user.query(f"USER#{guest_id(email)}"):
        if applied(lambda o=order: o.update(actions=[OrderModel.user_id.set(user_id),
                                                     OrderModel.gsi1pk.set(f"USER#{user_id}")],
                                            condition=OrderModel.user_id == guest_id(email))):
            moved += 1
    return moved


GUEST_PREFIX = "guest:"


def guest_id(email: str) -> str:
    """The user id of a guest's orders: their e-mail address (lower case)."""
    return f"{GUEST_PREFIX}{email.strip().lower()}"


def page_for_user(user_id: str, *, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_user.query(f"USER#{user_id}", scan_index_forward=False, limit=limit,
                                      last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def page_by_status(status: str, *, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    result = OrderModel.by_status.query(f"STATUS#{status}", scan_index_forward=False, limit=limit,
                                        last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def page_of_all(*, limit: int, start: dict | None) -> tuple[list[OrderModel], dict | None]:
    """Every order, in table order (an admin's unfiltered list)."""
    result = OrderModel.scan(OrderModel.sk == ORDER_SK, limit=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def expired(status: str, now_iso: str, *, limit: int = 100) -> list[OrderModel]:
    """Orders in `status` (the one new orders start in, sorted by `expires_at`) whose payment window closed
    before `now_iso`, oldest first, at most `limit`.

    One Query of gsi2's `STATUS#<status>` partition, whose sort key starts with the order's `expires_at`:
    it reads only the orders that are due, however many orders the table holds.
    """
    return list(OrderModel.by_status.query(f"STATUS#{status}", OrderModel.gsi2sk < now_iso, limit=limit))


def count_by_status(status: str) -> int:
    """How many orders have `status` (gsi2 Select=COUNT query, all pages: reads the whole partition)."""
    return OrderModel.count(f"STATUS#{status}", index_name=OrderModel.by_status.Meta.index_name)


def totals_by_status(status: str):
    """(currency, total) of every order with `status` (gsi2 query, only those two attributes returned)."""
    for order in OrderModel.by_status.query(f"STATUS#{status}", attributes_to_get=["currency", "total"]):
        yield order.currency, order.total


# ---------------------------------------------------------------------------- carts
def get_cart(cart_id: str) -> CartModel | None:
    try:
        return CartModel.get(CartModel.key(cart_id), "CART", consistent_read=True)
    except DoesNotExist:
        return None


def save_cart(cart: CartModel) -> bool:
    """Write the cart on condition that nobody changed it since it was read (its version); False if someone did."""
    cart.gsi1pk = f"CARTS#{cart.owner}" if cart.owner and cart.status == "open" else None
    cart.gsi1sk = cart.updated_at if cart.gsi1pk else None
    return applied(cart.save)


def open_cart_of(user_id: str) -> CartModel | None:
    """The customer's most recently used open cart."""
    for cart in CartModel.by_user.query(f"CARTS#{user_id}", scan_index_forward=False, limit=1):
        return get_cart(cart.id)
    return None


# ---------------------------------------------------------------------------- shipping zones
def shipping_zones() -> list[ShippingZoneModel]:
    return list(ShippingZoneModel.query("SHIPPING", ShippingZoneModel.sk.startswith("ZONE#")))


def shipping_zone(zone_id: str) -> ShippingZoneModel:
    try:
        return ShippingZoneModel.get("SHIPPING", f"ZONE#{zone_id}", consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such shipping zone.") from None


def save_shipping_zone(zone: ShippingZoneModel) -> None:
    zone.sk = f"ZONE#{zone.id}"
    zone.save()


def delete_shipping_zone(zone_id: str) -> None:
    shipping_zone(zone_id).delete()


# ---------------------------------------------------------------------------- tax table
def tax_rate(country: str, region: str | None) -> TaxRateModel | None:
    try:
        return TaxRateModel.get("TAX", f"RATE#{country}#{region or NO_REGION}")
    except DoesNotExist:
        return None


def tax_rates() -> list[TaxRateModel]:
    return list(TaxRateModel.query("TAX", TaxRateModel.sk.startswith("RATE#")))


def save_tax_rate(row: TaxRateModel) -> None:
    row.sk = f"RATE#{row.country}#{row.region or NO_REGION}"
    row.save()


def delete_tax_rate(country: str, region: str | None) -> None:
    row = tax_rate(country, region)
    if row is None:
        raise NotFound("No such tax rate.")
    row.delete()


# ---------------------------------------------------------------------------- promotions
def promotion(code: str) -> PromotionModel | None:
    try:
        return PromotionModel.get(PromotionModel.key(code), "PROMO", consistent_read=True)
    except DoesNotExist:
        return None


def promotions_page(*, limit: int, start: dict | None) -> tuple[list[PromotionModel], dict | None]:
    result = PromotionModel.listed.query("PROMOS", limit=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def create_promotion(promo: PromotionModel) -> bool:
    """False when the code exists."""
    promo.gsi1sk = promo.code
    return applied(lambda: promo.save(condition=PromotionModel.pk.does_not_exist()))


def save_promotion_terms(promo: PromotionModel, actions: list) -> None:
    """Change a promotion's terms (never its `redeemed` count, which only redemptions move)."""
    promo.update(actions=actions, condition=PromotionModel.pk.exists())


def customer_uses(code: str, customer: str) -> int:
    try:
        return int(PromotionUseModel.get(PromotionModel.key(code), f"CUSTOMER#{customer}").uses or 0)
    except DoesNotExist:
        return 0


def take_redemption(code: str, order_id: str, customer: str, at: str) -> bool:
    """Record that `order_id` holds `code` (once per order); False if it already does."""
    record = PromotionUseModel(PromotionModel.key(code), f"ORDER#{order_id}", customer=customer, at=at)
    return applied(lambda: record.save(condition=PromotionUseModel.pk.does_not_exist()))


def count_redemption(code: str, now: str) -> bool:
    """Add one to the code's `redeemed` count on condition that it is active, in its window and under its
    limit: ONE conditional update, so concurrent checkouts can never exceed the limit."""
    promo = PromotionModel(PromotionModel.key(code), "PROMO")
    condition = (PromotionModel.active == True) & (  # noqa: E712 - a DynamoDB condition, not a comparison
        PromotionModel.usage_limit.does_not_exist() | (PromotionModel.redeemed < PromotionModel.usage_limit))
    condition &= PromotionModel.starts_at.does_not_exist() | (PromotionModel.starts_at <= now)
    condition &= PromotionModel.ends_at.does_not_exist() | (PromotionModel.ends_at > now)
    return applied(lambda: promo.update(actions=[PromotionModel.redeemed.add(1)], condition=condition))


def count_customer_use(code: str, customer: str, limit: int | None) -> bool:
    """Add one to the customer's uses of the code, on condition that they are under `limit`."""
    use = PromotionUseModel(PromotionModel.key(code), f"CUSTOMER#{customer}")
    condition = None
    if limit is not None:
        condition = PromotionUseModel.uses.does_not_exist() | (PromotionUseModel.uses < limit)
    return applied(lambda: use.update(actions=[PromotionUseModel.uses.add(1)], condition=condition))


def uncount_redemption(code: str) -> None:
    PromotionModel(PromotionModel.key(code), "PROMO").update(actions=[PromotionModel.redeemed.add(-1)])


def uncount_customer_use(code: str, customer: str) -> None:
    PromotionUseModel(PromotionModel.key(code), f"CUSTOMER#{customer}").update(
        actions=[PromotionUseModel.uses.add(-1)])


def drop_redemption(code: str, order_id: str) -> str | None:
    """Delete the order's redemption of `code`: the customer it was for, or None when there is none (never
    taken, or already given back): of concurrent give-backs only one deletes it, so each happens once."""
    try:
        record = PromotionUseModel.get(PromotionModel.key(code), f"ORDER#{order_id}", consistent_read=True)
    except DoesNotExist:
        return None
    if not applied(lambda: record.delete(condition=PromotionUseModel.pk.exists())):
        return None
    return record.customer
