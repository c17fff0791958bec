"""The webhook test receiver: records every delivery, answers 500 the next N times when told, lists what came."""
from __future__ import annotations

import pytest
import requests

from infra.harness.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    running = WebhookReceiver(port=0).start()
    yield running
    running.stop()


def test_records_deliveries_and_fails_when_told(receiver):
    assert requests.get(f"{receiver.url}/health", timeout=5).json() == {"status": "ok"}
    assert requests.post(f"{receiver.url}/control", json={"fail_next": 2}, timeout=5).json() == {"fail_next": 2}
    answers = [requests.post(f"{receiver.url}/hooks/a", data=b'{"n":%d}' % n,
                             headers={"Meridian-Signature": f"t=1,v1={n}"}, timeout=5).status_code for n in range(3)]
    assert answers == [500, 500, 200]
    items = requests.get(f"{receiver.url}/received", timeout=5).json()["items"]
    assert [(i["path"], i["body"], i["answered"]) for i in items] == [
        ("/hooks/a", '{"n":0}', 500), ("/hooks/a", '{"n":1}', 500), ("/hooks/a", '{"n":2}', 200)]
    assert items[2]["headers"]["Meridian-Signature"] == "t=1,v1=2"
    requests.post(f"{receiver.url}/hooks/b", data=b"{}", timeout=5)
    assert len(requests.get(f"{receiver.url}/received", params={"path": "/hooks/b"}, timeout=5).json()["items"]) == 1
    requests.post(f"{receiver.url}/reset", timeout=5)
    assert requests.get(f"{receiver.url}/received", timeout=5).json() == {"items": []}
