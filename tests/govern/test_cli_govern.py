"""`jayul models ...` and `jayul audit ...` against a real plant database file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest
from typer.testing import CliRunner

from jayul.cli.gate_cmds import console
from jayul.cli.govern_cmds import govern_app
from jayul.gate import AutonomyLevel
from jayul.govern import ModelCard, Registry, assess
from jayul.govern.db import connect
from jayul.records.events import ActionKind

runner = CliRunner()
console.width = 250  # tables wide enough to read in full
X = np.random.default_rng(0).normal(size=(800, 3))


def registry_db(tmp_path: Path) -> Path:
    db = tmp_path / "plant.duckdb"
    con = connect(db)
    reg = Registry(con)
    model = IsolationForest(n_estimators=10, random_state=0).fit(X)
    reg.register(
        "iforest",
        model,
        X,
        {"f1": 0.6},
        "ana",
        1,
        ModelCard(
            intended_use="pump anomaly alerts",
            data="twin, 800 rows",
            limits=["silent on wrong units"],
        ),
    )

    def score(rows: np.ndarray) -> np.ndarray:
        return -model.score_samples(np.nan_to_num(rows))

    sc, _ = assess("iforest", 1, score, X, [ActionKind.START_MAINTENANCE], AutonomyLevel.L3)
    reg.set_scorecard(sc, "ana", 2)
    reg.audit.close()
    con.close()
    return db


def test_models_commands(tmp_path: Path) -> None:
    db = str(registry_db(tmp_path))
    listed = runner.invoke(govern_app, ["models", "list", "--db", db])
    assert listed.exit_code == 0 and "iforest" in listed.output
    card = runner.invoke(govern_app, ["models", "card", "iforest", "--db", db])
    assert card.exit_code == 0 and "pump anomaly alerts" in card.output
    sc = runner.invoke(govern_app, ["models", "scorecard", "iforest", "--db", db])
    assert sc.exit_code == 0 and "robustness" in sc.output
    promoted = runner.invoke(
        govern_app,
        ["models", "promote", "iforest", "1", "--by", "ana", "--approver", "Dana", "--db", db],
    )
    assert promoted.exit_code == 0, promoted.output
    assert "deployed" in runner.invoke(govern_app, ["models", "list", "--db", db]).output
    missing = runner.invoke(govern_app, ["models", "card", "nope", "--db", db])
    assert missing.exit_code == 2 and "no model" in missing.output


def test_audit_verify_export_and_tamper(tmp_path: Path) -> None:
    db = registry_db(tmp_path)
    ok = runner.invoke(govern_app, ["audit", "verify", "--db", str(db)])
    assert ok.exit_code == 0 and "intact" in ok.output
    out = tmp_path / "trail.jsonl"
    assert (
        runner.invoke(govern_app, ["audit", "export", "--out", str(out), "--db", str(db)]).exit_code
        == 0
    )
    keyed = runner.invoke(govern_app, ["audit", "verify", "--file", str(out), "--db", str(db)])
    assert keyed.exit_code == 0, keyed.output
    # without the key only the chain is checked: intact, but not proven (exit 3)
    unkeyed = runner.invoke(
        govern_app, ["audit", "verify", "--file", str(out), "--db", str(tmp_path / "none")]
    )
    assert unkeyed.exit_code == 3 and "MACs not checked" in unkeyed.output
    wrong_head = runner.invoke(  # --db: no key found in whatever the working directory holds
        govern_app,
        ["audit", "verify", "--file", str(out), "--head", "0" * 64, "--db", str(tmp_path / "none")],
    )
    assert wrong_head.exit_code == 1 and "published head" in wrong_head.output
    out.write_text(out.read_text().replace("ana", "eve", 1))
    bad = runner.invoke(
        govern_app, ["audit", "verify", "--file", str(out), "--db", str(tmp_path / "none")]
    )
    assert bad.exit_code == 1 and "BROKEN at seq 0" in bad.output
    con = connect(db)
    con.execute("UPDATE audit_log SET actor = 'eve' WHERE seq = 1")
    con.close()
    broken = runner.invoke(govern_app, ["audit", "verify", "--db", str(db)])
    assert broken.exit_code == 1 and "changed" in broken.output
    refused = runner.invoke(govern_app, ["audit", "export", "--out", str(out), "--db", str(db)])
    assert refused.exit_code == 1
    missing = runner.invoke(govern_app, ["audit", "verify", "--file", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_audit_checkpoint_and_rewrite_detection(tmp_path: Path) -> None:
    from tests.govern.test_audit_key import rewrite_and_rehash

    db = registry_db(tmp_path)
    anchor = tmp_path / "anchor" / "plant.checkpoints"
    done = runner.invoke(govern_app, ["audit", "checkpoint", "--out", str(anchor), "--db", str(db)])
    assert done.exit_code == 0, done.output
    args = ["audit", "verify", "--db", str(db), "--checkpoints", str(anchor)]
    assert runner.invoke(govern_app, args).exit_code == 0
    con = connect(db)
    rewrite_and_rehash(con, 1, "rewritten")
    con.close()
    caught = runner.invoke(govern_app, args)
    assert caught.exit_code == 1 and "forged" in caught.output
    rotated = runner.invoke(govern_app, ["audit", "key", "rotate", "--db", str(db)])
    assert rotated.exit_code == 0 and "2 key(s)" in rotated.output
    bad = tmp_path / "bad.checkpoints"
    bad.write_text("{not json\n")
    worse = runner.invoke(
        govern_app, ["audit", "verify", "--db", str(db), "--checkpoints", str(bad)]
    )
    assert worse.exit_code == 2 and "line 1" in worse.output
