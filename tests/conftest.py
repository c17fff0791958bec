"""Test set-up shared by every suite: import paths, a fake AWS identity, and the one stack of the
integration and e2e tiers (tests/stack_session.py: started only when a test asks for `stack`)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "layers" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MeridianTest")

from tests.stack_session import pytest_collection_modifyitems, stack  # noqa: E402,F401  (one stack for both tiers)
