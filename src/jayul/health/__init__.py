"""jayul.health."""
