"""HTTP routes of the auth service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("auth")
