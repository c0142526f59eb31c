"""Job-shop core: parsing, dispatch bound, CP-SAT on small JSPLIB instances, the checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.bench.jsp.instance import (
    JobShopInstance,
    best_dispatch,
    check_jobshop,
    dispatch_schedule,
    lower_bound,
    makespan_of,
    read_jsplib,
)
from jayul.bench.jsp.jobshop import solve_jobshop

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "jsplib" / "instances"


def _instance(name: str) -> JobShopInstance:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"JSPLIB data not found at {path}")
    return read_jsplib(path)


def test_reads_ft06() -> None:
    inst = _instance("ft06")
    assert len(inst.jobs) == 6 and inst.n_machines == 6
    assert inst.jobs[0][0] == (2, 1)


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("# comment\n2 2\n0 1 1\n")
    with pytest.raises(ValueError, match="bad"):
        read_jsplib(bad)
    with pytest.raises(ValueError, match="cannot read"):
        read_jsplib(tmp_path / "missing")


def test_dispatch_is_feasible_and_above_the_lower_bound() -> None:
    inst = _instance("la01")
    for rule in ("mwkr", "spt", "random"):
        starts = dispatch_schedule(inst, rule)
        assert check_jobshop(inst, tuple(tuple(r) for r in starts)) == []
        assert makespan_of(inst, starts) >= lower_bound(inst)
    best = best_dispatch(inst, tries=5)
    assert makespan_of(inst, best) <= makespan_of(inst, dispatch_schedule(inst, "mwkr"))


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_known_optimum_on_small_instances(name: str, optimum: int) -> None:
    inst = _instance(name)
    result = solve_jobshop(inst, time_limit_s=10.0, workers=1)
    assert result.makespan == optimum
    assert check_jobshop(inst, result.starts) == []
    assert makespan_of(inst, [list(r) for r in result.starts]) == result.makespan


def test_checker_finds_overlap_and_precedence_violations() -> None:
    inst = JobShopInstance("toy", 2, (((0, 3), (1, 2)), ((0, 2), (1, 4))))
    assert check_jobshop(inst, ((0, 3), (3, 5))) == []
    assert any("overlaps" in p for p in check_jobshop(inst, ((0, 3), (1, 5))))
    assert any("before op 0 ends" in p for p in check_jobshop(inst, ((0, 2), (3, 6))))
