"""The stand-ins' tests use the FX stub and the feed parser the localization tests use (one definition)."""
from tests.unit.localization.conftest import fx_stub, fx_stub_server, providers  # noqa: F401
