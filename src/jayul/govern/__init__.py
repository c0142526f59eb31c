"""Governance: the model registry, model cards, risk scorecards, robustness probes, drift,
the deployment gate, the retraining policy and the hash-chained audit trail.

See docs/governance.md.
"""

from jayul.govern.assess import assess
from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_chain import AuditRecord, AuditReport, verify_chain
from jayul.govern.audit_file import verify_trail_file
from jayul.govern.audit_key import AuditKeyError, AuditKeyring
from jayul.govern.audit_proof import Checkpoint
from jayul.govern.card import MetricLimit, ModelCard
from jayul.govern.deploy import DeployDecision, deployment_gate
from jayul.govern.drift import DriftMonitor, DriftReport, psi
from jayul.govern.probes import ProbeResult, robustness_rating, run_probes
from jayul.govern.registry import ModelRecord, Registry, fingerprint
from jayul.govern.retrain import RetrainDecision, RetrainingPolicy
from jayul.govern.scorecard import Rating, Scorecard

__all__ = [
    "AuditKeyError",
    "AuditKeyring",
    "AuditLog",
    "AuditRecord",
    "AuditReport",
    "Checkpoint",
    "DeployDecision",
    "DriftMonitor",
    "DriftReport",
    "MetricLimit",
    "ModelCard",
    "ModelRecord",
    "ProbeResult",
    "Rating",
    "Registry",
    "RetrainDecision",
    "RetrainingPolicy",
    "Scorecard",
    "assess",
    "deployment_gate",
    "fingerprint",
    "psi",
    "robustness_rating",
    "run_probes",
    "verify_chain",
    "verify_database",
    "verify_trail_file",
]
