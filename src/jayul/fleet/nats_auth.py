"""Per-site NATS credentials: a nats-server configuration in which every site has its own user
and may publish only on its own subjects, and the centre has a user of its own.

A site `plant-a` may publish on `<prefix>.site.plant-a.>` and ask for the fleet stream's info
(what the publisher checks at start); it may subscribe only to reply inboxes (`_INBOX.>`),
where JetStream's acknowledgements come back. It cannot publish as another site, create or
delete streams, or read what other sites sent. The centre may do everything (it creates the
stream and consumes it). Each site puts its user and password in its `fleet:` URL
(`nats://plant-a:<password>@centre:4222`).

With NKeys (the `nkeys` package, extra `fleet`), a user is a public key instead of a name and
password: the server holds only public keys, and each site keeps its seed in a file of its own
(`fleet: nkey:`), so no secret is in the server's configuration or in a URL. With TLS
(`nats_tls`), the configuration gets a `tls` block and the URLs use `tls://`.
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


def new_nkeys(sites: list[str]) -> dict[str, str]:
    """A fresh NKey user seed for the centre and for each site (needs the `nkeys` package)."""
    import nkeys

    return {
        name: nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER).decode()
        for name in [CENTRE_USER, *sites]
    }


def nkey_public(seed: str) -> str:
    import nkeys

    return str(nkeys.from_seed(seed.encode()).public_key.decode())


def server_config(
    passwords: Mapping[str, str],
    port: int,
    store_dir: Path,
    prefix: str = "jayul",
    stream: str = "JAYUL_FLEET",
    host: str = "127.0.0.1",
    seeds: Mapping[str, str] | None = None,
    tls: str | None = None,
) -> str:
    """A nats-server configuration (JetStream on, one user a site and one for the centre).
    Users are `passwords` (name: password; the file then holds them: keep it readable by the
    server's user only) or, with `seeds` (name: NKey seed), public keys only. `tls` is a `tls`
    block (`nats_tls.tls_block`)."""
    users = []
    names = list(seeds) if seeds is not None else list(passwords)
    for name in names:
        perms = (
            {"publish": ">", "subscribe": ">"}
            if name == CENTRE_USER
            else site_permissions(name, prefix, stream)
        )
        who = (
            {"nkey": nkey_public(seeds[name])}
            if seeds is not None
            else {"user": name, "password": passwords[name]}
        )
        users.append({**who, "permissions": perms})
    return "\n".join(
        [
            f"host: {json.dumps(host)}",
            f"port: {port}",
            f"jetstream: {{ store_dir: {json.dumps(str(store_dir))} }}",
            f"authorization: {{ users: {json.dumps(users)} }}",
            *([tls] if tls else []),
            "",
        ]
    )


def url_for(user: str, password: str | None, host: str, port: int, tls: bool = False) -> str:
    """The NATS URL a site (or the centre) connects with (no credentials in it with NKeys)."""
    from urllib.parse import quote

    scheme = "tls" if tls else "nats"
    if password is None:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"
