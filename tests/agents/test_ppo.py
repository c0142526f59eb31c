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


def test_an_untrained_agent_starts_at_no_decision() -> None:
    from stable_baselines3 import PPO

    from jayul.bench.gym.ppo import favour_noop

    plant = load_demo_plant()
    env = TwinEnv(plant, days=2.0, decision_ticks=24)
    model = PPO("MultiInputPolicy", env, seed=0, n_steps=64, batch_size=64, device="cpu")
    favour_noop(model, env.action_space.nvec, 3.0)
    obs, _ = env.reset(seed=0)
    tensor, _ = model.policy.obs_to_tensor(obs)
    dists = model.policy.get_distribution(tensor).distribution  # one per machine
    p_noop = np.array([float(d.probs[0, 0]) for d in dists])
    # logit 3 against two near-zero logits: e^3 / (e^3 + 2) = 0.909 on every machine
    assert np.allclose(p_noop, np.exp(3) / (np.exp(3) + 2), atol=0.03), p_noop
    action, _ = model.predict(obs, deterministic=True)
    assert not np.any(action)  # the untrained agent's choice: no decision anywhere
