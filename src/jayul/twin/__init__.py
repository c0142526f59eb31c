"""jayul.twin."""
