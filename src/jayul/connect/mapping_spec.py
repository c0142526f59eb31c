"""The `mappings:` of an MQTT source: how a foreign JSON payload becomes jayul samples.

A mapping is declared in the plant file, under an MQTT source, and applies to the messages
whose topic (relative to the source's `topic_root`) matches its `topic` pattern. Named levels
`{machine}` and `{signal}` in the pattern take those ids from the topic; `+` and a final `#`
match any level as in MQTT. Field paths are JMESPath expressions (https://jmespath.org),
evaluated on each record (the message, or each element of `records`), then on the whole
message if the record has no such field.

    sources:
      - kind: mqtt
        topic_root: factory
        mappings:
          - topic: "gateway/{machine}"     # flat: {"ts": 1767225600000, "flow": 7.4, ...}
            flat: true
            time: ts
            time_unit: ms
          - topic: "kepware/{machine}"     # {"timestamp": ..., "values": [{"id":..,"v":..}]}
            records: values
            signal: id
            value: v
            time: t
            time_unit: ms
          - topic: "raw/{machine}/{signal}"  # a bare number, stamped on arrival
            value: "@"

Values are scaled as ``value * scale + offset`` per signal (`units:`), after `rename:`, which
maps payload names to the plant's signal ids.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TimeUnit = Literal["auto", "s", "ms", "us", "ns", "iso"]
_LEVEL = re.compile(r"^(\{machine\}|\{signal\}|\+|#|[^{}+#]+)$")


class UnitScale(BaseModel):
    """A linear conversion into the plant's engineering unit: ``value * scale + offset``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: float = 1.0
    offset: float = 0.0


class PayloadMapping(BaseModel):
    """One declarative converter from a payload style to samples (see the module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="shown in dead-letter reasons")
    topic: str = Field(description="pattern relative to topic_root, e.g. 'gw/{machine}'")
    machine: str | None = Field(
        default=None, description="JMESPath to the machine id, or a constant with a leading '='"
    )
    records: str | None = Field(
        default=None, description="JMESPath to a list of records; default: the message is one"
    )
    signal: str | None = Field(default=None, description="JMESPath to the signal name")
    signals: list[str] | None = Field(
        default=None, description="positional signal names when records are bare values"
    )
    flat: bool = Field(default=False, description="every numeric key of a record is a signal")
    ignore: list[str] = Field(default_factory=list, description="keys a flat record skips")
    value: str = Field(default="@", description="JMESPath to the value ('@': the record)")
    quality: str | None = Field(default=None, description="JMESPath to a quality code 0/1/2")
    time: str | None = Field(default=None, description="JMESPath; none: the arrival time")
    time_unit: TimeUnit = Field(default="auto", description="epoch unit, or iso strings")
    time_format: str | None = Field(
        default=None, description="strptime format for non-ISO time strings"
    )
    time_zone: str | None = Field(
        default=None, description="IANA zone for times written without one (e.g. Europe/Berlin)"
    )
    rename: dict[str, str] = Field(default_factory=dict, description="payload name -> signal")
    units: dict[str, UnitScale] = Field(default_factory=dict, description="per signal id")

    @model_validator(mode="after")
    def _consistent(self) -> PayloadMapping:
        levels = self.topic.split("/")
        for i, level in enumerate(levels):
            if not _LEVEL.match(level):
                raise ValueError(
                    f"topic level {level!r} is not a name, +, #, {{machine}} or {{signal}}"
                )
            if level == "#" and i != len(levels) - 1:
                raise ValueError("'#' may only be the last topic level")
        from_topic = "{signal}" in levels
        ways = sum([from_topic, self.signal is not None, self.signals is not None, self.flat])
        if ways != 1:
            raise ValueError(
                "name the signal exactly one way: {signal} in the topic, signal (a path), "
                "signals (positional names) or flat: true"
            )
        if "{machine}" not in levels and self.machine is None:
            raise ValueError("name the machine: {machine} in the topic or machine (a path or =id)")
        if "{machine}" in levels and self.machine is not None:
            raise ValueError("the machine is named twice: {machine} in the topic and machine")
        if self.time_format is not None and self.time_unit not in ("auto", "iso"):
            raise ValueError("time_format is for time strings: leave time_unit auto or iso")
        if self.time_zone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"time_zone {self.time_zone!r} is not an IANA zone") from None
        return self

    @property
    def label(self) -> str:
        return self.name or self.topic

    @property
    def constant_machine(self) -> str | None:
        if self.machine is not None and self.machine.startswith("="):
            return self.machine[1:]
        return None
