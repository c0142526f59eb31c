"""jayul.plant."""
