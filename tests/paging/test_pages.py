"""Where people see paging: the incident page's panel, the profile's contact methods (a
failed one is flagged), the services page's policy, and the policies page."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from incidents.models import Service
from incidents.paging.models import ContactMethod, Escalation, EscalationPolicy, ServicePaging
from tests.helpers import declare

from .helpers import make_policy


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_incident_page_shows_who_was_paged_and_a_page_someone_form(cast, committed):
    incident = declare(cast)
    client = client_of(cast.responder)
    answer = client.post(f"/incidents/{incident.ref}/page-someone/", {"user": cast.admin.pk})
    assert answer.status_code == 302
    assert Escalation.objects.get(incident=incident).manual_targets == [{"user": cast.admin.pk}]
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="paging-panel"' in page and "Page someone</button>" in page
    assert "Asked to page Admin." in page  # the timeline says who asked


def test_page_someone_needs_a_person_or_a_schedule(cast):
    incident = declare(cast)
    answer = client_of(cast.responder).post(f"/incidents/{incident.ref}/page-someone/", {})
    assert answer.status_code == 400
    assert not Escalation.objects.exists()


def test_a_failed_contact_method_is_flagged_on_the_next_visit(cast):
    ContactMethod.objects.create(
        user=cast.responder, kind="webhook", address="https://pager.example.com/x",
        failed_at=timezone.now(), failure="The receiver refused it (410).",
    )  # fmt: skip
    page = client_of(cast.responder).get("/accounts/profile/").content.decode()
    assert "A way to reach you failed for good" in page
    assert "The receiver refused it (410)." in page


def test_adding_an_email_method_and_sending_a_test_page(cast, mailoutbox):
    client = client_of(cast.responder)
    added = client.post(
        "/paging/contact-methods/",
        {"kind": "email", "address": "me@example.com", "delay_minutes": 0},
    )
    assert added.status_code == 302
    method = ContactMethod.objects.get(user=cast.responder)
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0]
    client.post(f"/paging/contact-methods/{method.pk}/test/")
    assert [m.to for m in mailoutbox] == [["me@example.com"]]
    assert mailoutbox[0].subject.startswith("Page: [SEV4] TEST Test page from Keel")


def test_a_service_gets_its_policy_on_the_services_page(cast):
    service = Service.objects.create(name="checkout", team=cast.team)
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]))
    client = client_of(cast.responder)
    assert (
        client.post(f"/paging/services/{service.pk}/policy/", {"policy": policy.pk}).status_code
        == 302
    )
    assert ServicePaging.objects.get(service=service).policy == policy
    assert "Ops paging" in client.get("/services/").content.decode()


def test_a_policy_is_added_in_the_browser(cast):
    answer = client_of(cast.responder).post(
        "/paging/policies/",
        {"name": "Nights", "team": cast.team.pk, "repeat": 1, "step1_delay": 5,
         "step1_people": [cast.responder.pk], "step2_delay": 10, "step2_people": [cast.admin.pk]},
    )  # fmt: skip
    assert answer.status_code == 302
    policy = EscalationPolicy.objects.get(name="Nights")
    assert [(s.delay_minutes, s.targets) for s in policy.steps.order_by("position")] == [
        (5, [{"user": cast.responder.pk}]),
        (10, [{"user": cast.admin.pk}]),
    ]
