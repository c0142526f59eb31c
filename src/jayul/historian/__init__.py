"""jayul.historian."""
