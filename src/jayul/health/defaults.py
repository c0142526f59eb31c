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
from jayul.health.pca import PcaDetector
from jayul.health.threshold import QuantileThreshold

# the alarm level: this quantile of the detector's scores on the commissioning rows, times
# the margin (a score rarely seen when the machine was known to be healthy, and then some)
DEFAULT_QUANTILE = 0.999
DEFAULT_MARGIN = 1.2


def default_detector() -> Detector:
    """PCA (T² and Q) on 10-row trailing means of the signals' levels. The twin's machines
    switch between standing and running for hours at a time, so every signal is slowly
    varying; slow_autocorr above 1 keeps all of them as levels (wear shows as a level shift
    off the load axis), rather than as rates of change."""
    return PcaDetector(window=10, slow_autocorr=1.01)


def default_threshold(detector: Detector | None = None) -> QuantileThreshold:
    """The default level rule around `detector` (default: `default_detector()`), unfitted."""
    return QuantileThreshold(
        default_detector() if detector is None else detector, DEFAULT_QUANTILE, DEFAULT_MARGIN
    )


def _mspc() -> Detector:
    from jayul.health.mspc import MspcDetector

    return MspcDetector()


def _dpca() -> Detector:
    from jayul.health.mspc import MspcDetector

    return MspcDetector(lags=2)


def _window_spread() -> Detector:
    from jayul.health.window_spread import WindowSpreadDetector

    return WindowSpreadDetector(window=20)


# The detectors a plant can run instead of the default (`jayul run --detector NAME`): for a
# continuous process, classical MSPC (PCA or dynamic PCA with T² and SPE limits) or the
# moving-window level-and-spread monitor that `jayul bench tep` measures (docs/benchmarks/tep.md).
DETECTORS: dict[str, Callable[[], Detector]] = {
    "default": default_detector,
    "mspc": _mspc,
    "dpca": _dpca,
    "window-spread": _window_spread,
}


def named_detector(name: str) -> Callable[[], Detector]:
    """The factory of a detector by its name in `DETECTORS`; ValueError names the choices."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}: choose one of {', '.join(DETECTORS)}")
    return DETECTORS[name]
