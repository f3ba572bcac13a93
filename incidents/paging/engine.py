"""The escalation engine's decisions, as pure functions of the state and `now` (no Django,
no clock): tests move time by passing another `now`. escalate.py applies them to rows.

A policy's steps are numbered 0..n-1 here (people see 1..n). Step k runs when due; the next
step is due `delay_minutes` of step k later; after the last step the policy starts again
(loop + 1) while loops remain, else the escalation has run every step. Due times are
computed from the previous *due* time, not from when a worker got round to it, so a late
worker does not push every later step back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Position:
    """Where an escalation stands: the next step to run, in which loop, and when."""

    step: int
    loop: int
    due_at: datetime


def is_due(position: Position | None, now: datetime) -> bool:
    return position is not None and position.due_at <= now


def after(
    position: Position,
    delays: Sequence[int],
    repeat: int,
    minute: timedelta,
    now: datetime | None = None,
) -> Position | None:
    """The position after running `position`'s step (at `now`): None when nothing is left to
    run. `delays[k]` is step k's delay in minutes before the next step. A step run so late
    that the next one would already be due (a worker or Redis was down) gives the person
    paged now their full delay, instead of paging every missed step at once."""
    if not delays:
        return None
    delay = delays[position.step] * minute
    due_at = position.due_at + delay
    if now is not None and due_at <= now:
        due_at = now + delay
    if position.step + 1 < len(delays):
        return Position(position.step + 1, position.loop, due_at)
    if position.loop < repeat:
        return Position(0, position.loop + 1, due_at)
    return None


def resume(position: Position, step_count: int, repeat: int) -> Position | None:
    """Where an escalation stands when its policy was edited under it: a step past the end
    of a policy that now has fewer steps is the start of the next loop, or nothing when no
    loop is left. Without this the step index ran off the end of the policy, the task failed
    on every try, and the incident was never paged again."""
    if step_count == 0:
        return None
    if position.step < step_count:
        return position
    if position.loop < repeat:
        return Position(0, position.loop + 1, position.due_at)
    return None


def schedule(
    started_at: datetime, delays: Sequence[int], repeat: int, minute: timedelta
) -> list[Position]:
    """Every step the policy would run if nobody acknowledged (for display and tests)."""
    found: list[Position] = []
    position: Position | None = Position(0, 0, started_at)
    while position is not None:
        found.append(position)
        position = after(position, delays, repeat, minute)
    return found


def people_for(
    targets: Iterable[dict],
    now: datetime,
    on_call: Callable[[int, datetime], list[int]],
    team_members: Callable[[int], list[int]],
) -> list[int]:
    """The people a step's targets name at `now`, in order, each once: a person, whoever a
    schedule has on call at `now`, every responder of a team."""
    people: list[int] = []
    for target in targets:
        if "user" in target:
            found = [target["user"]]
        elif "schedule" in target:
            found = on_call(target["schedule"], now)
        elif "team" in target:
            found = team_members(target["team"])
        else:
            found = []
        people.extend(p for p in found if p not in people)
    return people


@dataclass(frozen=True)
class Planned:
    """One message to plan: a person, one of their contact methods, when it goes out."""

    user: int
    method: int | None
    kind: str
    due_at: datetime
    after_minutes: int = 0  # the notification rule's delay this message is for


def messages_for(
    user: int,
    methods: Sequence[tuple[int, str, Sequence[int]]],
    now: datetime,
    minute: timedelta,
) -> list[Planned]:
    """What to send to `user`, paged at `now`: each (method id, kind, rule delays) is used
    at each of its rule delays (GoAlert's notification rules: "email at once, and again
    after 10 minutes" is two messages). Each method stands alone: one without any rule (from
    before every method had one) is used at once, whatever the person's other methods say,
    so adding or changing one method never changes another. An acknowledgement cancels what
    is still waiting."""
    ruled = [
        (pk, kind, delay) for pk, kind, delays in methods for delay in sorted(set(delays) or {0})
    ]
    return [Planned(user, pk, kind, now + delay * minute, delay) for pk, kind, delay in ruled]


def backoff(attempts: int, retry_after: timedelta | None, base: timedelta) -> timedelta:
    """How long to wait before attempt `attempts + 1`: what the receiver asked for
    (Retry-After), or base * 2^(attempts-1), capped at ten minutes."""
    if retry_after is not None:
        return retry_after
    return min(base * 2 ** max(attempts - 1, 0), timedelta(minutes=10))
