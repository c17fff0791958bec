"""Non-HTTP entry points of the localization service."""
from localization import custom_resource, refresh
from meridian.observability import logger


@logger.inject_lambda_context(clear_state=True)
def refresh_rates(event, context):
    """FxRefreshFunction: the hourly Schedule (EventBridge) of template.yaml refreshes FX rates; CloudFormation's
    InitialExchangeRates custom resource (events with RequestType/ResponseURL) does the same at deploy time and
    is answered at its ResponseURL (localization/custom_resource.py)."""
    if custom_resource.is_custom_resource_event(event):
        return custom_resource.handle(event, context)
    return refresh.refresh(trigger="schedule").to_json()
