"""A PPO baseline (stable-baselines3, the `rl` extra) trained on the Gymnasium twin without
signals, then run on the policy benchmark's seeds like the other agents.

The observation is normalised by running statistics (`VecNormalize`: operating hours reach
thousands, statuses are small integers), which the trained agent keeps and applies when it
acts, so it is an `EnvAgent` like the baselines (and `EnvAgentPolicy` lets the autopilot run
it through the verifier and the gate). Training episodes draw their twin seeds from the
model's seed, never from the evaluation seeds 0..N-1 except by a 1-in-2**31 chance.
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


class PpoAgent:
    """A trained PPO policy acting deterministically on normalised observations."""

    name = "ppo"

    def __init__(self, model: PPO, norm: VecNormalize) -> None:
        self.model = model
        self.norm = norm

    def act(self, obs: Obs) -> npt.NDArray[np.int64]:
        scaled = self.norm.normalize_obs({k: v[None, ...] for k, v in obs.items()})
        action, _ = self.model.predict(scaled, deterministic=True)
        return np.asarray(action[0], dtype=np.int64)


def train_ppo(
    plant: Plant,
    steps: int,
    episode_days: float = 30.0,
    seed: int = 1_000,
    n_steps: int = 1024,
) -> tuple[PpoAgent, dict[str, Any]]:
    """PPO trained for `steps` decisions on `episode_days`-long episodes; the agent and the
    training figures (wall and CPU seconds). `n_steps`: decisions per update."""
    torch.set_num_threads(1)  # the machine is shared; the network is small
    env = DummyVecEnv([lambda: TwinEnv(plant, days=episode_days)])
    # a Dict space (sb3 types it as the base Space)
    observation_space: Any = env.observation_space
    spaces = observation_space.spaces
    boxes = [k for k, space in spaces.items() if isinstance(space, gym.spaces.Box)]
    # only the continuous parts; the policy one-hot encodes the discrete ones itself
    norm = VecNormalize(env, norm_obs=True, norm_reward=True, clip_obs=10.0, norm_obs_keys=boxes)
    batch = min(256, n_steps)
    model = PPO(
        "MultiInputPolicy", norm, seed=seed, n_steps=n_steps, batch_size=batch, device="cpu",
        verbose=0,
    )  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=steps)
    norm.training = False  # frozen statistics from here on
    figures = {
        "train_steps": steps,
        "episode_days": episode_days,
        "train_wall_s": time.perf_counter() - start,
        "train_cpu_s": time.process_time() - cpu,
    }
    return PpoAgent(model, norm), figures
