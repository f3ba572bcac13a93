"""`manage.py import_oncall`: a (toy) source read over real HTTP, planned, applied, proved."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.oncall.models import Schedule
from tests.helpers import make_user

from .core_documents import snapshot
from .toy_source import TOKEN, ToyServer

TOY = "tests.importing.toy_source"  # a module of our own exposing SOURCE


@pytest.fixture
def people(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    return [make_user("ana@example.com"), make_user("ben@example.com")]


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_oncall", *args, stdout=out)
    return out.getvalue()


def test_plan_prints_what_would_change_and_changes_nothing(people):
    before = snapshot()
    with ToyServer() as toy:
        printed = run(TOY, "--url", toy.url, "--token", TOKEN, "--plan")
    assert snapshot() == before
    assert "Would create" in printed and "schedule Primary (toys)" in printed


def test_apply_prints_the_report_the_new_integration_and_no_difference(people):
    with ToyServer() as toy:
        printed = run(TOY, "--url", toy.url, "--token", TOKEN, "--apply")
        again = run(TOY, "--url", toy.url, "--token", TOKEN, "--apply")
    assert "Created" in printed and "/hooks/generic/" in printed
    assert "no difference: the same people are on call at the same times" in printed
    assert "Nothing changed." in again and "/hooks/generic/" not in again
    assert Schedule.objects.count() == 1


def test_the_token_can_come_from_the_environment(people, monkeypatch):
    monkeypatch.setenv("IMPORT_TOKEN", TOKEN)
    with ToyServer() as toy:
        assert "Would create" in run(TOY, "--url", toy.url, "--plan")


def test_differences_that_remain_end_with_exit_code_2(people):
    with ToyServer(mismatch=True) as toy, pytest.raises(CommandError) as failed:
        run(TOY, "--url", toy.url, "--token", TOKEN, "--apply")
    assert failed.value.returncode == 2
    assert "5 on-call difference(s) remain" in str(failed.value)


def test_a_source_that_cannot_be_read_ends_with_exit_code_1(people):
    before = snapshot()
    with ToyServer() as toy, pytest.raises(CommandError) as failed:
        run(TOY, "--url", toy.url, "--token", "expired", "--apply")
    assert failed.value.returncode == 1
    assert "refused the token (401)" in str(failed.value)
    assert snapshot() == before


def test_an_unknown_source_is_named_with_the_choices(db):
    with pytest.raises(CommandError, match="No importer 'jira': choose one of pagerduty, opsgenie"):
        run("jira", "--token", "x", "--plan")


def test_plan_or_apply_must_be_chosen(db):
    with pytest.raises(CommandError, match="one of the arguments --plan --apply is required"):
        run(TOY, "--token", "x")
