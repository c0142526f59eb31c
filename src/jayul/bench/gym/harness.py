"""The Gymnasium twin's speed, and jayul's baselines acting through it on the policy
benchmark's seeds.

Speed: decisions per second of wall-clock time and of the process's CPU time (the machine is
shared), one decision being one `step` (one joint action for every machine, one tick of
simulated time), with a no-op agent so that only the environment is timed; without signals
(the figure of the issue) and with them (the monitor scoring every signal at
`signal_period_s`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jayul.agents.gym import DecidePolicyAgent, EnvAgent, TwinEnv
from jayul.decide.baselines import ConditionBased, Preventive, Reactive, parse_intervals
from jayul.decide.named import default_intervals, tuned_settings
from jayul.plant.model import Plant

Progress = Callable[[str], None]


def time_steps(
    plant: Plant, steps: int, *, signals: bool, tick_h: float = 1.0, seed: int = 0
) -> dict[str, Any]:
    """Decisions per second over `steps` steps from a fresh episode (reset not timed)."""
    env = TwinEnv(plant, days=steps * tick_h / 24.0 + 1.0, tick_h=tick_h, signals=signals)
    env.reset(seed=seed)
    noop = np.zeros(len(env.layout.machines), dtype=np.int64)
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(steps):
        env.step(noop)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {
        "signals": signals,
        "tick_h": tick_h,
        "steps": steps,
        "wall_s": wall,
        "decisions_per_s": steps / wall,
        # on a shared machine the process's CPU time says what the code costs
        "cpu_s": cpu,
        "decisions_per_cpu_s": steps / cpu,
    }


def baseline_agents(plant: Plant, condition: bool) -> list[EnvAgent]:
    """Reactive, preventive (the shipped tuned intervals when the plant has them) and, with
    `condition`, condition-based at the tuned threshold."""
    settings = tuned_settings(plant)
    raw = settings.get("preventive", {}).get("intervals")
    intervals = parse_intervals(raw) if raw else default_intervals(plant)
    agents: list[EnvAgent] = [
        DecidePolicyAgent(plant, Reactive()),
        DecidePolicyAgent(plant, Preventive(intervals)),
    ]
    if condition:
        threshold = float(settings.get("condition", {}).get("threshold", 1.0))
        agents.append(DecidePolicyAgent(plant, ConditionBased(threshold)))
    return agents


def run_episode(env: TwinEnv, agent: EnvAgent, seed: int) -> dict[str, Any]:
    """One episode; its return is minus the total cost."""
    obs, _ = env.reset(seed=seed)
    ret, steps, done = 0.0, 0, False
    start = time.perf_counter()
    while not done:
        obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
        ret += float(reward)
        steps += 1
        done = terminated or truncated
    assert env.twin is not None
    kpis = env.twin.kpis()
    return {
        "seed": seed,
        "return": ret,
        "total_cost": kpis.total_cost,
        "failures": kpis.failures,
        "maintenances": kpis.maintenances,
        "steps": steps,
        "wall_s": time.perf_counter() - start,
    }


def run_baselines(
    plant: Plant,
    days: float,
    seeds: int,
    condition: bool = True,
    signal_period_s: float = 600.0,
    progress: Progress | None = None,
    extra: list[EnvAgent] | None = None,
) -> dict[str, Any]:
    """Each baseline (and each `extra` agent, e.g. a trained one) through the environment on
    seeds 0..seeds-1 (the policy benchmark's comparison seeds); the condition-based one needs
    signals, the others run without."""
    out: dict[str, Any] = {}
    for agent in baseline_agents(plant, condition) + list(extra or []):
        signals = agent.name == "condition"
        env = TwinEnv(
            plant,
            days=days,
            signals=signals,
            signal_period_s=signal_period_s,
            # an agent trained on coarser decisions (ppo: daily) acts at its own interval
            decision_ticks=getattr(agent, "decision_ticks", 1),
        )
        runs = []
        for seed in range(seeds):
            runs.append(run_episode(env, agent, seed))
            if progress:
                progress(f"{agent.name} seed {seed}")
        costs = [r["total_cost"] for r in runs]
        out[agent.name] = {
            "signals": signals,
            "total_cost": {"mean": float(np.mean(costs)), "std": float(np.std(costs))},
            "failures": float(np.mean([r["failures"] for r in runs])),
            "maintenances": float(np.mean([r["maintenances"] for r in runs])),
            "runs": runs,
        }
    return out


def run_benchmark(
    plant: Plant,
    steps: int,
    signal_steps: int,
    days: float,
    seeds: int,
    condition: bool = True,
    progress: Progress | None = None,
    ppo_steps: int = 0,
) -> dict[str, Any]:
    if progress:
        progress("timing without signals")
    speed = [time_steps(plant, steps, signals=False)]
    if signal_steps > 0:
        if progress:
            progress("timing with signals")
        speed.append(time_steps(plant, signal_steps, signals=True))
    figures: dict[str, Any] = {"plant": plant.name, "speed": speed}
    extra: list[EnvAgent] = []
    if ppo_steps > 0:
        from jayul.bench.gym.ppo import train_ppo  # the rl extra: torch, stable-baselines3

        if progress:
            progress(f"training PPO for {ppo_steps:,} decisions")
        agent, figures["ppo_training"] = train_ppo(plant, ppo_steps)
        extra.append(agent)
    if days > 0 and seeds > 0:
        figures["days"], figures["seeds"] = days, seeds
        figures["policies"] = run_baselines(
            plant, days, seeds, condition, progress=progress, extra=extra
        )
    return figures
