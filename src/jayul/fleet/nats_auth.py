"""Per-site NATS credentials: a nats-server configuration in which every site has its own user
and may publish only on its own subjects, and the centre has a user of its own.

A site `plant-a` may publish on `<prefix>.site.plant-a.>` and ask for the fleet stream's info
(what the publisher checks at start); it may subscribe only to reply inboxes (`_INBOX.>`),
where JetStream's acknowledgements come back. It cannot publish as another site, create or
delete streams, or read what other sites sent. The centre may do everything (it creates the
stream and consumes it). Each site puts its user and password in its `fleet:` URL
(`nats://plant-a:<password>@centre:4222`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jayul.fleet.config import SUBJECT_TOKEN

CENTRE_USER = "centre"


def site_permissions(site: str, prefix: str, stream: str) -> dict[str, Any]:
    if not SUBJECT_TOKEN.match(site):
        raise ValueError(f"site {site!r} is not 1-40 letters, digits, '_' or '-'")
    return {
        "publish": {"allow": [f"{prefix}.site.{site}.>", f"$JS.API.STREAM.INFO.{stream}"]},
        "subscribe": {"allow": ["_INBOX.>"]},
    }


def new_passwords(sites: list[str]) -> dict[str, str]:
    """A random password for the centre and for each site."""
    return {name: secrets.token_urlsafe(24) for name in [CENTRE_USER, *sites]}


def server_config(
    passwords: Mapping[str, str],
    port: int,
    store_dir: Path,
    prefix: str = "jayul",
    stream: str = "JAYUL_FLEET",
    host: str = "127.0.0.1",
) -> str:
    """A nats-server configuration (JetStream on, one user a site and one for the centre).
    The file holds the passwords: keep it readable by the server's user only."""
    users = []
    for name, password in passwords.items():
        perms = (
            {"publish": ">", "subscribe": ">"}
            if name == CENTRE_USER
            else site_permissions(name, prefix, stream)
        )
        users.append({"user": name, "password": password, "permissions": perms})
    return "\n".join(
        [
            f"host: {json.dumps(host)}",
            f"port: {port}",
            f"jetstream: {{ store_dir: {json.dumps(str(store_dir))} }}",
            f"authorization: {{ users: {json.dumps(users)} }}",
            "",
        ]
    )


def url_for(user: str, password: str, host: str, port: int) -> str:
    """The NATS URL a site (or the centre) connects with."""
    from urllib.parse import quote

    return f"nats://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"
