"""A DuckDB file held by another process, told in words.

DuckDB lets one process open a file (even read-only opens are refused while another process
writes it), so a command run beside `jayul run` cannot read the historian or the plant
database that `jayul run` holds. The error DuckDB gives names the holder's PID; this turns it
into a message that says what holds the file and what to do.
"""

from __future__ import annotations

import re

_HELD = re.compile(r"Conflicting lock is held in .*? \(PID (\d+)\)")


def lock_holder(message: str) -> int | None:
    """The PID of the process holding the file, when `message` is DuckDB's lock error."""
    match = _HELD.search(message)
    return int(match.group(1)) if match else None


def held_message(what: str, pid: int, then: str) -> str:
    return (
        f"{what} is held by another process (PID {pid}; a running `jayul run`?): DuckDB lets "
        f"one process open a file at a time, even to read it. Stop that process, {then}"
    )
