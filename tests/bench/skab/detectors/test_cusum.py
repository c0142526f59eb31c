"""The finite-memory CUSUM: its suffix maximum against brute force, and what it accumulates."""

from __future__ import annotations

import numpy as np

from jayul.bench.skab.detectors.cusum import CusumDetector, suffix_max


def test_suffix_max_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    u = rng.normal(size=(40, 3))
    for memory in (1, 2, 5, 60):
        got = suffix_max(u, memory)
        for t in range(len(u)):
            for j in range(u.shape[1]):
                sums = [u[s : t + 1, j].sum() for s in range(max(0, t + 1 - memory), t + 1)]
                assert abs(got[t, j] - max(0.0, max(sums))) < 1e-9


def test_a_small_persistent_shift_accumulates_and_is_forgotten_after_memory_rows() -> None:
    rng = np.random.default_rng(4)
    train = rng.normal(size=(400, 4))
    live = rng.normal(size=(300, 4))
    live[100:200, 2] -= 1.0  # one training standard deviation: small for a single row
    d = CusumDetector(window=1, drift=0.5, memory=30).fit(train)
    s = d.score(live)
    assert np.median(s[130:200]) > 2 * np.quantile(s[40:100], 0.95)
    assert np.median(s[240:300]) < np.quantile(s[130:200], 0.1)
    e = d.explain(live)
    assert e.directions[180, 2] == -1 and int(np.argmax(e.shares[180])) == 2


def test_the_gate_drops_the_score_once_the_shift_is_gone() -> None:
    rng = np.random.default_rng(5)
    train = rng.normal(size=(400, 3))
    live = rng.normal(size=(200, 3))
    live[50:120, 0] += 3.0
    plain = CusumDetector(window=1, memory=40).fit(train).score(live)
    gated = CusumDetector(window=1, memory=40, gate=5).fit(train).score(live)
    # ten rows after the end, the plain sum still holds most of the shift; the gated one not
    assert plain[130] > 5 * max(gated[130], 1e-9)
    np.testing.assert_array_less(gated - 1e-12, plain)  # the gate only ever removes evidence
