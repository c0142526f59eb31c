"""Renewed certificates taken by a running process, without a restart and without losing data.

A TLS context reads its certificate files once. `RenewableTls` keeps the files' identity
(inode, size, modification time) and, on `renew()`, loads files that changed into the same
context: the next handshake presents them (a NATS reconnect, a new HTTPS connection), and a
connection already made keeps the session it has (TLS checks certificates at the handshake
only). The new files are first loaded into a scratch context: a certificate and key that do
not match (read between the two renames of `jayul fleet rotate-certs`, or a bad file) leave
the context as it was, and the next `renew()` tries again.

When it runs: a NATS client renews before every reconnection attempt (`fleet.stream.connect`),
so certificates renewed on disk are used at the next reconnect without a signal; SIGHUP
(`renew_on_sighup`) renews every context of the process at once, and reports what it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

Stamp = tuple[tuple[int, int, int], ...]


class RenewableTls:
    """A context and the files it was made from: its own certificate and key, and for a
    client the CA it trusts (a renewed CA file is added: old and new CAs are both trusted,
    which a change of CA needs while the fleet's certificates move from one to the other)."""

    def __init__(
        self,
        context: ssl.SSLContext,
        cert: Path | None,
        key: Path | None = None,
        ca: Path | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        kept: bool = False,
    ) -> None:
        self.context = context
        self.cert, self.key, self.ca = cert, key, ca
        self.loop = loop  # where the context is used: a renewal from a signal runs there
        self._stamp = self._read_stamp()
        _LIVE.add(self)
        if kept:  # for the life of the process (nothing else holds it: a server's context)
            _KEPT.append(self)

    def files(self) -> list[Path]:
        return [p for p in (self.ca, self.cert, self.key) if p is not None]

    def renew(self) -> bool:
        """Load the files into the context if they changed since last loaded; True if they
        were. Raises (ssl.SSLError, OSError) when they cannot be loaded: nothing changed."""
        stamp = self._read_stamp()
        if stamp == self._stamp:
            return False
        scratch = ssl.SSLContext(self.context.protocol)
        for target in (scratch, self.context):  # the scratch one fails first, if any does
            if self.ca is not None:
                target.load_verify_locations(cafile=str(self.ca))
            if self.cert is not None:
                target.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
        self._stamp = stamp
        return True

    def renew_reporting(self, on_error: Callable[[str], None] | None = None) -> bool:
        """`renew()` that logs instead of raising (the process keeps its old certificate)."""
        try:
            renewed = self.renew()
        except (OSError, ssl.SSLError) as exc:
            message = f"renewed certificate {self.cert} not taken: {exc}"
            (on_error or log.warning)(message)
            return False
        if renewed:
            log.warning("certificate %s renewed: used from the next connection", self.cert)
        return renewed

    def _read_stamp(self) -> Stamp:
        out = []
        for p in self.files():
            try:
                st = p.stat()
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((0, 0, 0))
        return tuple(out)


_LIVE: weakref.WeakSet[RenewableTls] = weakref.WeakSet()  # gone with their connection
_KEPT: list[RenewableTls] = []


def renew_all() -> None:
    """Renew every live context of this process, each on the loop that uses it."""
    for r in list(_LIVE):
        loop = r.loop
        if loop is None or loop.is_closed():
            r.renew_reporting()
            continue
        with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody uses it any more
            loop.call_soon_threadsafe(r.renew_reporting)


def renew_on_sighup() -> bool:
    """SIGHUP renews this process's certificates (`renew_all`); False where a handler cannot
    be installed (not the main thread, no SIGHUP on the platform)."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGHUP, lambda *_: renew_all())
    return True
