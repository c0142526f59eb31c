"""A live demo plant for the MCP tests, its API served on a real port (the stdio and HTTP
servers are separate processes that reach it as an agent would)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from jayul.server import LiveState, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def spare_port() -> int:
    """A free port on the loopback (for a server a test starts)."""
    return free_port()


@pytest.fixture(scope="module")
def agent_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveState]:
    from jayul.bench.agents.plant import agent_plant

    state = agent_plant(Path(tmp_path_factory.mktemp("agents")) / "plant.duckdb")
    yield state
    state.stop()


@pytest.fixture(scope="module")
def api_url(agent_state: LiveState) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(agent_state), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
