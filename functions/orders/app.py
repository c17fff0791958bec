"""HTTP routes of the orders service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("orders")
