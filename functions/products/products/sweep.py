"""The sweep: held reservations whose time has passed give their stock back.

While held, a reservation sits in the sparse gsi1 partition RESERVATIONS#DUE#<0-3> sorted by its
hold_until: the scheduled sweep (handlers.sweep_expired_reservations, rate(1 minute)) Queries each
shard up to now (never a Scan) and expires what it finds (reservations.expire: held → expired, stock
back, in one transaction). A reservation leaves the index in the transaction that finishes it, which
also sets the table TTL (`expires_at`, 30 days later; never on a hold). DynamoDB deletes expired items
late (up to 48 h), so nothing relies on the TTL: expiry is checked on read (commit) and here.
Records of the former step-by-step code found in the index are finished line by line
(reservations.finish_old_record).
"""
from __future__ import annotations

import datetime as _dt

from meridian.clock import iso, utcnow

from . import repository, reservations
from .errors import StockInconsistent


def expire_due(*, now: _dt.datetime | None = None, budget: int = 500) -> dict[str, int]:
    """Expire every held reservation whose time has passed (stock back): a Query of each due shard up to now."""
    now = now or utcnow()
    upper = repository.due_key(iso(now), "~")
    stats = {"examined": 0, "expired": 0, "settled": 0, "errors": 0}
    for shard in range(repository.DUE_SHARDS):
        for due in repository.due_reservations(shard, upper, budget):
            if stats["examined"] >= budget:
                return stats
            stats["examined"] += 1
            item = repository.get_reservation(due.id)
            if item is None or item.gsi1pk is None:
                continue
            try:
                if item.status == reservations.HELD:
                    if item.hold_until_epoch <= now.timestamp() and reservations.expire(item, now):
                        stats["expired"] += 1
                elif reservations.finish_old_record(item, now):
                    stats["settled"] += 1
            except StockInconsistent:
                stats["errors"] += 1
    return stats
