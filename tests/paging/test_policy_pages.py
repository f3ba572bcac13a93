"""Escalation policies in the browser: the list names every step's targets and the services
that use each policy; a team's responders add, edit and delete its policies (people,
schedules, the whole team; any number of steps); viewers may only read (403), other teams'
people find nothing (404); an invalid save shows the editor again with 400 and changes
nothing; the browser stores exactly the shape the API stores."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import Membership
from incidents.models import Service
from incidents.paging.models import EscalationPolicy, ServicePaging
from tests.helpers import api_client
from tests.oncall.helpers import make_schedule

from .helpers import make_policy


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_data(name: str, steps: list[dict[str, Any]], repeat: int = 0, saved: int = 0) -> dict:
    """What the editor posts: the policy, its `saved` existing steps and the new ones in
    `steps`, then the two blank steps the page always offers (untouched: delay 5)."""
    rows = [*steps, {"delay_minutes": 5}, {"delay_minutes": 5}]
    data: dict[str, Any] = {
        "name": name, "repeat": repeat, "steps-TOTAL_FORMS": len(rows),
        "steps-INITIAL_FORMS": saved, "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 20,
    }  # fmt: skip
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = value
    return data


def stored(policy: EscalationPolicy) -> list[tuple[int, list[dict]]]:
    return [(s.delay_minutes, s.targets) for s in policy.steps.order_by("position")]


def test_the_list_names_each_steps_targets_and_the_services_that_page_with_it(cast):
    primary = make_schedule(cast.team, [cast.responder], name="Primary")
    checkout = Service.objects.create(name="checkout", team=cast.team)
    policy = make_policy(
        cast.team,
        (5, [{"user": cast.responder.pk}, {"schedule": primary.pk}]),
        (10, [{"team": cast.team.pk}]),
        repeat=1, service=checkout,
    )  # fmt: skip
    page = client_of(cast.viewer).get("/paging/policies/").content.decode()
    assert f'id="policy-{policy.pk}"' in page
    assert "Responder" in page and "on call: Primary" in page and "team Ops" in page
    assert "then 5 min to step 2" in page and "then 10 min, and again from step 1" in page
    assert "Pages for" in page and ">checkout</a>" in page
    # A viewer reads, and is offered no way to change it.
    assert f"/paging/policies/{policy.pk}/edit/" not in page and "New policy for" not in page
    page = client_of(cast.responder).get("/paging/policies/").content.decode()
    assert f"/paging/policies/{policy.pk}/edit/" in page and "Delete</button>" in page
    assert f"/paging/policies/new/?team={cast.team.pk}" in page


def test_a_responder_adds_a_policy_that_pages_people_a_schedule_and_the_team(cast):
    primary = make_schedule(cast.team, [cast.responder], name="Primary")
    client = client_of(cast.responder)
    new = f"/paging/policies/new/?team={cast.team.pk}"
    page = client.get(new)
    assert page.status_code == 200 and "Every responder of Ops" in page.content.decode()
    answer = client.post(new, editor_data("Nights", [
        {"people": [cast.admin.pk], "schedules": [primary.pk], "delay_minutes": 10},
        {"whole_team": "on", "delay_minutes": 15},
    ], repeat=2))  # fmt: skip
    policy = EscalationPolicy.objects.get(name="Nights")
    assert answer.status_code == 302 and answer["Location"].endswith(f"#policy-{policy.pk}")
    assert policy.team == cast.team and policy.repeat == 2
    assert stored(policy) == [
        (10, [{"user": cast.admin.pk}, {"schedule": primary.pk}]),
        (15, [{"team": cast.team.pk}]),
    ]
    # The same steps the API reads (people by email, as it takes them).
    api = api_client(cast.responder).get(f"/api/v1/escalation-policies/{policy.pk}/").data
    assert api["steps"] == [
        {"delay_minutes": 10, "targets": [{"user": "admin@example.com"},
                                          {"schedule": primary.pk}]},
        {"delay_minutes": 15, "targets": [{"team": cast.team.pk}]},
    ]  # fmt: skip


def test_editing_adds_a_step_changes_a_delay_and_reorders(cast):
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]))
    client = client_of(cast.admin)
    url = f"/paging/policies/{policy.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="Ops paging"' in page and "Step 1" in page and "Add a step" in page
    answer = client.post(url, editor_data("Ops paging, renamed", [
        {"people": [cast.responder.pk], "delay_minutes": 7, "ORDER": 2},
        {"people": [cast.admin.pk], "delay_minutes": 3, "ORDER": 1},
    ], saved=1))  # fmt: skip
    assert answer.status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Ops paging, renamed"
    assert stored(policy) == [(3, [{"user": cast.admin.pk}]), (7, [{"user": cast.responder.pk}])]


def test_a_step_is_removed_but_never_the_last_one(cast):
    policy = make_policy(
        cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}])
    )
    client = client_of(cast.responder)
    url = f"/paging/policies/{policy.pk}/edit/"
    first = {"people": [cast.responder.pk], "delay_minutes": 5, "ORDER": 1}
    second = {"people": [cast.admin.pk], "delay_minutes": 5, "ORDER": 2}
    answer = client.post(url, editor_data("Ops paging", [first, {**second, "DELETE": "on"}],
                                          saved=2))  # fmt: skip
    assert answer.status_code == 302
    assert stored(policy) == [(5, [{"user": cast.responder.pk}])]
    answer = client.post(url, editor_data("Ops paging", [{**first, "DELETE": "on"}], saved=1))
    assert answer.status_code == 400
    assert "A policy needs at least one step that pages someone." in answer.content.decode()
    assert stored(policy) == [(5, [{"user": cast.responder.pk}])]


def test_an_invalid_save_shows_the_editor_again_with_400_and_changes_nothing(cast):
    other_schedule = make_schedule(cast.other_team, [cast.outsider], name="Theirs")
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]))
    client = client_of(cast.responder)
    url = f"/paging/policies/{policy.pk}/edit/"
    cases = [
        ({"people": [cast.responder.pk], "delay_minutes": 0}, "greater than or equal to 1"),
        ({"delay_minutes": 5, "ORDER": 1}, "Choose who this step pages"),
        # Another team's schedule and person are not among the choices.
        ({"schedules": [other_schedule.pk], "delay_minutes": 5}, "Select a valid choice"),
        ({"people": [cast.outsider.pk], "delay_minutes": 5}, "Select a valid choice"),
    ]
    for step, message in cases:
        answer = client.post(url, editor_data("Changed", [step], saved=1))
        assert answer.status_code == 400, step
        page = answer.content.decode()
        assert message in page and "Not saved" in page, step
    answer = client.post(url, editor_data("", [{"people": [cast.admin.pk], "delay_minutes": 5}]))
    assert answer.status_code == 400 and "This field is required." in answer.content.decode()
    policy.refresh_from_db()
    assert policy.name == "Ops paging" and stored(policy) == [(5, [{"user": cast.responder.pk}])]


def test_someone_who_left_the_team_stays_in_the_policy_until_unticked(cast):
    policy = make_policy(cast.team, (5, [{"user": cast.admin.pk}, {"user": cast.responder.pk}]))
    Membership.objects.filter(user=cast.admin).delete()
    client = client_of(cast.responder)
    url = f"/paging/policies/{policy.pk}/edit/"
    assert "Admin (admin@example.com)" in client.get(url).content.decode()
    step = {"people": [cast.admin.pk, cast.responder.pk], "delay_minutes": 9}
    assert client.post(url, editor_data("Ops paging", [step], saved=1)).status_code == 302
    assert stored(policy) == [(9, [{"user": cast.admin.pk}, {"user": cast.responder.pk}])]


def test_only_the_teams_responders_and_admins_change_its_policies(cast):
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]))
    edit, delete = f"/paging/policies/{policy.pk}/edit/", f"/paging/policies/{policy.pk}/delete/"
    new = f"/paging/policies/new/?team={cast.team.pk}"
    body = editor_data("Taken over", [{"people": [cast.responder.pk], "delay_minutes": 1}])
    for who, code in ((cast.viewer, 403), (cast.outsider, 404)):
        client = client_of(who)
        assert client.get(edit).status_code == code
        assert client.post(edit, body).status_code == code
        assert client.post(delete).status_code == code
        assert client.get(new).status_code == code
        assert client.post(new, body).status_code == code
    assert client_of(cast.viewer).get("/paging/policies/new/?team=nonsense").status_code == 404
    assert EscalationPolicy.objects.get().name == "Ops paging"
    # Staff change any team's policies.
    assert client_of(cast.staff).get(edit).status_code == 200


def test_deleting_a_policy_asks_first_and_says_which_services_page_nobody_now(cast):
    checkout = Service.objects.create(name="checkout", team=cast.team)
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    client = client_of(cast.responder)
    page = client.get("/paging/policies/").content.decode()
    assert 'data-confirm="Delete the escalation policy “Ops paging”? checkout will page nobody' in (
        page
    )
    answer = client.post(f"/paging/policies/{policy.pk}/delete/", follow=True)
    assert answer.status_code == 200
    assert "checkout now page nobody: choose a policy on Services." in answer.content.decode()
    assert not EscalationPolicy.objects.exists() and not ServicePaging.objects.exists()


def test_the_editor_needs_a_post_with_its_management_data(cast):
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]))
    answer = client_of(cast.responder).post(f"/paging/policies/{policy.pk}/edit/", {"name": "X"})
    assert answer.status_code == 400
    assert stored(policy) == [(5, [{"user": cast.responder.pk}])]
