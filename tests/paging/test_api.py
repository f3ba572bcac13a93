"""The paging API as DESIGN.md's contract says: contact methods (a webhook's secret shown
once), escalation policies, a service's policy, declaring with or without paging, paging
someone by hand."""

from __future__ import annotations

from incidents.models import Incident, Service
from incidents.paging.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    NotificationRule,
    ServicePaging,
)
from tests.helpers import api_client, declare
from tests.oncall.helpers import make_schedule

from .helpers import make_policy


def test_a_webhook_contact_method_shows_its_secret_once(cast):
    client = api_client(cast.responder)
    answer = client.post(
        "/api/v1/contact-methods/",
        {"kind": "webhook", "address": "https://pager.example.com/hook", "rules": [0, 5]},
        format="json",
    )
    assert answer.status_code == 201, answer.data
    method = ContactMethod.objects.get(pk=answer.data["id"])
    assert answer.data["secret"] == method.secret and len(method.secret) == 64
    assert answer.data["rules"] == [0, 5]
    again = client.get(f"/api/v1/contact-methods/{method.pk}/")
    assert again.data["secret"] is None


def test_contact_methods_refuse_bad_addresses_with_a_400(cast):
    client = api_client(cast.responder)
    for body in (
        {"kind": "email", "address": "not an address"},
        {"kind": "webhook", "address": "ftp://example.com/x"},
        {"kind": "pigeon", "address": "x"},
        {"kind": "email", "address": "a@example.com", "rules": [-1]},
        {"kind": "email", "address": "a@example.com", "rules": []},
    ):
        assert client.post("/api/v1/contact-methods/", body, format="json").status_code == 400
    assert not ContactMethod.objects.exists()


def test_a_method_keeps_at_least_one_rule(cast):
    client = api_client(cast.responder)
    made = client.post(
        "/api/v1/contact-methods/", {"kind": "email", "address": "r@example.com"}, format="json"
    ).json()
    answer = client.patch(f"/api/v1/contact-methods/{made['id']}/", {"rules": []}, format="json")
    assert answer.status_code == 400
    assert "rules" in answer.json()["errors"]
    assert list(NotificationRule.objects.values_list("delay_minutes", flat=True)) == [0]


def test_nobody_sees_anothers_contact_methods(cast):
    method = ContactMethod.objects.create(user=cast.admin, kind="email", address="a@example.com")
    client = api_client(cast.responder)
    assert client.get(f"/api/v1/contact-methods/{method.pk}/").status_code == 404
    assert "a@example.com" not in client.get("/api/v1/contact-methods/").content.decode()


def test_a_policy_is_created_with_its_steps_and_a_service_names_it(cast):
    schedule = make_schedule(cast.team, [cast.responder])
    client = api_client(cast.responder)
    answer = client.post(
        "/api/v1/escalation-policies/",
        {"name": "Ops", "team": cast.team.pk, "repeat": 1, "steps": [
            {"delay_minutes": 5, "targets": [{"schedule": schedule.pk}]},
            {"delay_minutes": 10,
             "targets": [{"user": "admin@example.com"}, {"team": cast.team.pk}]},
        ]},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.data
    policy = EscalationPolicy.objects.get(pk=answer.data["id"])
    assert [s.targets for s in policy.steps.order_by("position")] == [
        [{"schedule": schedule.pk}],
        [{"user": cast.admin.pk}, {"team": cast.team.pk}],
    ]
    service = client.post(
        "/api/v1/services/",
        {"name": "checkout", "team": cast.team.pk, "escalation_policy": policy.pk},
        format="json",
    )
    assert service.status_code == 201, service.data
    assert service.data["escalation_policy"] == policy.pk
    assert ServicePaging.objects.get(service_id=service.data["id"]).policy == policy


def test_a_policy_refuses_bad_steps_with_a_400(cast):
    client = api_client(cast.responder)
    base = {"name": "Ops", "team": cast.team.pk}
    for steps in (
        [],
        [{"delay_minutes": 5, "targets": []}],
        [{"delay_minutes": 0, "targets": [{"user": cast.admin.pk}]}],
        [{"delay_minutes": 5, "targets": [{"user": cast.admin.pk, "team": cast.team.pk}]}],
        [{"delay_minutes": 5, "targets": [{"user": "nobody@example.com"}]}],
        [{"delay_minutes": 5, "targets": [{"schedule": 999999}]}],
        # A team's policy pages its own team, never another team's people.
        [{"delay_minutes": 5, "targets": [{"team": cast.other_team.pk}]}],
    ):
        answer = client.post(
            "/api/v1/escalation-policies/", {**base, "steps": steps}, format="json"
        )
        assert answer.status_code == 400, steps


def test_another_teams_policy_cannot_be_named_by_a_service(cast):
    other = make_policy(cast.other_team, (5, [{"user": cast.outsider.pk}]))
    answer = api_client(cast.responder).post(
        "/api/v1/services/",
        {"name": "checkout", "team": cast.team.pk, "escalation_policy": other.pk},
        format="json",
    )
    assert answer.status_code == 400
    assert not Service.objects.filter(name="checkout").exists()


def test_declaring_by_api_can_ask_not_to_page(cast, committed):
    checkout = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    client = api_client(cast.responder)
    body = {"title": "Down", "severity": "SEV1", "services": ["checkout"], "team": cast.team.pk}
    paged = client.post("/api/v1/incidents/", body, format="json")
    quiet = client.post("/api/v1/incidents/", {**body, "page": False}, format="json")
    assert paged.status_code == quiet.status_code == 201
    paged_ones = Escalation.objects.values_list("incident__number", flat=True)
    assert list(paged_ones) == [Incident.number_from_ref(paged.data["ref"])]


def test_paging_someone_by_hand_records_who_asked(cast, committed):
    incident = declare(cast)
    answer = api_client(cast.responder).post(
        "/api/v1/pages/", {"incident": incident.ref, "user": "admin@example.com"}, format="json"
    )
    assert answer.status_code == 201, answer.data
    event = incident.events.get(kind="page")
    assert event.author == cast.responder and event.body == "Asked to page Admin."
    assert Escalation.objects.get(incident=incident).manual_targets == [{"user": cast.admin.pk}]


def test_testing_a_webhook_says_plainly_what_is_wrong_with_its_address(cast, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    client = api_client(cast.responder)
    answers = {}
    for address in ("https://nothing-here.invalid/hook", "https://[64:ff9b::a00:5]/hook"):
        made = client.post(
            "/api/v1/contact-methods/", {"kind": "webhook", "address": address}, format="json"
        ).json()
        answer = client.post(f"/api/v1/contact-methods/{made['id']}/test/")
        assert answer.status_code == 200
        answers[address] = answer.json()
    unresolved = answers["https://nothing-here.invalid/hook"]
    assert unresolved == {
        "outcome": "failed",
        "detail": "The address does not resolve: no such host nothing-here.invalid.",
    }
    private = answers["https://[64:ff9b::a00:5]/hook"]
    assert private["outcome"] == "failed"
    assert "private addresses are not allowed" in private["detail"]
    assert "OUTBOUND_ALLOW_PRIVATE" not in private["detail"]
    failures = ContactMethod.objects.values_list("failure", flat=True)
    assert sorted(failures) == sorted(a["detail"] for a in answers.values())
