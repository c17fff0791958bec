"""A first FX refresh, so the stack has exchange rates the moment it is up.

The FX refresh function is invoked as its hourly schedule invokes it (an EventBridge scheduled
event, through the runtime's Lambda Invoke API); then the public rates route must answer.
Idempotent: a second run finds the same rates and only confirms the latest snapshot.
Fails (non-zero exit) only when there is still no snapshot at all afterwards.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

FUNCTION = "FxRefreshFunction"


def scheduled_event(region: str = "us-east-1") -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region, "resources": [], "detail": {}}


def main(api=None) -> None:
    from infra.harness.seed_api import SeedApi

    api = api or SeedApi.from_state()
    outcome = api.invoke(FUNCTION, scheduled_event())
    summary = " ".join(str(outcome.get(k) or "") for k in ("status", "snapshot_id", "detail")) \
        if isinstance(outcome, dict) else str(outcome)
    print(f"fx refresh: {summary.strip()}")
    rates = api.call("GET", "/api/v1/localization/rates")
    if rates.status != 200:
        raise SystemExit(f"no FX snapshot after the first refresh ({summary.strip()}): HTTP {rates.status}")
