"""The events the runtime builds validate against Powertools' models of the real AWS events."""
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    EventBridgeModel,
    LambdaFunctionUrlModel,
    SqsModel,
)

from infra.localaws.runtime import events
from infra.localaws.runtime.scheduler import schedule_sources, scheduled_event
from infra.localaws.runtime.sqs_poller import SqsEventSource, sqs_event
from infra.localaws.template import Template

REQUEST = events.HttpRequest("POST", "/api/v1/orders/abc/items?x=1&x=2",
                             [("Host", "localhost"), ("Content-Type", "application/json"), ("Cookie", "a=1"),
                              ("User-Agent", "curl/8")], b'{"qty": 2}', "127.0.0.1")


def test_v1_event_is_an_api_gateway_proxy_event():
    resource = events.ApiResource("/api/v1/orders/{proxy+}")
    event = events.api_gateway_v1_event(REQUEST, resource, {"proxy": "abc/items"}, "rid")
    model = APIGatewayProxyEventModel.model_validate(event)
    assert model.multiValueQueryStringParameters == {"x": ["1", "2"]}
    assert model.requestContext.resourcePath == "/api/v1/orders/{proxy+}"


def test_v2_event_is_a_function_url_event():
    model = LambdaFunctionUrlModel.model_validate(events.function_url_event(REQUEST, "rid"))
    assert model.cookies == ["a=1"] and model.requestContext.http.method == "POST"


def test_sqs_event_is_an_sqs_event():
    message = {"MessageId": "m", "ReceiptHandle": "r", "Body": "b", "MD5OfBody": "x",
               "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                              "SenderId": "s", "ApproximateFirstReceiveTimestamp": "1700000000001"}}
    source = SqsEventSource("F", "E", "http://q", "arn:aws:sqs:us-east-1:123456789012:q")
    model = SqsModel.model_validate(sqs_event([message], source, "us-east-1"))
    assert model.Records[0].messageId == "m"


def test_scheduled_event_is_an_eventbridge_event():
    source = next(s for s in schedule_sources(Template()) if s.function == "FxRefreshFunction")
    model = EventBridgeModel.model_validate(scheduled_event(source, "us-east-1"))
    assert model.detail_type == "Scheduled Event" and model.source == "aws.events"
