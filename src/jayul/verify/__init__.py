"""jayul.verify."""
