"""The model registry: class, parameters, version, training-data fingerprint, metrics, card,
scorecard and deployment status of every model, in the `models` table of the plant database.

Promotion goes through the deployment gate and is audited; the champion of a name is its one
`deployed` version (promoting another retires it). A version may carry its artifact (the
serialised model, `model_artifacts`), so a loop can load what the gate let through by name and
version rather than from a file anyone could swap.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from jayul.govern.audit import AuditLog
from jayul.govern.audit_chain import canonical, jsonable
from jayul.govern.card import ModelCard
from jayul.govern.db import Connection, as_connection
from jayul.govern.deploy import DeployDecision, deployment_gate
from jayul.govern.scorecard import Scorecard

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name VARCHAR NOT NULL, version INTEGER NOT NULL, class_name VARCHAR NOT NULL,
    params VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, metrics VARCHAR NOT NULL,
    card VARCHAR, scorecard VARCHAR, status VARCHAR NOT NULL,
    registered_at BIGINT NOT NULL, registered_by VARCHAR NOT NULL,
    deployed_at BIGINT, deployed_by VARCHAR, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS model_artifacts (
    name VARCHAR NOT NULL, version INTEGER NOT NULL, sha256 VARCHAR NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (name, version));
"""
_COLUMNS = (
    "name, version, class_name, params, fingerprint, metrics, card, scorecard, status, "
    "registered_at, registered_by, deployed_at, deployed_by"
)


def fingerprint(X: Any) -> str:
    """SHA-256 of the training array's dtype, shape and bytes (C order)."""
    arr = np.ascontiguousarray(np.asarray(X))
    h = hashlib.sha256(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def model_params(model: Any) -> dict[str, Any]:
    """Hyperparameters from `get_params()` (scikit-learn style) when the model has it."""
    getter = getattr(model, "get_params", None)
    if not callable(getter):
        return {}
    try:
        params = getter(deep=False)
    except TypeError:
        params = getter()
    result: dict[str, Any] = jsonable(dict(params))
    return result


class ModelRecord(BaseModel):
    """One registered model version."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    class_name: str
    params: dict[str, Any]
    fingerprint: str
    metrics: dict[str, float]
    card: ModelCard | None = None
    scorecard: Scorecard | None = None
    status: str = "registered"  # registered | deployed | retired
    registered_at: int
    registered_by: str
    deployed_at: int | None = None
    deployed_by: str | None = None


class Registry:
    """Registered models of one plant database; every change is audited."""

    def __init__(self, db: str | Path | Connection, audit: AuditLog | None = None) -> None:
        self.con = as_connection(db)
        self.audit = audit or AuditLog(self.con)
        self.con.execute(SCHEMA)

    def register(
        self,
        name: str,
        model: Any,
        X_train: Any,
        metrics: dict[str, float],
        by: str,
        now: int,
        card: ModelCard | None = None,
        artifact: bytes | None = None,
    ) -> ModelRecord:
        """Add a new version of `name` (versions count from 1), with its serialised model
        when `artifact` is given (`artifact()` returns it)."""
        rows = self.con.execute("SELECT max(version) FROM models WHERE name = ?", [name])
        last = rows.fetchall()[0][0]
        rec = ModelRecord(
            name=name,
            version=int(last or 0) + 1,
            class_name=f"{type(model).__module__}.{type(model).__qualname__}",
            params=model_params(model),
            fingerprint=fingerprint(X_train),
            metrics={k: float(v) for k, v in metrics.items()},
            card=card,
            registered_at=now,
            registered_by=by,
        )
        self._store(rec)
        details: dict[str, Any] = {
            "fingerprint": rec.fingerprint,
            "params": rec.params,
            "metrics": rec.metrics,
        }
        if artifact is not None:
            details["artifact_sha256"] = hashlib.sha256(artifact).hexdigest()
            self.con.execute(
                "INSERT INTO model_artifacts (name, version, sha256, data) VALUES (?, ?, ?, ?)",
                [name, rec.version, details["artifact_sha256"], artifact],
            )
        self.audit.append(
            now, by, "model_registered", f"{name}@{rec.version}", f"registered {rec.class_name}",
            details,
        )  # fmt: skip
        return rec

    def artifact(self, name: str, version: int) -> bytes:
        """The serialised model registered with `name` version `version`; KeyError when it
        was registered without one, ValueError when its bytes no longer match their hash."""
        rows = self.con.execute(
            "SELECT sha256, data FROM model_artifacts WHERE name = ? AND version = ?",
            [name, version],
        ).fetchall()
        if not rows:
            raise KeyError(f"{name} version {version} was registered without its model")
        sha, data = rows[0][0], bytes(rows[0][1])
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"{name} version {version}: stored model does not match its hash")
        return data

    def get(self, name: str, version: int | None = None) -> ModelRecord:
        """A version of `name` (the latest when `version` is None); KeyError if unknown."""
        sql = f"SELECT {_COLUMNS} FROM models WHERE name = ?"
        params: list[Any] = [name]
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        rows = self.con.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchall()
        if not rows:
            what = name if version is None else f"{name} version {version}"
            raise KeyError(f"no model {what} in the registry")
        return _from_row(rows[0])

    def models(self) -> list[ModelRecord]:
        rows = self.con.execute(f"SELECT {_COLUMNS} FROM models ORDER BY name, version")
        return [_from_row(r) for r in rows.fetchall()]

    def champion(self, name: str) -> ModelRecord | None:
        found = [m for m in self.models() if m.name == name and m.status == "deployed"]
        return found[0] if found else None

    def set_card(self, name: str, version: int, card: ModelCard, by: str, now: int) -> None:
        self._store(self.get(name, version).model_copy(update={"card": card}))
        self.audit.append(
            now, by, "model_card", f"{name}@{version}", "card updated", card.model_dump()
        )

    def set_scorecard(self, scorecard: Scorecard, by: str, now: int) -> None:
        rec = self.get(scorecard.model, scorecard.version)
        self._store(rec.model_copy(update={"scorecard": scorecard}))
        self.audit.append(
            now,
            by,
            "model_scorecard",
            f"{rec.name}@{rec.version}",
            f"overall {scorecard.overall.value}, cap {scorecard.max_autonomy.name}",
            scorecard.model_dump(),
        )

    def promote(
        self, name: str, version: int, by: str, now: int, approver: str | None = None
    ) -> DeployDecision:
        """Deploy a version if the deployment gate allows it; retire the old champion."""
        rec = self.get(name, version)
        decision = deployment_gate(rec.scorecard, approver, rec.card, rec.metrics)
        subject = f"{name}@{version}"
        if not decision.allowed:
            self.audit.append(now, by, "deployment_refused", subject, decision.reason)
            return decision
        old = self.champion(name)
        if old is not None and old.version != version:
            self._store(old.model_copy(update={"status": "retired"}))
        self._store(
            rec.model_copy(
                update={"status": "deployed", "deployed_at": now, "deployed_by": approver or by}
            )
        )
        self.audit.append(
            now,
            by,
            "deployment",
            subject,
            decision.reason,
            {
                "approver": approver,
                "replaces": old.version if old else None,
                "fingerprint": rec.fingerprint,
            },
        )
        return decision

    def _store(self, r: ModelRecord) -> None:
        self.con.execute(
            f"INSERT OR REPLACE INTO models ({_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.name,
                r.version,
                r.class_name,
                canonical(r.params),
                r.fingerprint,
                canonical(r.metrics),
                r.card.model_dump_json() if r.card else None,
                r.scorecard.model_dump_json() if r.scorecard else None,
                r.status,
                r.registered_at,
                r.registered_by,
                r.deployed_at,
                r.deployed_by,
            ],
        )


def _from_row(r: tuple[Any, ...]) -> ModelRecord:
    return ModelRecord(
        name=r[0],
        version=r[1],
        class_name=r[2],
        params=json.loads(r[3]),
        fingerprint=r[4],
        metrics=json.loads(r[5]),
        card=ModelCard.model_validate_json(r[6]) if r[6] else None,
        scorecard=Scorecard.model_validate_json(r[7]) if r[7] else None,
        status=r[8],
        registered_at=r[9],
        registered_by=r[10],
        deployed_at=r[11],
        deployed_by=r[12],
    )
