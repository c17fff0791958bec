"""Non-HTTP entry points of the localization service."""


def refresh_rates(event, context):
    raise NotImplementedError
