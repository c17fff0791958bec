"""Non-HTTP entry points of the orders service."""


def on_payment_event(event, context):
    raise NotImplementedError


def send_order_email(event, context):
    raise NotImplementedError


def reconcile(event, context):
    raise NotImplementedError
