"""The engine's decisions with a movable clock: what is due at `now`, and what comes next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidents.paging import engine

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_step_two_is_due_its_delay_after_step_one_and_not_before():
    first = engine.Position(0, 0, T0)
    second = engine.after(first, [5, 10], repeat=0, minute=MINUTE)
    assert second == engine.Position(1, 0, T0 + 5 * MINUTE)
    assert not engine.is_due(second, T0 + 4 * MINUTE + timedelta(seconds=59))
    assert engine.is_due(second, T0 + 5 * MINUTE)


def test_a_policy_repeats_its_steps_then_stops():
    runs = engine.schedule(T0, [5, 10], repeat=1, minute=MINUTE)
    assert [(p.step, p.loop, p.due_at - T0) for p in runs] == [
        (0, 0, timedelta(0)),
        (1, 0, 5 * MINUTE),
        (0, 1, 15 * MINUTE),
        (1, 1, 20 * MINUTE),
    ]
    assert engine.after(runs[-1], [5, 10], repeat=1, minute=MINUTE) is None


def test_a_late_worker_does_not_push_later_steps_back():
    # Step 1 ran three minutes late: step 2 is still due five minutes after step 1 was due.
    late = engine.Position(0, 0, T0)
    assert engine.after(late, [5, 5], 0, MINUTE).due_at == T0 + 5 * MINUTE


def test_targets_name_each_person_once_in_order():
    def on_call(schedule, at):
        return {7: [2] if at < T0 + MINUTE else [3]}[schedule]

    targets = [{"user": 1}, {"schedule": 7}, {"team": 9}, {"user": 2}]
    assert engine.people_for(targets, T0, on_call, lambda team: [4, 1]) == [1, 2, 4]
    assert engine.people_for(targets, T0 + MINUTE, on_call, lambda team: []) == [1, 3, 2]


def test_rules_say_which_method_goes_out_when():
    methods = [(10, "email", [0]), (11, "webhook", [5])]
    planned = engine.messages_for(1, methods, T0, MINUTE)
    assert [(p.method, p.due_at - T0) for p in planned] == [(10, timedelta(0)), (11, 5 * MINUTE)]


def test_a_method_without_rules_is_used_at_once_whatever_the_others_say():
    """Adding a webhook with a rule does not silence an older email method without one."""
    methods = [(10, "email", []), (11, "webhook", [5])]
    planned = engine.messages_for(1, methods, T0, MINUTE)
    assert [(p.method, p.due_at - T0) for p in planned] == [(10, timedelta(0)), (11, 5 * MINUTE)]


def test_a_method_with_several_rules_is_used_at_each_of_them():
    planned = engine.messages_for(1, [(10, "email", [10, 0, 10])], T0, MINUTE)
    assert [(p.method, p.due_at - T0, p.after_minutes) for p in planned] == [
        (10, timedelta(0), 0),
        (10, 10 * MINUTE, 10),
    ]


def test_a_step_past_the_end_of_an_edited_policy_starts_the_next_loop_or_ends():
    late = engine.Position(3, 0, T0)
    assert engine.resume(late, 2, repeat=1) == engine.Position(0, 1, T0)
    assert engine.resume(late, 2, repeat=0) is None
    assert engine.resume(engine.Position(1, 0, T0), 2, repeat=0) == engine.Position(1, 0, T0)
    assert engine.resume(engine.Position(0, 0, T0), 0, repeat=3) is None  # no steps left


def test_a_person_without_rules_is_reached_on_every_method_at_once():
    planned = engine.messages_for(1, [(10, "email", []), (11, "webhook", [])], T0, MINUTE)
    assert [(p.method, p.due_at) for p in planned] == [(10, T0), (11, T0)]


def test_retries_back_off_and_honour_retry_after():
    base = timedelta(seconds=10)
    assert [engine.backoff(n, None, base).seconds for n in (1, 2, 3)] == [10, 20, 40]
    assert engine.backoff(1, timedelta(seconds=90), base) == timedelta(seconds=90)
    assert engine.backoff(30, None, base) == timedelta(minutes=10)


def test_a_step_run_after_an_outage_gives_the_next_step_its_full_delay():
    # Step 1 ran 12 minutes late (Redis was down): step 2 is not paged at once as well.
    late = T0 + 12 * MINUTE
    following = engine.after(engine.Position(0, 0, T0), [5, 5], 0, MINUTE, now=late)
    assert following.due_at == late + 5 * MINUTE
    # A little late (the next step not yet due): the schedule holds.
    slightly = engine.after(engine.Position(0, 0, T0), [5, 5], 0, MINUTE, now=T0 + MINUTE)
    assert slightly.due_at == T0 + 5 * MINUTE
