"""Account e-mails: queued by the API (EMAIL_QUEUE_URL), sent through SES by AuthEmailFunction.

Queueing keeps register / forgot fast and lets SES hiccups retry (then land in the DLQ).
A message is `{"kind": "verify_email" | "password_reset", "to": "<address>", "token": "<raw>"}`;
the token only ever exists in the message and in the e-mail (the table keeps its hash).
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from urllib.parse import quote

from meridian import aws
from meridian.config import require_env

KINDS = ("verify_email", "password_reset")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def enqueue(kind: str, to: str, token: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind}")
    aws.client("sqs").send_message(QueueUrl=require_env("EMAIL_QUEUE_URL"),
                                   MessageBody=json.dumps({"kind": kind, "to": to, "token": token}))


def _link(path: str, token: str) -> str:
    base = (os.environ.get("EMAIL_LINK_BASE_URL") or "https://localhost:8443").rstrip("/")
    return f"{base}{path}?token={quote(token)}"


def render(message: dict) -> Email:
    kind, to, token = message["kind"], message["to"], message["token"]
    if kind == "verify_email":
        subject = "Confirm your e-mail address"
        intro = "Welcome to Meridian! Confirm your e-mail address to finish setting up your account."
        link = _link("/verify-email", token)
        outro = "The link works once and expires in 24 hours."
    elif kind == "password_reset":
        subject = "Reset your password"
        intro = "Someone (hopefully you) asked to reset the password of your Meridian account."
        link = _link("/reset-password", token)
        outro = "The link works once and expires in 1 hour. If you did not ask for it, ignore this e-mail."
    else:
        raise ValueError(f"unknown e-mail kind {kind}")
    text = f"{intro}\n\n{link}\n\nToken: {token}\n\n{outro}\n"
    body = (f"<p>{html.escape(intro)}</p><p><a href=\"{html.escape(link)}\">{html.escape(link)}</a></p>"
            f"<p>Token: <code>{html.escape(token)}</code></p><p>{html.escape(outro)}</p>")
    return Email(to=to, subject=subject, text=text, html=body)


def send(email: Email) -> str:
    response = aws.client("ses").send_email(
        Source=require_env("EMAIL_SENDER"),
        Destination={"ToAddresses": [email.to]},
        Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                          "Html": {"Data": email.html, "Charset": "UTF-8"}}},
    )
    return response["MessageId"]
