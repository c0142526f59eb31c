"""jayul.connect."""
