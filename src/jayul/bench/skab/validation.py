"""Choosing the default detector from normal data only: synthetic faults on anomaly-free rows.

The fault directions are random; the episodes are cut `draws` times, with seeds `seed`,
`seed + 1`, ..., and pooled: on SKAB the top recipes lie within 0.02 F1 of each other, and a
single draw's ranking changed with the seed (docs/benchmarks/skab.md), so one draw would
choose by chance among near-ties.

The rule never reads a benchmark's test labels. Segments of normal rows (the training parts of
the benchmark files, which the protocol already assumes normal, and SKAB's anomaly-free file)
are cut into episodes: `train_rows` to fit on, `test_rows` to score. In each episode's test
part a fault of `magnitudes` training standard deviations is injected for `fault_rows` rows
from `fault_start`, of the `fault_kinds` in turn: a step on one signal (taken in turn), a step
on that signal and 1-3 others at once, or that several-signal shift ramping up (each signal
up or down at random; SKAB's valve and pump faults move several sensors together, and a
one-signal-only proxy favours max-type scores). Every candidate (detector,
threshold, hysteresis) is fitted and alarmed exactly as in the benchmark, and scored point-wise
over all episodes. The default is the candidate with the best F1 among those whose false alarm
rate stays within `max_far` % (the lowest false alarm rate if none does): F1 alone would
favour alarming all the time, since faults fill much of each test part. Because the rows
around each fault are normal, drift that a candidate mistakes for a fault costs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from jayul.bench.skab.detectors.cusum import CusumDetector
from jayul.bench.skab.detectors.ecdf import EcdfDetector
from jayul.bench.skab.detectors.ensemble import EnsembleDetector
from jayul.bench.skab.detectors.forecast import ForecastDetector
from jayul.bench.skab.detectors.iforest import IsolationForestDetector
from jayul.bench.skab.detectors.mahalanobis import MahalanobisDetector
from jayul.bench.skab.detectors.mset import KernelSimilarityDetector
from jayul.bench.skab.detectors.zscore import ZScoreDetector
from jayul.health.detector import Detector, FloatArray
from jayul.health.pca import PcaDetector
from jayul.health.threshold import Hysteresis, PotThreshold, QuantileThreshold, Threshold

FAULT_KINDS = ("step", "multi-step", "multi-ramp")


@dataclass(frozen=True)
class AlarmConfig:
    """A full alarm recipe: detector, threshold rule and hysteresis, identical for every file."""

    name: str
    detector: Callable[[], Detector]
    threshold: str = "quantile"  # "quantile" or "pot"
    quantile: float = 0.99
    margin: float = 1.0
    raise_k: int = 5
    raise_n: int = 5
    clear_m: int = 5
    clear_ratio: float = 1.0

    def threshold_for(self, detector: Detector) -> Threshold:
        if self.threshold == "pot":
            return PotThreshold(detector, margin=self.margin)
        return QuantileThreshold(detector, quantile=self.quantile, margin=self.margin)

    def hysteresis(self) -> Hysteresis:
        return Hysteresis(
            raise_k=self.raise_k,
            raise_n=self.raise_n,
            clear_m=self.clear_m,
            clear_ratio=self.clear_ratio,
        )

    def alarm(self, train: FloatArray, rows: FloatArray) -> NDArray[np.int8]:
        """Fit on `train` (normal), then the 0/1 alarm of every row of `rows` (all of the
        stream, training part first, so trailing windows have their history)."""
        threshold = self.threshold_for(self.detector()).fit(train)
        return self.hysteresis().update(threshold.score(rows), threshold.level_)


@dataclass
class ValidationResult:
    name: str
    f1: float
    far: float
    mar: float


@dataclass
class Validation:
    """The synthetic-fault episodes cut from normal rows."""

    segments: list[FloatArray]
    train_rows: int = 250
    test_rows: int = 150
    fault_start: int = 40
    fault_rows: int = 70
    magnitudes: tuple[float, ...] = (1.0, 2.0, 4.0)
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    draws: int = 3
    max_far: float = 15.0
    episodes: list[tuple[FloatArray, NDArray[np.int8]]] = field(init=False)
    _scores: dict[tuple[str, int], tuple[FloatArray, FloatArray]] = field(
        init=False, default_factory=dict, repr=False
    )
    _levels: dict[tuple[tuple[str, int], str, float], float] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        length = self.train_rows + self.test_rows
        self.episodes = []
        starts = [
            (segment, start)
            for segment in self.segments
            for start in range(0, len(segment) - length + 1, length)
        ]
        for draw in range(self.draws):
            rng = np.random.default_rng(self.seed + draw)
            for k, (segment, start) in enumerate(starts):
                rows = segment[start : start + length].copy()
                magnitude = self.magnitudes[k % len(self.magnitudes)]
                kind = self.fault_kinds[(k // len(self.magnitudes)) % len(self.fault_kinds)]
                a = self.train_rows + self.fault_start
                rows[a : a + self.fault_rows] += self._fault(
                    rows[: self.train_rows], k, magnitude, kind, rng
                )
                truth = np.zeros(self.test_rows, dtype=np.int8)
                truth[self.fault_start : self.fault_start + self.fault_rows] = 1
                self.episodes.append((rows, truth))
        if not self.episodes:
            raise ValueError(f"need at least {length} normal rows for one validation episode")

    def _fault(
        self, train: FloatArray, k: int, magnitude: float, kind: str, rng: np.random.Generator
    ) -> FloatArray:
        """The fault's offset (fault rows x signals) for episode k.

        "step": signal k (mod the number of signals) shifted by `magnitude` training standard
        deviations, up or down at random. "multi-step": the same signal and 1 to 3 others
        drawn at random, each shifted by `magnitude` of its own standard deviation with its
        own random sign (a valve or pump fault moves flow, pressure, current and vibration
        together). "multi-ramp": as "multi-step", but the shift grows linearly from 0 over the
        first half of the fault and then holds (a gradual onset)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        n_signals = train.shape[1]
        signals = [k % n_signals]
        if kind != "step" and n_signals > 1:
            others = [j for j in range(n_signals) if j != signals[0]]
            extra = int(rng.integers(1, min(3, len(others)) + 1))
            signals += [int(j) for j in rng.choice(others, size=extra, replace=False)]
        offset = np.zeros((self.fault_rows, n_signals))
        for j in signals:
            sign = 1.0 if rng.random() < 0.5 else -1.0
            offset[:, j] = sign * magnitude * float(train[:, j].std())
        if kind == "multi-ramp":
            onset = max(self.fault_rows // 2, 1)
            ramp = np.minimum(np.arange(1, self.fault_rows + 1) / onset, 1.0)
            offset *= ramp[:, None]
        return offset

    def evaluate(self, config: AlarmConfig) -> ValidationResult:
        tp = fp = fn = tn = 0
        for k, (_, truth) in enumerate(self.episodes):
            predicted = self._alarm(config, k)[self.train_rows :]
            t, p = truth.astype(bool), predicted.astype(bool)
            tp += int(np.sum(t & p))
            fp += int(np.sum(~t & p))
            fn += int(np.sum(t & ~p))
            tn += int(np.sum(~t & ~p))
        f1 = tp / max(tp + (fp + fn) / 2, 1e-12)
        return ValidationResult(
            config.name, f1, 100.0 * fp / max(fp + tn, 1), 100.0 * fn / max(fn + tp, 1)
        )

    def alarmed_rows(self, config: AlarmConfig) -> tuple[int, int, int]:
        """Alarmed scored rows before, within and after the fault, summed over the episodes
        (`jayul.bench.skab.drift_rule` weighs them for a longer stream)."""
        a, b = self.fault_start, self.fault_start + self.fault_rows
        before = within = after = 0
        for k in range(len(self.episodes)):
            predicted = self._alarm(config, k)[self.train_rows :]
            before += int(predicted[:a].sum())
            within += int(predicted[a:b].sum())
            after += int(predicted[b:].sum())
        return before, within, after

    def alarm_profile(self, config: AlarmConfig) -> FloatArray:
        """The share of episodes alarmed at each scored row (row d = d rows after the fit):
        how the false-alarm rate grows with the distance from the fit, on fault-free episodes
        (`jayul.bench.skab.drift_rule`)."""
        total = np.zeros(self.test_rows)
        for k in range(len(self.episodes)):
            total += self._alarm(config, k)[self.train_rows :]
        profile: FloatArray = total / len(self.episodes)
        return profile

    def _alarm(self, config: AlarmConfig, k: int) -> NDArray[np.int8]:
        """`config.alarm` on episode k, exactly, with the detector's fit and scores and the
        threshold's level shared between the candidates that differ only after them (the
        grid holds each detector under many threshold and hysteresis rules)."""
        rows, _ = self.episodes[k]
        detector = config.detector()
        key = (repr(detector), k)
        if key not in self._scores:
            # as `Threshold.fit`: fit on the training rows, calibrate on their scores after the
            # detector's warm-up (scoring is causal, so they are the first scores of `rows`)
            scores = detector.fit(rows[: self.train_rows]).score(rows)
            skip = min(detector.context_rows - 1, self.train_rows - 1)
            self._scores[key] = (scores[skip : self.train_rows], scores)
        train_scores, scores = self._scores[key]
        # both threshold rules compute their level as (level at margin 1) * margin, so the
        # costly part (a GPD fit for POT) is shared by every margin
        level_key = (key, config.threshold, config.quantile)
        if level_key not in self._levels:
            unit = replace(config, margin=1.0)
            self._levels[level_key] = unit.threshold_for(detector).fit_level(train_scores).level_
        return config.hysteresis().update(scores, self._levels[level_key] * config.margin)

    def select(self, configs: Iterable[AlarmConfig]) -> tuple[AlarmConfig, list[ValidationResult]]:
        """The best configuration by the rule above, and every result."""
        results: list[tuple[AlarmConfig, ValidationResult]] = [
            (c, self.evaluate(c)) for c in configs
        ]
        within = [cr for cr in results if cr[1].far <= self.max_far]
        if within:
            best = max(within, key=lambda cr: cr[1].f1)
        else:
            best = min(results, key=lambda cr: cr[1].far)
        return best[0], [r for _, r in results]


# the level's margin in steps of a quarter: the false-alarm budget binds near these levels, so
# a coarser grid would make the rule's choice depend on where the steps happen to fall
THRESHOLD_RULES = (
    ("quantile", 1.0),
    ("quantile", 1.25),
    ("quantile", 1.5),
    ("quantile", 1.75),
    ("quantile", 2.0),
    ("pot", 1.0),
    ("pot", 1.25),
    ("pot", 1.5),
)
# rows after the fit that a widened unit covers (fixed before any rule saw them)
DRIFT_HORIZONS = (100, 300, 700)
# (raise_k, raise_n, clear_m, clear_ratio): quick to clear, slow to clear, and two with a
# lower clearing level (classic hysteresis: raise above the level, clear below half of it)
HYSTERESIS_RULES = ((5, 5, 5, 1.0), (5, 5, 30, 1.0), (5, 5, 10, 0.5), (3, 5, 10, 0.5))


def candidate_configs() -> list[AlarmConfig]:
    """The candidates the validation rule chooses among (every detector family)."""
    families: dict[str, Callable[[int, str], Detector]] = {
        "zscore": lambda w, m: ZScoreDetector(window=w, slow_mode=m),
        "zscore-max": lambda w, m: ZScoreDetector(window=w, slow_mode=m, aggregate="max"),
        "zscore-cal": lambda w, m: ZScoreDetector(
            window=w, slow_mode=m, aggregate="calibrated-max"
        ),
        "pca": lambda w, m: PcaDetector(window=w, slow_mode=m),
        "mahalanobis": lambda w, m: MahalanobisDetector(window=w, slow_mode=m),
        "kernel": lambda w, m: KernelSimilarityDetector(window=w, slow_mode=m),
        "forecast": lambda w, m: ForecastDetector(window=w, slow_mode=m),
        "ensemble": lambda w, m: EnsembleDetector(
            [
                ZScoreDetector(window=w, slow_mode=m),
                PcaDetector(window=w, slow_mode=m),
                KernelSimilarityDetector(window=w, slow_mode=m),
                ForecastDetector(window=w, slow_mode=m),
            ]
        ),
    }
    configs: list[AlarmConfig] = []
    for family, make in families.items():
        for window in (5, 10, 20):
            for mode in ("rate", "ignore"):
                configs.extend(_alarm_rules(f"{family} w={window} slow={mode}", make, window, mode))
    # z-scores whose units also cover a trending signal's wander over `drift` rows after the
    # fit (`TrailingFeatures.drift_horizon`); the calibrated max would undo the widening
    for horizon in DRIFT_HORIZONS:
        for family, aggregate in (("zscore", "mean"), ("zscore-max", "max")):
            for window in (5, 10, 20):
                for mode in ("rate", "ignore"):
                    stem = f"{family} w={window} slow={mode} drift={horizon}"
                    configs.extend(_alarm_rules(stem, _widened(aggregate, horizon), window, mode))
    # CUSUM on 3-row means: its memory plays the window's part; slow signals left out
    for drift in (0.5, 1.0):
        for memory in (10, 20):
            stem = f"cusum w=3 k={drift} m={memory} gate=5 slow=ignore"
            configs.extend(_alarm_rules(stem, _cusum(drift), memory, "ignore"))
    for window in (5, 10):
        configs.append(
            AlarmConfig(
                name=f"ecdf w={window} slow=ignore quantile x1.0 raise=5/5 clear=5",
                detector=_bind(lambda w, m: EcdfDetector(window=w, slow_mode=m), window, "ignore"),
            )
        )
    configs.append(
        AlarmConfig(
            name="iforest w=10 slow=ignore quantile x1.0 raise=5/5 clear=5",
            detector=lambda: IsolationForestDetector(window=10, slow_mode="ignore"),
        )
    )
    return configs


def _alarm_rules(
    stem: str, make: Callable[[int, str], Detector], window: int, mode: str
) -> list[AlarmConfig]:
    """One detector under every threshold rule and hysteresis rule of the grid."""
    return [
        AlarmConfig(
            name=f"{stem} {rule} x{margin} raise={raise_k}/{raise_n} clear={clear_m}"
            + (f"@{clear_ratio}" if clear_ratio != 1.0 else ""),
            detector=_bind(make, window, mode),
            threshold=rule,
            margin=margin,
            raise_k=raise_k,
            raise_n=raise_n,
            clear_m=clear_m,
            clear_ratio=clear_ratio,
        )
        for rule, margin in THRESHOLD_RULES
        for raise_k, raise_n, clear_m, clear_ratio in HYSTERESIS_RULES
    ]


def _widened(aggregate: str, horizon: int) -> Callable[[int, str], Detector]:
    def make(window: int, mode: str) -> Detector:
        return ZScoreDetector(
            window=window, slow_mode=mode, aggregate=aggregate, drift_horizon=float(horizon)
        )

    return make


def _cusum(drift: float) -> Callable[[int, str], Detector]:
    def make(memory: int, mode: str) -> Detector:
        return CusumDetector(window=3, drift=drift, memory=memory, gate=5, slow_mode=mode)

    return make


def _bind(make: Callable[[int, str], Detector], window: int, mode: str) -> Callable[[], Detector]:
    return lambda: make(window, mode)
