"""The plant file's `fleet:` section: which centre a site reports to and what it shares.

```yaml
fleet:
  site: plant-a                # default: the plant's name; a NATS subject token
  url: nats://127.0.0.1:4222   # the centre's NATS JetStream
  share:                       # default: events and KPIs, no signals
    alerts: true
    actions: true              # actions, decisions, verdicts, approvals, setpoints
    events: true               # failures, repairs, maintenance
    kpis: true
    models: false              # model updates (federated learning)
    signals: none              # none | downsampled | raw
    downsample_s: 60           # bucket of downsampled signals (mean per bucket)
  tls:                         # with a tls:// url: the fleet's CA and this site's certificate
    ca: fleet-tls/ca.pem
    cert: fleet-tls/plant-a.pem
    key: fleet-tls/plant-a-key.pem
  nkey: fleet-keys/plant-a.nk  # an NKey seed file instead of a password in the url
```

Files are relative to the plant file's folder unless absolute.

A site shares nothing the section does not name: what is off here never leaves the site.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jayul.fleet.nats_tls import TlsFiles
from jayul.fleet.stream import Link
from jayul.records import EventKind

SUBJECT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class FleetConfigError(ValueError):
    """The fleet section is wrong; the message names the file and the field."""


class SignalSharing(StrEnum):
    NONE = "none"
    DOWNSAMPLED = "downsampled"
    RAW = "raw"


class Kind(StrEnum):
    """What a message carries; the last token of its subject."""

    ALERTS = "alerts"
    ACTIONS = "actions"
    EVENTS = "events"
    KPIS = "kpis"
    MODELS = "models"
    SAMPLES = "samples"


# Which share flag lets an event kind leave the site; kinds not named here (orders, operations)
# stay home: they are the plant's production detail, not its health.
EVENT_SHARE: dict[EventKind, Kind] = {
    EventKind.ALERT: Kind.ALERTS,
    EventKind.ACTION: Kind.ACTIONS,
    EventKind.DECISION: Kind.ACTIONS,
    EventKind.VERDICT: Kind.ACTIONS,
    EventKind.APPROVAL: Kind.ACTIONS,
    EventKind.SETPOINT: Kind.ACTIONS,
    EventKind.FAILURE: Kind.EVENTS,
    EventKind.REPAIR_START: Kind.EVENTS,
    EventKind.REPAIR_END: Kind.EVENTS,
    EventKind.MAINTENANCE_START: Kind.EVENTS,
    EventKind.MAINTENANCE_END: Kind.EVENTS,
}


class Share(BaseModel):
    """A site's sharing policy (default: alerts, actions, plant events and KPIs; no signals)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alerts: bool = True
    actions: bool = True
    events: bool = True
    kpis: bool = True
    models: bool = False
    signals: SignalSharing = SignalSharing.NONE
    downsample_s: float = Field(60.0, gt=0)

    def allows(self, kind: Kind) -> bool:
        if kind is Kind.SAMPLES:
            return self.signals is not SignalSharing.NONE
        return bool(getattr(self, kind.value))


class TlsSection(BaseModel):
    """The fleet's CA (to verify the centre's NATS server) and this site's own certificate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ca: str
    cert: str | None = None
    key: str | None = None


class FleetConfig(BaseModel):
    """Where a site publishes and what it shares (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str
    url: str = "nats://127.0.0.1:4222"
    stream: str = "JAYUL_FLEET"
    subject_prefix: str = "jayul"
    share: Share = Share()
    kpi_every_s: float = Field(10.0, gt=0)
    outbox: str = "fleet-outbox.sqlite"  # relative to the plant file's folder
    tls: TlsSection | None = None
    nkey: str | None = None  # an NKey seed file

    @field_validator("site", "stream", "subject_prefix")
    @classmethod
    def _token(cls, v: str) -> str:
        if not SUBJECT_TOKEN.match(v):
            raise ValueError(f"{v!r} is not 1-40 letters, digits, '_' or '-'")
        return v

    def subject(self, kind: Kind) -> str:
        return subject_for(self.subject_prefix, self.site, kind)

    def outbox_path(self, base: Path) -> Path:
        return _under(base, self.outbox)

    def link(self, base: Path) -> Link:
        """The TLS and NKey files, resolved against `base`; FleetConfigError naming a file that
        is missing (checked here, at start, rather than on every reconnection)."""
        tls = None
        if self.tls is not None:
            t = self.tls
            tls = TlsFiles(
                _under(base, t.ca),
                _under(base, t.cert) if t.cert else None,
                _under(base, t.key) if t.key else None,
            )
        nkey = _under(base, self.nkey) if self.nkey else None
        for field, path in (
            ("fleet.tls.ca", tls.ca if tls else None),
            ("fleet.tls.cert", tls.cert if tls else None),
            ("fleet.tls.key", tls.key if tls else None),
            ("fleet.nkey", nkey),
        ):
            if path is not None and not path.is_file():
                raise FleetConfigError(f"{field}: {path} is not a readable file")
        return Link(tls, nkey)


def _under(base: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else base / p


def subject_for(prefix: str, site: str, kind: Kind) -> str:
    return f"{prefix}.site.{site}.{kind.value}"


def fleet_section(data: dict[str, Any], default_site: str, source: str) -> FleetConfig | None:
    """The `fleet:` section of a parsed plant file, or None when it has none."""
    section = data.get("fleet")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise FleetConfigError(f"{source}: 'fleet:' must be a mapping")
    section = {"site": re.sub(r"[^A-Za-z0-9_-]", "-", default_site)[:40], **section}
    try:
        return FleetConfig.model_validate(section)
    except ValidationError as exc:
        lines = [f"{source}: {exc.error_count()} problem(s) in the fleet section:"]
        for err in exc.errors():
            where = ".".join(str(p) for p in ("fleet", *err["loc"]))
            lines.append(f"  - {where}: {err['msg']}")
        raise FleetConfigError("\n".join(lines)) from None


def load_fleet_config(plant_file: Path, default_site: str) -> FleetConfig | None:
    """Read the `fleet:` section of a plant file (None when there is none)."""
    try:
        data = yaml.safe_load(plant_file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise FleetConfigError(f"{plant_file}: cannot read the fleet section: {exc}") from None
    if not isinstance(data, dict):
        return None
    return fleet_section(data, default_site, str(plant_file))
