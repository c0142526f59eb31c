"""A PPO baseline (stable-baselines3, the `rl` extra) trained on the Gymnasium twin without
signals, then run on the policy benchmark's seeds like the other agents.

Three choices make it a fair baseline rather than a random one:
- **one decision a day** (`TwinEnv(decision_ticks=24)`, the twin still ticking hourly): wear
  takes hundreds of hours to matter, and a daily decision with a discount of 0.995 looks about
  200 days ahead, where an hourly one with the usual 0.99 looks 100 hours ahead;
- **"no decision" as the starting default**: the policy's initial logits favour action 0 on
  every machine (`noop_bias`), so an untrained agent behaves like reactive maintenance with
  some exploration (work requested on about 9 % of machine-days at the default bias of 3),
  instead of requesting work on two machines in three at every step as a uniform policy does;
- **full-year episodes from a new plant**, as the evaluation runs, so failures (at about a
  thousand running hours) happen inside the training episodes.

Observations are normalised by running statistics (`VecNormalize`: operating hours reach
thousands, statuses are small integers) and so is the reward (a day's cost swings from 0 to
tens of thousands); the trained agent keeps the observation statistics and applies them when it
acts, so it is an `EnvAgent` like the baselines (and `EnvAgentPolicy` lets the autopilot run it
through the verifier and the gate). Training twin seeds come from the model's seed, never from
the evaluation seeds 0..N-1 except by a 1-in-2**31 chance.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from jayul.agents.gym import TwinEnv
from jayul.agents.gym.policies import Obs
from jayul.plant.model import Plant

DECISION_TICKS = 24  # one decision a day with the environment's 1-hour ticks


class PpoAgent:
    """A trained PPO policy acting deterministically on normalised observations, one
    decision every `decision_ticks` ticks (run it in a `TwinEnv` with the same value)."""

    name = "ppo"

    def __init__(self, model: PPO, norm: VecNormalize, decision_ticks: int) -> None:
        self.model = model
        self.norm = norm
        self.decision_ticks = decision_ticks

    def act(self, obs: Obs) -> npt.NDArray[np.int64]:
        scaled = self.norm.normalize_obs({k: v[None, ...] for k, v in obs.items()})
        action, _ = self.model.predict(scaled, deterministic=True)
        return np.asarray(action[0], dtype=np.int64)


def favour_noop(model: PPO, nvec: npt.NDArray[np.int64], bias: float) -> None:
    """Start the policy at "no decision": add `bias` to the logit of action 0 of each machine
    (the action head's outputs are the machines' logits one after another)."""
    logits_bias: Any = model.policy.action_net.bias  # a Linear layer's (typed loosely)
    with torch.no_grad():
        offset = 0
        for n in nvec.tolist():
            logits_bias[offset] += bias
            offset += n


def train_ppo(
    plant: Plant,
    steps: int,
    episode_days: float = 365.0,
    seed: int = 1_000,
    n_steps: int = 1024,
    decision_ticks: int = DECISION_TICKS,
    noop_bias: float = 3.0,
    gamma: float = 0.995,
) -> tuple[PpoAgent, dict[str, Any]]:
    """PPO trained for `steps` decisions on `episode_days`-long episodes; the agent and the
    training figures (wall and CPU seconds). `n_steps`: decisions per update."""
    torch.set_num_threads(1)  # the machine is shared; the network is small
    env = DummyVecEnv([lambda: TwinEnv(plant, days=episode_days, decision_ticks=decision_ticks)])
    # a Dict space (sb3 types it as the base Space)
    observation_space: Any = env.observation_space
    spaces = observation_space.spaces
    boxes = [k for k, space in spaces.items() if isinstance(space, gym.spaces.Box)]
    # only the continuous parts; the policy one-hot encodes the discrete ones itself
    norm = VecNormalize(
        env, norm_obs=True, norm_reward=True, clip_obs=10.0, norm_obs_keys=boxes, gamma=gamma
    )
    model = PPO(
        "MultiInputPolicy", norm, seed=seed, n_steps=n_steps, batch_size=min(256, n_steps),
        gamma=gamma, device="cpu", verbose=0,
    )  # fmt: skip
    action_space: Any = env.action_space
    favour_noop(model, np.asarray(action_space.nvec), noop_bias)
    start, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=steps)
    norm.training = False  # frozen statistics from here on
    figures = {
        "train_steps": steps,
        "episode_days": episode_days,
        "decision_ticks": decision_ticks,
        "noop_bias": noop_bias,
        "gamma": gamma,
        "n_steps": n_steps,
        "train_wall_s": time.perf_counter() - start,
        "train_cpu_s": time.process_time() - cpu,
    }
    return PpoAgent(model, norm, decision_ticks), figures
