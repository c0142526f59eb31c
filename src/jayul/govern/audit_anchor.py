"""Anchors: places outside the plant database where the trail's signed checkpoints go, so that
a rewrite is caught even when whoever rewrote the trail also rewrote the checkpoints kept
beside it (the `audit_checkpoints` table, a local anchor file) and held the key.

An anchor is named by one string (`JAYUL_AUDIT_ANCHOR`, `AuditLog(anchor=...)`,
`jayul audit verify --anchor`):

- a file path: JSON lines appended and fsynced (keep it on another machine or write-once
  storage);
- `syslog://HOST:PORT` (TCP) or `syslog+tls://HOST:PORT[?ca=FILE&cert=FILE&key=FILE]`
  (RFC 5425): each checkpoint one RFC 5424 message in octet-counting framing, its delivery
  confirmed by the collector closing the connection after reading it
  (`jayul.govern.audit_syslog`);
- `syslog`, `syslog:///dev/log`: the local syslog socket (`jayul-audit: {...}`, facility
  auth, through `logging.handlers.SysLogHandler`; a daemon that is not there is an error);
- `syslog+udp://HOST:PORT`: UDP to a collector, lossy (a checkpoint the network or a
  collector that is down drops is lost unseen; jayul warns when it opens one).
  Syslog is write-only from here: verify with the collector's log file
  (`--checkpoints /var/log/auth.log`; `read_checkpoints` picks the checkpoint lines out);
- `postgresql://...` or `duckdb:///ABSOLUTE/PATH`: a second database, table
  `jayul_audit_anchors(trail, count, head, time, mac)`, one row per checkpoint, never updated
  (`ON CONFLICT DO NOTHING`). `trail` tells the plant databases sharing it apart: the plant
  database's absolute path unless the URL says `?trail=NAME` (taken out before connecting).
  Give the plant's writers a role that may only INSERT and SELECT there.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import ssl
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jayul.govern.audit_proof import Checkpoint, append_checkpoint, read_checkpoints
from jayul.govern.audit_syslog import TcpSyslogAnchor

log = logging.getLogger(__name__)

SYSLOG_SOCKET = "/dev/log"
SYSLOG_TAG = "jayul-audit: "
ANCHOR_TABLE = (
    "CREATE TABLE IF NOT EXISTS jayul_audit_anchors (trail VARCHAR NOT NULL, "
    "count BIGINT NOT NULL, head VARCHAR NOT NULL, time BIGINT NOT NULL, mac VARCHAR NOT NULL, "
    "PRIMARY KEY (trail, count))"
)


class Anchor(Protocol):
    def put(self, cp: Checkpoint) -> None:
        """Send one checkpoint (raises OSError or the driver's error when it cannot)."""

    def read(self) -> list[Checkpoint]:
        """Every checkpoint anchored for this trail (ValueError when it cannot be read)."""


class FileAnchor:
    def __init__(self, path: Path) -> None:
        self.path = path

    def put(self, cp: Checkpoint) -> None:
        append_checkpoint(self.path, cp)

    def read(self) -> list[Checkpoint]:
        return read_checkpoints(self.path) if self.path.exists() else []

    def __str__(self) -> str:
        return str(self.path)


class _RaisingSysLogHandler(logging.handlers.SysLogHandler):
    """`SysLogHandler` whose failed sends raise (the stock one prints them on stderr): the
    audit log must know a checkpoint did not leave."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        raise  # the send's own exception, still being handled


class SyslogAnchor:
    """Checkpoints to the local syslog socket or over UDP, one datagram each (over UDP a
    collector that is down loses it unseen, as syslog over UDP does)."""

    def __init__(self, address: str | tuple[str, int]) -> None:
        self.address = address
        self.handler = _RaisingSysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH
        )
        self.handler.ident = SYSLOG_TAG

    def put(self, cp: Checkpoint) -> None:
        record = logging.makeLogRecord({"msg": cp.line(), "levelno": logging.INFO,
                                        "levelname": "INFO"})  # fmt: skip
        self.handler.emit(record)

    def read(self) -> list[Checkpoint]:
        raise ValueError(
            f"syslog anchor {self}: syslog is write-only from jayul; pass the collector's log "
            "file with --checkpoints"
        )

    def __str__(self) -> str:
        a = self.address
        return f"syslog+udp://{a[0]}:{a[1]}" if isinstance(a, tuple) else f"syslog://{a}"


class DatabaseAnchor:
    def __init__(self, url: str, trail: str) -> None:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.trail = query.pop("trail", trail)
        self.url = urlunsplit(parts._replace(query=urlencode(query)))
        self.postgres = parts.scheme.startswith("postgres")
        self.p = "%s" if self.postgres else "?"

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        # a connection per call: checkpoints are rare, and nothing stays open to go stale
        if self.postgres:
            import psycopg

            conninfo = self.url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as con:
                con.execute(ANCHOR_TABLE)
                cur = con.execute(sql.encode(), params)
                return cur.fetchall() if cur.description else []
        import duckdb

        path = self.url.removeprefix("duckdb://")
        with duckdb.connect(path) as dcon:
            dcon.execute(ANCHOR_TABLE)
            return dcon.execute(sql, params).fetchall()

    def put(self, cp: Checkpoint) -> None:
        p = self.p
        self._run(
            "INSERT INTO jayul_audit_anchors (trail, count, head, time, mac) VALUES "
            f"({p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING",
            [self.trail, cp.count, cp.head, cp.time, cp.mac],
        )

    def read(self) -> list[Checkpoint]:
        try:
            rows = self._run(
                "SELECT count, head, time, mac FROM jayul_audit_anchors "
                f"WHERE trail = {self.p} ORDER BY count",
                [self.trail],
            )
        except Exception as exc:  # the driver's own errors: say which anchor and why
            raise ValueError(f"anchor {self}: cannot read ({type(exc).__name__}: {exc})") from None
        return [Checkpoint(int(c), str(h), int(t), str(m)) for c, h, t, m in rows]

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{parts.path} (trail {self.trail})"


def open_anchor(spec: str, plant_db: str | None) -> Anchor:
    """The anchor `spec` names (see the module); `plant_db` names the trail in a database."""
    spec = spec.strip()
    if not spec:
        raise ValueError("an empty audit anchor")
    if spec == "syslog" or spec.startswith(("syslog:", "syslog+")):
        return _syslog_anchor(spec)
    if spec.startswith(("postgresql:", "postgresql+psycopg:", "postgres:", "duckdb:")):
        if spec.startswith("duckdb:") and not spec.startswith("duckdb:///"):
            raise ValueError(f"audit anchor {spec!r}: use duckdb:///ABSOLUTE/PATH")
        return DatabaseAnchor(spec, str(Path(plant_db).resolve()) if plant_db else "memory")
    return FileAnchor(Path(spec))


UDP_WARNING = (
    "audit anchor {spec}: syslog over UDP is lossy: a checkpoint dropped on the way or sent "
    "while the collector is down is lost unseen; use syslog://HOST:PORT (TCP, each checkpoint "
    "confirmed and kept until it is) or syslog+tls://HOST:PORT"
)


def _syslog_anchor(spec: str) -> Anchor:
    scheme, sep, rest = spec.partition("://")
    if not sep:  # "syslog" alone
        scheme, rest = spec, ""
    if scheme == "syslog" and (not rest or rest.startswith("/")):
        path = rest or SYSLOG_SOCKET
        if not os.path.exists(path):
            raise ValueError(f"audit anchor {spec!r}: no syslog socket at {path}")
        return SyslogAnchor(path)
    if scheme not in ("syslog", "syslog+tcp", "syslog+tls", "syslog+udp"):
        raise ValueError(
            f"audit anchor {spec!r}: expected syslog://HOST:PORT (TCP), syslog+tls://HOST:PORT, "
            "syslog+udp://HOST:PORT or syslog:///SOCKET"
        )
    parts = urlsplit(f"//{rest}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise ValueError(f"audit anchor {spec!r}: expected {scheme}://HOST:PORT")
    if scheme == "syslog+udp":
        log.warning(UDP_WARNING.format(spec=spec))
        return SyslogAnchor((host, port))
    tls = None
    if scheme == "syslog+tls":
        query = dict(parse_qsl(parts.query))
        try:
            tls = ssl.create_default_context(cafile=query.get("ca"))
            if "cert" in query:
                tls.load_cert_chain(query["cert"], query.get("key"))
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"audit anchor {spec!r}: cannot load the TLS files ({exc})") from None
    return TcpSyslogAnchor(host, port, tls)
