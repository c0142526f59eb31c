"""Connect: the edge between jayul and equipment. Sources (OPC UA, MQTT incl. Sparkplug B,
Modbus) feed samples through validation into the historian; sinks carry actions back out; the
plant file's `connect:` section (`Bindings`) says which node, topic or register is which signal.

Names load on first use (PEP 562), so importing the bindings does not load asyncua or paho.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.connect.bindings import Bindings, BindingsError, Connect
    from jayul.connect.buffer import DurableBuffer
    from jayul.connect.ingest import Ingest, Source
    from jayul.connect.intake import Intake
    from jayul.connect.modbus_source import ModbusSource
    from jayul.connect.mqtt_source import MqttSource
    from jayul.connect.opcua_server import TwinServer
    from jayul.connect.opcua_source import OpcUaSource
    from jayul.connect.sinks import MqttCommandSink, OpcUaSink
    from jayul.connect.writer import HistorianWriter

_WHERE = {
    "Bindings": "jayul.connect.bindings",
    "BindingsError": "jayul.connect.bindings",
    "Connect": "jayul.connect.bindings",
    "DurableBuffer": "jayul.connect.buffer",
    "HistorianWriter": "jayul.connect.writer",
    "Ingest": "jayul.connect.ingest",
    "Intake": "jayul.connect.intake",
    "ModbusSource": "jayul.connect.modbus_source",
    "MqttCommandSink": "jayul.connect.sinks",
    "MqttSource": "jayul.connect.mqtt_source",
    "OpcUaSink": "jayul.connect.sinks",
    "OpcUaSource": "jayul.connect.opcua_source",
    "Source": "jayul.connect.ingest",
    "TwinServer": "jayul.connect.opcua_server",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'jayul.connect' has no attribute {name!r}")


__all__ = [
    "Bindings",
    "BindingsError",
    "Connect",
    "DurableBuffer",
    "HistorianWriter",
    "Ingest",
    "Intake",
    "ModbusSource",
    "MqttCommandSink",
    "MqttSource",
    "OpcUaSink",
    "OpcUaSource",
    "Source",
    "TwinServer",
]
