"""The localization table's reads and writes: the only module that touches it (rate snapshots and the
"latest" pointer, locales: models.py; the rules are in refresh.py, service.py and locale_registry.py)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from meridian.dynamo import applied
from meridian.locales import Locale
from meridian.rates import RateSnapshot
from pynamodb.exceptions import DoesNotExist

from .models import (
    CURRENCY_PK,
    LATEST_PK,
    LATEST_SK,
    LOCALES_PK,
    SEEDED_SK,
    SNAPSHOT_SK,
    CurrencySettingRecord,
    LocaleRecord,
    RateSnapshotRecord,
)


def _record(snapshot: RateSnapshot, pk: str, sk: str, fetched_at: str) -> RateSnapshotRecord:
    rates = {code: format(value, "f") for code, value in snapshot.rates.items() if code != snapshot.base}
    return RateSnapshotRecord(pk, sk, snapshot_id=snapshot.snapshot_id, base=snapshot.base, as_of=snapshot.as_of,
                              source=snapshot.source, rates=rates, fetched_at=fetched_at,
                              order_key=order_key(snapshot.as_of, fetched_at), confirmed_at=fetched_at,
                              sources=dict(snapshot.sources) if snapshot.sources else None)


def _snapshot(record: RateSnapshotRecord) -> RateSnapshot:
    return RateSnapshot(snapshot_id=record.snapshot_id, base=record.base, as_of=record.as_of, source=record.source,
                        rates={code: Decimal(value) for code, value in record.rates.items()},
                        confirmed_at=record.confirmed_at or record.fetched_at, sources=record.sources or None)


def order_key(as_of: str, fetched_at: str) -> str:
    return f"{as_of}|{fetched_at}"


def save_snapshot(snapshot: RateSnapshot, fetched_at: str) -> None:
    """Store an immutable snapshot (a second write of the same id is refused)."""
    record = _record(snapshot, f"SNAPSHOT#{snapshot.snapshot_id}", SNAPSHOT_SK, fetched_at)
    record.save(condition=RateSnapshotRecord.pk.does_not_exist())


def move_latest(snapshot: RateSnapshot, fetched_at: str) -> bool:
    """Point "latest" at `snapshot` unless a newer one is already there (conditional write)."""
    record = _record(snapshot, LATEST_PK, LATEST_SK, fetched_at)
    return applied(lambda: record.save(condition=RateSnapshotRecord.pk.does_not_exist()
                                       | (RateSnapshotRecord.order_key < record.order_key)))


def confirm_latest(snapshot_id: str, confirmed_at: str) -> bool:
    """The provider re-sent the latest rates unchanged: remember when (drives `stale`)."""
    pointer = RateSnapshotRecord(LATEST_PK, LATEST_SK)
    return applied(lambda: pointer.update(actions=[RateSnapshotRecord.confirmed_at.set(confirmed_at)],
                                          condition=(RateSnapshotRecord.snapshot_id == snapshot_id)
                                          & (RateSnapshotRecord.confirmed_at < confirmed_at)))


def latest() -> RateSnapshot | None:
    try:
        return _snapshot(RateSnapshotRecord.get(LATEST_PK, LATEST_SK, consistent_read=True))
    except DoesNotExist:
        return None


# ---------------------------------------------------------------------------- locales
def _locale(record: LocaleRecord) -> Locale:
    return Locale(record.sk, record.name or record.sk, record.native_name or record.name or record.sk,
                  rtl=record.direction == "rtl", fallback=tuple(record.fallback or ()), active=bool(record.active))


def locale_records() -> tuple[list[Locale], bool]:
    """Every stored locale (active or not), and whether the built-in ones were stored yet."""
    found, seeded = [], False
    for record in LocaleRecord.query(LOCALES_PK, consistent_read=True):
        if record.sk == SEEDED_SK:
            seeded = True
        else:
            found.append(_locale(record))
    return found, seeded


def _locale_record(locale: Locale, updated_at: str) -> LocaleRecord:
    return LocaleRecord(LOCALES_PK, locale.code, name=locale.name, native_name=locale.native_name,
                        direction=locale.direction, fallback=list(locale.fallback), active=locale.active,
                        updated_at=updated_at)


def store_seed(seed: Iterable[Locale], at: str) -> None:
    """Store the built-in locales that are not there yet (never over a stored one), then the #seeded marker."""
    for locale in seed:
        record = _locale_record(locale, at)
        applied(lambda record=record: record.save(condition=LocaleRecord.sk.does_not_exist()))
    LocaleRecord(LOCALES_PK, SEEDED_SK, updated_at=at).save()


def save_locale(locale: Locale, at: str) -> None:
    _locale_record(locale, at).save()


def snapshot(snapshot_id: str) -> RateSnapshot | None:
    try:
        return _snapshot(RateSnapshotRecord.get(f"SNAPSHOT#{snapshot_id}", SNAPSHOT_SK))
    except DoesNotExist:
        return None


# ---------------------------------------------------------------------------- the shop's currencies
def currency_settings() -> dict[str, dict]:
    """Every currency staff have set: {code: {"active": bool, "rounding": dict | None}} ({} when none yet)."""
    return {record.sk: {"active": bool(record.active), "rounding": record.rounding or None}
            for record in CurrencySettingRecord.query(CURRENCY_PK, consistent_read=True)}


def currency_setting(code: str) -> dict | None:
    try:
        record = CurrencySettingRecord.get(CURRENCY_PK, code, consistent_read=True)
    except DoesNotExist:
        return None
    return {"active": bool(record.active), "rounding": record.rounding or None}


def put_currency_setting(code: str, *, active: bool, rounding: dict | None, updated_at: str,
                         updated_by: str | None) -> None:
    CurrencySettingRecord(CURRENCY_PK, code, active=active, rounding=rounding, updated_at=updated_at,
                          updated_by=updated_by).save()
