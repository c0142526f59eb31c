"""Checkpoints made but not yet confirmed by the audit anchor, kept in a file.

An anchor can be down (a syslog collector restarting, a network cut, a second database
offline). The trail never waits for it: each checkpoint is committed with its records in the
plant database, then added to this backlog (appended and fsynced), then sent; it leaves the
backlog only once the anchor confirmed it. A checkpoint that could not be sent is sent again,
oldest first, at a later write, at the next start of any process that opens the trail with
the anchor set, and by `jayul audit checkpoint`; `jayul audit verify` reports what still
waits.

The file, `<plant database>.audit-anchor-backlog`, holds JSON lines: checkpoints
(`"type":"audit_checkpoint"`, as in an anchor file) and a marker
`{"type":"anchored","count":N,"anchor":"..."}`: every checkpoint up to N records was confirmed.
A checkpoint committed just before a crash, before it reached this file, is found again at
the next start: every stored checkpoint past the marker and the backlog joins it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from jayul.govern.audit_proof import Checkpoint, parse_checkpoint

log = logging.getLogger(__name__)

SUFFIX = ".audit-anchor-backlog"


def backlog_path(plant_db: str | None) -> Path | None:
    """Where the backlog of the trail in `plant_db` lives (None for an in-memory database)."""
    return Path(plant_db + SUFFIX) if plant_db else None


def read_backlog(path: Path) -> tuple[list[Checkpoint], int, str]:
    """The waiting checkpoints, oldest first, the marker's count and the anchor it names
    ([], -1, "" when there is no file). A torn last line (a crash while appending) is skipped."""
    pending: dict[int, Checkpoint] = {}
    anchored, anchor = -1, ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], -1, ""
    for i, line in enumerate(lines):
        try:
            d = json.loads(line)
            if d.get("type") == "anchored":
                anchored, anchor = int(d["count"]), str(d.get("anchor", ""))
                continue
            cp = parse_checkpoint(line, f"{path} line {i + 1}")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("audit anchor backlog %s: line %d unreadable, skipped", path, i + 1)
            continue
        pending[cp.count] = cp
    return [cp for n, cp in sorted(pending.items()) if n > anchored], anchored, anchor


class AnchorBacklog:
    """The waiting checkpoints of one trail, in memory and (with a path) in the file."""

    def __init__(self, path: Path | None, anchor: str) -> None:
        self.path = path
        self.anchor = anchor
        self.pending: list[Checkpoint] = []
        self.anchored = -1
        self.existed = False
        if path is not None:
            self.existed = path.exists()
            self.pending, self.anchored, _ = read_backlog(path)

    def catch_up(self, stored: list[Checkpoint]) -> None:
        """Join the stored checkpoints this backlog has not seen (committed just before a
        crash); a new backlog starts after the latest stored one (nothing to resend)."""
        if not self.existed:
            self.anchored = max((cp.count for cp in stored), default=-1)
            self._rewrite()
            return
        seen = max([self.anchored, *(cp.count for cp in self.pending)])
        for cp in stored:
            if cp.count > seen:
                self.add(cp)

    def add(self, cp: Checkpoint) -> None:
        self.pending.append(cp)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8", newline="\n") as out:
                out.write(cp.line() + "\n")
                out.flush()
                os.fsync(out.fileno())

    def confirmed(self) -> None:
        """The oldest waiting checkpoint reached the anchor."""
        cp = self.pending.pop(0)
        self.anchored = max(self.anchored, cp.count)
        self._rewrite()

    def _rewrite(self) -> None:
        if self.path is None:
            return
        marker = json.dumps({"type": "anchored", "count": self.anchored, "anchor": self.anchor})
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="\n") as out:
            out.write("\n".join([marker, *(cp.line() for cp in self.pending)]) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        self.existed = True
