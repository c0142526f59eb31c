"""jayul.decide."""
