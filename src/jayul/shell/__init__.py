"""What every command-line entry shares, the `jayul` commands and the benchmarks' alike: JSON
figures written the same way (`--report FILE`) and clear error exits (a message, never a
traceback). It imports nothing of jayul, so `cli` and `bench` both use it without importing
each other."""

from jayul.shell.errors import fail
from jayul.shell.report import write_report

__all__ = ["fail", "write_report"]
