"""Health: anomaly detectors, thresholds and their explanations (RUL models in `jayul.health.rul`).

Every detector follows `Detector` (fit on normal data, score one row at a time, higher = worse);
a `Threshold` turns scores into alarms. Names load on first use (PEP 562), so importing one
detector does not load scikit-learn for all the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.health.cusum import CusumDetector
    from jayul.health.detector import Detector, Explanation, StreamScorer
    from jayul.health.ecdf import EcdfDetector
    from jayul.health.ensemble import EnsembleDetector
    from jayul.health.feature_detector import FeatureDetector
    from jayul.health.forecast import ForecastDetector
    from jayul.health.iforest import IsolationForestDetector
    from jayul.health.mahalanobis import MahalanobisDetector
    from jayul.health.mset import KernelSimilarityDetector
    from jayul.health.pca import PcaDetector
    from jayul.health.threshold import Hysteresis, PotThreshold, QuantileThreshold, Threshold
    from jayul.health.zscore import ZScoreDetector

_WHERE = {
    "CusumDetector": "jayul.health.cusum",
    "Detector": "jayul.health.detector",
    "EcdfDetector": "jayul.health.ecdf",
    "EnsembleDetector": "jayul.health.ensemble",
    "Explanation": "jayul.health.detector",
    "FeatureDetector": "jayul.health.feature_detector",
    "ForecastDetector": "jayul.health.forecast",
    "Hysteresis": "jayul.health.threshold",
    "IsolationForestDetector": "jayul.health.iforest",
    "KernelSimilarityDetector": "jayul.health.mset",
    "MahalanobisDetector": "jayul.health.mahalanobis",
    "PcaDetector": "jayul.health.pca",
    "PotThreshold": "jayul.health.threshold",
    "QuantileThreshold": "jayul.health.threshold",
    "StreamScorer": "jayul.health.detector",
    "Threshold": "jayul.health.threshold",
    "ZScoreDetector": "jayul.health.zscore",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'jayul.health' has no attribute {name!r}")


__all__ = [
    "CusumDetector",
    "Detector",
    "EcdfDetector",
    "EnsembleDetector",
    "Explanation",
    "FeatureDetector",
    "ForecastDetector",
    "Hysteresis",
    "IsolationForestDetector",
    "KernelSimilarityDetector",
    "MahalanobisDetector",
    "PcaDetector",
    "PotThreshold",
    "QuantileThreshold",
    "StreamScorer",
    "Threshold",
    "ZScoreDetector",
]
