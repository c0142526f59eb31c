"""The last line against a poison message: one that kills the process while it is decoded.

`Intake.put_message` catches every exception a decoder raises. What no `except` can catch, a
crash of the process itself (a fault in a C extension, the kernel's OOM killer), would repeat
after each restart: the broker redelivers the unacknowledged message and it kills jayul again.
So before a message is decoded, its digest is written to a small file beside the durable
buffer, and cleared afterwards (a write each, no fsync: it must survive a crash of the process,
not of the machine). A process that starts and finds digests there knows the previous one died
decoding them; a message whose digest has been found there `CRASH_LIMIT` times in a row is
dead-lettered without being decoded again. One random SIGKILL while a valid message is decoded
counts once and is forgotten when the message next decodes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

CRASH_LIMIT = 2


class CrashGuard:
    """Marks messages in decoding (module doc); thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.crashed: dict[str, int] = {}  # digest -> times a process died decoding it
        try:
            for line in path.read_text().splitlines():
                digest, _, count = line.partition(" ")
                if digest and count.isdigit():
                    self.crashed[digest] = int(count) + 1
        except OSError:
            pass
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()
        self._decoding: dict[int, str] = {}  # thread id -> its line
        self._write()

    def _write(self) -> None:
        data = "".join(self._decoding.values()).encode()
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def begin(self, raw: bytes) -> str | None:
        """Mark `raw` as in decoding; or, when it crashed the process too often, the reason to
        dead-letter it undecoded."""
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        crashes = self.crashed.get(digest, 0)
        if crashes >= CRASH_LIMIT:
            return f"the ingesting process died {crashes} times while decoding this message"
        with self._lock:
            self._decoding[threading.get_ident()] = f"{digest} {crashes}\n"
            self._write()
        return None

    def end(self, raw: bytes) -> None:
        """Decoding `raw` is over (whatever its outcome)."""
        with self._lock:
            self._decoding.pop(threading.get_ident(), None)
            self._write()
        if self.crashed:
            self.crashed.pop(hashlib.blake2b(raw, digest_size=16).hexdigest(), None)

    def close(self) -> None:
        os.close(self._fd)
