"""The `process:` section of a plant file: a continuous process, its product specification,
its energy's carbon, its product analyser's soft sensor and the names of its known faults.

References to the plant's signals are checked against the machines by `check_process`, which
`Plant` calls once the machines are known, so an error names the field and what it points at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from jayul.plant.base import Strict, check_range


class ProductLimit(Strict):
    """A product specification the process must stay inside (the optimiser and the verifier
    judge every setpoint change by it)."""

    machine: str
    signal: str
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> ProductLimit:
        check_range(self.low, self.high)
        return self


class EmissionFactors(Strict):
    """What a unit of the process's energy costs in carbon, for energy and carbon per unit of
    product. The defaults are stated in docs/benchmarks/process.md: replace them with the
    plant's own (its electricity contract's factor, its boiler's fuel and efficiency)."""

    electricity_kg_co2e_per_kwh: float = Field(
        0.46, ge=0, description="grid electricity for the compressor (world average, IEA)"
    )
    steam_mj_per_kg: float = Field(
        2.34,
        gt=0,
        description="heat to raise one kg of steam (10 bar saturated from 105 degC feed water)",
    )
    steam_kg_co2e_per_kg: float = Field(
        0.154, ge=0, description="one kg of steam from a natural-gas boiler at 85 % efficiency"
    )


SignalRef = tuple[str, str]  # (machine, signal)


def _ref(text: str) -> SignalRef:
    machine, dot, signal = text.partition(".")
    if not dot or not machine or not signal:
        raise ValueError(f"{text!r}: name a signal as machine.signal")
    return machine, signal


class SoftSensorSpec(Strict):
    """The product analyser a soft sensor predicts: the quantities it analyses, how long after
    the sample its reading appears, and the fast measurements to predict it from."""

    analysed: list[str] = Field(
        min_length=1, description="the analyser's quantities, each as machine.signal"
    )
    delay_s: float = Field(
        gt=0, description="the analyser's dead time: its reading describes the sample drawn "
        "this long before it appears (a whole number of the analysed signals' period)",
    )  # fmt: skip
    inputs: list[str] = Field(
        min_length=2, description="the fast measurements the soft sensor reads, as machine.signal"
    )
    # the back-test every fitted version (the first one included) must meet before the loop
    # serves it: its figures on the last fifth of its readings, fitted without them
    min_holdout_coverage: float = Field(
        0.5, ge=0, le=1, description="least share of held-out readings inside the 90 % "
        "interval for a fitted soft sensor to be served",
    )  # fmt: skip
    max_holdout_rmse: float | None = Field(
        None, gt=0, description="largest held-out RMSE (over the analysed quantities, in "
        "their units) for a fitted soft sensor to be served; none by default",
    )  # fmt: skip

    @model_validator(mode="after")
    def _refs(self) -> SoftSensorSpec:
        for text in [*self.analysed, *self.inputs]:
            _ref(text)
        both = set(self.analysed) & set(self.inputs)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is both analysed and an input")
        return self

    @property
    def analysed_refs(self) -> list[SignalRef]:
        return [_ref(t) for t in self.analysed]

    @property
    def input_refs(self) -> list[SignalRef]:
        return [_ref(t) for t in self.inputs]


class Process(Strict):
    """A continuous process simulated by a process twin instead of the discrete factory."""

    model: Literal["tep"] = Field(
        description="the process twin: tep, the Tennessee Eastman process (tep-studio extra)"
    )
    limits: list[ProductLimit] = Field(
        default_factory=list, description="product rate and quality specification"
    )
    emissions: EmissionFactors = Field(
        default_factory=EmissionFactors,
        description="carbon per kWh of electricity and per kg of steam (energy and carbon "
        "per unit of product)",
    )
    soft_sensor: SoftSensorSpec | None = Field(
        default=None, description="the product analyser and what its soft sensor reads"
    )
    known_faults: dict[int, str] = Field(
        default_factory=dict,
        description="a fault classifier's labels -> the names its alerts give them",
    )

    @model_validator(mode="after")
    def _fault_labels(self) -> Process:
        if 0 in self.known_faults:
            raise ValueError("known_faults: label 0 is the normal process, not a fault")
        return self


def check_process(process: Process, signals: Mapping[str, Mapping[str, float]]) -> None:
    """Every signal the section names exists (`signals`: machine -> signal -> period in s),
    and the analyser's delay is a whole number of its signals' period; ValueError naming
    the field otherwise."""
    for i, limit in enumerate(process.limits):
        _exists(f"process.limits[{i}]", (limit.machine, limit.signal), signals)
    spec = process.soft_sensor
    if spec is None:
        return
    for field, refs in (("analysed", spec.analysed_refs), ("inputs", spec.input_refs)):
        for i, ref in enumerate(refs):
            _exists(f"process.soft_sensor.{field}[{i}]", ref, signals)
    periods = {signals[m][s] for m, s in spec.analysed_refs}
    if len(periods) > 1:
        raise ValueError("process.soft_sensor.analysed: the quantities have different periods")
    period = periods.pop()
    if abs(spec.delay_s / period - round(spec.delay_s / period)) > 1e-6:
        raise ValueError(
            f"process.soft_sensor.delay_s: {spec.delay_s:g} s is not a whole number of the "
            f"analysed signals' period ({period:g} s)"
        )


def delay_rows(process: Process, signals: Mapping[str, Mapping[str, float]]) -> int:
    """The analyser's dead time in rows of its signals' period."""
    spec = process.soft_sensor
    assert spec is not None
    machine, signal = spec.analysed_refs[0]
    return round(spec.delay_s / signals[machine][signal])


def _exists(where: str, ref: SignalRef, signals: Mapping[str, Mapping[str, float]]) -> None:
    machine, signal = ref
    if machine not in signals:
        raise ValueError(f"{where} names unknown machine {machine!r}")
    if signal not in signals[machine]:
        raise ValueError(f"{where} names unknown signal {signal!r} of machine {machine!r}")
