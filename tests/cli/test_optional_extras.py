"""`jayul` runs without its optional extras: no module the CLI loads at start imports one.

A plain `pip install jayul` has none of them, so an extra imported at the top of a command's
module would stop every command with an ImportError. The check runs the CLI's help in a
fresh interpreter in which importing any extra fails, as it would there."""

from __future__ import annotations

import subprocess
import sys

# the optional extras' top-level modules (pyproject.toml's optional-dependencies), and the
# test extra's packages that product code could reach for by mistake
EXTRAS = [
    "mcp", "httpx2", "flwr", "tep_studio", "basyx", "aas_test_engines", "stable_baselines3",
    "torch", "gymnasium", "pyod", "river", "playwright", "aiosmtpd", "schemathesis",
]  # fmt: skip

BLOCK = f"""
import sys
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ImportError(f"{{name}} is an optional extra")
        return None

sys.meta_path.insert(0, Missing())
sys.argv = ["jayul", *sys.argv[1:]]
from jayul.cli.main import app
app()
"""


def _help(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK, *command, "--help"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_every_command_group_loads_without_the_extras() -> None:
    for command in ((), ("bench",), ("fleet",), ("federated",), ("quality",), ("plant",)):
        done = _help(*command)
        assert done.returncode == 0, (command, done.stderr[-2000:])


def test_a_command_that_needs_an_extra_says_which() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK, "mcp", "--user", "agent1"],
        capture_output=True, text=True, timeout=120, env={"JAYUL_PASSWORD": "x", "PATH": ""},
    )  # fmt: skip
    assert done.returncode != 0
    assert "pip install 'jayul[mcp]'" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
