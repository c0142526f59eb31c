"""Exports over HTTP: streamed CSV and Parquet that read back, for each kind of data."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from jayul.records.timebase import NS_PER_H

from .conftest import Login


def test_exports_stream_and_read_back(client: TestClient, login: Login) -> None:
    h = login(client, "vera")
    now = client.get("/api/plant", headers=h).json()["now_ns"]
    rng = f"start_ns={now - 48 * NS_PER_H}&end_ns={now}"
    r = client.get(f"/api/export/samples?machine=pump1&{rng}", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    samples = pd.read_csv(io.BytesIO(r.content))
    assert len(samples) > 0 and set(samples["machine"]) == {"pump1"}
    r = client.get(f"/api/export/samples?machine=pump1&{rng}&format=parquet", headers=h)
    table = pq.read_table(io.BytesIO(r.content)).to_pandas()
    assert len(table) == len(samples)
    assert table["value"].sum() == samples["value"].sum() or abs(
        table["value"].sum() - samples["value"].sum()
    ) < 1e-6 * abs(samples["value"].sum())
    whole = f"start_ns={now - 2000 * NS_PER_H}&end_ns={now + 1}"
    alerts = pd.read_csv(io.BytesIO(client.get(f"/api/export/alerts?{whole}", headers=h).content))
    stored = client.get("/api/events?kind=alert&days=90&limit=5000", headers=h).json()
    assert len(alerts) == len(stored) and (alerts["reason"].str.len() > 0).all()
    audit = client.get(f"/api/export/audit?{whole}&format=parquet", headers=h)
    trail = pq.read_table(io.BytesIO(audit.content)).to_pandas()
    assert len(trail) > 0
    follows = trail["seq"].diff().iloc[1:].to_numpy() == 1  # the chain where seqs are adjacent
    prev, last = trail["prev"].iloc[1:].to_numpy(), trail["hash"].iloc[:-1].to_numpy()
    assert follows.any() and (prev[follows] == last[follows]).all()
    assert client.get(f"/api/export/samples?machine=nope&{rng}", headers=h).status_code == 404
    assert client.get(f"/api/export/nothing?{rng}", headers=h).status_code == 422
