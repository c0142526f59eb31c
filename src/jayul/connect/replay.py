"""Replaying dead letters through the plant file as it is now (after a mapping was fixed).

Two kinds of dead letter can be replayed:
- a whole MQTT message (source ``mqtt:<topic>``, raw = the payload): parsed again by the
  parser the plant file's MQTT source declares now (its mappings, Sparkplug B, or jayul's own
  scheme), then checked against the plant;
- one refused sample (raw = ``{"machine", "signal", "t", "v", "q"}``, as the plant checks
  write them): checked again (e.g. after a signal's valid range was corrected).

Good samples are appended with `dedupe=True`, so replaying the same letters again stores
nothing twice. A letter that still fails is reported with its new reason and stays where it is;
dead letters are never deleted. The age limit does not apply (a dead letter is old by nature);
the future limit does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from jayul.connect.bindings import Bindings, Limits, MqttSource
from jayul.connect.mapping import Parser, make_parser
from jayul.connect.validate import Candidates, SignalTable
from jayul.historian.base import DeadLetter
from jayul.historian.sql_store import SqlHistorian
from jayul.records import Samples


@dataclass
class ReplayOutcome:
    seq: int
    samples: int = 0
    stored: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.samples > 0 and not self.reasons


def _mqtt_parser(bindings: Bindings, topic: str) -> Parser | None:
    """The parser of the plant file's MQTT source whose topic root covers `topic`."""
    for src in bindings.connect.sources:
        if not isinstance(src, MqttSource):
            continue
        if src.format == "sparkplug":
            root = src.topic_root or "spBv1.0"
        else:
            root = bindings.topic_root(src.topic_root)
        if topic.startswith(root.rstrip("/") + "/"):
            return make_parser(
                src.format, src.mappings, root, bindings.connect.limits.max_message_bytes
            )
    return None


def _sample(raw: bytes) -> Candidates | None:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or not {"machine", "signal", "t", "v"} <= body.keys():
        return None
    try:
        return Candidates(
            str(body["machine"]),
            [str(body["signal"])],
            np.asarray([int(body["t"])], dtype=np.int64),
            np.asarray([float(body["v"])], dtype=np.float64),
            np.asarray([int(body.get("q", 0))], dtype=np.int64),
        )
    except (TypeError, ValueError, OverflowError):
        return None


def replay_letter(
    bindings: Bindings, table: SignalTable, seq: int, letter: DeadLetter
) -> tuple[ReplayOutcome, Samples]:
    """The samples a dead letter yields now, or the reasons it still does not."""
    out = ReplayOutcome(seq)
    candidates: list[Candidates] = []
    single = _sample(letter.raw)
    if single is not None:
        candidates.append(single)
    elif letter.source.startswith("mqtt:"):
        topic = letter.source.removeprefix("mqtt:")
        parser = _mqtt_parser(bindings, topic)
        if parser is None:
            out.reasons.append(f"no MQTT source of the plant file covers topic {topic!r}")
            return out, Samples.empty()
        parsed, dead = parser.parse(topic, letter.raw)
        out.reasons.extend(d.reason for d in dead)
        if parsed is not None:
            candidates.append(parsed)
    else:
        out.reasons.append(
            f"a {letter.source.split(':', 1)[0]} dead letter is not a message or a sample "
            "(fix the file and import it again)"
        )
        return out, Samples.empty()
    batches = []
    for c in candidates:
        samples, dead = table.check(c, letter.source)
        out.reasons.extend(d.reason for d in dead)
        batches.append(samples)
    merged = Samples.concat(batches) if batches else Samples.empty()
    out.samples = len(merged)
    return out, merged


def replay(
    bindings: Bindings, historian: SqlHistorian, letters: list[tuple[int, DeadLetter]]
) -> list[ReplayOutcome]:
    """Replay dead letters into `historian` (idempotent); one outcome per letter."""
    limits = bindings.connect.limits
    table = SignalTable(
        bindings.plant, Limits(max_message_bytes=limits.max_message_bytes, max_age_s=None)
    )
    outcomes = []
    for seq, letter in letters:
        outcome, samples = replay_letter(bindings, table, seq, letter)
        if len(samples):
            outcome.stored = historian.append_samples(samples, dedupe=True)
        outcomes.append(outcome)
    return outcomes
