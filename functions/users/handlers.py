"""Non-HTTP entry points of the users service."""


def on_platform_event(event, context):
    raise NotImplementedError
