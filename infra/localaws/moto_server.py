"""moto_server as the local stack runs it: `python -m infra.localaws.moto_server -H 127.0.0.1 -p PORT`.

moto's own server (`moto.server.main`), with three changes to what its SQS and EventBridge cost
per call, and one to what its SES keeps (4.). Every answer stays the same; only CPU goes. Measured in
the webhook → paid bench (`make bench`, py-spy on moto_server while 20 events/s went through): moto_server took a third
of both cores, and its cost per call grew with each queue's backlog, so the further the pipeline
fell behind, the slower it went.

1. **One clock read, without datetime arithmetic.** moto reads the time as
   `utcnow() - utcfromtimestamp(0)` for every message it looks at (is it visible? delayed?),
   several times per message per call: 23% of moto_server's samples. Here it is `time.time()`
   (the same epoch figure; the server never freezes time).
2. **A retention check that reads one attribute.** For every message it hands out, moto checks its
   retention period through `get_queue_attributes`, which builds *all* of the queue's attributes,
   ApproximateNumberOfMessages and its two siblings included (each a pass over every message):
   17% of the samples, and quadratic in the backlog. Here it reads the queue's
   `message_retention_period`, the value that attribute is made from.
3. **Input paths parsed once.** For every event, each rule target's input paths (the default
   ones too) were compiled again by jsonpath-ng's grammar: 12% of the samples. The compiled
   paths are kept (they are not changed by `find`).

4. **SES keeps both parts of a message.** moto's SendEmail keeps one body (the HTML part when there is one),
   so a test could never see the plain-text part that SES delivers beside it. Each sent message also keeps
   `text` and `html` (shown by `/moto-api/data.json`); `body` stays what moto made it, answers are unchanged.

moto is pinned (requirements-dev.txt); `tests/unit/infra/test_moto_server.py` checks each patch still
finds what it replaces and answers as moto does, so a moto upgrade that moves them fails there.
"""
from __future__ import annotations

import functools
import time


def _fast_clock() -> None:
    from moto.core import utils
    from moto.sqs import models

    original_unix_time = utils.unix_time

    def unix_time(dt=None) -> float:
        return time.time() if dt is None else original_unix_time(dt)

    def unix_time_millis(dt=None) -> float:
        return time.time() * 1000.0 if dt is None else original_unix_time(dt) * 1000.0

    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis


def _retention_check_reads_one_attribute() -> None:
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > time.time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _input_paths_parsed_once() -> None:
    import jsonpath_ng.ext

    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        # moto.events.utils imports `parse` from jsonpath_ng.ext inside the call, so it finds this one
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


def _ses_keeps_both_parts() -> None:
    from moto.ses.responses import EmailResponse

    original = EmailResponse.send_email
    if getattr(original, "keeps_both_parts", False):
        return

    def send_email(self):
        result = original(self)
        message_id = result.result["MessageId"]
        for message in reversed(self.backend.sent_messages):
            if message.id == message_id:
                message.text = self._get_param("Message.Body.Text.Data")
                message.html = self._get_param("Message.Body.Html.Data")
                break
        return result

    send_email.keeps_both_parts = True
    EmailResponse.send_email = send_email


def apply() -> None:
    _fast_clock()
    _retention_check_reads_one_attribute()
    _input_paths_parsed_once()
    _ses_keeps_both_parts()


def main() -> None:
    apply()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
