"""How each signal responds to operating condition, ambient, health, and its noise.

The twin's sensor model (`twin.sensors`) is the structure:

    value = nominal + load_gain (load - 1) + ambient_gain ambient(t)
            + sum over modes of effect_m * v_m(h_m) * (0.5 + 0.5 load) + noise,
    v_m(h) = clip((h - onset_m) / (1 - onset_m), 0, 1)^2

and the history supplies its regressors: load is 1 (times the speed factor) while an
operation runs and 0 while the machine stands (from the operation events); ambient(t) is the
plant's daily swing; the health of a mode is not stored anywhere, so it is estimated from the
wear clock: along a run that ended in failure the gamma bridge's mean, exposure so far over
the exposure at failure (0 at the reset, 1 at the failure); along a censored run, the fitted
mean wear μ × exposure. Nominal, load and ambient gains are fitted by least squares per signal
and machine type together with the effects, the onset of each mode by a grid search on the
residual; the noise is the residual spread of readings taken while the machine stood healthy
(no load variation, no wear effect).

Identifiable from signals and the maintenance log alone: nominal level, load and ambient
gains, noise, and for a mode with failures the size of its effect on each signal and its
onset. Not identifiable: the effect of a mode that never failed in the window (its health
has no anchor; kept from the plant file and marked as a prior), and the within-operation load
variation (taken as the twin's ±15 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm

from jayul.calibrate.exposure import LOAD_SQUARE, Run, WearClock
from jayul.calibrate.fitted import Fitted, prior
from jayul.historian import Historian
from jayul.plant.model import MachineType, Plant, modelled
from jayul.records import Quality
from jayul.records.timebase import NS_PER_H
from jayul.twin.sensors import ambient

ONSETS = np.round(np.arange(0.0, 0.75, 0.05), 2)
THIN_S = 600.0  # one reading in ten minutes per signal is plenty for these few parameters
EFFECT_T = 5.0
SEARCH_ROWS = 40_000  # an effect is kept when its estimate is this many standard errors from 0


@dataclass
class SignalFit:
    nominal: Fitted
    load_gain: Fitted
    ambient_gain: Fitted
    noise: Fitted
    effects: dict[str, Fitted] = field(default_factory=dict)  # mode -> change at h = 1
    readings: int = 0


@dataclass
class TypeSignals:
    signals: dict[str, SignalFit]
    onsets: dict[str, Fitted]


@dataclass
class _Design:
    y: dict[str, list[npt.NDArray[np.float64]]]
    good: dict[str, list[npt.NDArray[np.bool_]]]
    load: list[npt.NDArray[np.float64]]
    amb: list[npt.NDArray[np.float64]]
    health: list[npt.NDArray[np.float64]]  # (n, modes), NaN where unknown


def _health(
    t_h: npt.NDArray[np.float64],
    clock: WearClock,
    runs: list[Run],
    rate: float,
) -> npt.NDArray[np.float64]:
    h = np.full(len(t_h), np.nan)
    wear = clock(t_h)
    for run in runs:
        inside = (t_h >= run.start_h) & (t_h < run.end_h)
        used = wear[inside] - float(clock(run.start_h))
        if run.failed and run.exposure > 0:
            h[inside] = used / run.exposure
        else:
            h[inside] = np.minimum(used * rate, 1.0)
    return h


def _read(
    historian: Historian,
    plant: Plant,
    mtype: MachineType,
    machines: list[str],
    clocks: dict[str, WearClock],
    runs: dict[tuple[str, str], list[Run]],
    rates: dict[str, float],
    start_ns: int,
    end_ns: int,
    progress: Callable[[], None],
) -> _Design:
    names = [s.id for s in mtype.signals]
    modes = [f.id for f in mtype.failure_modes]
    d = _Design({n: [] for n in names}, {n: [] for n in names}, [], [], [])
    step_ns = int(THIN_S * 1e9)
    grid_ns = np.arange(start_ns, end_ns, step_ns, dtype=np.int64)
    for mid in machines:
        frame = historian.query_samples(mid, start_ns, end_ns, names)
        progress()
        t_h = (grid_ns - start_ns) / NS_PER_H
        clock = clocks[mid]
        running = clock.running(t_h)
        idx = np.clip(np.searchsorted(clock.knots, t_h, side="right") - 1, 0, len(clock.rates) - 1)
        load = np.where(running, np.sqrt(clock.rates[idx] / LOAD_SQUARE), 0.0)
        stopped = clock.rates[idx] == 0.0
        health = (
            np.column_stack(
                [
                    _health(
                        t_h,
                        clock,
                        [r for r in runs.get((mtype_key(plant, mid), m), []) if r.machine == mid],
                        rates[m],
                    )
                    for m in modes
                ]
            )
            if modes
            else np.zeros((len(t_h), 0))
        )
        health[stopped] = np.nan  # repairs and maintenance: the state is in flux
        d.load.append(load)
        d.amb.append(ambient((grid_ns - plant_start_ns(plant)) / NS_PER_H) * plant.ambient_swing_c)
        d.health.append(health)
        for name in names:
            sel = frame[frame["signal"] == name] if len(names) > 1 else frame
            times = sel["time"].to_numpy(np.int64)
            y = np.full(len(grid_ns), np.nan)
            ok = np.zeros(len(grid_ns), dtype=bool)
            if len(times):
                # the first reading at or after each grid instant, if within one thinning step
                pos = np.searchsorted(times, grid_ns, side="left")
                inside = pos < len(times)
                pos_c = np.minimum(pos, len(times) - 1)
                near = inside & (times[pos_c] - grid_ns < step_ns)
                vals = sel["value"].to_numpy(np.float64)[pos_c]
                qual = sel["quality"].to_numpy(np.uint8)[pos_c]
                ok = near & (qual != np.uint8(Quality.BAD)) & np.isfinite(vals)
                y = np.where(ok, vals, np.nan)
            d.y[name].append(y)
            d.good[name].append(ok)
    return d


def mtype_key(plant: Plant, machine: str) -> str:
    return plant.spec(machine).type


def plant_start_ns(plant: Plant) -> int:
    from jayul.records.timebase import to_ns

    return to_ns(plant.start)


def _effect_columns(
    health: npt.NDArray[np.float64], load: npt.NDArray[np.float64], onsets: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    vis = np.clip((np.nan_to_num(health) - onsets) / (1.0 - onsets), 0.0, 1.0)
    return vis * vis * (0.5 + 0.5 * load)[:, None]


def _ols(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Least squares with heteroscedasticity-robust (HC1) standard errors: a running
    machine's readings spread more than a standing one's (its load varies)."""
    res = sm.OLS(y, x).fit(cov_type="HC1")
    return np.asarray(res.params, dtype=np.float64), np.asarray(res.bse, dtype=np.float64)


def _coef(beta: npt.NDArray[np.float64], se: npt.NDArray[np.float64], j: int, n: int) -> Fitted:
    return Fitted(
        float(beta[j]), float(beta[j] - 1.96 * se[j]), float(beta[j] + 1.96 * se[j]), n, "ols"
    )


def fit_type_signals(
    historian: Historian,
    plant: Plant,
    type_name: str,
    clocks: dict[str, WearClock],
    runs: dict[tuple[str, str], list[Run]],
    rates: dict[str, float],
    anchored: set[str],
    start_ns: int,
    end_ns: int,
    progress: Callable[[], None],
) -> TypeSignals:
    """Fit every signal of one machine type over all its machines. `anchored` names the modes
    with failures in the window (only their effects and onsets are fitted)."""
    mtype = plant.machine_types[type_name]
    machines = [m.id for m in plant.machines if m.type == type_name]
    modes = [f.id for f in mtype.failure_modes]
    d = _read(historian, plant, mtype, machines, clocks, runs, rates, start_ns, end_ns, progress)
    load = np.concatenate(d.load)
    amb = np.concatenate(d.amb)
    health = np.vstack(d.health)
    known = ~np.any(np.isnan(health), axis=1) if modes else np.ones(len(load), dtype=bool)
    fit_cols = [i for i, m in enumerate(modes) if m in anchored]
    base = np.column_stack([np.ones_like(load), load - 1.0, amb])
    onsets = np.array([f.onset for f in mtype.failure_modes])

    def design(ons: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        eff = _effect_columns(health, load, ons)[:, fit_cols]
        return np.column_stack([base, eff])

    ys = {n: np.concatenate(d.y[n]) for n in d.y}
    oks = {n: np.concatenate(d.good[n]) & known for n in d.good}
    # the onset search: readings where every signal is good, at most SEARCH_ROWS of them, all
    # signals at once (one least-squares solve per trial), each signal's error scaled by its
    # variance so that no unit dominates
    every = np.logical_and.reduce([oks[n] for n in ys]) if ys else known
    rows = np.flatnonzero(every)
    if len(rows) > SEARCH_ROWS:
        rows = rows[:: int(np.ceil(len(rows) / SEARCH_ROWS))]
    y_all = np.column_stack([ys[n][rows] for n in ys]) if ys else np.zeros((len(rows), 0))
    y_all = (y_all - y_all.mean(axis=0)) / np.maximum(y_all.std(axis=0), 1e-12)

    def total_sse(ons: npt.NDArray[np.float64]) -> float:
        x = np.column_stack(
            [base[rows], _effect_columns(health[rows], load[rows], ons)[:, fit_cols]]
        )
        beta, *_ = np.linalg.lstsq(x, y_all, rcond=None)
        resid = y_all - x @ beta
        return float(np.sum(resid * resid))

    onset_fits: dict[str, Fitted] = {}
    if fit_cols and len(rows) > 10 * (3 + len(fit_cols)):
        for _ in range(2):  # coordinate descent over the modes' onsets
            for i in fit_cols:
                scores = []
                for o in ONSETS:
                    trial = onsets.copy()
                    trial[i] = o
                    scores.append(total_sse(trial))
                onsets[i] = float(ONSETS[int(np.argmin(scores))])
    for i, m in enumerate(modes):
        n_fail = sum(r.failed for r in runs.get((type_name, m), []))
        if m in anchored:
            onset_fits[m] = Fitted(
                float(onsets[i]),
                max(float(onsets[i]) - 0.05, 0.0),
                float(onsets[i]) + 0.05,
                n_fail,
                "grid",
                note="grid step 0.05",
            )
        else:
            onset_fits[m] = prior(float(onsets[i]), "no failures to anchor the health index")
    x = design(onsets)
    out: dict[str, SignalFit] = {}
    for sig in mtype.signals:
        ok = oks[sig.id]
        n = int(ok.sum())
        if n < 30:
            note = f"{n} usable readings"
            out[sig.id] = SignalFit(
                prior(modelled(sig.nominal, "nominal"), note),
                prior(sig.load_gain, note),
                prior(sig.ambient_gain, note),
                prior(modelled(sig.noise, "noise"), note),
                readings=n,
            )
            continue
        beta, se = _ols(x[ok], ys[sig.id][ok])
        calm = ok & (load == 0.0)
        if modes:
            calm &= np.all(_effect_columns(health, load, onsets) == 0.0, axis=1)
        xc = x[calm]
        noise_fit: Fitted
        if int(calm.sum()) >= 30:
            resid = ys[sig.id][calm] - xc @ beta
            # a robust spread: a reading taken just as a machine started or stopped is not
            # noise (median absolute deviation, scaled to a normal's standard deviation)
            s = float(1.4826 * np.median(np.abs(resid - np.median(resid))))
            m_c = int(calm.sum())
            noise_fit = Fitted(
                s,
                s * (1 - 1.96 / np.sqrt(2 * m_c)),
                s * (1 + 1.96 / np.sqrt(2 * m_c)),
                m_c,
                "normal",
            )
        else:
            noise_fit = prior(
                modelled(sig.noise, "noise"), "too few readings of a standing healthy machine"
            )

        effects: dict[str, Fitted] = {}
        for j, i in enumerate(fit_cols):
            c = _coef(beta, se, 3 + j, n)
            if abs(c.value) > EFFECT_T * float(se[3 + j]):
                effects[modes[i]] = c
        for i, m in enumerate(modes):
            if m not in anchored and sig.id in mtype.failure_modes[i].effects:
                effects[m] = prior(
                    mtype.failure_modes[i].effects[sig.id], "no failures to anchor the health index"
                )
        out[sig.id] = SignalFit(
            _coef(beta, se, 0, n),
            _coef(beta, se, 1, n),
            _coef(beta, se, 2, n),
            noise_fit,
            effects,
            n,
        )
    return TypeSignals(out, onset_fits)
