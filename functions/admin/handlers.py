"""Non-HTTP entry points of the admin service."""


def record_audit_event(event, context):
    raise NotImplementedError
