"""jayul.govern."""
