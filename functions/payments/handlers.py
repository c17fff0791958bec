"""Non-HTTP entry points of the payments service."""


def receive_webhook(event, context):
    raise NotImplementedError


def process_webhook_events(event, context):
    raise NotImplementedError
