"""jayul: an open AI autonomous-manufacturing platform."""

__version__ = "0.1.0"
