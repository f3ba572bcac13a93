"""A token bucket: what a live-room socket may send, and how fast (incidents/consumers.py)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Holds up to `burst` tokens and gains one every `every` seconds; each message takes
    one. Bursts are forgiven, a steady flood is not."""

    def __init__(
        self, burst: int, every: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.every = every
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.every)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
