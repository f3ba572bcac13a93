"""run_import: read a (toy) source over real HTTP, plan or apply, then compare on-call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents.importing.client import SourceError
from incidents.importing.run import client_for, run_import
from incidents.oncall.models import Schedule
from tests.helpers import make_user

from .core_documents import snapshot
from .toy_source import SOURCE, TOKEN, ToyServer

NOW = datetime(2027, 3, 10, 15, 30, tzinfo=UTC)


@pytest.fixture
def people(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the toy tool listens on 127.0.0.1
    return [make_user("ana@example.com"), make_user("ben@example.com")]


def test_a_planned_import_reads_the_source_and_changes_nothing(people):
    before = snapshot()
    with ToyServer() as toy:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, toy.url), apply=False, create_users=False, now=NOW
        )
    assert snapshot() == before
    assert "schedule Primary (toys)" in result.report.created
    assert result.differences == [] and result.compared == 0
    assert "Would create" in result.text() and "Toy urgency rules" in result.text()
    assert not any("/final" in path for path in toy.requests)  # no comparison for a plan


def test_an_applied_import_has_the_same_people_on_call_for_four_weeks(people):
    with ToyServer() as toy:
        client = client_for(SOURCE, TOKEN, toy.url)
        first = run_import(SOURCE, client, apply=True, create_users=False, now=NOW)
        after_first = snapshot()
        again = run_import(SOURCE, client, apply=True, create_users=False, now=NOW)
    assert first.differences == [] and first.compared == 1
    assert "no difference" in first.text()
    assert "generic integration toy of service toy-shop" in first.report.created
    (made,) = first.report.integrations
    assert made["key"] in first.text()
    assert again.report.created == [] and again.report.changed == []
    assert snapshot() == after_first
    assert Schedule.objects.count() == 1


def test_a_source_that_disagrees_is_reported_difference_by_difference(people):
    with ToyServer(mismatch=True) as toy:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, toy.url), apply=True, create_users=False, now=NOW
        )
    # Every week differs: 10 March 15:30 to 7 April 15:30 spans five weeks' turns.
    assert len(result.differences) == 5
    first = result.differences[0]
    assert (first.start, first.source_people, first.keel_people) == (
        NOW, ["ben@example.com"], ["ana@example.com"],
    )  # fmt: skip
    assert first.end == datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
    assert "5 difference(s)" in result.text()


def test_a_refused_token_stops_before_anything_changes(people):
    before = snapshot()
    with ToyServer() as toy, pytest.raises(SourceError, match="refused the token"):
        run_import(
            SOURCE, client_for(SOURCE, "expired", toy.url), apply=True, create_users=False, now=NOW
        )
    assert snapshot() == before
