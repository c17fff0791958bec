"""HTTP routes of the admin service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("admin")
