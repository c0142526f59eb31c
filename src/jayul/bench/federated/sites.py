"""A fixed, skewed split of run-to-failure units across sites (non-IID by unit life).

Units are ranked by life (rows to failure) and cut into `groups` equal bands, short to long.
Each band's units are dealt to the sites in shares drawn from a Dirichlet distribution with
concentration `alpha` (small alpha: each band goes mostly to one or two sites), with a
seeded generator; the draw is repeated (same generator) until every site has at least
`min_units`. So one site sees mostly short-lived units, another mostly long-lived ones, and
site sizes differ: the non-IID setting federated learning has to survive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
MAX_DRAWS = 1000


def skewed_split(
    lives: Sequence[int],
    n_sites: int,
    seed: int = 0,
    alpha: float = 0.5,
    groups: int = 4,
    min_units: int = 5,
) -> list[IntArray]:
    """Indices into `lives` for each site (sorted), every unit in exactly one site."""
    if n_sites < 1:
        raise ValueError(f"n_sites must be >= 1, got {n_sites}")
    if len(lives) < n_sites * min_units:
        raise ValueError(f"{len(lives)} units cannot give {n_sites} sites {min_units} units each")
    rng = np.random.default_rng(seed)
    order = np.argsort(np.asarray(lives), kind="stable")
    bands = np.array_split(order, groups)
    for _ in range(MAX_DRAWS):
        sites: list[list[int]] = [[] for _ in range(n_sites)]
        for band in bands:
            shuffled = rng.permutation(band)
            shares = rng.dirichlet(np.full(n_sites, alpha))
            cuts = np.round(np.cumsum(shares)[:-1] * len(shuffled)).astype(int)
            for site, part in enumerate(np.split(shuffled, cuts)):
                sites[site].extend(int(i) for i in part)
        if min(len(s) for s in sites) >= min_units:
            return [np.sort(np.array(s, dtype=np.int64)) for s in sites]
    raise ValueError(f"no split with {min_units} units per site in {MAX_DRAWS} draws; raise alpha")
