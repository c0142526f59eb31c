"""The HTTP API and the console's server: the live plant behind FastAPI (see docs/api.md)."""

from jayul.server.app import create_app
from jayul.server.live import LiveState

__all__ = ["LiveState", "create_app"]
