"""Non-HTTP entry points of the products service."""
from meridian.observability import logger
from products import inventory


def sweep_expired_reservations(event, context):
    """Schedule (rate(1 minute)): expired holds give their stock back; half-finished ones are finished."""
    stats = inventory.sweep()
    logger.info("reservation sweep", extra=stats)
    return stats
