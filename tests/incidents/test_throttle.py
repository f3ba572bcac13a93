"""The live room's limits refuse floods and never a page that behaves (incidents/throttle.py,
with a clock the test moves)."""

from __future__ import annotations

from incidents.consumers import FRAME_LIMIT, PING_LIMIT
from incidents.throttle import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_page_pinging_every_25_seconds_for_a_day_is_never_refused():
    clock = Clock()
    pings, frames = TokenBucket(*PING_LIMIT, clock=clock), TokenBucket(*FRAME_LIMIT, clock=clock)
    for _ in range(24 * 3600 // 25):
        clock.now += 25
        assert pings.take() and frames.take()


def test_a_burst_is_forgiven_and_a_flood_is_not():
    clock = Clock()
    bucket = TokenBucket(3, 10.0, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 10
    assert [bucket.take() for _ in range(2)] == [True, False]
    clock.now += 1000  # a long quiet spell refills only up to the burst
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
