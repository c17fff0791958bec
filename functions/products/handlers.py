"""Non-HTTP entry points of the products service."""


def sweep_expired_reservations(event, context):
    raise NotImplementedError
