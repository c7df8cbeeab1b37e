"""Token buckets on the simulator's virtual clock (throughput per number, pair limit per guest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second of virtual time."""

    rate: float
    capacity: float
    now: Callable[[], float]
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity
        self.stamp = self.now()

    def take(self, n: float = 1.0) -> bool:
        """Consume `n` tokens if available; False (and nothing consumed) when the bucket is short."""
        t = self.now()
        self.tokens = min(self.capacity, self.tokens + (t - self.stamp) * self.rate)
        self.stamp = t
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False
