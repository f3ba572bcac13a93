"""The comparison: who the source says is on call against Keel's shifts, instant by instant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.importing import engine
from incidents.importing.compare import compare
from incidents.oncall import services as oncall
from incidents.oncall.models import Schedule
from tests.helpers import make_user

from .core_documents import NOW, document

pytestmark = pytest.mark.django_db
END = NOW + timedelta(weeks=4)


@pytest.fixture
def applied():
    make_user("ana@example.com"), make_user("ben@example.com")
    engine.apply(document(), now=NOW)
    return Schedule.objects.get(name="Primary")


def keel_rendering(applied: Schedule, **entry) -> dict:
    """The schedule's shifts as a source would render them (ISO strings, with offsets)."""
    shifts = [
        {"email": s.user.email, "start": s.start.isoformat(), "end": s.end.isoformat()}
        for s in oncall.final_shifts(applied, NOW, END)
    ]
    return {
        "schedule": "Primary",
        "team": "payments",
        "source": "test:S1",
        "shifts": shifts,
        **entry,
    }


def test_identical_coverage_has_no_difference(applied):
    assert compare([keel_rendering(applied)], start=NOW, end=END) == []


def test_the_schedule_is_found_by_name_when_it_has_no_source(applied):
    assert compare([keel_rendering(applied, source="")], start=NOW, end=END) == []


def test_a_different_person_is_reported_with_its_time(applied):
    expected = keel_rendering(applied)
    first = expected["shifts"][0]
    first["email"] = "zed@example.com"
    (difference,) = compare([expected], start=NOW, end=END)
    assert (difference.start, difference.end.isoformat()) == (NOW, first["end"])
    assert difference.source_people == ["zed@example.com"]
    assert difference.keel_people == [oncall.final_shifts(applied, NOW, END)[0].user.email]
    assert difference.keel_people != ["zed@example.com"]
    assert str(difference).startswith("Primary (payments) 2027-03-08 10:00 UTC to ")
    assert "source has zed@example.com, Keel has" in str(difference)


def test_a_gap_at_the_source_is_a_difference(applied):
    expected = keel_rendering(applied)
    dropped = expected["shifts"].pop(3)
    (difference,) = compare([expected], start=NOW, end=END)
    assert difference.source_people == [] and difference.keel_people == [dropped["email"]]
    assert difference.start.isoformat() == dropped["start"]
    assert difference.end.isoformat() == dropped["end"]


def test_a_schedule_keel_lacks_is_one_difference_over_the_whole_period(applied):
    expected = keel_rendering(applied, schedule="Secondary", source="test:nope")
    found = compare([expected], start=NOW, end=END)
    assert found and all(d.detail == "no such schedule in Keel" for d in found)
    assert found[0].start == NOW and found[-1].end == END


def test_two_people_at_once_at_the_source_is_a_difference(applied):
    expected = keel_rendering(applied)
    first = expected["shifts"][0]
    other = "ben@example.com" if first["email"] != "ben@example.com" else "ana@example.com"
    expected["shifts"].append({"email": other, "start": first["start"], "end": first["end"]})
    (difference,) = compare([expected], start=NOW, end=END)
    assert difference.source_people == sorted([first["email"], other])
    assert difference.keel_people == [first["email"]]
