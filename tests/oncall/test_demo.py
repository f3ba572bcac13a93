"""seed_demo gives every demo team a schedule, so `make run` shows who is on call."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import time_machine
from django.core.management import call_command

from accounts.models import Team
from incidents.oncall import services
from incidents.oncall.models import Schedule

NOW = datetime(2026, 6, 3, 12, tzinfo=UTC)  # Wed 3 Jun 2026


def test_every_demo_team_gets_a_primary_and_a_follow_the_sun_layer_with_no_gaps(db, settings):
    settings.DEBUG = True
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    assert set(Schedule.objects.values_list("team__slug", flat=True)) == set(
        Team.objects.values_list("slug", flat=True)
    )
    for schedule in services.with_layers(Schedule.objects.all()):
        assert [layer.name for layer in schedule.layers.all()] == [
            "Weekly primary",
            "Follow the sun (nights from the other office)",
        ]
        assert services.on_call(schedule.pk, NOW), f"nobody on call for {schedule}"
        assert services.gaps(schedule, NOW, NOW + timedelta(weeks=4)) == []
    # Platform's primary rotates weekly from Mon 18 May 09:00 BST: ana, ben, demo, so the
    # week of 1 June is demo's. Nights (20:00-08:00 London) go to the follow-the-sun layer,
    # daily from 18 May in reversed order (demo, ben, ana): 3 June is day 16, ben's.
    platform = Schedule.objects.get(team__slug="platform")
    day = services.on_call(platform.pk, datetime(2026, 6, 3, 12, tzinfo=UTC))
    night = services.on_call(platform.pk, datetime(2026, 6, 3, 21, tzinfo=UTC))  # 22:00 BST
    assert [u.email for u in day] == ["demo@keel.local"]
    assert [u.email for u in night] == ["ben@keel.local"]
