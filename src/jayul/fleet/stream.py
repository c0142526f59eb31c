"""The fleet's JetStream stream, made the same way by sites and the centre: file storage,
limits retention (a replay for a new consumer stays possible for `max_age`), a duplicate window
for the message ids the sites send."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

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


async def connect(
    url: str, name: str, stop: threading.Event, on_error: Callable[[str], None]
) -> Any:
    """A NATS connection that reconnects forever (also on its first attempt), reporting each
    problem to `on_error` instead of printing it; None once `stop` is set before it connects."""
    import nats

    async def error_cb(exc: Exception) -> None:
        on_error(f"{url}: {exc!r}")

    task = asyncio.create_task(
        nats.connect(
            url,
            connect_timeout=2,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            name=name,
            error_cb=error_cb,
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
