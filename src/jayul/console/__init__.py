"""The operator console: static ES modules served by jayul itself (see docs/console.md)."""
