"""The twin as a Gymnasium environment (needs the `gym` extra: `pip install jayul[gym]`)."""

from jayul.agents.gym.as_policy import EnvAgentPolicy
from jayul.agents.gym.encoding import STATUSES, Layout
from jayul.agents.gym.env import TwinEnv
from jayul.agents.gym.policies import DecidePolicyAgent, EnvAgent

__all__ = ["STATUSES", "DecidePolicyAgent", "EnvAgent", "EnvAgentPolicy", "Layout", "TwinEnv"]
