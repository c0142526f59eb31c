"""A grammar-based generator of bad MQTT messages for jayul's JSON scheme (docs/connect.md).

Each message starts from a well-formed one (a single sample on ``<root>/<machine>/<signal>``
or a batch on ``<root>/<machine>``) and gets one or more faults from a catalogue: deep nesting,
huge and tiny numbers, extreme dates, bad UTF-8, wrong types, giant strings, truncation,
unknown names, out-of-range values. Every fault makes every sample of the message unusable, so
a correct ingest stores none of it and dead-letters it with a reason; the noise added beside
the faults (tiny floats, odd keys, unicode) must not change that. Seeded: the same seed gives
the same messages.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

BIG_RARE = 0.01  # share of messages whose fault is a big payload (deep nesting, giant strings)


@dataclass(frozen=True)
class BadMessage:
    topic: str
    payload: bytes
    kind: str  # the fault that makes it bad


Sample = dict[str, object]


class FuzzGenerator:
    """Bad messages for `machines` (machine -> signal -> valid value) under `root`."""

    def __init__(self, root: str, machines: dict[str, dict[str, float]], seed: int = 0) -> None:
        self.root = root.rstrip("/")
        self.machines = machines
        self.names = sorted(machines)
        self.rng = random.Random(seed)
        self.now_ns = 0  # set by the caller before each message: times near "now" are valid
        self._sample_faults: list[tuple[str, Callable[[Sample], None]]] = [
            ("wrong_type_v", self._wrong_v),
            ("wrong_type_t", self._wrong_t),
            ("wrong_type_q", self._wrong_q),
            ("huge_number", self._huge_v),
            ("huge_int_t", self._huge_t),
            ("extreme_date", self._extreme_date),
            ("naive_date", self._naive_date),
            ("not_finite", self._not_finite),
            ("out_of_range", self._out_of_range),
            ("unknown_signal", self._unknown_signal),
            ("bad_quality", self._bad_quality),
            ("missing_field", self._missing_field),
        ]

    # -- faults of one sample (each makes the sample unusable) -------------------------------

    def _wrong_v(self, s: Sample) -> None:
        s["v"] = self.rng.choice(["42", "high", None, True, False, [], {}, [1.0], {"v": 1}])

    def _wrong_t(self, s: Sample) -> None:
        t = s["t"]
        assert isinstance(t, int)
        s["t"] = self.rng.choice([t / 1e9, 5e-324, str(t), None, True, [t], "", "yesterday"])

    def _wrong_q(self, s: Sample) -> None:
        s["q"] = self.rng.choice([0.5, "good", None, [0], 1e-300])

    def _huge_v(self, s: Sample) -> None:
        digits = self.rng.choice([310, 1000, 4000])
        s["v"] = int("9" * digits) * self.rng.choice([1, -1])

    def _huge_t(self, s: Sample) -> None:
        s["t"] = self.rng.choice([2**63, -(2**63) - 1, 10**30, -(10**25)])

    def _extreme_date(self, s: Sample) -> None:
        s["t"] = self.rng.choice(
            [
                "9999-12-31T23:59:59+00:00",
                "0001-01-01T00:00:00+00:00",
                "9999-12-31T23:59:59.999999-23:59",
                "0001-01-01T00:00:00+23:59",
                "2262-04-12T00:00:00Z",
                "1677-09-21T00:00:00Z",
                "1970-01-01T00:00:00Z",  # valid format, too old for the age limit
                "2999-01-01T00:00:00Z",  # too far ahead
                "2026-02-30T00:00:00Z",
                "2026-13-01T00:00:00Z",
            ]
        )

    def _naive_date(self, s: Sample) -> None:
        s["t"] = "2026-11-24T10:00:00"  # no zone

    def _not_finite(self, s: Sample) -> None:
        s["v"] = self.rng.choice([float("nan"), float("inf"), float("-inf"), 1e400])

    def _out_of_range(self, s: Sample) -> None:
        s["v"] = self.rng.choice([1e12, -1e12, 1.7976931348623157e308])

    def _unknown_signal(self, s: Sample) -> None:
        s["signal"] = self.rng.choice(["nosuch", "", "FLOW", "flow\u0000", "\udc80", "💥" * 3])

    def _bad_quality(self, s: Sample) -> None:
        s["q"] = self.rng.choice([3, -1, 2**70, -(2**70)])

    def _missing_field(self, s: Sample) -> None:
        del s[self.rng.choice(["t", "v"])]

    # -- whole-message faults ------------------------------------------------------------------

    def _nested(self, depth: int) -> str:
        if self.rng.random() < 0.5:
            return "[" * depth + "]" * depth
        return '{"a":' * depth + "1" + "}" * depth

    def _message_fault(self, topic: str, body: str) -> tuple[str, bytes, str]:
        r = self.rng.random()
        if r < BIG_RARE:
            kind = self.rng.choice(["deep_nesting_big", "giant_string", "oversize"])
            if kind == "deep_nesting_big":
                return topic, self._nested(self.rng.choice([50_000, 100_000])).encode(), kind
            if kind == "giant_string":
                giant = "x" * self.rng.choice([100_000, 500_000])
                return topic, json.dumps({"t": giant, "v": giant}).encode(), kind
            return topic, b" " * (1_048_577 + self.rng.randrange(1000)), kind
        kinds = ["deep_nesting", "truncated", "bad_utf8", "wrong_shape", "nan_token"]
        kind = self.rng.choice(kinds)
        if kind == "deep_nesting":
            depth = self.rng.choice([1_001, 3_000, 20_000])
            where = self.rng.random()
            if where < 0.5:
                return topic, self._nested(depth).encode(), kind
            return topic, ('{"samples": [' + self._nested(depth) + "]}").encode(), kind
        if kind == "truncated":
            return topic, body[: self.rng.randrange(max(len(body) - 1, 1))].encode(), kind
        if kind == "bad_utf8":
            raw = bytearray(body.encode())
            bad = self.rng.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xfe\xfe", b"\x80"])
            at = self.rng.randrange(len(raw) + 1)
            return topic, bytes(raw[:at] + bad + raw[at:]), kind
        if kind == "wrong_shape":
            shape = self.rng.choice(
                ['"just a string"', "42", "null", "[]", '{"samples": 5}', '{"samples": {}}', "{}"]
            )
            return topic, shape.encode(), kind
        # NaN tokens are accepted by Python's json: they must fail the checks, not the parser
        return topic, body.replace('"v": ', '"v": NaN, "w": ').encode(), kind

    # -- messages ---------------------------------------------------------------------------------

    def _sample(self, machine: str, signal: str | None, i: int) -> Sample:
        signals = self.machines[machine]
        name = signal or self.rng.choice(sorted(signals))
        s: Sample = {"t": self.now_ns - i, "v": signals[name]}
        if signal is None:
            s["signal"] = name
        if self.rng.random() < 0.3:  # harmless noise beside the fault
            s[self.rng.choice(["note", "ü", "x" * 40])] = self.rng.choice([5e-324, "π", [None]])
        return s

    def bad(self) -> BadMessage:
        """One bad message (see module doc)."""
        machine = self.rng.choice(self.names)
        single = self.rng.random() < 0.5
        signal = self.rng.choice(sorted(self.machines[machine])) if single else None
        topic = f"{self.root}/{machine}/{signal}" if single else f"{self.root}/{machine}"
        n = 1 if single else self.rng.randint(1, 8)
        samples = [self._sample(machine, signal, i) for i in range(n)]
        if self.rng.random() < 0.5:
            kind = ""
            for s in samples:  # every sample gets a fault: none of the message is usable
                name, fault = self.rng.choice(self._sample_faults)
                if single and name == "unknown_signal":  # a single sample's signal is the topic's
                    other = self.rng.choice(["nosuch", "FLOW", "💥💥💥", "flow_"])
                    topic = f"{self.root}/{machine}/{other}"
                else:
                    fault(s)
                kind = kind or name
            body = json.dumps(samples[0] if single else {"samples": samples})
            if self.rng.random() < 0.05:  # and a few unknown machines, whole
                topic = topic.replace(f"/{machine}", "/no_such_machine", 1)
                kind = "unknown_machine"
            return BadMessage(topic, body.encode("utf-8", "surrogatepass"), kind)
        body = json.dumps(samples[0] if single else {"samples": samples})
        return BadMessage(*self._message_fault(topic, body))
