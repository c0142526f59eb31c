"""Job-shop instances (JSPLIB files and random ones) and what needs no solver: the lower bound,
Giffler-Thompson dispatch schedules, the makespan of a schedule and its feasibility check."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JobShopInstance:
    """A job shop: `jobs[j]` is the routing of job j as (machine, duration) pairs in order."""

    name: str
    n_machines: int
    jobs: tuple[tuple[tuple[int, int], ...], ...]


def read_jsplib(path: Path, name: str | None = None) -> JobShopInstance:
    """Read a JSPLIB file: `#` comments, `n m`, then per job (machine, duration) pairs.

    Raises ValueError naming the file and the problem when it is malformed.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc
    rows = [
        ln.split() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not rows:
        raise ValueError(f"{path}: no data lines (expected 'n m' then one line per job)")
    try:
        header = [int(x) for x in rows[0]]
        n_jobs, n_machines = header[0], header[1]
        jobs = []
        for j in range(n_jobs):
            values = [int(x) for x in rows[1 + j]]
            if len(values) != 2 * n_machines:
                raise ValueError(f"job {j} has {len(values)} numbers, expected {2 * n_machines}")
            pairs = tuple((values[2 * k], values[2 * k + 1]) for k in range(n_machines))
            if any(not 0 <= m < n_machines or d < 0 for m, d in pairs):
                raise ValueError(f"job {j} has a machine out of range or a negative duration")
            jobs.append(pairs)
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{path}: malformed JSPLIB instance: {exc}") from exc
    return JobShopInstance(name or path.name, n_machines, tuple(jobs))


def random_jobshop(n_jobs: int, n_machines: int, seed: int) -> JobShopInstance:
    """A random job shop for tests and trials: every job visits every machine once, in a
    random order, each operation lasting 1-20 (uniform), reproducible for a seed."""
    rng = random.Random(seed)
    jobs = []
    for _ in range(n_jobs):
        order = list(range(n_machines))
        rng.shuffle(order)
        jobs.append(tuple((m, rng.randint(1, 20)) for m in order))
    return JobShopInstance(f"random-{n_jobs}x{n_machines}-{seed}", n_machines, tuple(jobs))


def lower_bound(instance: JobShopInstance) -> int:
    """Max of the longest job and the most loaded machine: no schedule can be shorter."""
    load = [0] * instance.n_machines
    for job in instance.jobs:
        for m, d in job:
            load[m] += d
    return max(max(load), max(sum(d for _, d in job) for job in instance.jobs))


def dispatch_schedule(
    instance: JobShopInstance, rule: str = "mwkr", rng: random.Random | None = None
) -> list[list[int]]:
    """A Giffler-Thompson active schedule: each step, among operations that could start before
    the earliest possible completion, pick by `rule` ("mwkr" most work remaining, "spt" shortest
    processing time, "random"); ties and "random" use `rng`. Returns starts[j][k]."""
    jobs = instance.jobs
    next_op = [0] * len(jobs)
    job_ready = [0] * len(jobs)
    machine_ready = [0] * instance.n_machines
    remaining = [sum(d for _, d in job) for job in jobs]
    starts = [[0] * len(job) for job in jobs]
    rng = rng or random.Random(0)
    for _ in range(sum(len(job) for job in jobs)):
        cands = [j for j in range(len(jobs)) if next_op[j] < len(jobs[j])]
        est = {j: max(job_ready[j], machine_ready[jobs[j][next_op[j]][0]]) for j in cands}
        ect = {j: est[j] + jobs[j][next_op[j]][1] for j in cands}
        j_star = min(cands, key=lambda j: ect[j])
        m_star = jobs[j_star][next_op[j_star]][0]
        conflict = [j for j in cands if jobs[j][next_op[j]][0] == m_star and est[j] < ect[j_star]]
        if rule == "mwkr":
            chosen = max(conflict, key=lambda j: (remaining[j], rng.random()))
        elif rule == "spt":
            chosen = min(conflict, key=lambda j: (jobs[j][next_op[j]][1], rng.random()))
        else:
            chosen = rng.choice(conflict)
        m, d = jobs[chosen][next_op[chosen]]
        start = est[chosen]
        starts[chosen][next_op[chosen]] = start
        job_ready[chosen] = machine_ready[m] = start + d
        remaining[chosen] -= d
        next_op[chosen] += 1
    return starts


def makespan_of(instance: JobShopInstance, starts: list[list[int]]) -> int:
    """The makespan of a schedule given as starts[j][k]."""
    return max(
        s + d
        for job, js in zip(instance.jobs, starts, strict=True)
        for (_, d), s in zip(job, js, strict=True)
    )


def best_dispatch(instance: JobShopInstance, tries: int = 30, seed: int = 0) -> list[list[int]]:
    """The shortest of the MWKR and SPT schedules and `tries` randomised MWKR ones."""
    rng = random.Random(seed)
    candidates = [dispatch_schedule(instance, "mwkr", rng), dispatch_schedule(instance, "spt", rng)]
    candidates += [dispatch_schedule(instance, "mwkr", rng) for _ in range(tries)]
    candidates += [dispatch_schedule(instance, "random", rng) for _ in range(tries)]
    return min(candidates, key=lambda s: makespan_of(instance, s))


def check_jobshop(instance: JobShopInstance, starts: tuple[tuple[int, ...], ...]) -> list[str]:
    """Violations of precedence or machine capacity in a schedule (empty when feasible)."""
    problems: list[str] = []
    by_machine: dict[int, list[tuple[int, int, str]]] = {}
    for j, (job, js) in enumerate(zip(instance.jobs, starts, strict=True)):
        for k, ((m, d), s) in enumerate(zip(job, js, strict=True)):
            if s < 0:
                problems.append(f"job {j} op {k} starts before 0")
            if k and s < js[k - 1] + job[k - 1][1]:
                problems.append(f"job {j} op {k} starts before op {k - 1} ends")
            by_machine.setdefault(m, []).append((s, s + d, f"{j}/{k}"))
    for m, spans in by_machine.items():
        spans.sort()
        for (s1, e1, a), (s2, _, b) in itertools.pairwise(spans):
            if s2 < e1:
                problems.append(f"machine {m}: {a} [{s1},{e1}) overlaps {b} from {s2}")
    return problems
