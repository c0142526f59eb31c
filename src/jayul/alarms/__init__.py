"""Alarms: one alarm per physical problem, with a lifecycle people act on (ISA-18.2 spirit),
rules declared without code, and their store in the historian's database."""

from jayul.alarms.board import AlarmBoard, alert_severity
from jayul.alarms.model import Alarm, AlarmError, AlarmState, Link, Severity
from jayul.alarms.rules import RuleEngine, RuleFileError, RuleHit, dump_rules, load_rules
from jayul.alarms.store import AlarmStore

__all__ = [
    "Alarm",
    "AlarmBoard",
    "AlarmError",
    "AlarmState",
    "AlarmStore",
    "Link",
    "RuleEngine",
    "RuleFileError",
    "RuleHit",
    "Severity",
    "alert_severity",
    "dump_rules",
    "load_rules",
]
