"""python -m infra.harness.fx_stub --port P [--rates-file F] [--host H]"""
from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    stub = FxStub(host=args.host, port=args.port, rates_file=args.rates_file)
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
