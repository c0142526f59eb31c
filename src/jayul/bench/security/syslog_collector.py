"""A syslog collector on 127.0.0.1, as rsyslog's imtcp is: it reads RFC 6587 octet-counted frames
until the client closes, writes each message to its log file as one line, then closes (that
close is what confirms a checkpoint to `jayul.govern.audit_syslog`). The anchor benchmark stops
and restarts it; the audit trail's tests also use its never-confirming and TLS variants."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path


class TcpSyslogCollector:
    """Listens on `port` (0: any free one, then `self.port`); every message received is kept in
    `frames` and appended to `log`. `confirm=False` holds each connection open instead of
    closing it (for up to 10 s); `tls` wraps each connection as the server side."""

    def __init__(
        self, log: Path, port: int = 0, confirm: bool = True, tls: ssl.SSLContext | None = None
    ) -> None:
        self.log, self.confirm, self.tls = log, confirm, tls
        self.frames: list[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        self.sock.settimeout(0.05)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="syslog-collector", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            if self.tls is not None:
                conn.settimeout(5)
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):  # a client that does not trust us
                    conn.close()
                    continue
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while chunk := conn.recv(4096):
                        data += chunk
                except OSError:  # a client gone mid-frame: nothing of it is logged
                    continue
                self._write(data)
                if not self.confirm:
                    self._stop.wait(10)

    def _write(self, data: bytes) -> None:
        lines = []
        while data:  # MSG-LEN SP SYSLOG-MSG, as often as it comes
            size, _, rest = data.partition(b" ")
            msg, data = rest[: int(size)], rest[int(size) :]
            self.frames.append(msg)
            # as rsyslog logs it: its own time stamp and host, then the MSG after the header
            text = msg.decode(errors="replace").split(" - - ", 1)[-1]
            lines.append(f"Dec  5 07:00:00 plant {text}\n")
        with self.log.open("a") as f:
            f.writelines(lines)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()
        self.sock.close()
