"""`jayul mcp`: the MCP server for AI agents, over stdio or streamable HTTP.

It logs in to a running plant's API (`jayul serve`) with an account of the role `agent` and
serves the tools of `jayul.agents.mcp` (reads, and proposals that go through the verifier and
the gate). The password comes from `--password-file` or `$JAYUL_PASSWORD`, never a prompt:
over stdio, standard input is the MCP channel. Over HTTP each client request must carry a
session token of the same agent account (`Authorization: Bearer`, from the plant's
`POST /api/login`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import typer

from jayul.cli.local_auth import PASSWORD_ENV, PasswordFileOption
from jayul.shell import fail


def mcp(
    url: str = typer.Option(
        "http://127.0.0.1:8080", help="The plant's API (a running `jayul serve`)."
    ),
    user: str = typer.Option(..., "--user", help="The agent's account (role agent)."),
    password_file: Path | None = PasswordFileOption,
    transport: str = typer.Option(
        "stdio",
        help="stdio, or http (streamable HTTP at /mcp; clients send the agent's session token "
        "from POST /api/login as Authorization: Bearer).",
    ),
    host: str = typer.Option("127.0.0.1", help="HTTP transport: address to listen on."),
    port: int = typer.Option(8765, min=1, max=65535, help="HTTP transport: port."),
) -> None:
    """Serve the plant to an MCP client (an AI assistant) as the agent `--user`."""
    try:  # the `mcp` extra (the SDK brings httpx2): `jayul` itself runs without it
        import httpx2

        from jayul.agents.mcp.api import ApiError, PlantApi
        from jayul.agents.mcp.server import build_server
    except ImportError as exc:
        fail(f"jayul mcp needs the mcp extra: pip install 'jayul[mcp]' ({exc})")

    if transport not in ("stdio", "http"):
        fail(f"--transport {transport!r}: use stdio or http")
    password = _password(password_file)
    client = httpx2.Client(base_url=url, timeout=30.0)
    try:
        api = PlantApi.connect(client, user, password)
    except ApiError as exc:
        fail(f"{url}: cannot log in as {user}: {exc.detail}")
    except httpx2.HTTPError as exc:
        fail(f"{url}: cannot reach the plant's API ({exc})")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # a line per call otherwise
    if transport == "stdio":
        build_server(api).run("stdio")
    else:
        # every request needs the agent's bearer token; it still listens on the loopback
        # unless told otherwise
        server = build_server(api, http_url=f"http://{host}:{port}/mcp")
        mode: Literal["streamable-http"] = "streamable-http"
        server.run(mode, host=host, port=port)


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            fail(f"{password_file}: cannot read a password ({exc})")
    env = os.environ.get(PASSWORD_ENV)
    if not env:
        fail(f"the agent's password: pass --password-file or set ${PASSWORD_ENV}")
    return env
