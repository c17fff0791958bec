"""template.yaml wires the audit trail and the dead-letter handover for every function that needs them."""
from infra.localaws.template import Template


def _policies(template: Template, logical_id: str) -> list:
    return template.resources[logical_id]["Properties"].get("Policies") or []


def test_every_http_function_may_publish_admin_actions_and_the_audit_queue_takes_them():
    template = Template()
    for spec in template.functions():
        if spec.events_of("Api"):
            assert any("EventBridgePutEventsPolicy" in p for p in _policies(template, spec.logical_id)), spec.logical_id
    rule = template.resources["AuditEventsRule"]["Properties"]
    assert {"admin.action", "payment.succeeded", "payment.refunded"} <= set(rule["EventPattern"]["detail-type"])


def test_every_queue_consumer_hands_its_last_attempt_to_its_own_dlq():
    template = Template()
    consumers = [spec for spec in template.functions() if spec.events_of("SQS")]
    assert len(consumers) == 8
    for spec in consumers:
        [source] = spec.events_of("SQS").values()
        queue = source["Properties"]["Queue"]["Fn::GetAtt"][0]
        redrive = template.resources[queue]["Properties"]["RedrivePolicy"]
        dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert redrive["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}, queue
        assert spec.environment["DEAD_LETTER_QUEUE_URL"] == template.queue_url(dlq), spec.logical_id
        assert spec.environment["MAX_RECEIVE_COUNT"] == template.parameter("MaxReceiveCount")
        assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": [dlq, "QueueName"]}}} in \
            _policies(template, spec.logical_id), spec.logical_id


def test_orders_waits_for_an_intent_as_long_as_payments_waits_for_its_gateway_plus_a_cold_start():
    """The intent call's timeout (meridian.resilience.timeout_for) is computed from the payments function's own
    gateway timeout: every orders function that creates or abandons intents carries the same value, and the
    checkout's worst case (two attempts, then one abandon) fits in the OrdersFunction's timeout."""
    from meridian import resilience

    template = Template()
    gateway = template.function("PaymentsFunction").environment["PAYMENT_GATEWAY_TIMEOUT_SECONDS"]
    for logical_id in ("OrdersFunction", "OrdersReconciliationFunction"):
        assert template.function(logical_id).environment["PAYMENT_GATEWAY_TIMEOUT_SECONDS"] == gateway, logical_id
    connect, read = resilience.timeout_for(float(gateway))
    assert 3 * read + 2 < template.function("OrdersFunction").timeout
    assert int(template.function("OrdersReconciliationFunction").environment["ORPHAN_GRACE_MINUTES"]) > 0
