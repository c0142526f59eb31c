"""scripts/bench_reach.py: the src/ lines only a benchmark reaches, and none outside bench/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_reach.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_reach", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_reach"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "jayul" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_counts_what_only_the_benchmarks_reach(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(
        src,
        {
            "__init__.py": "",
            "cli/__init__.py": "",
            "cli/main.py": (
                "from jayul.cli.bench import app\nfrom jayul.autopilot.loop import run\n"
            ),
            "cli/bench.py": "from jayul.bench.jsp.command import go\n",
            "autopilot/__init__.py": "",
            "autopilot/loop.py": "from jayul.decide import Planner\n",
            # a package that re-exports lazily: only the name asked for is followed
            "decide/__init__.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from jayul.decide.planner import Planner\n"
                "    from jayul.decide.jobshop import solve\n"
            ),
            "decide/planner.py": "x = 1\n",
            "decide/jobshop.py": "def solve():\n    from jayul.decide import tabu\n",
            "decide/tabu.py": "a = 1\nb = 2\nc = 3\n",
            "bench/__init__.py": "",
            "bench/jsp/__init__.py": "",
            "bench/jsp/command.py": "from jayul.decide import solve\n",
            "health/__init__.py": "",
            "health/typing_only.py": "from typing import TYPE_CHECKING\n",
        },
    )
    figures = _script().measure(src)
    # decide/jobshop.py (2 lines) and decide/tabu.py (3 lines) are reached only by the benchmark
    assert figures.files_outside_bench == {
        "src/jayul/decide/jobshop.py": 2,
        "src/jayul/decide/tabu.py": 3,
    }
    assert figures.bench_only_outside_bench == 5
    assert figures.per_package["cli (bench commands)"] == 1  # cli/bench.py, not the product


# Product models no product command runs yet, each with the change that will run it. Keep this
# list short: everything else only a benchmark reaches belongs under bench/.
NOT_YET_WIRED: set[str] = set()


def test_no_benchmark_only_code_outside_bench() -> None:
    figures = _script().measure()
    outside = {f: n for f, n in figures.files_outside_bench.items() if f not in NOT_YET_WIRED}
    assert outside == {}, f"code only a benchmark uses belongs under src/jayul/bench/: {outside}"
