"""Health: anomaly detectors, thresholds and their explanations (RUL models in `jayul.health.rul`).

Every detector follows `Detector` (fit on normal data, score one row at a time, higher = worse);
a `Threshold` turns scores into alarms. Names load on first use (PEP 562), so importing one
detector does not load scikit-learn for all the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.health.detector import Detector, Explanation, StreamScorer
    from jayul.health.feature_detector import FeatureDetector
    from jayul.health.mspc import MspcDetector
    from jayul.health.pca import PcaDetector
    from jayul.health.threshold import Hysteresis, PotThreshold, QuantileThreshold, Threshold
    from jayul.health.window_spread import WindowSpreadDetector

_WHERE = {
    "Detector": "jayul.health.detector",
    "Explanation": "jayul.health.detector",
    "FeatureDetector": "jayul.health.feature_detector",
    "Hysteresis": "jayul.health.threshold",
    "MspcDetector": "jayul.health.mspc",
    "PcaDetector": "jayul.health.pca",
    "PotThreshold": "jayul.health.threshold",
    "QuantileThreshold": "jayul.health.threshold",
    "StreamScorer": "jayul.health.detector",
    "Threshold": "jayul.health.threshold",
    "WindowSpreadDetector": "jayul.health.window_spread",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'jayul.health' has no attribute {name!r}")


__all__ = [
    "Detector",
    "Explanation",
    "FeatureDetector",
    "Hysteresis",
    "MspcDetector",
    "PcaDetector",
    "PotThreshold",
    "QuantileThreshold",
    "StreamScorer",
    "Threshold",
    "WindowSpreadDetector",
]
