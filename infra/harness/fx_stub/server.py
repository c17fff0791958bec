"""The FX stub: serves ECB-format XML (and a frankfurter-style JSON) from a rates file, and
ExchangeRate-API v6 JSON (the second provider) from its own file, and can be told to fail, hang or
send garbage, so the refresh's degradation is testable.

    GET  /eurofxref-daily.xml   the ECB daily feed format (base EUR), dated the latest publication day
    GET  /latest                the same rates as frankfurter JSON {"amount","base","date","rates"}
    GET  /v6/<key>/latest/<BASE> ExchangeRate-API v6: {"result": "success", "base_code",
                                "time_last_update_unix", "conversion_rates"} with every currency the ECB
                                lacks (exchangerate-api-latest.json, base EUR, rebased to <BASE>); a wrong
                                key → 403 {"result": "error", "error-type": "invalid-key"}
    GET  /_control              current state and how many feed requests were served
    POST /_control              {"mode": "ok"|"fail"|"hang"|"garbage", "feed": "ecb"|"json" (default both),
                                 "rates": {"USD": "1.08", …} (the ECB's), "json_rates": {…} (the JSON feed's),
                                 "merge": true (update some rates) , "date": "2025-11-21" | null,
                                 "hang_seconds": 30}
    POST /_control/reset        back to the rates files, mode ok

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
JSON_RATES_FILE = Path(__file__).with_name("exchangerate-api-latest.json")
JSON_PREFIX = "/v6/"
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
        self.json_rates = {code: str(value) for code, value in
                           json.loads(JSON_RATES_FILE.read_text())["conversion_rates"].items()}
        self.mode = "ok"
        self.json_mode = "ok"
        self.date: str | None = None          # None: today (UTC)
        self.hang_seconds = 30.0
        self.served = 0

    def day(self) -> str:
        """The set date, or the latest day whose rates the ECB has published (14:15 CET/CEST)."""
        if self.date:
            return self.date
        return (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=13, minutes=15)).date().isoformat()

    def to_json(self) -> dict:
        return {"mode": self.mode, "json_mode": self.json_mode, "date": self.day(),
                "hang_seconds": self.hang_seconds, "rates": dict(self.rates), "json_rates": dict(self.json_rates),
                "served": self.served}

    def apply(self, command: dict) -> None:
        mode = command.get("mode", self.mode)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        feed = command.get("feed")
        if feed not in (None, "ecb", "json"):
            raise ValueError("feed must be ecb or json")
        for key in ("rates", "json_rates"):
            rates = command.get(key)
            if rates is None:
                continue
            if not isinstance(rates, dict):
                raise ValueError(f"{key} must be an object")
            clean = {}
            for code, value in rates.items():
                try:
                    Decimal(str(value))
                except InvalidOperation:
                    raise ValueError(f"rate for {code} is not a number") from None
                clean[str(code)] = str(value)
            current = getattr(self, key)
            setattr(self, key, {**current, **clean} if command.get("merge") else clean)
        if "date" in command:
            self.date = command["date"]
        if "hang_seconds" in command:
            self.hang_seconds = float(command["hang_seconds"])
        if "mode" in command or feed is None:
            if feed in (None, "ecb"):
                self.mode = mode
            if feed in (None, "json"):
                self.json_mode = command.get("mode", self.json_mode)
        self.changed.notify_all()


def render_exchangerate_api(rates: dict[str, str], base: str, day: str) -> dict | None:
    """The ExchangeRate-API v6 answer for `base` from EUR-based `rates` (None: `base` not quoted)."""
    eur_based = {"EUR": "1", **rates}
    if base not in eur_based:
        return None
    anchor = Decimal(eur_based[base])
    updated = int(_dt.datetime.combine(_dt.date.fromisoformat(day), _dt.time(0, 0, 1),
                                       tzinfo=_dt.timezone.utc).timestamp())
    return {"result": "success", "documentation": "https://www.exchangerate-api.com/docs",
            "time_last_update_unix": updated, "time_next_update_unix": updated + 86400, "base_code": base,
            "conversion_rates": {code: float(Decimal(value) / anchor) for code, value in eur_based.items()}}


class _Handler(BaseHTTPRequestHandler):
    server_version = "meridian-fx-stub/1"
    state: _State
    api_key: str | None = None

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
        if path.startswith(JSON_PREFIX):
            return self._exchangerate_api(path)
        if path not in ("/eurofxref-daily.xml", "/stats/eurofxref/eurofxref-daily.xml", "/latest"):
            return self._json(404, {"error": "not found"})
        mode, rates, day = self._wait("mode", "rates")
        if mode == "fail":
            return self._json(503, {"error": "the FX stub was told to fail"})
        if mode == "garbage":
            return self._send(200, GARBAGE, "text/xml")
        if path == "/latest":
            body = {"amount": 1.0, "base": "EUR", "date": day,
                    "rates": {code: float(rate) for code, rate in rates.items()}}
            return self._json(200, body)
        return self._send(200, render_ecb_xml(rates, day), "text/xml")

    def _wait(self, mode_name: str, rates_name: str) -> tuple[str, dict, str]:
        state = self.state
        with state.lock:
            state.served += 1
            if getattr(state, mode_name) == "hang":
                deadline = time.monotonic() + state.hang_seconds
                while getattr(state, mode_name) == "hang" and time.monotonic() < deadline:
                    state.changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            return getattr(state, mode_name), dict(getattr(state, rates_name)), state.day()

    def _exchangerate_api(self, path: str) -> None:
        parts = path[len(JSON_PREFIX):].split("/")
        if len(parts) != 3 or parts[1] != "latest":
            return self._json(404, {"result": "error", "error-type": "unsupported-code"})
        key, _, base = parts
        if self.api_key is not None and key != self.api_key:
            return self._json(403, {"result": "error", "error-type": "invalid-key"})
        mode, rates, day = self._wait("json_mode", "json_rates")
        if mode == "fail":
            return self._json(503, {"error": "the FX stub was told to fail"})
        if mode == "garbage":
            return self._send(200, b'{"result": "success", "conversion_rates": {"KWD": "lots"', "application/json")
        body = render_exchangerate_api(rates, base.upper(), day)
        if body is None:
            return self._json(404, {"result": "error", "error-type": "unsupported-code"})
        return self._json(200, body)

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

    def __init__(self, host: str = "127.0.0.1", port: int = 0, rates_file: Path = DEFAULT_RATES_FILE,
                 api_key: str | None = None):
        """`api_key`: what the JSON feed's URL must carry (None: any key)."""
        self.state = _State(Path(rates_file))
        self.api_key = api_key
        handler = type("Handler", (_Handler,), {"state": self.state, "api_key": api_key})
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

    @property
    def exchangerate_api_url(self) -> str:
        """The second provider's URL template, `{key}` where the API key goes (FX_JSON_PROVIDER_URL)."""
        return f"{self.url}/v6/{{key}}/latest/EUR"

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
            self.state.mode = self.state.json_mode = "ok"
            self.state.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
