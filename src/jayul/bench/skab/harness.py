"""The SKAB benchmark harness: fit on each file's first rows, alarm causally on the rest.

Pure functions returning figures; the command is `jayul bench skab` (jayul.bench.skab.command).
For each file: the alarm recipe is fitted on the training part only (no labels), every test
row gets a causal 0/1 label, and the predictions are written as `<out>/<folder>/<file>`
(columns datetime, anomaly, changepoint). Metrics follow `skab_metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jayul.bench.skab.changepoint_rule import ChangepointConfig, select_changepoints
from jayul.bench.skab.data import SkabFile, read_anomaly_free, read_skab_csv, skab_paths
from jayul.bench.skab.drift_rule import DriftRule, drift_candidates
from jayul.bench.skab.metrics import (
    NAB_PROFILES,
    NabScore,
    OutlierCounts,
    label_switches,
    nab_file_score,
    outlier_counts,
)
from jayul.bench.skab.peers import HalfSpaceTreesPeer, IsolationForestPeer
from jayul.bench.skab.validation import AlarmConfig, candidate_configs
from jayul.health.defaults import DEFAULT_MARGIN, DEFAULT_QUANTILE, default_detector
from jayul.health.detector import Detector

Progress = Callable[[str], None]

# what `select_changepoints` chose on the SKAB training parts + anomaly-free file (see
# docs/benchmarks/skab.md); used when a recipe is given by name instead of validated
VALIDATED_CHANGEPOINTS = ChangepointConfig(window=30, quantile=1.0, margin=1.0, refractory=30)


# the rule's choice on every SKAB folder in run 6 (docs/benchmarks/skab.md), kept by name for
# the hold-out report
SKAB_DEFAULT = "zscore w=5 slow=ignore drift=100 quantile x1.25 raise=5/5 clear=5"


def product_default_config() -> AlarmConfig:
    """The product's detector and threshold (`jayul.health.defaults`, what the health monitor
    runs) under the benchmark's hysteresis in rows (raise 5 of 5, clear after 5)."""
    return AlarmConfig(
        name=f"product default (jayul.health.defaults) quantile {DEFAULT_QUANTILE} "
        f"x{DEFAULT_MARGIN} raise=5/5 clear=5",
        detector=default_detector,
        threshold="quantile",
        quantile=DEFAULT_QUANTILE,
        margin=DEFAULT_MARGIN,
    )


def skab_default_config() -> AlarmConfig:
    """The recipe the rule chose on every SKAB folder in run 6."""
    return next(c for c in candidate_configs() if c.name == SKAB_DEFAULT)


@dataclass
class Tally:
    """Running totals of one detector over the files."""

    counts: OutlierCounts = field(default_factory=OutlierCounts)
    nab: dict[str, NabScore] = field(default_factory=dict)
    score_seconds: float = 0.0
    scored_rows: int = 0

    def add(
        self, file: SkabFile, anomaly: np.ndarray[Any, Any], changepoint: np.ndarray[Any, Any]
    ) -> None:
        self.counts = self.counts + outlier_counts(file.test_anomaly, anomaly)
        for profile in NAB_PROFILES:
            s = nab_file_score(file.test_times, file.test_changepoint, changepoint, profile)
            self.nab[profile.name] = self.nab[profile.name] + s if profile.name in self.nab else s

    def figures(self) -> dict[str, Any]:
        return {
            "f1": self.counts.f1,
            "far_percent": self.counts.far,
            "mar_percent": self.counts.mar,
            "tp": self.counts.tp,
            "fp": self.counts.fp,
            "fn": self.counts.fn,
            "tn": self.counts.tn,
            "nab": {name: s.nab for name, s in self.nab.items()},
            "rows_per_second": self.scored_rows / self.score_seconds
            if self.score_seconds > 0
            else None,
        }


def select_config(
    files: list[SkabFile],
    anomaly_free: np.ndarray[Any, Any] | None,
    candidates: list[AlarmConfig] | None = None,
    changepoint_candidates: list[ChangepointConfig] | None = None,
    jobs: int = 1,
) -> tuple[AlarmConfig, ChangepointConfig | None, dict[str, Any]]:
    """The validation rule of `jayul.bench.skab.drift_rule` on the training parts (+ anomaly-free):
    the alarm recipe by the estimated F1 of a stream as long as the files' test parts (their
    length, never their labels), within a false-alarm budget judged by the distance from the
    fit, then the changepoint settings by NAB, both on synthetic faults injected into normal
    rows. By default the candidates are `drift_candidates()`. `jobs` processes share the
    recipes (`DriftRule.evaluate_all`); the choice is the same for any value."""
    segments = [f.train for f in files]
    if anomaly_free is not None:
        segments.append(anomaly_free)
    rule = DriftRule(segments, stream_rows=float(np.mean([len(f.test) for f in files])))
    pool = candidates if candidates is not None else drift_candidates()
    best, results = rule.select(pool, jobs)
    changepoints, cp_table = select_changepoints(rule.recovery, best, changepoint_candidates)
    table = {
        "episodes": len(rule.detection.episodes),
        "fault_free_episodes": len(rule.quiet.episodes),
        "stream_normal_rows": rule.normal_rows,
        "max_far_percent": rule.max_far,
        # best first: within the false-alarm budget by F1, then the rest by F1
        "alarm": [
            {
                "name": r.name,
                "f1": r.f1,
                "far_percent": r.far,
                "mar_percent": r.mar,
                "near_far_percent": r.near_far,
                "far_far_percent": r.far_far,
                "steady_far_percent": r.steady_far,
                "tail_rows": r.tail_rows,
            }
            for r in sorted(results, key=lambda r: (r.far > rule.max_far, -r.f1))
        ][:15],
        "changepoints": sorted(cp_table, key=lambda r: -float(r["nab"]))[:10],
    }
    return best, changepoints, table


def predict_file(
    config: AlarmConfig, detector: Detector, file: SkabFile
) -> tuple[np.ndarray[Any, Any], float]:
    """0/1 labels of the file's test rows and the seconds spent scoring all rows."""
    threshold = config.threshold_for(detector).fit(file.train)
    start = time.perf_counter()
    scores = threshold.score(file.values)  # training rows first: trailing windows need history
    elapsed = time.perf_counter() - start
    alarm = config.hysteresis().update(scores, threshold.level_)
    return alarm[file.train_rows :], elapsed


def write_prediction(
    out_dir: Path, file: SkabFile, anomaly: np.ndarray[Any, Any], changepoint: np.ndarray[Any, Any]
) -> Path:
    path = out_dir / file.folder / file.name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "datetime": pd.to_datetime(file.test_times).strftime("%Y-%m-%d %H:%M:%S"),
            "anomaly": anomaly.astype(int),
            "changepoint": changepoint.astype(int),
        }
    )
    frame.to_csv(path, index=False)
    return path


def measure_throughput(
    detector: Detector, rows: int = 200_000, signals: int = 8, seed: int = 0
) -> float:
    """Rows per second of `detector.score` on `rows` random rows (fit on 400 normal rows)."""
    rng = np.random.default_rng(seed)
    detector.fit(rng.normal(size=(400, signals)))
    batch = rng.normal(size=(rows, signals))
    best = float("inf")
    for _ in range(3):  # best of three: the machine is shared, the minimum is the least noisy
        start = time.perf_counter()
        detector.score(batch)
        best = min(best, time.perf_counter() - start)
    return rows / best


def run_skab(
    data_dir: Path,
    out_dir: Path,
    config: AlarmConfig | None = None,
    changepoints: ChangepointConfig | None = VALIDATED_CHANGEPOINTS,
    with_peers: bool = True,
    progress: Progress | None = None,
    throughput_rows: int = 200_000,
    jobs: int = 1,
) -> dict[str, Any]:
    """Run the whole benchmark; return the figures (also the report's content).

    With `config` None the validation rule chooses the alarm recipe and the changepoint
    settings (its recipes shared among `jobs` processes; the same choice for any value);
    otherwise `config` and `changepoints` are used as given.
    """
    say = progress or (lambda _msg: None)
    files = [read_skab_csv(path, folder) for folder, path in skab_paths(data_dir)]
    validation_table: dict[str, Any] = {}
    if config is None:
        say("validation: choosing the default on training parts only")
        config, changepoints, validation_table = select_config(
            files, read_anomaly_free(data_dir), jobs=jobs
        )
    product = product_default_config()
    contenders: dict[str, tuple[AlarmConfig, Callable[[], Detector]]] = {
        "jayul": (config, config.detector),
        "jayul product default": (product, product.detector),
    }
    if with_peers:
        # each peer twice: under jayul's own threshold rule and hysteresis, and under a plain
        # training 99 % quantile with no hysteresis, in case the rule does not suit it
        plain = AlarmConfig("plain q99", config.detector, raise_k=1, raise_n=1, clear_m=1)
        peers: tuple[tuple[str, Callable[[], Detector]], ...] = (
            ("river_hst", HalfSpaceTreesPeer),
            ("pyod_iforest", IsolationForestPeer),
        )
        for peer, peer_factory in peers:
            contenders[f"{peer} (same rule)"] = (config, peer_factory)
            contenders[f"{peer} (plain q99)"] = (plain, peer_factory)
    tallies = {name: Tally() for name in contenders}
    switches_only = Tally()  # jayul's NAB without its own changepoints, for transparency
    for file in files:
        say(file.key)
        for name, (recipe, make) in contenders.items():
            anomaly, seconds = predict_file(recipe, make(), file)
            changepoint = label_switches(anomaly)
            if name == "jayul":
                switches_only.add(file, anomaly, changepoint)
                if changepoints is not None:
                    shifts = changepoints.shifts(file.train, file.values)[file.train_rows :]
                    changepoint = changepoints.combine(anomaly, shifts)
                write_prediction(out_dir, file, anomaly, changepoint)
            tallies[name].add(file, anomaly, changepoint)
            tallies[name].score_seconds += seconds
            tallies[name].scored_rows += len(file.values)
    say("throughput")
    figures: dict[str, Any] = {
        "data": str(data_dir),
        "files": len(files),
        "test_rows": int(sum(len(f.test) for f in files)),
        "default": config.name,
        "changepoints": changepoints.name if changepoints else "alarm switches only",
        "detector": repr(config.detector()),
        "product_default": product.name,
        "product_detector": repr(product.detector()),
        "results": {name: t.figures() for name, t in tallies.items()},
        "throughput_rows_per_second_8_signals": measure_throughput(
            config.detector(), throughput_rows
        ),
        "jayul_nab_alarm_switches_only": {n: s.nab for n, s in switches_only.nab.items()},
        "validation": validation_table,
    }
    return figures
