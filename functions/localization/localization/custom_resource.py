"""CloudFormation's `InitialExchangeRates` (Custom::ExchangeRates) answered by FxRefreshFunction.

So a new stack has exchange rates when its deploy finishes, not an hour later. CloudFormation
invokes the function with `RequestType` Create / Update / Delete and waits for a JSON document
PUT to the pre-signed `ResponseURL`; an answer that never comes leaves the stack waiting for
the custom resource's timeout. Hence:

* **Create / Update** run the same refresh as the hourly schedule (`trigger="deploy"`),
  within the time the invocation has left (minus a margin kept for the answer).
* **Delete** does nothing (the rates live in LocalizationTable, which goes with the stack).
* **Always answered**, exactly once, with a stable PhysicalResourceId (`exchange-rates`, or the
  one CloudFormation already knows) so an Update never turns into a replacement.
* **A feed that is down, slow, or refused does not fail the deploy**: the answer is SUCCESS with
  `Data.outcome` / `Data.note` saying what happened and `Data.currencies` counting the rates the
  stack now serves (0: none yet; GET /rates answers 503 until the hourly refresh succeeds), and
  a warning is logged ("deploy-time FX refresh fell back"). Rolling back a whole deploy because a
  third party's feed had a bad minute would be worse than starting without rates for an hour.
* **Anything else fails** with the error in `Reason` (e.g. the function may not write its table,
  or an unknown RequestType): those are faults of the stack itself, which the schedule would not
  fix. On a failed Create, CloudFormation rolls back and sends Delete, which succeeds.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from meridian.observability import logger

from . import refresh, repository

PHYSICAL_ID = "exchange-rates"
ANSWER_MARGIN_SECONDS = 5.0        # kept for answering CloudFormation after the refresh
PUT_ATTEMPTS, PUT_TIMEOUT_SECONDS = 3, 10.0
MAX_TEXT = 900                     # CloudFormation accepts response documents up to 4 KB


def is_custom_resource_event(event: Any) -> bool:
    return isinstance(event, dict) and "RequestType" in event and "ResponseURL" in event


def handle(event: dict, context: Any) -> dict:
    """Do what the request asks, then PUT the answer to ResponseURL (always); returns the answer."""
    request_type = event.get("RequestType")
    status, reason, data = "SUCCESS", "", {}
    try:
        if request_type == "Delete":
            reason = "Nothing to delete: the rates are kept in the stack's table, which goes with the stack."
        elif request_type in ("Create", "Update"):
            reason, data = _refresh_now(context)
        else:
            status, reason = "FAILED", f"Unknown RequestType {request_type!r}."
    except Exception as error:  # a fault of the stack (permissions, a bug): say so instead of leaving CFN waiting
        logger.exception("deploy-time FX refresh failed", extra={"request_type": request_type})
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    answer = {
        "Status": status,
        "Reason": _short(f"{reason} (log stream {getattr(context, 'log_stream_name', '?')})"),
        "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": False,
        "Data": data,
    }
    sent = send(event.get("ResponseURL"), answer)
    logger.info("answered CloudFormation", extra={"request_type": request_type, "status": status, "sent": sent,
                                                  "logical_resource_id": event.get("LogicalResourceId")})
    return answer


def _refresh_now(context: Any) -> tuple[str, dict]:
    """(reason, Data) of a refresh bounded by the invocation's remaining time."""
    budget = _remaining_seconds(context) - ANSWER_MARGIN_SECONDS
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fx-deploy-refresh")
    future = pool.submit(refresh.refresh, trigger="deploy")
    try:
        outcome = future.result(timeout=max(budget, 1.0))
    except FutureTimeout:
        outcome = refresh.RefreshOutcome("timed_out", f"The FX refresh did not finish within {budget:.0f} s.")
    finally:
        pool.shutdown(wait=False)
    latest = repository.latest()
    data: dict[str, Any] = {"currencies": len(latest.rates) if latest else 0, "outcome": outcome.status}
    if latest is not None:
        data.update(snapshot_id=latest.snapshot_id, as_of=latest.as_of, source=latest.source)
    if outcome.ok:
        return f"Exchange rates {outcome.status}: {data['currencies']} currencies as of {data.get('as_of')}.", data
    serving = (f"the last snapshot ({data['currencies']} currencies as of {data.get('as_of')})" if latest
               else "no rates yet (GET /rates answers 503)")
    note = _short(f"{outcome.status}: {outcome.detail} The stack deploys anyway and serves {serving}; "
                  f"the hourly refresh retries.")
    data["note"] = note
    logger.warning("deploy-time FX refresh fell back", extra={"outcome": outcome.status, "detail": outcome.detail,
                                                              "currencies": data["currencies"]})
    return f"Deployed without fresh exchange rates: {note}", data


def _remaining_seconds(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if callable(remaining) else 30.0


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def send(url: str | None, answer: dict) -> bool:
    """PUT the answer to the pre-signed URL: an empty Content-Type, as the URL was signed with none."""
    import requests

    if not url:
        logger.error("custom-resource event without ResponseURL: nothing to answer")
        return False
    body = json.dumps(answer).encode("utf-8")
    for attempt in range(1, PUT_ATTEMPTS + 1):
        try:
            response = requests.put(url, data=body, headers={"Content-Type": ""}, timeout=PUT_TIMEOUT_SECONDS)
            if response.status_code < 300:
                return True
            problem = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code < 500:   # 4xx: the URL expired or the signature does not match; retry is moot
                logger.error("CloudFormation refused the answer", extra={"problem": problem})
                return False
        except requests.RequestException as error:  # its text names the URL: keep the signature out of the log
            problem = f"{type(error).__name__}: {error}".replace(url.partition("?")[2] or url, "…")
        logger.warning("could not answer CloudFormation", extra={"attempt": attempt, "problem": problem})
        if attempt < PUT_ATTEMPTS:
            time.sleep(0.5 * attempt)
    return False
