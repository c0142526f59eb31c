"""Who the command line acts as: an authenticated user of the plant database, or its owner.

A plant database with users (the console's, `jayul users add`): commands that change the
plant (approve, reject, autonomy, clearing the kill switch, adding users) act as `--user
NAME`, with the password from `--password-file FILE` (first line), the `JAYUL_PASSWORD`
environment variable, or a hidden prompt, checked against the stored scrypt hash; the role is
the stored one, never a flag. A wrong password is audited and refused.

A plant database without users (e.g. the gate database of `jayul run`): only the operating
system user who owns the file may act on it, as `os:<login>` with the engineer's role.
Anyone else is refused: on such a database, file permissions are the access control.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import typer

from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection
from jayul.records.timebase import utc_now_ns

PASSWORD_ENV = "JAYUL_PASSWORD"

UserOption = typer.Option(
    None, "--user", help="your user name in the plant database (see docs/cli.md: who acts)"
)
PasswordFileOption = typer.Option(
    None, "--password-file", help=f"read the password from this file (or ${PASSWORD_ENV})"
)


class NotAllowedError(Exception):
    """The caller could not be authenticated (the message says why and what to do)."""


@dataclass(frozen=True)
class Identity:
    name: str
    role: str


def _password(user: str, password_file: Path | None) -> str:
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            raise NotAllowedError(f"{password_file}: cannot read a password ({exc})") from None
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    return str(typer.prompt(f"password for {user}", hide_input=True))


def identify(
    con: Connection, audit: AuditLog, db: Path, user: str | None, password_file: Path | None
) -> Identity:
    """The authenticated caller (see module doc); `NotAllowedError` otherwise."""
    # here, not at the top: importing jayul.server loads the web stack, and every `jayul`
    # command imports this module
    from jayul.server.users import UserStore

    store = UserStore(con, audit)
    if store.list():
        if user is None:
            raise NotAllowedError(
                f"{db} has users: pass --user NAME (password from --password-file, "
                f"${PASSWORD_ENV} or a prompt)"
            )
        found = store.authenticate(user, _password(user, password_file))
        if found is None:
            audit.append(utc_now_ns(), user, "cli_login_failed", str(db), "", durable=True)
            raise NotAllowedError("wrong user name or password")
        return Identity(found.name, found.role.value)
    owner = db.stat().st_uid if db.exists() else os.getuid()
    login = getpass.getuser()
    if user is not None and user != f"os:{login}":
        raise NotAllowedError(
            f"{db} has no users yet: add one (jayul users add) to act as {user!r}"
        )
    if os.getuid() != owner:
        raise NotAllowedError(
            f"{db} has no users: only the operating system user owning it (uid {owner}) may "
            "change it; add users with `jayul users add` to let others in"
        )
    return Identity(f"os:{login}", "engineer")
