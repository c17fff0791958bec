"""Non-HTTP entry points of the products service."""
from meridian.clock import parse_iso
from meridian.observability import logger
from products import sweep


def sweep_expired_reservations(event, context):
    """Schedule (rate(1 minute)): expired holds give their stock back (a Query of the due index, no Scan).

    It runs as of the scheduled event's `time` (EventBridge sets it to the schedule's time;
    the local runtime's LOCALAWS_SCHEDULE_SCALE advances it faster than the wall clock).
    """
    moment = (event or {}).get("time")
    stats = sweep.expire_due(now=parse_iso(moment) if moment else None)
    logger.info("reservation sweep", extra=stats)
    return stats
