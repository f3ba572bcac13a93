"""Where people see paging: the incident page's panel, the profile's contact methods (a
failed one is flagged), the services page's policy, and the policies page."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

from incidents.models import Service
from incidents.paging.models import ContactMethod, Escalation, NotificationRule, ServicePaging
from tests.helpers import declare
from tests.oncall.helpers import make_schedule

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
    # Its fields have ids of their own: the assign-role form's `user` is id_user, and a
    # label for a repeated id named that one instead.
    assert '<label for="page-user">' in page and 'id="page-user"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


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


def test_a_method_gets_a_second_rule_and_loses_it_again(cast):
    client = client_of(cast.responder)
    client.post("/paging/contact-methods/",
                {"kind": "email", "address": "me@example.com", "delay_minutes": 0})  # fmt: skip
    method = ContactMethod.objects.get(user=cast.responder)
    answer = client.post(f"/paging/contact-methods/{method.pk}/rules/", {"delay_minutes": 10})
    assert answer.status_code == 302
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0, 10]
    page = client.get("/accounts/profile/").content.decode()
    assert ">at once</span>" in page and ">after 10 min</span>" in page
    assert "Stop using Email me@example.com after 10 min" in page
    later = method.rules.get(delay_minutes=10)
    answer = client.post(f"/paging/contact-methods/{method.pk}/rules/{later.pk}/remove/")
    assert answer.status_code == 302
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0]
    # With one rule left there is nothing to remove it with.
    assert "Stop using" not in client.get("/accounts/profile/").content.decode()


def test_a_rule_that_cannot_be_added_or_removed_is_refused_with_a_reason(cast):
    method = ContactMethod.objects.create(
        user=cast.responder, kind="email", address="me@example.com"
    )
    only = NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    client = client_of(cast.responder)
    add = f"/paging/contact-methods/{method.pk}/rules/"
    for delay, reason in ((0, "is already used at once"), (-1, "greater than or equal to 0"),
                          (1441, "less than or equal to 1440"), ("", "required")):  # fmt: skip
        answer = client.post(add, {"delay_minutes": delay})
        assert answer.status_code == 400 and reason in answer.content.decode(), delay
    answer = client.post(f"/paging/contact-methods/{method.pk}/rules/{only.pk}/remove/")
    assert answer.status_code == 400
    assert "the only rule of Email me@example.com" in answer.content.decode()
    for delay in range(1, 10):
        NotificationRule.objects.create(contact_method=method, delay_minutes=delay)
    answer = client.post(add, {"delay_minutes": 30})
    assert answer.status_code == 400 and "at most 10 rules" in answer.content.decode()
    assert method.rules.count() == 10


def test_nobody_else_adds_or_removes_your_rules(cast):
    method = ContactMethod.objects.create(
        user=cast.responder, kind="email", address="me@example.com"
    )
    rules = [
        NotificationRule.objects.create(contact_method=method, delay_minutes=d) for d in (0, 5)
    ]
    other = client_of(cast.admin)
    assert (
        other.post(f"/paging/contact-methods/{method.pk}/rules/", {"delay_minutes": 9}).status_code
        == 404
    )
    remove = f"/paging/contact-methods/{method.pk}/rules/{rules[1].pk}/remove/"
    assert other.post(remove).status_code == 404
    # A rule of one of your methods, named under another of your methods: not found either.
    mine = ContactMethod.objects.create(user=cast.responder, kind="email", address="b@example.com")
    remove = f"/paging/contact-methods/{mine.pk}/rules/{rules[1].pk}/remove/"
    assert client_of(cast.responder).post(remove).status_code == 404
    assert method.rules.count() == 2


def test_the_room_fetches_its_paging_panel_from_the_paging_status_fragment(cast, committed):
    incident = declare(cast)
    client = client_of(cast.responder)
    fragment = client.get(f"/incidents/{incident.ref}/paging/")
    assert fragment.status_code == 200 and "Nobody has been paged." in fragment.content.decode()
    page = client.get(incident.get_absolute_url()).content.decode()
    assert f'hx-get="/incidents/{incident.ref}/paging/"' in page and "room:page from:body" in page
    assert client_of(cast.outsider).get(f"/incidents/{incident.ref}/paging/").status_code == 200
    private = declare(cast, private=True, title="Private")
    assert client_of(cast.outsider).get(f"/incidents/{private.ref}/paging/").status_code == 404


def page_someone_options(client, incident) -> tuple[str, str]:
    """The person and schedule options the room's "Page someone" form offers."""
    page = client.get(incident.get_absolute_url()).content.decode()
    form = page[page.index('id="page-someone"') :]
    form = form[: form.index("</form>")]
    people = form[form.index('id="page-user"') : form.index('id="page-schedule"')]
    return people, form[form.index('id="page-schedule"') :]


def test_page_someone_offers_and_pages_only_whom_the_api_would(cast):
    """The API's rule (people_visible_to, schedules of your teams): someone working a public
    incident of another team is not offered that team's people or schedules, and posting
    their ids is refused exactly like ids that do not exist."""
    incident = declare(cast)  # Ops's, public; the responder is its commander
    ops = make_schedule(cast.team, [cast.viewer], name="Ops primary")
    other = make_schedule(cast.other_team, [cast.outsider], name="Other primary")
    people, schedules = page_someone_options(client_of(cast.responder), incident)
    assert "Admin" in people
    assert "Outsider" not in people and "Other primary" not in schedules
    assert "Ops primary (Ops)" in schedules
    outsider = client_of(cast.outsider)
    people, schedules = page_someone_options(outsider, incident)
    assert "Admin" not in people and "Viewer" not in people and "Ops primary" not in schedules
    assert "Other primary (Other)" in schedules
    url = f"/incidents/{incident.ref}/page-someone/"
    for hidden, missing in [({"user": cast.admin.pk}, {"user": 10**9}),
                            ({"schedule": ops.pk}, {"schedule": 10**9})]:  # fmt: skip
        refused = outsider.post(url, hidden)
        assert refused.status_code == 400
        unknown = outsider.post(url, missing)
        assert refused.content.decode().replace(str(next(iter(hidden.values()))), "N") == (
            unknown.content.decode().replace(str(10**9), "N")
        )
    answer = client_of(cast.responder).post(url, {"schedule": other.pk})
    assert answer.status_code == 400
    assert not Escalation.objects.exists()


def test_page_someone_says_who_is_paged_and_who_cannot_be(cast):
    incident = declare(cast)
    client = client_of(cast.responder)
    url = f"/incidents/{incident.ref}/page-someone/"
    answer = client.post(url, {"user": cast.admin.pk}, follow=True)
    assert f"Nobody was paged for {incident.ref}: Admin cannot be paged: no contact method" in (
        answer.content.decode()
    )
    ContactMethod.objects.create(user=cast.admin, kind="email", address="admin@example.com")
    answer = client.post(url, {"user": cast.admin.pk}, follow=True)
    assert f"Paging Admin (email) for {incident.ref}." in answer.content.decode()
