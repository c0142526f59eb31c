"""The fleet tests run against the real NATS JetStream at 127.0.0.1:4222 and the real
PostgreSQL (JAYUL_TEST_PG); scripts/services.sh starts both. Each test gets its own stream,
subject prefix, durable consumer and schema, removed afterwards, so tests never collide."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from jayul.fleet import Centre, CentreConfig, Edge, FleetConfig, Outbox, Share

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("JAYUL_TEST_NATS", "nats://127.0.0.1:4222")
NOWHERE = "nats://127.0.0.1:9"  # the discard port: nothing listens, as for a site offline


@dataclass
class Fleet:
    """One test's fleet: names unique to the test, and helpers to make sites and a centre."""

    stream: str
    prefix: str
    schema: str
    tmp: Path

    def site(self, name: str, share: Share | None = None, url: str = NATS_URL) -> Edge:
        config = FleetConfig(
            site=name,
            url=url,
            stream=self.stream,
            subject_prefix=self.prefix,
            share=share or Share(),
        )
        return Edge(config, Outbox(self.tmp / f"{name}-outbox.sqlite"))

    def centre(self, durable: str = "centre") -> Centre:
        return Centre(
            CentreConfig(NATS_URL, PG_URL, self.schema, self.stream, self.prefix, durable)
        )

    def rows(self, query: str) -> list[tuple[object, ...]]:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            return conn.execute(query.format(s=self.schema)).fetchall()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Poll until `condition` holds; fail naming `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


async def _delete_stream(name: str) -> None:
    import nats

    nc = await nats.connect(NATS_URL, connect_timeout=2)
    try:
        await nc.jetstream().delete_stream(name)
    except Exception:  # never created (the test failed before): nothing to remove
        pass
    finally:
        await nc.close()


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    token = uuid.uuid4().hex[:10]
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable ({exc}); run scripts/services.sh")
    f = Fleet(f"T_{token}", f"t{token}", f"fleet_{token}", tmp_path)
    yield f
    asyncio.run(_delete_stream(f.stream))
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {f.schema} CASCADE")
