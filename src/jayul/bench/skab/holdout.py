"""Does a default hold on equipment it was not chosen on? Leave one SKAB folder out, and TEP.

Groups of equipment: each SKAB folder with labelled files (`valve1`, `valve2`, ...), SKAB's
anomaly-free run, and, given the Tennessee Eastman folder, its normal test run `d00_te.dat`
and the normal first 160 rows of its fault test runs `d01_te.dat` ... `d21_te.dat` (the
fault starts at row 161; ../shared/data/tep/README.md).

- A fixed recipe (the product's default, today's SKAB default) is scored on every group.
- The label-free rule (`select_config`'s alarm part: `DriftRule` over `drift_candidates()`)
  is run once per SKAB group left out, on the training parts of the other folders' files and
  the anomaly-free file (unless that is the group left out), and its choice is scored on the
  group left out only. Its choice on every SKAB folder is scored on the TEP groups, which it
  never saw.

Scoring, as the benchmark's: a SKAB file is fitted on its first 400 rows and its later rows
are labelled causally (training rows first, so trailing windows have their history); F1, FAR
and MAR point-wise over the group's test rows. The anomaly-free run is fitted on its first 400
rows and every later row counts as normal. TEP: fitted on `d00.dat` (500 normal rows) only,
each test run scored as the continuation of those rows; its normal rows count for FAR, and
rows 161-960 of the fault runs for the detection rate (FDR, the TEP literature's recall),
given as the mean over the 18 faults without 3, 9 and 15 (near-undetectable; README).
Groups without labelled faults have a FAR only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jayul.bench.skab.data import (
    TRAIN_ROWS,
    SkabDataError,
    SkabFile,
    read_anomaly_free,
    read_skab_csv,
    skab_paths,
)
from jayul.bench.skab.drift_rule import DriftRule, drift_candidates
from jayul.bench.skab.metrics import OutlierCounts, outlier_counts
from jayul.bench.skab.validation import AlarmConfig

Progress = Callable[[str], None]
FloatArray = NDArray[np.float64]

TEP_FAULT_START = 160  # rows 1-160 of a TEP test run are normal (0-based: 0..159)
TEP_HARD_FAULTS = (3, 9, 15)


@dataclass
class Stream:
    """One stream to alarm on: fit on `train`, label `rows` (scored after `train`)."""

    train: FloatArray
    rows: FloatArray
    truth: NDArray[np.int8]  # per row of `rows`; all zero for a normal run


@dataclass
class Group:
    name: str
    streams: list[Stream]
    labelled: bool  # holds labelled faults (F1 and MAR mean something)


def skab_groups(data_dir: Path) -> tuple[dict[str, list[SkabFile]], FloatArray | None]:
    """The SKAB files by folder, and the anomaly-free run's rows (None when absent)."""
    folders: dict[str, list[SkabFile]] = {}
    for folder, path in skab_paths(data_dir):
        folders.setdefault(folder, []).append(read_skab_csv(path, folder))
    return folders, read_anomaly_free(data_dir)


def file_group(name: str, files: list[SkabFile]) -> Group:
    streams = [Stream(f.train, f.test, f.test_anomaly) for f in files]
    return Group(name, streams, labelled=True)


def normal_group(name: str, rows: FloatArray, train_rows: int = TRAIN_ROWS) -> Group:
    if len(rows) <= train_rows:
        raise SkabDataError(f"{name}: {len(rows)} rows, need more than {train_rows}")
    rest = rows[train_rows:]
    return Group(name, [Stream(rows[:train_rows], rest, np.zeros(len(rest), np.int8))], False)


def _read_tep(path: Path, transpose: bool = False) -> FloatArray:
    if not path.is_file():
        raise SkabDataError(f"{path}: missing (a TEP folder holds d00.dat and dNN_te.dat)")
    try:
        rows = np.loadtxt(path, dtype=np.float64)
    except ValueError as e:
        raise SkabDataError(f"{path}: not a whitespace-separated table of numbers ({e})") from e
    rows = rows.T if transpose else rows
    if rows.ndim != 2 or not np.isfinite(rows).all():
        raise SkabDataError(f"{path}: expected a finite 2-D table, got shape {rows.shape}")
    return rows


def tep_groups(tep_dir: Path) -> tuple[list[Group], dict[int, Stream]]:
    """The TEP normal groups (fitted on d00.dat), and each fault run as a stream for the FDR."""
    train = _read_tep(tep_dir / "d00.dat")
    if train.shape[0] < train.shape[1]:  # the Braatz d00.dat is stored one row per variable
        train = train.T
    normal = _read_tep(tep_dir / "d00_te.dat")
    faults: dict[int, Stream] = {}
    for j in range(1, 22):
        path = tep_dir / f"d{j:02d}_te.dat"
        if path.is_file():
            rows = _read_tep(path)
            truth = np.zeros(len(rows), np.int8)
            truth[TEP_FAULT_START:] = 1
            faults[j] = Stream(train, rows, truth)
    for stream in [normal, *(s.rows for s in faults.values())]:
        if stream.shape[1] != train.shape[1]:
            raise SkabDataError(
                f"{tep_dir}: test runs must have d00.dat's {train.shape[1]} columns"
            )
    groups = [
        Group(
            "TEP d00_te (normal run)",
            [Stream(train, normal, np.zeros(len(normal), np.int8))],
            False,
        )
    ]
    if faults:
        pre = [
            Stream(train, s.rows[:TEP_FAULT_START], np.zeros(TEP_FAULT_START, np.int8))
            for s in faults.values()
        ]
        groups.append(Group("TEP d01-d21_te rows 1-160 (normal)", pre, False))
    return groups, faults


def alarm_stream(config: AlarmConfig, stream: Stream) -> NDArray[np.int8]:
    """0/1 labels of the stream's rows: fitted on its training rows, scored after them."""
    threshold = config.threshold_for(config.detector()).fit(stream.train)
    scores = threshold.score(np.vstack([stream.train, stream.rows]))
    alarm = config.hysteresis().update(scores, threshold.level_)
    return alarm[len(stream.train) :]


def score_group(config: AlarmConfig, group: Group) -> dict[str, Any]:
    counts = OutlierCounts()
    for stream in group.streams:
        counts = counts + outlier_counts(stream.truth, alarm_stream(config, stream))
    out: dict[str, Any] = {"far_percent": counts.far, "rows": counts.fp + counts.tn}
    if group.labelled:
        out |= {"f1": counts.f1, "mar_percent": counts.mar}
    return out


def tep_detection(config: AlarmConfig, faults: dict[int, Stream]) -> dict[str, Any]:
    """Per fault, the share of faulty rows (161-960) alarmed; and the mean over the 18."""
    rates = {}
    for j, stream in faults.items():
        alarm = alarm_stream(config, stream)[TEP_FAULT_START:]
        rates[j] = 100.0 * float(alarm.mean())
    usual = [r for j, r in rates.items() if j not in TEP_HARD_FAULTS]
    return {
        "fdr_percent_by_fault": rates,
        "fdr_percent_mean_18": float(np.mean(usual)) if usual else None,
    }


def far_spread(per_group: dict[str, dict[str, Any]]) -> dict[str, float]:
    fars = [g["far_percent"] for g in per_group.values()]
    return {
        "min": float(min(fars)),
        "max": float(max(fars)),
        "spread": float(max(fars) - min(fars)),
        "sd": float(np.std(fars)),
    }


def choose(
    files: list[SkabFile],
    anomaly_free: FloatArray | None,
    jobs: int,
    candidates: list[AlarmConfig] | None = None,
) -> tuple[AlarmConfig, dict[str, Any]]:
    """The label-free rule's alarm recipe on these files' training parts (+ anomaly-free),
    among `candidates` (default: `drift_candidates()`, as `jayul bench skab`)."""
    segments = [f.train for f in files]
    if anomaly_free is not None:
        segments.append(anomaly_free)
    stream_rows = float(np.mean([len(f.test) for f in files]))
    rule = DriftRule(segments, stream_rows=stream_rows)
    pool = candidates if candidates is not None else drift_candidates()
    best, results = rule.select(pool, jobs)
    estimate = next(r for r in results if r.name == best.name)
    return best, {"stream_f1": estimate.f1, "stream_far_percent": estimate.far}


def run_holdout(
    data_dir: Path,
    fixed: dict[str, AlarmConfig],
    tep_dir: Path | None = None,
    with_rule: bool = True,
    jobs: int = 1,
    progress: Progress | None = None,
    candidates: list[AlarmConfig] | None = None,
) -> dict[str, Any]:
    """Every fixed recipe on every group, and the rule left-one-folder-out (among
    `candidates`, default `drift_candidates()`); the figures."""
    say = progress or (lambda _msg: None)
    folders, anomaly_free = skab_groups(data_dir)
    groups = [file_group(name, files) for name, files in folders.items()]
    if anomaly_free is not None:
        groups.append(normal_group("anomaly-free", anomaly_free))
    faults: dict[int, Stream] = {}
    if tep_dir is not None:
        tep, faults = tep_groups(tep_dir)
        groups += tep
    figures: dict[str, Any] = {
        "data": str(data_dir),
        "tep": str(tep_dir) if tep_dir else None,
        "groups": {g.name: len(g.streams) for g in groups},
        "fixed": {},
    }
    for label, config in fixed.items():
        say(f"hold-out: {label}")
        per_group = {g.name: score_group(config, g) for g in groups}
        entry: dict[str, Any] = {"recipe": config.name, "groups": per_group}
        entry["far_across_groups"] = far_spread(per_group)
        if faults:
            entry["tep_detection"] = tep_detection(config, faults)
        figures["fixed"][label] = entry
    if with_rule:
        figures["rule"] = _rule_left_out(
            folders, anomaly_free, groups, faults, jobs, say, candidates
        )
    return figures


def _rule_left_out(
    folders: dict[str, list[SkabFile]],
    anomaly_free: FloatArray | None,
    groups: list[Group],
    faults: dict[int, Stream],
    jobs: int,
    say: Progress,
    candidates: list[AlarmConfig] | None,
) -> dict[str, Any]:
    by_name = {g.name: g for g in groups}
    per_group: dict[str, dict[str, Any]] = {}
    skab_out = list(folders) + (["anomaly-free"] if anomaly_free is not None else [])
    for left_out in skab_out:
        say(f"hold-out: the rule without {left_out}")
        files = [f for name, fs in folders.items() if name != left_out for f in fs]
        if not files:
            continue  # only one labelled folder: nothing to choose on without it
        free = None if left_out == "anomaly-free" else anomaly_free
        config, estimate = choose(files, free, jobs, candidates)
        per_group[left_out] = {
            "chosen": config.name,
            "chosen_on": sorted({f.folder for f in files})
            + (["anomaly-free"] if free is not None else []),
            **estimate,
            **score_group(config, by_name[left_out]),
        }
    tep_names = [g.name for g in groups if g.name.startswith("TEP")]
    out: dict[str, Any] = {"left_out": per_group}
    if tep_names:
        say("hold-out: the rule on every SKAB folder, scored on TEP")
        every = [f for fs in folders.values() for f in fs]
        config, estimate = choose(every, anomaly_free, jobs, candidates)
        for name in tep_names:
            per_group[name] = {
                "chosen": config.name,
                "chosen_on": "every SKAB folder",
                **estimate,
                **score_group(config, by_name[name]),
            }
        out["tep_detection"] = tep_detection(config, faults)
    out["far_across_groups"] = far_spread(per_group) if per_group else None
    return out
