"""The webhook test receiver: a merchant's endpoint stand-in for the webhooks service's tests.

    python -m infra.harness.webhook_receiver --port P

On 127.0.0.1 only. The dev stack starts it on a free port and gives its origin to the webhooks
functions as the one loopback target they may deliver to (the template's WebhookTestReceiverOrigin;
empty on AWS, where nothing on loopback is a target).

  POST <any other path>     a delivery: recorded (path, headers, body, when); 200 {"received": true},
                            or 500 while `fail_next` is above 0 (each such answer counts it down)
  GET  /received            {"items": [every request recorded, oldest first]}  (?path= filters)
  POST /control             {"fail_next": N}  the next N deliveries are answered 500
  POST /reset               forget everything, fail nothing
  GET  /health
"""
from .server import WebhookReceiver

__all__ = ["WebhookReceiver"]
