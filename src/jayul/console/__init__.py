"""The operator console: static ES modules served by jayul itself (see docs/console.md).

No Python API: the server mounts the `static` folder.
"""

__all__: list[str] = []
