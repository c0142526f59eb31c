"""The validation split keeps engines back from each site and cuts them before failure."""

from __future__ import annotations

import numpy as np

from jayul.bench.federated.validation import hold_back
from jayul.fleet.federated.features import Site


def test_hold_back_keeps_back_a_share_of_each_site_cut_before_failure() -> None:
    rng = np.random.default_rng(0)
    sites = [
        Site(f"site-{s}", [rng.normal(size=(int(n), 3)) for n in rng.integers(100, 300, size=k)])
        for s, k in ((1, 10), (2, 3))
    ]
    kept, cuts, true = hold_back(sites, 0.2, seed=1)
    assert [len(s.histories) for s in kept] == [8, 2]  # 20 % of 10, at least one of 3
    assert len(cuts) == len(true) == 3
    for cut, rul in zip(cuts, true, strict=True):
        life = len(cut) + rul
        assert 0.3 * life - 1 <= len(cut) <= 0.95 * life and rul >= 1
    kept_ids = {id(h) for s in kept for h in s.histories}
    held = [h for s in sites for h in s.histories if id(h) not in kept_ids]
    assert all(any(np.array_equal(c, h[: len(c)]) for h in held) for c in cuts)
    again = hold_back(sites, 0.2, seed=1)
    np.testing.assert_array_equal(again[2], true)
