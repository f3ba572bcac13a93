"""Every model admin that edits a tracked object (or a row that belongs to one) leaves
exactly one entry for an add, a change and a delete. The admin's registry is walked, so a
model admin added later for a tracked model fails here until it has its case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import ApiToken, Membership, Role, Team, User
from audit.models import Action, AuditEntry
from audit.tracked import BY_MODEL, PARTS, URL_ADDRESS_KINDS
from incidents.alerts.models import Integration, MaintenanceWindow
from incidents.chat.models import ChatChannel, ChatIdentity
from incidents.models import Service
from incidents.oncall.models import LayerParticipant, Schedule
from incidents.paging.models import (
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    ReminderIntervals,
    ServicePaging,
)

from ..authz_table import make_policy
from ..helpers import make_user
from ..oncall.helpers import make_schedule
from .htmlforms import form_fields

C, U, D = Action.CREATE, Action.UPDATE, Action.DELETE


def world(cast) -> dict[type, Any]:
    """One existing row of each model, to change and delete."""
    service = Service.objects.create(name="payments-api", team=cast.team)
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    method = ContactMethod.objects.create(user=cast.responder, kind="email", address="r@x.io")
    token, _raw = ApiToken.issue(cast.responder, "deploy script")
    integration = Integration(service=service, kind="generic", name="Prod")
    integration.new_key()
    integration.save()
    return {
        User: make_user("leaver@example.com"),
        Group: Group.objects.create(name="Auditors"),
        Team: Team.objects.create(name="Spare", slug="spare"),
        Membership: Membership.objects.get(team=cast.team, user=cast.viewer),
        ApiToken: token,
        Service: service,
        Integration: integration,
        MaintenanceWindow: MaintenanceWindow.objects.create(
            service=service, ends_at=datetime(2030, 1, 1, tzinfo=UTC), reason="Upgrade"
        ),
        ChatChannel: ChatChannel.objects.create(
            team=cast.team, name="#ops", webhook_url="https://hooks.slack.com/services/T/B/x"
        ),
        ChatIdentity: ChatIdentity.objects.create(user=cast.admin, chat_user_id="U1"),
        Schedule: schedule,
        LayerParticipant: LayerParticipant.objects.filter(layer__schedule=schedule).last(),
        EscalationPolicy: make_policy(cast),
        ContactMethod: method,
        NotificationRule: NotificationRule.objects.create(contact_method=method, delay_minutes=5),
        ServicePaging: ServicePaging.objects.create(
            service=service, policy=EscalationPolicy.objects.create(name="Day", team=cast.team)
        ),
        ReminderIntervals: ReminderIntervals.objects.create(team=cast.team, sev1=15),
        Authenticator: Authenticator.objects.create(
            user=cast.responder, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
        ),
    }


# model -> (object type the entry is about, fields for an add and for a change (None: the
# admin offers none), the field the change shows).
def cases(cast, objects) -> dict[type, tuple[str, dict | None, dict | None, str]]:
    service, schedule = objects[Service], objects[Schedule]
    layer = schedule.layers.first()
    return {
        User: ("user", {"email": "new@example.com", "password1": "Long-pass-phrase-1",
                        "password2": "Long-pass-phrase-1"},
               {"is_staff": "on"}, "is_staff"),
        Group: ("group", {"name": "Readers"}, {"name": "Auditors 2"}, "name"),
        Team: ("team", {"name": "Database", "slug": "database"},
               {"description": "Spare people"}, "description"),
        Membership: ("team", {"team": cast.team.pk, "user": cast.outsider.pk, "role": "viewer"},
                     {"role": Role.RESPONDER}, "members.viewer@example.com"),
        ApiToken: ("api_token", None, {"name": "renamed"}, "name"),
        Service: ("service", {"name": "search", "team": cast.team.pk},
                  {"description": "Card payments"}, "description"),
        Integration: ("integration", {"service": service.pk, "kind": "grafana",
                                      "default_severity": "SEV2", "severity_map": "{}"},
                      {"enabled": "", "secret": "hmac-secret"}, "secret"),
        MaintenanceWindow: ("maintenance_window",
                            {"service": service.pk, "starts_at_0": "2030-01-01",
                             "starts_at_1": "10:00", "ends_at_0": "2030-01-01",
                             "ends_at_1": "12:00"},
                            {"reason": "Longer upgrade"}, "reason"),
        # The webhook URL is a secret the admin never shows (set on the chat page).
        ChatChannel: ("chat_channel", {"team": cast.team.pk, "name": "#db",
                                       "events": '["declared"]', "state": "active"},
                      {"name": "#ops-2"}, "name"),
        # Read and delete only (a link is proven from Slack).
        ChatIdentity: ("chat_identity", None, None, "chat_user_id"),
        Schedule: ("schedule", {"team": cast.team.pk, "name": "Secondary",
                                "time_zone": "Europe/Paris"},
                   {"time_zone": "Asia/Tokyo"}, "time_zone"),
        LayerParticipant: ("schedule", {"layer": layer.pk, "user": cast.viewer.pk,
                                        "position": 7},
                           {"user": cast.viewer.pk}, "layers[1].participants"),
        EscalationPolicy: ("escalation_policy", {"name": "Night", "team": cast.team.pk,
                                                 "repeat": 1},
                           {"repeat": 2}, "repeat"),
        ContactMethod: ("contact_method", {"user": cast.admin.pk, "kind": "slack",
                                           "address": "https://hooks.slack.com/services/S/1/k"},
                        {"kind": "webhook", "address": "https://hooks.example.com/secret-path"},
                        "address"),
        NotificationRule: ("contact_method", {"contact_method": objects[ContactMethod].pk,
                                              "delay_minutes": 30},
                           {"delay_minutes": 12}, "rules"),
        ServicePaging: ("service", {"service": Service.objects.create(name="mail").pk,
                                    "policy": objects[EscalationPolicy].pk},
                        {"policy": objects[EscalationPolicy].pk}, "escalation_policy"),
        ReminderIntervals: ("reminder_intervals", {"team": cast.other_team.pk, "sev1": 10},
                            {"sev2": 45}, "sev2"),
        # Seen and removed only (a lost phone); nobody but its owner writes a factor.
        Authenticator: ("mfa_authenticator", None, None, "type"),
    }  # fmt: skip


TRACKED_ADMINS = [m for m in admin.site._registry if m in BY_MODEL or m in PARTS]


def test_every_tracked_model_admin_has_a_case(cast):
    assert set(TRACKED_ADMINS) == set(cases(cast, world(cast)))


def new_entries(after_pk: int) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(pk__gt=after_pk).exclude(action=Action.SIGN_IN)
    return list(found.order_by("pk"))


def last_pk() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def post_form(client: Client, url: str, model: type, changes: dict) -> Any:
    page = client.get(url)
    assert page.status_code == 200, url
    fields: dict[str, Any] = form_fields(page.content.decode(), f"{model._meta.model_name}_form")
    for name, value in changes.items():
        if value == "":
            fields.pop(name, None)  # an unticked box is not sent
        else:
            fields[name] = value
    fields["_save"] = "Save"
    return client.post(url, fields)


@pytest.fixture
def superuser(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@example.com", "Root-pass-1"))
    return client


@pytest.mark.parametrize("model", TRACKED_ADMINS, ids=[m.__name__ for m in TRACKED_ADMINS])
def test_each_admin_add_change_and_delete_leaves_one_entry(cast, superuser, model):
    objects = world(cast)
    object_type, add, change, field = cases(cast, objects)[model]
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    obj = objects[model]

    if change is not None:
        mark = last_pk()
        response = post_form(superuser, f"{base}{obj.pk}/change/", model, change)
        assert response.status_code == 302, response.content[:2000]
        [entry] = new_entries(mark)
        assert (entry.object_type, entry.action, entry.actor, entry.via) == (
            object_type, U, "root@example.com", "admin")  # fmt: skip
        assert field in entry.changes, entry.changes
        assert entry.changes[field][0] != entry.changes[field][1]

    if add is not None:
        mark = last_pk()
        response = post_form(superuser, f"{base}add/", model, add)
        assert response.status_code == 302, response.content[:3000]
        [entry] = new_entries(mark)
        expected_action = C if BY_MODEL.get(model) else U  # a part adds to its root
        assert (entry.object_type, entry.action) == (object_type, expected_action)

    mark = last_pk()
    response = superuser.post(f"{base}{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entries = new_entries(mark)
    [entry] = [e for e in entries if e.object_type == object_type]
    assert (entry.object_type, entry.action) == (object_type, D if model in BY_MODEL else U)
    # What went with it (a service's integrations, ...) is recorded as deleted too.
    assert all(e.action == D for e in entries if e != entry)


def test_masked_in_the_admin_too(cast, superuser):
    objects = world(cast)
    method = objects[ContactMethod]
    mark = last_pk()
    secret_url = "https://hooks.slack.com/services/T/B/secret"
    url = f"/admin/paging/contactmethod/{method.pk}/change/"
    post_form(superuser, url, ContactMethod, {"kind": "slack", "address": secret_url})
    [entry] = new_entries(mark)
    assert entry.changes["address"] == ["r@x.io", "https://hooks.slack.com/…"]
    assert "slack" in URL_ADDRESS_KINDS


def test_a_team_and_its_memberships_changed_on_one_admin_page_are_one_entry(cast, superuser):
    page = superuser.get(f"/admin/accounts/team/{cast.team.pk}/change/").content.decode()
    fields = form_fields(page, "team_form")
    row = next(k for k, v in fields.items() if k.endswith("-user") and v == [str(cast.viewer.pk)])
    mark = last_pk()
    changes = {"description": "Runs the platform", row.replace("-user", "-role"): "admin"}
    post_form(superuser, f"/admin/accounts/team/{cast.team.pk}/change/", Team, changes)
    [entry] = new_entries(mark)
    assert entry.object_type == "team" and entry.team_id == cast.team.pk
    assert entry.changes == {
        "description": ["", "Runs the platform"],
        "members.viewer@example.com": ["viewer", "admin"],
    }
