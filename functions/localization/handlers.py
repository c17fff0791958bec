"""Non-HTTP entry points of the localization service."""
from localization import refresh
from meridian.observability import logger


@logger.inject_lambda_context(clear_state=True)
def refresh_rates(event, context):
    """The hourly Schedule (EventBridge) of template.yaml: refresh FX rates."""
    return refresh.refresh(trigger="schedule").to_json()
