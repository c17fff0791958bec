"""HTTP routes of the products service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("products")
