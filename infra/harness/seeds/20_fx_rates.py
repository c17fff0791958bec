"""A first FX refresh, so the stack has exchange rates the moment it is up.

Idempotent: a second run finds the same rates and only confirms the latest snapshot.
Fails (non-zero exit) only when there is still no snapshot at all afterwards.
"""
FUNCTION = "FxRefreshFunction"


def main() -> None:
    from localization import refresh, store

    outcome = refresh.refresh(trigger="seed")
    print(f"fx refresh: {outcome.status} {outcome.snapshot_id or ''} {outcome.detail}".strip())
    if store.latest() is None:
        raise SystemExit(f"no FX snapshot after the first refresh ({outcome.status}: {outcome.detail})")
