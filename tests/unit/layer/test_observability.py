import json

from meridian.observability import count


def test_count_emits_one_record_per_call(capsys):
    count("OrdersReconciled", 2, kind="expired")
    count("OrdersReconciled", 3, kind="expired")
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["OrdersReconciled"] for r in records] == [[2.0], [3.0]]
    assert records[0]["kind"] == "expired"
    assert records[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"]
