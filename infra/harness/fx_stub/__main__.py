"""python -m infra.harness.fx_stub --port P [--rates-file F] [--host H] [--aws-endpoint E --api-key-secret-id NAME]"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from .server import DEFAULT_RATES_FILE, FxStub


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.harness.fx_stub", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rates-file", type=Path, default=DEFAULT_RATES_FILE,
                        help="ECB-format XML or a JSON object {\"USD\": \"1.08\", …} (base EUR)")
    parser.add_argument("--aws-endpoint", help="Secrets Manager endpoint (moto) holding the JSON feed's API key")
    parser.add_argument("--api-key-secret-id", help="name of the JSON provider's API key secret (the key the "
                                                      "feed requires; without it any key is accepted)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    api_key = None
    if args.api_key_secret_id:
        from infra.harness.sandbox_gateway.__main__ import read_secret

        api_key = read_secret(args.aws_endpoint, args.api_key_secret_id, region=args.region).strip()
    stub = FxStub(host=args.host, port=args.port, rates_file=args.rates_file, api_key=api_key)
    stub.start()
    print(f"fx stub listening on {stub.url} (feed {stub.feed_url})", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    stub.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
