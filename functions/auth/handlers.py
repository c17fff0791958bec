"""Non-HTTP entry points of the auth service."""


def send_email(event, context):
    raise NotImplementedError
