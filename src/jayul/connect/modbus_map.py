"""A Modbus register map (CSV, as device manuals and PLC tools export them) into a plant draft.

Columns (header names, any order; case and spaces ignored): `machine`, `signal`, `address`
required; `type` (int16, uint16, int32, uint32, float32), `table` (holding, input), `scale`,
`offset`, `byte_order`, `word_order`, `unit`, `low`, `high`, `period_s` optional. Every row is
checked as the plant file's `registers` entry would be; errors name the row and column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pydantic import ValidationError

from jayul.connect.bindings import Register
from jayul.connect.plant_draft import DraftMachine, DraftSignal, draft_yaml

REGISTER_FIELDS = ("type", "table", "scale", "offset", "byte_order", "word_order")


class RegisterMapError(ValueError):
    """A register map that cannot be read; the message names the row and column."""


def read_register_map(path: Path) -> tuple[list[DraftMachine], list[Register]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RegisterMapError(f"{path}: cannot read it: {exc.strerror}") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise RegisterMapError(f"{path}: no rows under a header")
    machines: dict[str, DraftMachine] = {}
    registers = []
    for n, raw in enumerate(rows, start=2):  # row 1 is the header
        row = {k.strip().lower().replace(" ", "_"): (v or "").strip() for k, v in raw.items() if k}
        missing = [c for c in ("machine", "signal", "address") if not row.get(c)]
        if missing:
            raise RegisterMapError(f"{path}: row {n}: no {', '.join(missing)}")
        spec = {k: row[k] for k in REGISTER_FIELDS if row.get(k)}
        try:
            reg = Register(
                machine=row["machine"], signal=row["signal"], address=int(row["address"]), **spec
            )
            low = float(row["low"]) if row.get("low") else None
            high = float(row["high"]) if row.get("high") else None
            period = float(row["period_s"]) if row.get("period_s") else 1.0
        except ValidationError as exc:
            err = exc.errors()[0]
            raise RegisterMapError(
                f"{path}: row {n}: column {err['loc'][0]}: {err['msg']}"
            ) from None
        except ValueError as exc:
            raise RegisterMapError(f"{path}: row {n}: {exc}") from None
        registers.append(reg)
        m = machines.setdefault(reg.machine, DraftMachine(reg.machine, "line1"))
        m.signals.append(
            DraftSignal(
                reg.signal,
                row.get("unit") or None,
                low,
                high,
                period,
                note=f"{reg.table} register {reg.address} {reg.type}",
            )
        )
    return list(machines.values()), registers


def modbus_draft(name: str, host: str, port: int, unit: int, path: Path) -> str:
    machines, registers = read_register_map(path)
    source = [
        "  sources:",
        "    - kind: modbus",
        f"      host: {host}",
        f"      port: {port}",
        f"      unit: {unit}",
        "      registers:",
    ]
    for r in registers:
        source.append(f"        - {json.dumps(r.model_dump(mode='json'))}")
    return draft_yaml(name, machines, source)
