"""Idempotent proposals: the answer given to a proposal, kept under the key its sender chose.

A client that sends the same proposal twice (a retry after a lost answer, a replayed request, an
agent that repeats itself) with the same `idempotency_key` gets the first answer back, marked
`"replay": true`, and the plant proposes once. Keys belong to the account that sent them, so one
account can neither replay nor block another's; the same key with a different proposal is
refused rather than answered with the first proposal's outcome. The answers live in memory,
the newest `capacity` of them (a restart forgets them, as it ends every session).

A proposal is verified with the server's lock let go, so the same key can come again while its
first proposal is still being answered: that second request is refused (`KeyInFlightError`)
rather than proposed twice, and a retry after the first answer gets the replay.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any


def proposal_digest(proposal: dict[str, Any]) -> str:
    """What a key stands for: the proposal's content, independent of key order."""
    return hashlib.sha256(json.dumps(proposal, sort_keys=True).encode()).hexdigest()


class KeyReusedError(ValueError):
    """The key was used before for a different proposal."""


class KeyInFlightError(ValueError):
    """The key's first proposal is still being answered."""


class ProposalReplays:
    """(account, key) -> (the proposal's digest, the answer); the oldest forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str], tuple[str, dict[str, Any]]] = OrderedDict()
        self._in_flight: dict[tuple[str, str], str] = {}  # (account, key) -> digest

    def begin(self, user: str, key: str, digest: str) -> None:
        """The key's first proposal is being answered from now until `settle`."""
        self._in_flight[(user, key)] = digest

    def settle(self, user: str, key: str) -> None:
        """The key's proposal is answered (`remember`) or failed: no longer in flight."""
        self._in_flight.pop((user, key), None)

    def answered(self, user: str, key: str, digest: str) -> dict[str, Any] | None:
        """The first answer to this key, or None for a new key; KeyReusedError when the key was
        sent before with another proposal; KeyInFlightError when the same proposal under this
        key is still being answered."""
        in_flight = self._in_flight.get((user, key))
        seen = self._answers.get((user, key))
        first = in_flight if in_flight is not None else seen[0] if seen is not None else None
        if first is None:
            return None
        if first != digest:
            raise KeyReusedError(
                f"idempotency key {key!r} was used by {user} for another proposal; "
                "use a new key for a new proposal"
            )
        if in_flight is not None or seen is None:
            raise KeyInFlightError(
                f"idempotency key {key!r}: the first proposal under it is still being "
                "verified; send it again in a moment for its answer"
            )
        return seen[1]

    def remember(self, user: str, key: str, digest: str, answer: dict[str, Any]) -> None:
        self._answers[(user, key)] = (digest, answer)
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)
