"""The durable buffer between sources and the historian: an append-only segment log on disk.

Sources `append` entries and call `sync` (one fsync for many entries: group commit) before
they acknowledge anything to the sender, so acknowledged data is on disk. One reader (the
historian writer) reads entries after its cursor, stores them, and only then `commit`s the
cursor (written to a file by rename, fsync'd). After a crash, the reader starts again from the
committed cursor: entries stored but not yet committed are read twice, and the historian's
`dedupe=True` drops the repeats.

Files: ``<dir>/<index>.log`` segments of records ``u32 magic, u32 length, u32 crc32,
payload``; ``<dir>/cursor`` holds ``segment offset``. A record torn by a crash (short or with a
bad checksum) at the end of the last segment is cut off when the buffer opens: it was never
synced, so it was never acknowledged.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path
from typing import BinaryIO

_HEAD = struct.Struct("<III")
_MAGIC = 0x4A59554C  # "JYUL"
Position = tuple[int, int]  # (segment index, byte offset)


def _segment_name(index: int) -> str:
    return f"{index:012d}.log"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _valid_end(path: Path, start: int = 0) -> int:
    """Offset just after the last whole, checksummed record of a segment."""
    with path.open("rb") as f:
        f.seek(start)
        end = start
        while True:
            head = f.read(_HEAD.size)
            if len(head) < _HEAD.size:
                return end
            magic, length, crc = _HEAD.unpack(head)
            payload = f.read(length)
            if magic != _MAGIC or len(payload) < length or zlib.crc32(payload) != crc:
                return end
            end += _HEAD.size + length


class DurableBuffer:
    """Append-only, fsync'd segment log with one committed read cursor (see module doc)."""

    def __init__(self, directory: Path | str, segment_bytes: int = 64 << 20) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._readable = threading.Condition(self._lock)
        self._closed = False
        segments = self._segments()
        self._cursor = self._load_cursor(segments)
        if not segments:
            segments = [self._cursor[0]]
        active = segments[-1]
        path = self.dir / _segment_name(active)
        path.touch()
        end = _valid_end(path)
        with path.open("r+b") as f:  # cut a torn tail: it was never synced nor acknowledged
            f.truncate(end)
        self._active = active
        self._file: BinaryIO = path.open("ab")
        self._written: Position = (active, end)
        self._durable: Position = (active, end)
        self._read_pos: Position = self._cursor
        self._reader: tuple[int, BinaryIO] | None = None

    # -- files ------------------------------------------------------------------------------

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.dir.glob("*.log") if p.stem.isdigit())

    def _load_cursor(self, segments: list[int]) -> Position:
        try:
            seg, off = (self.dir / "cursor").read_text().split()
        except (OSError, ValueError):
            return (segments[0] if segments else 0), 0
        if segments and int(seg) < segments[0]:  # its segment already dropped: start after it
            return segments[0], 0
        return int(seg), int(off)

    # -- writing ----------------------------------------------------------------------------

    def append(self, payload: bytes) -> None:
        """Write one entry (not yet durable: call `sync`)."""
        record = _HEAD.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            if self._written[1] > 0 and self._written[1] + len(record) > self.segment_bytes:
                self._rotate()
            self._file.write(record)
            self._written = (self._active, self._written[1] + len(record))

    def _rotate(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._durable = self._written
        self._active += 1
        self._file = (self.dir / _segment_name(self._active)).open("ab")
        _fsync_dir(self.dir)
        self._written = (self._active, 0)

    def sync(self) -> None:
        """Make every appended entry durable (fsync) and readable."""
        with self._lock:
            if self._written == self._durable:
                return
            self._file.flush()
            fd = os.dup(self._file.fileno())
            upto = self._written
        try:  # fsync outside the lock, so sources keep appending meanwhile
            os.fsync(fd)
        finally:
            os.close(fd)
        with self._lock:
            self._durable = max(self._durable, upto)
            self._readable.notify_all()

    # -- reading ----------------------------------------------------------------------------

    def read(self, max_bytes: int = 8 << 20, timeout: float = 0.1) -> tuple[list[bytes], Position]:
        """Durable entries after the read position (at least one if any arrive within
        `timeout` s), and the position after them, to `commit` once they are stored."""
        with self._lock:
            if self._read_pos >= self._durable and not self._closed:
                self._readable.wait(timeout)
            durable = self._durable
        out: list[bytes] = []
        size = 0
        seg, off = self._read_pos
        while (seg, off) < durable and size < max_bytes:
            f = self._reader_for(seg)
            limit = durable[1] if seg == durable[0] else None
            if limit is not None and off >= limit:
                break
            f.seek(off)
            head = f.read(_HEAD.size)
            if len(head) < _HEAD.size:  # end of an older segment: go on to the next one
                seg, off = seg + 1, 0
                continue
            _, length, _ = _HEAD.unpack(head)
            out.append(f.read(length))
            off += _HEAD.size + length
            size += length
        self._read_pos = (seg, off)
        return out, self._read_pos

    def _reader_for(self, seg: int) -> BinaryIO:
        if self._reader is None or self._reader[0] != seg:
            if self._reader is not None:
                self._reader[1].close()
            self._reader = (seg, (self.dir / _segment_name(seg)).open("rb"))
        return self._reader[1]

    def rewind(self) -> None:
        """Read again from the committed cursor (after a failed store)."""
        self._read_pos = self._cursor

    def commit(self, pos: Position) -> None:
        """Record that everything before `pos` is stored; drop segments wholly before it."""
        tmp = self.dir / "cursor.tmp"
        with tmp.open("w") as f:
            f.write(f"{pos[0]} {pos[1]}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / "cursor")
        self._cursor = pos
        for seg in self._segments():
            if seg < pos[0]:
                (self.dir / _segment_name(seg)).unlink(missing_ok=True)

    def backlog_bytes(self) -> int:
        """Durable bytes not yet committed (approximate across segments)."""
        with self._lock:
            durable = self._durable
        seg, off = self._cursor
        if seg == durable[0]:
            return durable[1] - off
        return (durable[0] - seg) * self.segment_bytes + durable[1] - off

    def close(self) -> None:
        self.sync()
        with self._lock:
            self._closed = True
            self._readable.notify_all()
            self._file.close()
        if self._reader is not None:
            self._reader[1].close()
