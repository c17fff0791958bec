"""`python -m infra.harness.webhook_receiver --port P`."""
from __future__ import annotations

import argparse
import signal
import sys

from .server import WebhookReceiver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.harness.webhook_receiver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    ns = parser.parse_args(argv)
    receiver = WebhookReceiver(port=ns.port)           # 127.0.0.1 only
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"webhook test receiver listening on {receiver.url}", flush=True)
    try:
        receiver.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        receiver.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
