"""Checkpoints to a syslog collector over TCP or TLS, each delivery confirmed.

One connection per checkpoint (checkpoints are rare: one per 1,000 records by default). The
checkpoint goes as one RFC 5424 message (facility auth, severity info, APP-NAME
`jayul-audit`, the checkpoint's JSON line as MSG) in RFC 6587 octet-counting framing
(`MSG-LEN SP SYSLOG-MSG`, the framing RFC 5425 uses over TLS). The collector's log then holds a
line ending in `jayul-audit[PID]: {...}`, which `read_checkpoints` picks out.

Confirmed write. Plain syslog has no acknowledgement, and a successful `send` only says the
bytes reached this machine's kernel. So after the message jayul closes its sending side
(TCP: FIN; TLS: close_notify) and waits, up to `timeout_s`, for the collector to close its
side too (TCP: end of stream; TLS: its close_notify, or the connection closed). TCP
delivers in order, so a collector that reads until end of stream and then closes (as syslog
daemons do with a client that closed) has read the whole message: that close is the
confirmation. A reset, a refused or timed-out connection, or no close in time is a
failure (`OSError`), and the audit log keeps the checkpoint in its backlog and sends it again
(`jayul.govern.audit_backlog`); a checkpoint sent twice is harmless (same count, same MAC).
It does not prove the collector wrote it to disk: keep the collector's own queue durable.

Over UDP (`syslog+udp://`) none of this holds: a collector that is down, or a datagram dropped
on the way, loses the checkpoint unseen. jayul warns when such an anchor is opened.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import time
from datetime import UTC, datetime

from jayul.govern.audit_proof import Checkpoint

APP_NAME = "jayul-audit"
PRI_AUTH_INFO = 4 * 8 + 6  # facility auth (4), severity informational (6)


def syslog_frame(cp: Checkpoint, hostname: str | None = None, pid: int | None = None) -> bytes:
    """One checkpoint as an octet-counted RFC 5424 message."""
    stamp = datetime.fromtimestamp(cp.time / 1e9, tz=UTC).isoformat(timespec="microseconds")
    host = (hostname or socket.gethostname() or "-").replace(" ", "_")[:255]
    msg = (
        f"<{PRI_AUTH_INFO}>1 {stamp.replace('+00:00', 'Z')} {host} {APP_NAME} "
        f"{pid if pid is not None else os.getpid()} - - {cp.line()}"
    ).encode()
    return str(len(msg)).encode() + b" " + msg


class TcpSyslogAnchor:
    """Checkpoints to a syslog collector over TCP (`syslog://HOST:PORT`) or TLS
    (`syslog+tls://HOST:PORT`, RFC 5425), each confirmed as the module says."""

    def __init__(
        self, host: str, port: int, tls: ssl.SSLContext | None = None, timeout_s: float = 3.0
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.timeout_s = timeout_s

    def put(self, cp: Checkpoint) -> None:
        raw = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        try:
            if self.tls is None:
                raw.sendall(syslog_frame(cp))
                raw.shutdown(socket.SHUT_WR)
                _await_close(raw, self)
                return
            with self.tls.wrap_socket(raw, server_hostname=self.host) as tls:
                tls.sendall(syslog_frame(cp))
                # our close_notify, then the collector's: it read all before it (or it closed
                # the connection instead, after reading all too)
                with contextlib.suppress(ssl.SSLEOFError):
                    tls.unwrap()
        except TimeoutError:
            raise TimeoutError(
                f"{self}: the collector did not confirm within {self.timeout_s} s"
            ) from None
        finally:
            raw.close()

    def read(self) -> list[Checkpoint]:
        raise ValueError(
            f"syslog anchor {self}: syslog is write-only from jayul; pass the collector's log "
            "file with --checkpoints"
        )

    def __str__(self) -> str:
        return f"syslog{'+tls' if self.tls is not None else ''}://{self.host}:{self.port}"


def _await_close(sock: socket.socket, anchor: TcpSyslogAnchor) -> None:
    """Until the collector closes its side (it read everything before our FIN), within the
    anchor's timeout; TimeoutError otherwise, ConnectionResetError on a reset."""
    deadline = time.monotonic() + anchor.timeout_s
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        if not sock.recv(4096):
            return
