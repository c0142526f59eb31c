"""The fleet's JetStream stream, made the same way by sites and the centre: file storage,
limits retention (a replay for a new consumer stays possible for `max_age`), a duplicate window
for the message ids the sites send; and the connection to NATS, with TLS and an NKey when the
fleet has them (docs/fleet.md)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jayul.fleet.cert_renewal import RenewableTls
from jayul.fleet.nats_tls import TlsFiles

STREAM_MAX_AGE_S = 7 * 24 * 3600.0
DUPLICATE_WINDOW_S = 600.0


async def ensure_stream(js: Any, name: str, prefix: str) -> None:
    """Create the stream when it is missing (an existing one is left as its operator set it)."""
    from nats.js.api import RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(name)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        StreamConfig(
            name=name,
            subjects=[f"{prefix}.site.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=STREAM_MAX_AGE_S,
            duplicate_window=DUPLICATE_WINDOW_S,
        )
    )


@dataclass(frozen=True)
class Link:
    """How a site or the centre proves itself to NATS beyond its URL: TLS (the fleet's CA, and
    its own certificate when the server asks for one) and an NKey seed file instead of a
    password."""

    tls: TlsFiles | None = None
    nkey_seed: Path | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for `nats.connect`."""
        out: dict[str, Any] = {}
        if self.tls is not None:
            out["tls"] = self.tls.context()
        if self.nkey_seed is not None:
            out["nkeys_seed"] = str(self.nkey_seed)
        return out


async def connect(
    url: str,
    name: str,
    stop: threading.Event,
    on_error: Callable[[str], None],
    link: Link | None = None,
) -> Any:
    """A NATS connection that reconnects forever (also on its first attempt), reporting each
    problem to `on_error` instead of printing it; None once `stop` is set before it connects.
    A TLS or key file that cannot be read raises at once: waiting would not mend it. With TLS,
    renewed certificate files are loaded before each reconnection attempt (`RenewableTls`)."""
    import nats

    link = link or Link()
    options = link.options()
    renewable = None
    if link.tls is not None:  # certificates renewed on disk are taken before each reconnect
        t = link.tls
        renewable = RenewableTls(options["tls"], t.cert, t.key, t.ca, asyncio.get_running_loop())

    async def error_cb(exc: Exception) -> None:
        on_error(f"{url}: {exc!r}")
        if renewable is not None:  # a failed attempt: the next one with renewed files
            renewable.renew_reporting(on_error)

    async def disconnected_cb() -> None:
        if renewable is not None:
            renewable.renew_reporting(on_error)

    task = asyncio.create_task(
        nats.connect(
            url,
            connect_timeout=2,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            name=name,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            **options,
        )
    )
    while not task.done():
        await asyncio.wait({task}, timeout=0.25)
        if stop.is_set() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            return None
    return task.result()
