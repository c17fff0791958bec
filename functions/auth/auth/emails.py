"""Account e-mails: queued by the API (EMAIL_QUEUE_URL), sent through SES by AuthEmailFunction.

Queueing keeps register / forgot fast and lets SES hiccups retry (then land in the DLQ).
A message is `{"kind": "verify_email" | "password_reset", "to": "<address>", "token": "<raw>", "locale": "ja"}`;
the token only ever exists in the message and in the e-mail (the table keeps its hash). The e-mail is
written by the layer's `meridian.mail` (HTML and text, in `locale` along its fallback chain, English for a
message queued before locales were), its link opens the storefront page that takes the token.
"""
from __future__ import annotations

import json

from meridian import aws
from meridian.config import require_env

KINDS = ("verify_email", "password_reset")


def enqueue(kind: str, to: str, token: str, locale: str | None = None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind}")
    aws.client("sqs").send_message(QueueUrl=require_env("EMAIL_QUEUE_URL"),
                                   MessageBody=json.dumps({"kind": kind, "to": to, "token": token,
                                                           "locale": locale}))


def render(message: dict):
    """The e-mail of a queued message (meridian.mail.Email): the storefront link with the token, in its locale."""
    from meridian import mail  # Jinja2 and Babel load in the e-mail function only

    kind, to, token = message["kind"], message["to"], message["token"]
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind}")
    locale = mail.resolve(message.get("locale"))
    link = mail.link(mail.PAGES[kind], token=token, locale=locale)
    return mail.render(kind, to=to, locale=locale, values={"link": link})


def send(email) -> str:
    from meridian import mail

    return mail.send(email)
