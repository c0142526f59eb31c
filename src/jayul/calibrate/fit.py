"""Calibrate a plant file from a historian: every simulation parameter fitted from history.

The plant file supplies the structure (lines, machines and their types, signals, failure
modes, maintenance actions, routings, products, crews, costs); the history supplies the
numbers. A parameter with too little evidence keeps the plant file's value, marked as a prior.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jayul.calibrate.durations import (
    fit_duration,
    fit_rate,
    fit_uniform_window,
    interarrival_family,
)
from jayul.calibrate.exposure import Run, WearClock, mode_runs
from jayul.calibrate.fitted import Fitted, prior
from jayul.calibrate.history import History, HistoryError, build_history
from jayul.calibrate.lifetimes import ProcessFit, fit_lifetime, fit_process, mean_life
from jayul.calibrate.signals import TypeSignals, fit_type_signals
from jayul.historian import Historian
from jayul.plant.model import Plant, modelled
from jayul.records.timebase import NS_PER_H, to_ns

Progress = Callable[[str], None]


@dataclass
class Calibration:
    """A calibrated plant and, per parameter path, how it was obtained."""

    plant: Plant
    parameters: dict[str, Fitted]
    details: dict[str, Any] = field(default_factory=dict)
    window: tuple[int, int] = (0, 0)

    def report(self) -> dict[str, Any]:
        return {
            "window_ns": list(self.window),
            "parameters": {k: v.as_dict() for k, v in sorted(self.parameters.items())},
            "priors": sorted(k for k, v in self.parameters.items() if v.prior),
            **self.details,
        }


def progress_steps(plant: Plant) -> int:
    """How many progress calls `calibrate` makes (one per machine read, plus a few)."""
    return len(plant.machines) + 4


def calibrate(
    plant: Plant,
    historian: Historian,
    since_ns: int | None = None,
    until_ns: int | None = None,
    progress: Progress | None = None,
) -> Calibration:
    """Fit `plant`'s simulation parameters to the history in [since, until)."""
    step = progress or (lambda _msg: None)
    gaps = plant.simulation_gaps()
    if gaps:  # the file's values are the priors of what the history cannot fit
        raise HistoryError(
            "calibration starts from a plant file the twin can run (its values are the priors "
            f"of whatever the history is too thin to fit); it leaves out: {'; '.join(gaps[:6])}"
            + (f" and {len(gaps) - 6} more" if len(gaps) > 6 else "")
        )
    start_ns = to_ns(plant.start) if since_ns is None else since_ns
    events = historian.query_events(start_ns, until_ns)
    if until_ns is None:
        until_ns = (events[-1].time + 1) if events else start_ns + 1
    history = build_history(plant, events, start_ns, until_ns)
    step("events")
    new_at_start = start_ns <= to_ns(plant.start)
    clocks = {mid: WearClock(plant, mh, history.hours) for mid, mh in history.machines.items()}
    runs = mode_runs(plant, history, clocks, new_at_start)
    params: dict[str, Fitted] = {}
    details: dict[str, Any] = {"hours": round(history.hours, 3), "events": history.events}
    data = plant.model_dump(mode="json")
    processes = _fit_modes(plant, runs, params, details, data)
    step("lifetimes")
    _fit_durations(plant, history, params, data)
    _fit_orders(plant, history, params, details, data)
    step("durations")
    for type_name, mt in plant.machine_types.items():
        rates = {
            f.id: processes[(type_name, f.id)].wear_per_h.value
            if (type_name, f.id) in processes
            else modelled(f.wear_per_h, "wear_per_h")
            for f in mt.failure_modes
        }
        anchored = {f.id for f in mt.failure_modes if (type_name, f.id) in processes}
        fits = fit_type_signals(
            historian,
            plant,
            type_name,
            clocks,
            runs,
            rates,
            anchored,
            start_ns,
            until_ns,
            lambda: step("signals"),
        )
        _apply_signals(type_name, fits, params, data)
    step("signals")
    calibrated = Plant.model_validate(data)
    return Calibration(calibrated, params, details, (start_ns, until_ns))


def _fit_modes(
    plant: Plant,
    runs: dict[tuple[str, str], list[Run]],
    params: dict[str, Fitted],
    details: dict[str, Any],
    data: dict[str, Any],
) -> dict[tuple[str, str], ProcessFit]:
    processes: dict[tuple[str, str], ProcessFit] = {}
    lifetimes: dict[str, Any] = {}
    for type_name, mt in plant.machine_types.items():
        for i, mode in enumerate(mt.failure_modes):
            key = f"{type_name}/{mode.id}"
            mode_runs_ = runs.get((type_name, mode.id), [])
            n_fail = sum(r.failed for r in mode_runs_)
            fit = fit_process(mode_runs_)
            target = data["machine_types"][type_name]["failure_modes"][i]
            life = fit_lifetime(mode_runs_)
            lifetimes[key] = {
                "failures": n_fail,
                "censored": len(mode_runs_) - n_fail,
                "lifelines": life,
            }
            if fit is None:
                note = f"{n_fail} failures, fewer than needed; the plant file's value"
                params[f"{key}.wear_per_h"] = prior(
                    modelled(mode.wear_per_h, "wear_per_h"), note, n_fail
                )
                params[f"{key}.shape_per_h"] = prior(
                    modelled(mode.shape_per_h, "shape_per_h"), note, n_fail
                )
                params[f"{key}.mttf_wear_h"] = prior(
                    mean_life(
                        "gamma",
                        modelled(mode.wear_per_h, "wear_per_h"),
                        modelled(mode.shape_per_h, "shape_per_h"),
                    ),
                    note,
                    n_fail,
                )
                continue
            processes[(type_name, mode.id)] = fit
            params[f"{key}.wear_per_h"] = fit.wear_per_h
            params[f"{key}.shape_per_h"] = fit.shape_per_h
            params[f"{key}.mttf_wear_h"] = fit.mttf_wear_h
            lifetimes[key]["process_aic"] = {k: round(v, 2) for k, v in fit.aic.items()}
            lifetimes[key]["process"] = fit.family
            target["wear_per_h"] = fit.wear_per_h.value
            target["shape_per_h"] = fit.shape_per_h.value
            target["process"] = "wiener" if fit.family == "wiener" else "gamma"
    details["lifetimes"] = lifetimes
    return processes


def _fit_durations(
    plant: Plant, history: History, params: dict[str, Fitted], data: dict[str, Any]
) -> None:
    for type_name, mt in plant.machine_types.items():
        mhs = [mh for mh in history.machines.values() if mh.type == type_name]
        for i, mode in enumerate(mt.failure_modes):
            spans = [r.hours for mh in mhs for r in mh.repair_work if r.label == mode.id]
            fit = fit_duration(spans, modelled(mode.repair_h, "repair_h"), f"repairs of {mode.id}")
            params[f"{type_name}/{mode.id}.repair_h"] = fit
            data["machine_types"][type_name]["failure_modes"][i]["repair_h"] = fit.value
        for i, action in enumerate(mt.maintenance):
            spans = [
                m.hours
                for mh in mhs
                for m in mh.maintenance
                if m.label == action.id and not m.detail.get("open")
            ]
            fit = fit_duration(spans, action.duration_h, f"maintenance {action.id}")
            params[f"{type_name}/{action.id}.duration_h"] = fit
            data["machine_types"][type_name]["maintenance"][i]["duration_h"] = fit.value
        work = {p.id: p.work for p in modelled(plant.orders, "orders").products}
        for op_name, hours in mt.operations.items():
            per_work: list[float] = []
            for mh in mhs:
                for op in mh.operations:
                    if op.label != op_name or op.detail.get("aborted"):
                        continue
                    w = work.get(str(op.detail.get("product")), 0.0)
                    if w > 0:  # orders released before the window have no known work
                        per_work.append(op.hours / w)
            fit = fit_duration(per_work, hours, f"operation {op_name}")
            params[f"{type_name}/{op_name}.hours_per_work"] = fit
            data["machine_types"][type_name]["operations"][op_name] = fit.value


def _fit_orders(
    plant: Plant,
    history: History,
    params: dict[str, Fitted],
    details: dict[str, Any],
    data: dict[str, Any],
) -> None:
    spec = modelled(plant.orders, "orders")
    orders = history.orders
    rate = fit_rate(len(orders), history.hours, spec.arrivals_per_h, "orders")
    params["orders.arrivals_per_h"] = rate
    data["orders"]["arrivals_per_h"] = rate.value
    details["interarrival"] = interarrival_family([o.released_h for o in orders])
    lo, hi = fit_uniform_window([o.due_after_h for o in orders], spec.due_after_h)
    params["orders.due_after_h.low"] = lo
    params["orders.due_after_h.high"] = hi
    data["orders"]["due_after_h"] = [max(lo.value, 0.0), max(hi.value, lo.value + 1e-6)]
    counts = {p.id: 0 for p in spec.products}
    for o in orders:
        counts[o.product] += 1
    total = sum(counts.values())
    for i, p in enumerate(spec.products):
        if total >= 3 and counts[p.id] > 0:
            share = counts[p.id] / total
            half = 1.96 * float(np.sqrt(share * (1 - share) / total))
            params[f"orders.{p.id}.share"] = Fitted(
                share, max(share - half, 0.0), share + half, counts[p.id], "multinomial"
            )
            data["orders"]["products"][i]["share"] = share
        else:
            params[f"orders.{p.id}.share"] = prior(p.share, "no orders of this product", 0)


def _apply_signals(
    type_name: str, fits: TypeSignals, params: dict[str, Fitted], data: dict[str, Any]
) -> None:
    mt = data["machine_types"][type_name]
    for sig in mt["signals"]:
        fit = fits.signals[sig["id"]]
        for attr in ("nominal", "load_gain", "ambient_gain", "noise"):
            f: Fitted = getattr(fit, attr)
            params[f"{type_name}/{sig['id']}.{attr}"] = f
            sig[attr] = max(f.value, 0.0) if attr == "noise" else f.value
    for mode in mt["failure_modes"]:
        onset = fits.onsets[mode["id"]]
        params[f"{type_name}/{mode['id']}.onset"] = onset
        mode["onset"] = onset.value
        effects: dict[str, float] = {}
        for sig_id, fit in fits.signals.items():
            if mode["id"] in fit.effects:
                e = fit.effects[mode["id"]]
                params[f"{type_name}/{mode['id']}.effects.{sig_id}"] = e
                effects[sig_id] = e.value
        mode["effects"] = effects


def hours_between(start_ns: int, end_ns: int) -> float:
    return (end_ns - start_ns) / NS_PER_H
