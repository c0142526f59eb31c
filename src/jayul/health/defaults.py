"""The product's default anomaly detector and threshold, in one place for both sides.

The health monitor (`jayul.autopilot.monitor.HealthMonitor`) runs them on every machine, and
`jayul bench skab` measures them: its "jayul product default" row, and its hold-out report
over SKAB folders and the Tennessee Eastman normal runs (docs/benchmarks/skab.md). The
benchmark's label-free rule and the candidate recipes it chooses among live with that
benchmark, in `jayul.bench.skab`; a change of the default is made here, by the rule written
down in that page.
"""

from __future__ import annotations

from collections.abc import Callable

from jayul.health.detector import Detector
from jayul.health.threshold import QuantileThreshold
from jayul.health.zscore import ZScoreDetector

# the alarm level: this quantile of the detector's scores on the commissioning rows, times
# the margin (a score rarely seen when the machine was known to be healthy, and then some).
# Chosen with the detector by the held-out rule (docs/benchmarks/skab.md, "The product
# default by a held-out rule"): x3 is the margin at which the false alarms held within 10 %
# on both SKAB valve folders and on TEP.
DEFAULT_QUANTILE = 0.999
DEFAULT_MARGIN = 3.0


def default_detector() -> Detector:
    """The mean over signals of the squared z-score of each signal's 10-row trailing mean,
    every signal kept as a level (slow_autocorr above 1: the twin's machines stand and run for
    hours at a time, so all their signals are slow, and wear shows as a level shift), each
    signal's unit widened by the trend its commissioning rows show over the next 100 rows
    (`TrailingFeatures.drift_horizon`), so a signal that drifts while healthy does not cry
    wolf. Chosen by the held-out rule over a pool of PCA and z-score variants; PCA, the
    previous default, false-alarmed on 38-52 % of the normal rows of equipment it was not
    chosen on."""
    return ZScoreDetector(window=10, slow_autocorr=1.01, drift_horizon=100.0)


def default_threshold(detector: Detector | None = None) -> QuantileThreshold:
    """The default level rule around `detector` (default: `default_detector()`), unfitted."""
    return QuantileThreshold(
        default_detector() if detector is None else detector, DEFAULT_QUANTILE, DEFAULT_MARGIN
    )


def _pca() -> Detector:
    from jayul.health.pca import PcaDetector

    return PcaDetector(window=10, slow_autocorr=1.01)


def _mspc() -> Detector:
    from jayul.health.mspc import MspcDetector

    return MspcDetector()


def _dpca() -> Detector:
    from jayul.health.mspc import MspcDetector

    return MspcDetector(lags=2)


def _window_spread() -> Detector:
    from jayul.health.window_spread import WindowSpreadDetector

    return WindowSpreadDetector(window=20)


# The detectors a plant can run instead of the default (`jayul run --detector NAME`): PCA on
# the signals' levels (the default until the held-out rule; more sensitive, more false alarms
# off the twin); for a continuous process, classical MSPC (PCA or dynamic PCA with T² and SPE
# limits) or the moving-window level-and-spread monitor that `jayul bench tep` measures
# (docs/benchmarks/tep.md).
DETECTORS: dict[str, Callable[[], Detector]] = {
    "default": default_detector,
    "pca": _pca,
    "mspc": _mspc,
    "dpca": _dpca,
    "window-spread": _window_spread,
}


# each detector's margin on its commissioning scores' DEFAULT_QUANTILE: the default's was
# chosen with it; the others keep the 1.2 they ran with before
DETECTOR_MARGINS: dict[str, float] = {"default": DEFAULT_MARGIN}
OTHER_MARGIN = 1.2


def named_margin(name: str) -> float:
    """The margin the detector named `name` (in `DETECTORS`) runs with."""
    return DETECTOR_MARGINS.get(name, OTHER_MARGIN)


def named_detector(name: str) -> Callable[[], Detector]:
    """The factory of a detector by its name in `DETECTORS`; ValueError names the choices."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}: choose one of {', '.join(DETECTORS)}")
    return DETECTORS[name]
