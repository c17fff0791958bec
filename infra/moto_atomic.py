"""moto as the local AWS, with DynamoDB writes as atomic as DynamoDB's.

DynamoDB applies each write (and each transaction) atomically, conditions included.
moto does not lock: two threads of the moto server can both pass the same condition
(overselling stock), and a failed TransactWriteItems rolls back by restoring a copy of
the whole table, wiping writes that happened meanwhile. One lock around moto's write
calls gives local runs the guarantees our code relies on on AWS.

`python -m infra.moto_atomic -H 127.0.0.1 -p 4566` runs moto_server with the lock.
"""
from __future__ import annotations

import sys
import threading

WRITE_CALLS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_lock = threading.RLock()


def make_dynamodb_writes_atomic() -> list[tuple[type, str, object]]:
    """Wrap moto's DynamoDB write calls in one lock; returns what to restore (for tests)."""
    from moto.dynamodb.models import DynamoDBBackend

    replaced = []
    for name in WRITE_CALLS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "__meridian_atomic__", False):
            continue

        def locked(self, *args, __original=original, **kwargs):
            with _lock:
                return __original(self, *args, **kwargs)

        locked.__meridian_atomic__ = True
        setattr(DynamoDBBackend, name, locked)
        replaced.append((DynamoDBBackend, name, original))
    return replaced


def restore(replaced: list[tuple[type, str, object]]) -> None:
    for owner, name, original in replaced:
        setattr(owner, name, original)


if __name__ == "__main__":
    from moto.server import main

    make_dynamodb_writes_atomic()
    main(sys.argv[1:])
