"""The deployment package, made by `sam build` exactly as `sam deploy` ships it.

    python -m infra.localaws.build [--force]

`.aws-sam/build/<LogicalId>/` is each function's code with its own requirements, and
`.aws-sam/build/<LayerId>/python/` the shared layer (Lambda mounts it at /opt/python).
The local runtime runs these folders, never the source tree. Builds are skipped when no
input changed since the last one (a fingerprint of the template and every CodeUri and ContentUri
folder it names),
and otherwise incremental (`sam build --cached`); a file lock keeps two stacks from
building at once.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from infra.localaws.template import ROOT, TEMPLATE_PATH, load_yaml

BUILD_ROOT = ROOT / ".aws-sam"
BUILD_DIR = BUILD_ROOT / "build"
CACHE_DIR = BUILD_ROOT / "cache"
FINGERPRINT_FILE = BUILD_DIR / ".localaws-fingerprint"
SAM = Path(os.environ.get("SAM_CLI", ROOT / ".venv-sam" / "bin" / "sam"))
IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}


class BuildFailed(RuntimeError):
    pass


def inputs() -> list[Path]:
    """What `sam build` reads: the template and the folders its functions' CodeUri and layers' ContentUri name."""
    doc = load_yaml(TEMPLATE_PATH)
    found = {TEMPLATE_PATH}
    uris = [doc.get("Globals", {}).get("Function", {}).get("CodeUri")]
    for resource in doc.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        uris += [props.get("CodeUri"), props.get("ContentUri")]
    found.update(TEMPLATE_PATH.parent / uri for uri in uris if isinstance(uri, str) and "://" not in uri)
    return sorted(found)


def fingerprint() -> str:
    """SHA-256 over every input file's path and content."""
    digest = hashlib.sha256()
    for top in inputs():
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if IGNORED_PARTS.intersection(path.parts) or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_built(*, force: bool = False, report=print) -> str:
    """Build if an input changed; returns what happened ("unchanged" or "built in N s")."""
    BUILD_ROOT.mkdir(exist_ok=True)
    with open(BUILD_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # another stack building waits here
        wanted = fingerprint()
        if not force and FINGERPRINT_FILE.exists() and FINGERPRINT_FILE.read_text() == wanted:
            return "unchanged"
        if not SAM.exists():
            raise BuildFailed(f"{SAM} is missing: run `make deps` (it installs the SAM CLI in .venv-sam)")
        began = time.monotonic()
        command = [str(SAM), "build", "--cached", "--parallel", "--build-dir", str(BUILD_DIR),
                   "--cache-dir", str(CACHE_DIR), "--template-file", str(ROOT / "template.yaml")]
        env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1")}
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            output = result.stdout[-3000:] + result.stderr[-3000:]
            raise BuildFailed(f"sam build failed (exit {result.returncode}):\n{output}")
        FINGERPRINT_FILE.write_text(wanted)
        return f"built in {time.monotonic() - began:.1f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="build even when no input changed")
    ns = parser.parse_args(argv)
    try:
        print(f"sam build: {ensure_built(force=ns.force)} → {BUILD_DIR}")
    except BuildFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
