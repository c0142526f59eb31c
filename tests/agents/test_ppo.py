"""A short PPO run on the Gymnasium twin (the `rl` extra): it trains, acts inside the action
space on normalised observations, and runs under the autopilot like any policy."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from jayul.agents.gym import EnvAgentPolicy, TwinEnv
from jayul.autopilot import Autopilot
from jayul.bench.gym.ppo import train_ppo
from jayul.plant import load_demo_plant
from jayul.twin import Twin


def test_ppo_trains_and_acts_through_the_autopilot() -> None:
    plant = load_demo_plant()
    agent, figures = train_ppo(plant, steps=256, episode_days=2.0, seed=3, n_steps=128)
    assert figures["train_steps"] == 256
    env = TwinEnv(plant, days=1.0)
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        action = agent.act(obs)
        assert env.action_space.contains(action.astype(np.int64))
        obs, reward, *_ = env.step(action)
        assert np.isfinite(float(reward))
    twin = Twin(plant, seed=0, signals=False, record_events=False)
    kpis = Autopilot(twin, EnvAgentPolicy(plant, agent, lambda: len(twin.ready))).run(24)
    assert np.isfinite(kpis.total_cost)
