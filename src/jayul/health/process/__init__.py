"""Process and quality models for continuous processes: fault diagnosis and soft sensors.

Detection itself uses the `Detector` interface (`jayul.health.mspc`, `jayul.health.window_spread`);
these models answer the next questions: which known fault is it, and what will the product's
quality be before the analyser says so.
"""

from jayul.health.process.diagnosis import FaultClassifier, window_features
from jayul.health.process.soft_sensor import SoftSensor, analyser_pairs

__all__ = ["FaultClassifier", "SoftSensor", "analyser_pairs", "window_features"]
