"""Memo: one remembered result per key, for the build cache (build_cache.py); no state here.

A rebuild in `serve` asks again for what the last build computed per entry (its page's
plan, its search record, its lessons...). A Memo keeps, for each key (a kind and an
entry's source, say), the inputs of the last call and what they gave: a call with equal
inputs gets that result back, any other call computes afresh and replaces it. So it
holds one version per key, never the history of an edited entry, and `sweep` drops the
keys a build did not ask for (a deleted entry). Equality decides a hit; identity is
only its fast path, so a result never depends on which object came back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Memo:
    """Results by key, each with the inputs it was computed from."""

    def __init__(self) -> None:
        self._held: dict[Hashable, tuple[object, object]] = {}
        self._asked: set[Hashable] = set()
        self.computed = 0
        """Calls that computed afresh since the last sweep (for tests and benchmarks)."""

    def get(self, key: Hashable, inputs: object, compute: Callable[[], T]) -> T:
        """compute(), or what it gave last time for this key if `inputs` are equal."""
        self._asked.add(key)
        held = self._held.get(key)
        if held is not None and (held[0] is inputs or held[0] == inputs):
            return held[1]  # type: ignore[return-value]  # (not cast(): thousands a save)
        self.computed += 1
        result = compute()
        self._held[key] = (inputs, result)
        return result

    def last(self, key: Hashable) -> object | None:
        """What `key` gave last time, whatever its inputs were (None: nothing held); for a
        result made of parts that are valid by their own keys (verdicts on pairs of
        wordings, say), to reuse those parts when the inputs changed."""
        held = self._held.get(key)
        return held[1] if held is not None else None

    def sweep(self) -> None:
        """Forget every key not asked for since the last sweep (call after a build)."""
        if len(self._asked) != len(self._held):
            self._held = {k: v for k, v in self._held.items() if k in self._asked}
        self._asked = set()
        self.computed = 0

    def held(self) -> dict[Hashable, tuple[object, object]]:
        """Every key with its (inputs, result): to keep on disk (build_cache.py)."""
        return self._held

    def hold(self, held: dict[Hashable, tuple[object, object]]) -> None:
        """Take these (from `held`) as results of an earlier call."""
        self._held.update(held)

    def clear(self) -> None:
        self._held.clear()
        self._asked.clear()

    def __len__(self) -> int:
        return len(self._held)

    def kinds(self) -> Counter[Hashable]:
        """How many results are held per kind (the first item of tuple keys)."""
        return Counter(k[0] if isinstance(k, tuple) and k else k for k in self._held)

