"""What jayul's OPC UA server and its clients share: the address-space scheme and security.

Address space (namespace ``urn:jayul:<plant>``, string node ids)::

    Objects/<plant>                          ns=i;s=<plant>
      <line>                                 ns=i;s=<plant>.<line>
        <machine>                            ns=i;s=<machine>
          <signal>        Double, read-only  ns=i;s=<machine>.<signal>
          status          String             ns=i;s=<machine>.status
          setpoints/<sp>  Double, writable   ns=i;s=<machine>.setpoint.<sp>
          StartMaintenance(action: String) -> Boolean
          EndMaintenance() -> Boolean

Security: ``none``, or Basic256Sha256 SignAndEncrypt with certificates, and user names whose
passwords come from environment variables (never from the plant file itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import security_policies

from jayul.connect.bindings import BindingsError, Security
from jayul.records import Quality


def namespace_uri(plant: str) -> str:
    return f"urn:jayul:{plant}"


def signal_id(machine: str, signal: str) -> str:
    return f"{machine}.{signal}"


def setpoint_id(machine: str, setpoint: str) -> str:
    return f"{machine}.setpoint.{setpoint}"


def method_id(machine: str, method: str) -> str:
    return f"{machine}.{method}"


def node_id(text: str, ns: int) -> ua.NodeId:
    """A string node id in namespace `ns` (asyncua's stubs want its own str/int aliases)."""
    return ua.NodeId(text, ns)  # type: ignore[arg-type]


def quality_of(status: ua.StatusCode | None) -> int:
    """OPC UA status severity as a jayul quality code."""
    if status is None or status.is_good():
        return int(Quality.GOOD)
    return int(Quality.UNCERTAIN) if status.is_uncertain() else int(Quality.BAD)


def _path(base: Path, file: str | None, what: str) -> Path:
    if file is None:
        raise BindingsError(f"OPC UA security: {what} is not set")
    p = Path(file)
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise BindingsError(f"OPC UA security: {what} {p} does not exist")
    return p


async def configure_client(client: Client, security: Security, base: Path) -> None:
    """Apply a binding's security to a client before it connects."""
    if security.user is not None:
        client.set_user(security.user)
        client.set_password(security.password() or "")
    if security.mode == "none":
        return
    server_cert: Any = None
    if security.peer_certificate is not None:
        server_cert = str(_path(base, security.peer_certificate, "peer_certificate"))
    await client.set_security(
        security_policies.SecurityPolicyBasic256Sha256,
        str(_path(base, security.certificate, "certificate")),
        str(_path(base, security.private_key, "private_key")),
        server_certificate=server_cert,
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
