"""Disabling an endpoint that has failed for too long (`policy.should_disable`), and telling staff:
an e-mail through SES to the shop's staff address (STAFF_ALERT_EMAIL, from EMAIL_SENDER) and an
audit entry (`admin.action` webhook_endpoint.disabled by system:webhooks). The conditional write
makes exactly one caller the one that disabled it, so staff are told once."""
from __future__ import annotations

from meridian import aws, events
from meridian.clock import iso
from meridian.config import require_env
from meridian.observability import count, logger

from . import repository
from .models import EndpointModel

ACTION = "webhook_endpoint.disabled"


def disable_failing(endpoint: EndpointModel, *, failing_since: str, at: str | None = None) -> bool:
    """Disable the endpoint and tell staff; False when it was not enabled (any more)."""
    at = at or iso()
    reason = f"every delivery attempt failed since {failing_since}"
    if not repository.disable_endpoint(endpoint, reason=reason, at=at):
        return False
    count("WebhookEndpointsDisabled")
    logger.warning("webhook endpoint disabled", extra={"endpoint_id": endpoint.id, "failing_since": failing_since})
    try:
        events.publish("webhooks", "admin.action", {
            "action": ACTION, "target": f"endpoint:{endpoint.id}", "actor": "system:webhooks",
            "before": {"enabled": True}, "after": {"enabled": False, "reason": reason, "url": endpoint.url}})
    except Exception:  # noqa: BLE001 - the endpoint is disabled; a lost record must be loud, not fatal
        logger.exception("could not audit a disabled webhook endpoint", extra={"endpoint_id": endpoint.id})
        count("AuditPublishFailed", service="webhooks")
    try:
        _tell_staff(endpoint, reason)
    except Exception:  # noqa: BLE001 - as above
        logger.exception("could not e-mail staff about a disabled webhook endpoint", extra={"endpoint_id": endpoint.id})
        count("WebhookAlertEmailFailed")
    return True


def _tell_staff(endpoint: EndpointModel, reason: str) -> None:
    text = "\n".join([
        "A merchant webhook endpoint was disabled because it kept failing.", "",
        f"Endpoint: {endpoint.id}", f"URL: {endpoint.url}", f"Why: {reason}.", "",
        "Its delivery log is in the admin console (Webhooks); fix the receiver, enable the endpoint again "
        "and redeliver what failed."])
    aws.client("ses").send_email(
        Source=require_env("EMAIL_SENDER"), Destination={"ToAddresses": [require_env("STAFF_ALERT_EMAIL")]},
        Message={"Subject": {"Data": f"Webhook endpoint disabled: {endpoint.url[:80]}", "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}})
