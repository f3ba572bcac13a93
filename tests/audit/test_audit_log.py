"""The audit log as people meet it: sign-ins with their address, who reads which entries
(page and API), the filters, changes made outside requests, and an append-only table."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client

from accounts.models import Membership, Role, Team
from audit.models import Action, AuditEntry
from incidents.chat import delivery
from incidents.chat.models import ChatChannel
from incidents.models import Service
from incidents.paging import phone
from incidents.paging.models import ContactMethod

from ..helpers import PASSWORD, api_client, is_postgres


def log_in(email: str, password: str, **headers) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.7", **headers)
    client.post("/accounts/login/", {"username": email, "password": password})
    return client


def test_a_sign_in_is_recorded_with_the_address(cast):
    log_in("responder@example.com", PASSWORD)
    entry = AuditEntry.objects.get(action=Action.SIGN_IN)
    assert (entry.actor, entry.actor_id, entry.address) == (
        "responder@example.com", cast.responder.pk, "203.0.113.7")  # fmt: skip
    assert (entry.object_type, entry.object_id) == ("user", str(cast.responder.pk))


def test_a_failed_sign_in_is_recorded_with_the_name_typed_and_the_address(cast):
    log_in("responder@example.com", "wrong password")
    log_in("nobody@example.com", "wrong password")
    known, unknown = AuditEntry.objects.filter(action=Action.SIGN_IN_FAILED).order_by("pk")
    assert (known.actor, known.object_name, known.object_id, known.address) == (
        "anonymous", "responder@example.com", str(cast.responder.pk), "203.0.113.7")  # fmt: skip
    assert (unknown.object_name, unknown.object_id) == ("nobody@example.com", "")
    assert "wrong password" not in str(known.changes) + str(unknown.changes)


def test_a_forwarded_for_header_does_not_change_the_address(cast):
    """X-Forwarded-For is anyone's to send: the proxy's trusted hop reaches REMOTE_ADDR
    through the ASGI server (FORWARDED_ALLOW_IPS), never through Keel."""
    log_in("responder@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert AuditEntry.objects.get(action=Action.SIGN_IN).address == "203.0.113.7"


# --- Who reads what ----------------------------------------------------------------------------


@pytest.fixture
def two_teams_changed(cast):
    """A change in each team (made through the API by its people) and a sign-in."""
    ours = api_client(cast.responder).post(
        "/api/v1/services/", {"name": "ours-api", "team": cast.team.pk}, format="json"
    )
    theirs = api_client(cast.outsider).post(
        "/api/v1/services/", {"name": "theirs-api", "team": cast.other_team.pk}, format="json"
    )
    assert ours.status_code == theirs.status_code == 201
    log_in("viewer@example.com", PASSWORD)
    return cast


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/audit/{query}")
    assert response.status_code == 200, response.content
    return [e["object_name"] for e in response.json()["results"]]


def test_a_team_admin_reads_only_their_teams_entries(two_teams_changed):
    cast = two_teams_changed
    assert listed(api_client(cast.admin)) == ["ours-api"]
    page = Client()
    page.force_login(cast.admin)
    html = page.get("/audit/").content.decode()
    assert "ours-api" in html and "theirs-api" not in html
    assert "viewer@example.com" not in html  # sign-ins are the staff's


def test_staff_read_every_entry(two_teams_changed):
    cast = two_teams_changed
    names = listed(api_client(cast.staff))
    assert {"ours-api", "theirs-api", "viewer@example.com"} <= set(names)


@pytest.mark.parametrize("who", ["responder", "viewer", "outsider"])
def test_people_who_administer_no_team_may_not_read_the_log(two_teams_changed, who):
    person = getattr(two_teams_changed, who)
    assert api_client(person).get("/api/v1/audit/").status_code == 403
    page = Client()
    page.force_login(person)
    assert page.get("/audit/").status_code == 403
    assert "/audit/" not in page.get("/incidents/").content.decode()


def test_the_navigation_links_to_the_log_for_a_team_admin(cast):
    page = Client()
    page.force_login(cast.admin)
    assert 'href="/audit/"' in page.get("/incidents/").content.decode()


def test_a_service_moved_away_stays_visible_to_the_team_it_left(cast):
    service = Service.objects.create(name="moving", team=cast.team)
    response = api_client(cast.staff).patch(
        f"/api/v1/services/{service.pk}/", {"team": cast.other_team.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert "moving" in listed(api_client(cast.admin), "?action=update")


def test_the_filters(two_teams_changed):
    cast = two_teams_changed
    staff = api_client(cast.staff)
    assert listed(staff, f"?team={cast.other_team.pk}") == ["theirs-api"]
    assert listed(staff, "?actor=outsider") == ["theirs-api"]
    assert listed(staff, "?object_type=service&q=ours") == ["ours-api"]
    assert listed(staff, "?action=sign_in") == ["viewer@example.com"]
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert listed(staff, f"?since={soon}") == []
    assert len(listed(staff, f"?until={soon}&object_type=service")) == 2
    assert staff.get("/api/v1/audit/?since=yesterday").status_code == 400
    assert staff.get("/api/v1/audit/?object_type=incident").status_code == 400
    page = Client()
    page.force_login(cast.staff)
    html = page.get("/audit/?object_type=service&actor=outsider").content.decode()
    assert "theirs-api" in html and "ours-api" not in html
    assert page.get("/audit/?since=yesterday").status_code == 200  # says what is wrong


# --- Outside requests ---------------------------------------------------------------------------


def test_a_change_outside_any_request_is_the_systems(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        team = Team.objects.create(name="Night shift", slug="night")
        Membership.objects.create(team=team, user=cast.admin, role=Role.ADMIN)
    [entry] = AuditEntry.objects.filter(object_type="team", object_id=str(team.pk))
    assert (entry.actor, entry.actor_id, entry.address, entry.action) == (
        "system", None, None, Action.CREATE)  # fmt: skip
    assert entry.changes["members.admin@example.com"] == [None, "admin"]


def test_a_change_rolled_back_leaves_no_entry(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(IntegrityError), transaction.atomic():
            Team.objects.create(name="Doomed", slug="doomed")
            Team.objects.create(name="Doomed", slug="doomed")
        Team.objects.create(name="Kept", slug="kept")
    names = set(AuditEntry.objects.filter(object_type="team").values_list("object_name", flat=True))
    assert "Kept" in names and "Doomed" not in names


def test_a_number_replying_stop_is_recorded(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # one transaction: written
        method = ContactMethod.objects.create(
            user=cast.responder, kind="sms", address="+15005550006", verified_at=datetime.now(UTC)
        )
    with django_capture_on_commit_callbacks(execute=True):  # and the next
        phone.stop("+15005550006", datetime(2026, 6, 1, 12, tzinfo=UTC))
    entry = AuditEntry.objects.filter(object_type="contact_method").order_by("-pk").first()
    assert (entry.action, entry.object_id, entry.actor) == (Action.UPDATE, str(method.pk), "system")
    assert entry.changes == {"stopped_at": [None, "2026-06-01T12:00:00+00:00"]}


def test_a_chat_channel_the_workspace_refused_is_recorded(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        channel = ChatChannel.objects.create(
            team=cast.team, name="#ops", webhook_url="https://hooks.slack.com/services/T/B/x"
        )
    with django_capture_on_commit_callbacks(execute=True):
        delivery.disable(channel, "channel_not_found", datetime(2026, 6, 1, tzinfo=UTC))
    entry = AuditEntry.objects.filter(object_type="chat_channel").order_by("-pk").first()
    assert entry.action == Action.UPDATE and entry.team_id == cast.team.pk
    assert entry.changes == {
        "state": ["active", "disabled"],
        "disabled_reason": ["", "channel_not_found"],
    }


# --- Append-only -------------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted(cast):
    log_in("responder@example.com", PASSWORD)
    entry = AuditEntry.objects.get()
    entry.actor = "someone else"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert api_client(cast.staff).delete(f"/api/v1/audit/{entry.pk}/").status_code == 404


def test_the_database_refuses_to_change_or_delete_an_entry(cast):
    if not is_postgres():
        pytest.skip("SQLite has no such trigger")
    log_in("responder@example.com", PASSWORD)
    for statement in ("UPDATE audit_auditentry SET actor = 'x'", "DELETE FROM audit_auditentry"):
        refused = pytest.raises(DatabaseError, match="append-only")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEntry.objects.get().actor == "responder@example.com"


def test_the_demo_data_is_recorded_as_the_systems_one_entry_per_object(
    db, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    entries = AuditEntry.objects.all()
    assert entries.exists() and set(entries.values_list("actor", flat=True)) == {"system"}
    keys = list(entries.values_list("object_type", "object_id"))
    assert len(keys) == len(set(keys))  # one transaction: one entry per object
    schedule = entries.filter(object_type="schedule").first()
    assert schedule.action == Action.CREATE and "layers[1].participants" in schedule.changes


def test_the_page_takes_the_time_range_its_fields_send(two_teams_changed):
    page = Client()
    page.force_login(two_teams_changed.staff)
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert "ours-api" in page.get(f"/audit/?until={later}").content.decode()
    assert "ours-api" not in page.get(f"/audit/?since={later}").content.decode()
