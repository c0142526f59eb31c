"""`jayul fleet nats-config`: a nats-server configuration for the fleet, with one user a site
(a password or an NKey) and, with --tls-dir, TLS with a CA of the fleet's own (docs/fleet.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from jayul.cli.fleet_cmds import console, fleet_app
from jayul.shell.errors import fail


@fleet_app.command("nats-config")
def fleet_nats_config(
    sites: list[str] = typer.Argument(..., help="Site ids (as in their fleet: sections)."),
    out: Path = typer.Option(..., "--out", help="Where to write the nats-server configuration."),
    urls: Path = typer.Option(
        ..., "--urls", help="Where to write each site's and the centre's NATS URL (secret)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address nats-server listens on."),
    port: int = typer.Option(4222, min=1, max=65535, help="Port nats-server listens on."),
    store_dir: Path = typer.Option(..., "--store-dir", help="JetStream's store directory."),
    stream: str = typer.Option("JAYUL_FLEET", help="The fleet's stream (sites may read its info)."),
    subject_prefix: str = typer.Option("jayul", help="As the sites' fleet: sections."),
    tls_dir: Path | None = typer.Option(
        None,
        "--tls-dir",
        help="Make a CA, the server's certificate and one client certificate a site (and the "
        "centre) here; the server then requires TLS and the fleet's client certificates.",
    ),
    tls_host: list[str] = typer.Option(
        [],
        "--tls-host",
        help="A name or address the server is reached at, for its certificate (repeatable; "
        "default: --host).",
    ),
    nkeys_dir: Path | None = typer.Option(
        None,
        "--nkeys-dir",
        help="Users are NKeys instead of passwords: write each one's seed here as <name>.nk "
        "(needs the nkeys package: pip install 'jayul[fleet]').",
    ),
) -> None:
    """A nats-server configuration with one user per site, each allowed to publish only on its
    own subjects, and one for the centre; the URLs go to --urls. Users have fresh random
    passwords, or NKeys with --nkeys-dir; --tls-dir adds TLS. Secret files are written readable
    by their owner only (docs/fleet.md)."""
    from jayul.fleet.nats_auth import CENTRE_USER, new_nkeys, new_passwords, server_config, url_for
    from jayul.fleet.nats_tls import make_fleet_tls, tls_block

    for path in (out, urls):
        if path.exists():
            fail(f"{path}: it exists already; give a new file")
    try:
        passwords = new_passwords(sites)
    except ValueError as exc:
        fail(str(exc))
    seeds: dict[str, str] | None = None
    if nkeys_dir is not None:
        try:
            seeds = new_nkeys(sites)
        except ImportError:
            fail("--nkeys-dir needs the nkeys package: pip install 'jayul[fleet]'")
    tls = None
    if tls_dir is not None:
        try:
            make_fleet_tls(tls_dir, tls_host or [host], [CENTRE_USER, *sites])
            tls = tls_block(tls_dir)
        except OSError as exc:
            fail(f"--tls-dir {tls_dir}: cannot write the certificates ({exc})")
    try:
        text = server_config(
            passwords, port, store_dir, subject_prefix, stream, host, seeds=seeds, tls=tls
        )
    except ValueError as exc:
        fail(str(exc))
    url_host = (tls_host or [host])[0]
    lines = [
        f"{name} {url_for(name, None if seeds else pw, url_host, port, tls=tls is not None)}"
        for name, pw in passwords.items()
    ]
    files = [(out, text), (urls, "\n".join(lines) + "\n")]
    if nkeys_dir is not None and seeds is not None:
        files += [(nkeys_dir / f"{name}.nk", seed + "\n") for name, seed in seeds.items()]
    for path, body in files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=False)
            path.write_text(body)
        except OSError as exc:
            fail(f"{path}: cannot write it ({exc}); it must not exist yet")
    extras = [
        f"certificates in {tls_dir}" if tls_dir else "",
        f"NKeys in {nkeys_dir}" if nkeys_dir else "",
    ]
    said = "; ".join(e for e in extras if e)
    console.print(
        f"wrote {out} ({len(sites)} sites and the centre) and their URLs to {urls}"
        f"{'; ' + said if said else ''}; start it with nats-server -c {out}",
        highlight=False,
    )


@fleet_app.command("rotate-certs")
def fleet_rotate_certs(
    tls_dir: Path = typer.Option(
        ..., "--tls-dir", help="The fleet's TLS folder (from nats-config --tls-dir): CA and certs."
    ),
    names: list[str] = typer.Argument(
        None, help="Whose certificates: server, centre, site ids (default: every one there)."
    ),
    tls_host: list[str] = typer.Option(
        [],
        "--tls-host",
        help="Names or addresses for the server's new certificate (repeatable; default: those "
        "of its old one).",
    ),
    days: int = typer.Option(825, min=1, help="How long the new certificates are valid."),
) -> None:
    """New keys and certificates signed by the fleet's CA, each file replaced in one rename.
    Running sites and centres take theirs at their next reconnect or on SIGHUP, nats-server on
    `nats-server --signal reload=<pid>`; nothing is lost meanwhile (docs/fleet.md)."""
    from jayul.fleet.nats_tls import rotate_fleet_tls

    try:
        renewed = rotate_fleet_tls(tls_dir, names or None, tls_host or None, days)
    except ValueError as exc:
        fail(f"--tls-dir {tls_dir}: {exc}" if str(tls_dir) not in str(exc) else str(exc))
    except OSError as exc:
        fail(f"--tls-dir {tls_dir}: cannot write the certificates ({exc})")
    console.print(
        f"renewed in {tls_dir}: {', '.join(renewed)} (valid {days} days); copy each to its "
        "host, then SIGHUP the sites and the centre and reload nats-server",
        highlight=False,
    )
