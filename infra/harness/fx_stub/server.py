"""The FX stub: serves ECB-format XML (and a frankfurter-style JSON) from a rates file,
and can be told to fail, hang or send garbage, so the refresh's degradation is testable.

    GET  /eurofxref-daily.xml   the ECB daily feed format (base EUR), dated the latest publication day
    GET  /latest                the same rates as frankfurter JSON {"amount","base","date","rates"}
    GET  /_control              current state and how many feed requests were served
    POST /_control              {"mode": "ok"|"fail"|"hang"|"garbage", "rates": {"USD": "1.08", …},
                                 "merge": true (update some rates) , "date": "2025-11-21" | null,
                                 "hang_seconds": 30}
    POST /_control/reset        back to the rates file, mode ok

"hang" holds the request open (up to hang_seconds, or until the mode changes), which the
client's read timeout must cut; "fail" answers 503; "garbage" answers 200 with broken XML.
"""
from __future__ import annotations

import datetime as _dt
import json
import threading
import time
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree  # noqa: S405 - parses only the shipped/own rates file

DEFAULT_RATES_FILE = Path(__file__).with_name("eurofxref-daily.xml")
ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
MODES = ("ok", "fail", "hang", "garbage")
GARBAGE = b"<?xml version='1.0'?><gesmes:Envelope><Cube><Cube time='yesterday'><Cube currency='USD' rate='lots'"


def load_rates_file(path: Path) -> dict[str, str]:
    """Rates (base EUR) from an ECB XML file or a JSON object."""
    data = Path(path).read_bytes()
    if Path(path).suffix.lower() == ".json":
        raw = json.loads(data)
        rates = raw.get("rates", raw)
        return {code: str(value) for code, value in rates.items()}
    root = ElementTree.fromstring(data)  # noqa: S314 - our own file
    day = next(cube for cube in root.iter(f"{ECB_NS}Cube") if cube.get("time"))
    return {cube.get("currency"): cube.get("rate") for cube in day}


def render_ecb_xml(rates: dict[str, str], day: str) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
             'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">',
             "\t<gesmes:subject>Reference rates</gesmes:subject>",
             "\t<gesmes:Sender>", "\t\t<gesmes:name>European Central Bank</gesmes:name>", "\t</gesmes:Sender>",
             "\t<Cube>", f"\t\t<Cube time='{day}'>"]
    lines += [f"\t\t\t<Cube currency='{code}' rate='{rate}'/>" for code, rate in rates.items()]
    lines += ["\t\t</Cube>", "\t</Cube>", "</gesmes:Envelope>", ""]
    return "\n".join(lines).encode()


class _State:
    def __init__(self, rates_file: Path):
        self.rates_file = rates_file
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.reset()

    def reset(self) -> None:
        self.rates = load_rates_file(self.rates_file)
        self.mode = "ok"
        self.date: str | None = None          # None: today (UTC)
        self.hang_seconds = 30.0
        self.served = 0

    def day(self) -> str:
        """The set date, or the latest day whose rates the ECB has published (14:15 CET/CEST)."""
        if self.date:
            return self.date
        return (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=13, minutes=15)).date().isoformat()

    def to_json(self) -> dict:
        return {"mode": self.mode, "date": self.day(), "hang_seconds": self.hang_seconds,
                "rates": dict(self.rates), "served": self.served}

    def apply(self, command: dict) -> None:
        mode = command.get("mode", self.mode)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        rates = command.get("rates")
        if rates is not None:
            if not isinstance(rates, dict):
                raise ValueError("rates must be an object")
            clean = {}
            for code, value in rates.items():
                try:
                    Decimal(str(value))
                except InvalidOperation:
                    raise ValueError(f"rate for {code} is not a number") from None
                clean[str(code)] = str(value)
            self.rates = {**self.rates, **clean} if command.get("merge") else clean
        if "date" in command:
            self.date = command["date"]
        if "hang_seconds" in command:
            self.hang_seconds = float(command["hang_seconds"])
        self.mode = mode
        self.changed.notify_all()


class _Handler(BaseHTTPRequestHandler):
    server_version = "meridian-fx-stub/1"
    state: _State

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: dict) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/_control":
            with self.state.lock:
                return self._json(200, self.state.to_json())
        if path not in ("/eurofxref-daily.xml", "/stats/eurofxref/eurofxref-daily.xml", "/latest"):
            return self._json(404, {"error": "not found"})
        state = self.state
        with state.lock:
            state.served += 1
            if state.mode == "hang":
                deadline = time.monotonic() + state.hang_seconds
                while state.mode == "hang" and time.monotonic() < deadline:
                    state.changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            mode, rates, day = state.mode, dict(state.rates), state.day()
        if mode == "fail":
            return self._json(503, {"error": "the FX stub was told to fail"})
        if mode == "garbage":
            return self._send(200, GARBAGE, "text/xml")
        if path == "/latest":
            body = {"amount": 1.0, "base": "EUR", "date": day,
                    "rates": {code: float(rate) for code, rate in rates.items()}}
            return self._json(200, body)
        return self._send(200, render_ecb_xml(rates, day), "text/xml")

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            command = json.loads(raw or b"{}")
            if not isinstance(command, dict):
                raise ValueError("send a JSON object")
            with self.state.lock:
                if path == "/_control/reset":
                    self.state.reset()
                    self.state.changed.notify_all()
                elif path == "/_control":
                    self.state.apply(command)
                else:
                    return self._json(404, {"error": "not found"})
                return self._json(200, self.state.to_json())
        except (ValueError, TypeError) as error:
            return self._json(400, {"error": str(error)})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return  # the client gave up (its read timeout during "hang"): expected
        super().handle_error(request, client_address)


class FxStub:
    """Run the stub on a thread (tests) or from `python -m infra.harness.fx_stub` (the stack)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, rates_file: Path = DEFAULT_RATES_FILE):
        self.state = _State(Path(rates_file))
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = _QuietServer((host, port), handler)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def feed_url(self) -> str:
        return f"{self.url}/eurofxref-daily.xml"

    @property
    def json_url(self) -> str:
        return f"{self.url}/latest"

    def control(self, **command) -> dict:
        with self.state.lock:
            self.state.apply(command)
            return self.state.to_json()

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()
            self.state.changed.notify_all()

    def start(self) -> FxStub:
        self.thread = threading.Thread(target=self.server.serve_forever, name="fx-stub", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.state.lock:
            self.state.mode = "ok"
            self.state.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
