"""Benchmark harnesses: pure functions that return their figures as dicts.

Nothing here is public API: each harness is reached through its `jayul bench` command, and
code that only a benchmark uses lives here and nowhere else.
"""

__all__: list[str] = []
