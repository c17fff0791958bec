"""`make verify-cloud`: the template deploys and every built function starts.

1. `sam validate --lint`;
2. the SAM-translated CloudFormation (what CloudFormation really deploys) lints clean;
3. `sam build` (no containers);
4. each function plus the layer within Lambda's size limits;
5. each BUILT function started in a Lambda-like process (.venv-lambda: the standard library
   and boto3 only, the built function folder and the built layer on the path, the template's
   environment, its own IAM role) by a stack of its own on free ports, and invoked once with
   a sample event: health for HTTP functions, a badly signed webhook (400) for the function
   URL, a sample record for queue consumers, a scheduled event for schedules.

Prints one table: function, unzipped size, init ms, result. Exits non-zero on any failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra.localaws.build import BUILD_DIR, SAM, ensure_built
from infra.localaws.template import ROOT, LocalContext, Template

MiB = 1024 * 1024
UNZIPPED_LIMIT = 250 * MiB         # function + all its layers, unzipped (Lambda quota)
ZIPPED_LIMIT = 50 * MiB            # one .zip uploaded directly (sam deploy uploads to S3; shown for reference)


@dataclass
class Row:
    function: str
    unzipped: int
    zipped: int
    init_ms: float | None = None
    result: str = ""
    ok: bool = False


def step(title: str) -> None:
    print(f"==> {title}", flush=True)


def run(command: list[str]) -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise SystemExit(f"FAILED: {' '.join(command)}\n{output}")
    print(f"    {output.splitlines()[-1] if output else 'ok'}")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def zipped_size(path: Path) -> int:
    with tempfile.TemporaryFile() as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(path))
        return fh.tell()


def sizes(template: Template) -> list[Row]:
    layers = template.layer_paths()
    layer_unzipped = sum(folder_size(p) for p in layers)
    layer_zipped = sum(zipped_size(p.parent) for p in layers)
    print(f"    layer(s): {layer_unzipped / MiB:.1f} MiB unzipped, {layer_zipped / MiB:.1f} MiB zipped")
    rows = []
    for function in template.functions():
        unzipped = folder_size(function.package_dir) + layer_unzipped
        rows.append(Row(function.logical_id, unzipped, zipped_size(function.package_dir)))
    too_big = [r for r in rows if r.unzipped > UNZIPPED_LIMIT or r.zipped > ZIPPED_LIMIT]
    if too_big:
        raise SystemExit("over Lambda's size limits: " + ", ".join(r.function for r in too_big))
    return rows


def sample_events(template: Template) -> dict[str, tuple[object, object]]:
    """{function: (event, check)} where check(payload) -> (ok, description)."""
    from infra.localaws.runtime import events
    from infra.localaws.runtime.invoke import sample_event

    plan = {}
    for function in template.functions():
        name = function.logical_id
        if function.api_paths:
            plan[name] = (sample_event(template, name), _expect_status(200))
        elif function.function_url:
            request = events.HttpRequest("POST", "/", [("Host", "localhost"), ("Content-Type", "application/json"),
                                                       ("Stripe-Signature", "t=1,v1=00")], body=b'{"id": "evt_x"}')
            plan[name] = (events.function_url_event(request, str(uuid.uuid4())), _expect_status(400))
        else:
            plan[name] = (sample_event(template, name), _expect_answer)
    return plan


def _expect_status(status: int):
    def check(payload) -> tuple[bool, str]:
        got = payload.get("statusCode") if isinstance(payload, dict) else None
        return got == status, f"HTTP {got}"
    return check


def _expect_answer(payload) -> tuple[bool, str]:
    if isinstance(payload, dict) and "batchItemFailures" in payload:
        return True, f"batch answered ({len(payload['batchItemFailures'])} sample record(s) reported failed)"
    return True, f"answered {str(payload)[:60]}"


def stack_class(name: str) -> type:
    """`package.module:Class`: the stack to start (the generic LocalAwsStack, or a harness's subclass)."""
    import importlib

    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def start_and_invoke(rows: list[Row], stack_type: type | None = None) -> None:
    from infra.localaws.stack import LocalAwsStack

    stack_type = stack_type or LocalAwsStack
    settings_type = stack_type.settings_type
    by_name = {r.function: r for r in rows}
    with tempfile.TemporaryDirectory(prefix="local-verify-") as tmp:
        overrides = {"run_seeds": False} if "run_seeds" in settings_type.__dataclass_fields__ else {}
        settings = settings_type.on_free_ports(Path(tmp), workers_per_function=1, **overrides)
        from infra.localaws.runtime import events

        events.configure(path_matcher=settings.path_matcher, problem_type_base=settings.problem_type_base)
        with stack_type(settings, report=lambda line: print(f"    {line}", flush=True)) as stack:
            template = stack.template
            for name, (event, check) in sample_events(template).items():
                row = by_name[name]
                began = time.monotonic()
                outcome = stack.runtime.invoke_raw(name, event)
                if outcome.failed:
                    row.result = f"{outcome.error_type}: {str(outcome.payload.get('errorMessage', ''))[:70]}"
                else:
                    row.ok, row.result = check(outcome.payload)
                row.result += f" in {(time.monotonic() - began) * 1000:.0f} ms"
            for name, ms in stack.runtime.cold_starts.items():
                by_name[name].init_ms = ms
            for name, error in stack.runtime.init_errors.items():
                by_name[name].ok, by_name[name].result = False, f"init error: {error[:80]}"


def print_table(rows: list[Row]) -> None:
    print(f"\n{'function':<34} {'unzipped (with layer)':>22} {'zipped':>9} {'init ms':>8}  result")
    for r in rows:
        init = f"{r.init_ms:.0f}" if r.init_ms is not None else "-"
        mark = "ok  " if r.ok else "FAIL"
        print(f"{r.function:<34} {r.unzipped / MiB:>18.1f} MiB {r.zipped / MiB:>5.1f} MiB {init:>8}  {mark} {r.result}")
    print(f"limits: {UNZIPPED_LIMIT // MiB} MiB unzipped (function + layers), "
          f"{ZIPPED_LIMIT // MiB} MiB zipped for a direct upload")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m infra.localaws.cloud.verify", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", default="infra.localaws.stack:LocalAwsStack",
                        help="the stack class to start, package.module:Class (a harness's subclass)")
    ns = parser.parse_args(argv)
    step("sam validate --lint")
    run([str(SAM), "validate", "--lint", "--region", "us-east-1", "--template-file", str(ROOT / "template.yaml")])
    step("cfn-lint of the SAM-translated CloudFormation")
    from infra.localaws.cloud.translate import main as translate

    out = ROOT / ".local" / "cloud" / "translated.json"
    translate(["--out", str(out)])
    run([str(Path(sys.executable).parent / "cfn-lint"), str(out)])
    step("sam build (no containers)")
    print(f"    {ensure_built()}")
    step("sizes against Lambda's limits")
    rows = sizes(Template(context=LocalContext(build_dir=str(BUILD_DIR))))
    step("every built function started in a Lambda-like process (.venv-lambda) and invoked once")
    start_and_invoke(rows, stack_class(ns.stack))
    print_table(rows)
    failed = [r.function for r in rows if not r.ok]
    if failed:
        print(f"verify-cloud FAILED: {', '.join(failed)}")
        return 1
    print(f"verify-cloud: all {len(rows)} functions start and answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
