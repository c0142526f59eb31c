"""jayul.gate."""
