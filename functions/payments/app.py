"""HTTP routes of the payments service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("payments")
