"""HTTP routes of the localization service (thin: parse → call → map)."""
from meridian.api import ServiceApp

app = ServiceApp("localization")
