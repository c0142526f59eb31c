"""Fixtures of the connect tests: real Mosquitto, real PostgreSQL, real asyncua, no mocks.

The system broker (127.0.0.1:1883) and PostgreSQL (JAYUL_TEST_PG) must be up (`.ci/run`
starts them); the tests FAIL, saying how to start them, when they are not. Tests that restart
a broker start their own Mosquitto on a free port, so nobody else's broker goes down.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from jayul.connect.bindings import Bindings, Connect, Limits, MqttSource
from jayul.plant import Plant, load_demo_plant

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def plant() -> Plant:
    return load_demo_plant()


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def broker() -> int:
    if not port_open(1883):
        pytest.fail(
            "the connect tests need Mosquitto at 127.0.0.1:1883; start it with "
            "mosquitto -d -c /etc/mosquitto/mosquitto.conf (or .ci/run)",
            pytrace=False,
        )
    return 1883


@dataclass
class OwnBroker:
    """A Mosquitto of the test's own, with persistence, that the test may restart."""

    port: int
    conf: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        for _ in range(100):
            if port_open(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError("own mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    if shutil.which("mosquitto") is None:
        pytest.fail("the connect tests need the mosquitto binary", pytrace=False)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp_path}/\nmax_queued_messages 0\n"
        # as root, mosquitto drops to its own user, which cannot write our directory: its
        # sessions and queued messages would not survive a restart
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    b = OwnBroker(port, conf)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def broker_with(tmp_path: Path) -> Iterator[Callable[[str], OwnBroker]]:
    """Start Mosquittos of the test's own with given settings (plus own port, persistence)."""
    started: list[OwnBroker] = []

    def start(settings: str) -> OwnBroker:
        port = free_port()
        own = ("persistence", "persistence_location", "user")  # this broker's own
        kept = [ln for ln in settings.splitlines() if ln.split(" ", 1)[0] not in own]
        where = tmp_path / f"broker-{port}"
        where.mkdir()
        conf = where / "mosquitto.conf"
        conf.write_text(
            "\n".join(kept)
            + f"\nlistener {port} 127.0.0.1\n"
            + ("" if "allow_anonymous" in settings else "allow_anonymous true\n")
            + f"persistence true\npersistence_location {where}/\n"
            + ("user root\n" if os.geteuid() == 0 else "")
        )
        b = OwnBroker(port, conf)
        b.start()
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"jayul_test_connect_{uuid.uuid4().hex[:10]}"
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {error}", pytrace=False)
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["duckdb", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def mqtt_bindings(plant: Plant, tag: str) -> Callable[..., Bindings]:
    def make(port: int = 1883, limits: Limits | None = None) -> Bindings:
        src = MqttSource(kind="mqtt", port=port, topic_root=f"test/{tag}", client_id=f"t-{tag}")
        connect = Connect(sources=[src], limits=limits or Limits())
        return Bindings(plant, connect, Path("test.yaml"))

    return make
