"""HTTP routes of the users service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("users")
