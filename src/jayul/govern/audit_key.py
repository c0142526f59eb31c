"""The audit trail's secret key: HMAC-SHA256 over every record, the head and checkpoints.

The SHA-256 chain alone proves only that records fit together: anyone who can write the
database can change a record and recompute every hash after it. A MAC with a key kept outside
the database closes that hole: without the key nobody can make a changed record verify.

Where the key comes from, first match wins:
1. `JAYUL_AUDIT_KEY`: hex keys separated by commas, the first signs, the others only verify
   (the old keys after a rotation); for deployments whose secrets come from the environment.
2. `JAYUL_AUDIT_KEY_FILE`: a keyring file.
3. `<database>.audit-key` next to the plant database, created on first use.
A keyring file is JSON `{"current": ID, "keys": {ID: HEX, ...}}`, mode 0600 (refused when
group or others may read it); `ID` is derived from the key, so a record names the key that
signed it and a rotated key keeps verifying old records. An in-memory database gets a key
that lives as long as the process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

KEY_ENV = "JAYUL_AUDIT_KEY"
KEY_FILE_ENV = "JAYUL_AUDIT_KEY_FILE"
KEY_BYTES = 32


class AuditKeyError(ValueError):
    """The key cannot be read or is not safe to use (says which file and why)."""


def key_id(key: bytes) -> str:
    """A short public name of a key (it reveals nothing of the key)."""
    return hashlib.sha256(b"jayul-audit-key-id:" + key).hexdigest()[:16]


@dataclass
class AuditKeyring:
    """The signing key and every older key that still verifies."""

    keys: dict[str, bytes]
    current: str
    path: Path | None = None
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def generate(cls, path: Path | None = None) -> AuditKeyring:
        key = secrets.token_bytes(KEY_BYTES)
        return cls({key_id(key): key}, key_id(key), path)

    def sign(self, text: str) -> str:
        """`<key id>:<HMAC-SHA256 hex>` of `text` with the current key."""
        mac = hmac.new(self.keys[self.current], text.encode("utf-8"), hashlib.sha256)
        return f"{self.current}:{mac.hexdigest()}"

    def check(self, text: str, mac: str) -> str | None:
        """None when `mac` is a valid MAC of `text`, else what is wrong with it."""
        kid, _, digest = mac.partition(":")
        key = self.keys.get(kid)
        if key is None:
            return f"signed with key {kid!r}, which is not in the keyring"
        want = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, digest):
            return "its MAC does not match (changed without the key)"
        return None

    def rotate(self) -> str:
        """Add a fresh signing key (old ones keep verifying); returns its id."""
        key = secrets.token_bytes(KEY_BYTES)
        self.keys[key_id(key)] = key
        self.current = key_id(key)
        return self.current

    def save(self, path: Path | None = None) -> Path:
        """Write the keyring with mode 0600 (atomically: a crash leaves the old file)."""
        target = path or self.path
        if target is None:
            raise AuditKeyError("the keyring has no file to be saved to")
        data = {"current": self.current, "keys": {k: v.hex() for k, v in self.keys.items()}}
        tmp = target.with_name(target.name + ".tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        self.path = target
        return target


def record_text(hash_: str) -> str:
    return f"jayul-audit-record:{hash_}"


def head_text(count: int, hash_: str) -> str:
    return f"jayul-audit-head:{count}:{hash_}"


def load_keyring(path: Path) -> AuditKeyring:
    """Read a keyring file; `AuditKeyError` naming the file for any problem."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditKeyError(f"{path}: cannot read the audit key ({exc.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(
            f"{path}: the audit key may be read by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        data = json.loads(text)
        keys = {str(k): bytes.fromhex(v) for k, v in data["keys"].items()}
        current = str(data["current"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AuditKeyError(f"{path}: not a jayul audit keyring") from None
    bad = [k for k, v in keys.items() if key_id(v) != k or len(v) < 16]
    if current not in keys or bad:
        raise AuditKeyError(f"{path}: damaged audit keyring (key ids do not match the keys)")
    return AuditKeyring(keys, current, path)


def keyring_from_env_value(text: str) -> AuditKeyring:
    try:
        keys = [bytes.fromhex(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise AuditKeyError(f"{KEY_ENV}: expected hex keys separated by commas") from None
    if not keys or any(len(k) < 16 for k in keys):
        raise AuditKeyError(f"{KEY_ENV}: each key needs at least 16 bytes (32 hex digits)")
    return AuditKeyring({key_id(k): k for k in keys}, key_id(keys[0]))


def default_key_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.audit-key")


_EPHEMERAL: AuditKeyring | None = None


def resolve_keyring(db_path: str | None, create: bool = True) -> AuditKeyring | None:
    """The keyring for the database at `db_path` (None or "" for in-memory), see module doc.
    With `create=False` a missing key file gives None instead of a new key."""
    global _EPHEMERAL
    env = os.environ.get(KEY_ENV)
    if env:
        return keyring_from_env_value(env)
    env_file = os.environ.get(KEY_FILE_ENV)
    if env_file:
        path = Path(env_file)
    elif db_path:
        path = default_key_path(db_path)
    else:
        if _EPHEMERAL is None:
            _EPHEMERAL = AuditKeyring.generate()
        return _EPHEMERAL
    if path.exists():
        return load_keyring(path)
    if not create:
        return None
    ring = AuditKeyring.generate(path)
    ring.save()
    return ring
