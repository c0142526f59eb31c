"""The twin as a Gymnasium environment: Gymnasium's checker, seeding, forks, bad actions,
the reward, and jayul's policies acting through it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env

from jayul.agents.gym import STATUSES, DecidePolicyAgent, EnvAgentPolicy, TwinEnv
from jayul.autopilot import Autopilot
from jayul.decide.baselines import Preventive, Reactive
from jayul.plant import load_demo_plant
from jayul.plant.model import Plant
from jayul.twin import Status, Twin


@pytest.fixture(scope="module")
def plant() -> Plant:
    return load_demo_plant()


def _run(env: TwinEnv, actions: list[np.ndarray]) -> tuple[list[float], dict[str, np.ndarray]]:
    rewards = []
    obs: dict[str, np.ndarray] = {}
    for a in actions:
        obs, r, _, _, _ = env.step(a)
        rewards.append(float(r))
    return rewards, obs


def _random_actions(env: TwinEnv, n: int, seed: int) -> list[np.ndarray]:
    # mostly "no decision", a maintenance request now and then
    rng = np.random.default_rng(seed)
    nvec = env.action_space.nvec
    return [
        np.where(rng.random(len(nvec)) < 0.02, rng.integers(1, nvec), 0).astype(np.int64)
        for _ in range(n)
    ]


def test_passes_gymnasiums_checker(plant: Plant) -> None:
    check_env(TwinEnv(plant, days=2), skip_render_check=True)
    check_env(TwinEnv(plant, days=1, signals=True), skip_render_check=True)


def test_same_seed_same_episode(plant: Plant) -> None:
    a, b, c = TwinEnv(plant), TwinEnv(plant), TwinEnv(plant)
    a.reset(seed=5)
    b.reset(seed=5)
    c.reset(seed=6)
    actions = _random_actions(a, 300, seed=1)
    ra, oa = _run(a, actions)
    rb, ob = _run(b, actions)
    rc, _ = _run(c, actions)
    assert ra == rb and sum(ra) < 0
    for key in oa:
        np.testing.assert_array_equal(oa[key], ob[key])
    assert ra != rc
    assert a.twin is not None and a.twin.ledger.maintenances > 0  # the requests were carried out


def test_fork_is_independent(plant: Plant) -> None:
    env = TwinEnv(plant)
    env.reset(seed=2)
    _run(env, _random_actions(env, 100, seed=3))
    fork = env.fork()
    assert env.twin is not None and fork.twin is not None
    before = env.twin.kpis()
    # the fork runs on (maintaining everything) without touching the original
    _run(fork, [env.action_space.nvec - 1] * 50)
    assert env.twin.kpis() == before and env.twin.now_h == 100
    assert fork.twin.ledger.maintenances > env.twin.ledger.maintenances
    # an unseeded fork has the same future: the same actions give the same rewards
    twin_a, twin_b = env.fork(), env.fork()
    actions = _random_actions(env, 100, seed=4)
    assert _run(twin_a, actions)[0] == _run(twin_b, actions)[0]
    # a seeded fork samples another future
    assert _run(env.fork(seed=9), actions)[0] != _run(env.fork(), actions)[0]


def test_action_outside_the_space_is_refused(plant: Plant) -> None:
    env = TwinEnv(plant)
    env.reset(seed=0)
    n = len(env.layout.machines)
    for bad in ([0] * (n - 1), [99] + [0] * (n - 1), [-1] + [0] * (n - 1), [0.5] * n):
        with pytest.raises(ValueError, match="outside the action space"):
            env.step(np.asarray(bad))
    with pytest.raises(RuntimeError, match="reset"):
        TwinEnv(plant).step(np.zeros(n, dtype=np.int64))


def test_reward_is_minus_the_cost_increment(plant: Plant) -> None:
    env = TwinEnv(plant, days=20)
    env.reset(seed=1)
    assert env.twin is not None
    total = 0.0
    truncated = False
    for action in _random_actions(env, 20 * 24, seed=2):
        before = env.twin.kpis().total_cost
        _, reward, terminated, truncated, info = env.step(action)
        after = env.twin.kpis().total_cost
        assert reward == pytest.approx(before - after)
        assert info["total_cost"] == after
        total += float(reward)
        assert not terminated
    assert truncated  # the episode ends after `days`
    assert total == pytest.approx(-env.twin.kpis().total_cost) and total < 0


def test_a_decision_a_day_is_the_hourly_twin_between_decisions(plant: Plant) -> None:
    daily, hourly = TwinEnv(plant, days=6, decision_ticks=24), TwinEnv(plant, days=6)
    daily.reset(seed=4)
    hourly.reset(seed=4)
    assert daily.twin is not None and hourly.twin is not None
    noop = np.zeros(len(daily.layout.machines), dtype=np.int64)
    for action in _random_actions(daily, 6, seed=5):
        obs, reward, _, truncated, info = daily.step(action)
        hourly_reward = 0.0
        for a in [action] + [noop] * 23:  # the same request, then 23 hours of no decision
            h_obs, r, _, h_truncated, _ = hourly.step(a)
            hourly_reward += float(r)
        assert daily.twin.now_h == hourly.twin.now_h
        assert reward == pytest.approx(hourly_reward)
        assert info["total_cost"] == hourly.twin.total_cost() == hourly.twin.kpis().total_cost
        for key in obs:
            np.testing.assert_array_equal(obs[key], h_obs[key])
        assert truncated == h_truncated
    assert truncated  # 6 days = 6 decisions
    with pytest.raises(ValueError, match="decision_ticks"):
        TwinEnv(plant, decision_ticks=0)


def test_observation_shows_what_the_loop_sees(plant: Plant) -> None:
    env = TwinEnv(plant)
    obs, _ = env.reset(seed=0)
    assert (obs["indicator"] == -1).all()  # no signals: no indicator
    i = env.layout.machines.index("press1")
    obs, *_ = env.step(np.eye(len(env.layout.machines), dtype=np.int64)[i] * 2)  # die_change
    assert env.twin is not None
    m = env.twin.machines["press1"]
    assert STATUSES[obs["status"][i]] is m.status
    if m.status in (Status.WAIT_CREW, Status.MAINTENANCE):
        assert obs["pending"][i, env.layout.actions[i].index("die_change")] == 1
    signalled = TwinEnv(plant, signals=True)
    signalled.reset(seed=0)
    _, obs = _run(signalled, [np.zeros(len(env.layout.machines), dtype=np.int64)] * 120)
    assert (obs["indicator"] >= 0).all()  # the monitor has fitted and scores


def test_baselines_through_the_env_match_the_autopilot(plant: Plant) -> None:
    """Preventive through the env costs what it costs under the autopilot, same seed."""
    pairs = [(t, f.id) for t, mt in plant.machine_types.items() for f in mt.failure_modes]
    intervals = dict.fromkeys(pairs, 150.0)
    for policy in (Reactive(), Preventive(intervals)):
        env = TwinEnv(plant, days=20)
        agent = DecidePolicyAgent(plant, policy)
        obs, _ = env.reset(seed=3)
        done = False
        while not done:
            obs, _, _, done, info = env.step(agent.act(obs))
        twin = Twin(plant, seed=3, signals=False, record_events=False)
        expected = Autopilot(twin, policy).run(20 * 24)
        assert info["total_cost"] == pytest.approx(expected.total_cost)
        assert env.twin is not None and env.twin.ledger.maintenances == expected.maintenances
        assert expected.maintenances > 0 or isinstance(policy, Reactive)


def test_an_env_agent_runs_under_the_autopilot(plant: Plant) -> None:
    """An agent acting on env observations, run by the autopilot as a policy, decides what it
    decides in the env: preventive wrapped twice costs what preventive costs."""
    pairs = [(t, f.id) for t, mt in plant.machine_types.items() for f in mt.failure_modes]
    preventive = Preventive(dict.fromkeys(pairs, 150.0))
    twin = Twin(plant, seed=4, signals=False, record_events=False)
    agent = EnvAgentPolicy(plant, DecidePolicyAgent(plant, preventive), lambda: len(twin.ready))
    wrapped = Autopilot(twin, agent).run(10 * 24)
    direct = Autopilot(Twin(plant, seed=4, signals=False, record_events=False), preventive)
    plain = direct.run(10 * 24)
    assert wrapped == plain and plain.maintenances > 0
