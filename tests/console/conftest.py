"""What the console tests that start a real `jayul run --port` share: waiting until it serves."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jayul.bench.api.harness import call

AwaitConsole = Callable[[str, "subprocess.Popen[bytes]", Path], None]


def console_up(url: str) -> bool:
    """Whether the console at `url` answers its health check."""
    try:
        return call(url, "GET", "/api/health")[0] == 200
    except OSError:
        return False


@pytest.fixture
def await_console() -> AwaitConsole:
    """Wait (at most 90 s) until the `jayul run` of `proc` serves its console at `url`; fail with
    its output (`log`) if it exits first."""

    def wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + 90
        while not console_up(url):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "jayul run did not serve the console"
            time.sleep(0.5)

    return wait
