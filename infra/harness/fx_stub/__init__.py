"""A local stand-in for the ECB reference-rate feed (see server.py)."""
from .server import FxStub, load_rates_file, render_ecb_xml

__all__ = ["FxStub", "load_rates_file", "render_ecb_xml"]
