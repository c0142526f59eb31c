"""jayul.autopilot."""
