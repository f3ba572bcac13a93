"""Every write path leaves exactly one audit entry per configuration object it changes, with
the right before and after and no secret in it; writes that are not configuration (an
incident, a postmortem, a page) leave none.

The write paths are not listed by hand: they are the authorization table's write rows
(tests/authz_table.py, which must hold every route the URL resolver serves), so an endpoint
or form added later fails here until it is classified below.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import ApiToken, User
from audit.models import Action, AuditEntry
from audit.tracked import BY_NAME, URL_ADDRESS_KINDS
from incidents.alerts.models import Integration
from incidents.chat.models import ChatChannel
from incidents.oncall.models import PersonalCalendar, Schedule
from incidents.paging.models import ContactMethod, PushSubscription

from ..authz_table import ENDPOINTS, Endpoint, setup
from ..helpers import api_client
from ..test_authorization import is_allowed

C, U, D = Action.CREATE, Action.UPDATE, Action.DELETE

# Write rows that change configuration: (object type, action, a field the change shows).
CONFIG: dict[str, tuple[str, str, str]] = {
    "add service": ("service", C, "name"),
    "edit service": ("service", U, "description"),
    "edit me": ("user", U, "time_zone"),
    "create token": ("api_token", C, "name"),
    "revoke own token": ("api_token", U, "revoked_at"),
    "create schedule": ("schedule", C, "layers[1].participants"),
    "replace schedule": ("schedule", U, "layers[1].name"),
    "edit schedule": ("schedule", U, "time_zone"),
    "delete schedule": ("schedule", D, "name"),
    "add override": ("override", C, "user"),
    "revoke schedule calendar": ("schedule", U, "calendar_token"),
    "add contact method": ("contact_method", C, "address"),
    "edit contact method": ("contact_method", U, "address"),
    "remove contact method": ("contact_method", D, "address"),
    "add escalation policy": ("escalation_policy", C, "steps[1].targets"),
    "replace escalation policy": ("escalation_policy", U, "steps[1].delay_minutes"),
    "edit escalation policy": ("escalation_policy", U, "repeat"),
    "remove escalation policy": ("escalation_policy", D, "name"),
    "add contact method form": ("contact_method", C, "address"),
    "remove contact method form": ("contact_method", D, "address"),
    "service escalation policy form": ("service", U, "escalation_policy"),
    "add escalation policy form": ("escalation_policy", C, "steps[1].targets"),
    "edit escalation policy form": ("escalation_policy", U, "steps[1].targets"),
    "delete escalation policy form": ("escalation_policy", D, "name"),
    "add notification rule form": ("contact_method", U, "rules"),
    "remove notification rule form": ("contact_method", U, "rules"),
    "add service form": ("service", C, "name"),
    "new schedule form": ("schedule", C, "name"),
    "schedule editor form": ("schedule", U, "layers[1].name"),
    "override form": ("override", C, "user"),
    "remove override": ("override", D, "user"),
    "take this shift": ("override", C, "user"),
    "new schedule calendar address": ("schedule", U, "calendar_token"),
    "new personal calendar address": ("personal_calendar", U, "token"),
    "profile form": ("user", U, "time_zone"),
    "create token form": ("api_token", C, "name"),
    "revoke own token form": ("api_token", U, "revoked_at"),
    "password form": ("user", U, "password"),
    "add chat channel": ("chat_channel", C, "webhook_url"),
    "edit chat channel": ("chat_channel", U, "events"),
    "link chat user id by API": ("chat_identity", C, "chat_user_id"),
    "add chat channel form": ("chat_channel", C, "webhook_url"),
    "chat channel form": ("chat_channel", U, "name"),
    "link chat account form": ("chat_identity", C, "chat_user_id"),
    "forget chat account form": ("chat_identity", D, "chat_user_id"),
    "create integration": ("integration", C, "key_hash"),
    "edit integration": ("integration", U, "enabled"),
    "rotate integration key": ("integration", U, "key_hash"),
    "start maintenance": ("maintenance_window", C, "ends_at"),
    "end maintenance": ("maintenance_window", U, "ends_at"),
    "add integration form": ("integration", C, "key_hash"),
    "rotate key button": ("integration", U, "key_hash"),
    "disable integration button": ("integration", U, "enabled"),
    "start maintenance form": ("maintenance_window", C, "ends_at"),
    "end maintenance button": ("maintenance_window", U, "ends_at"),
    "replace reminder intervals": ("reminder_intervals", U, "sev4"),
    "edit reminder intervals": ("reminder_intervals", U, "sev2"),
    "save reminders form": ("reminder_intervals", U, "sev1"),
    "verify a phone number": ("contact_method", U, "verified_at"),
    "verify a phone number form": ("contact_method", U, "verified_at"),
    "add push subscription": ("contact_method", C, "device.endpoint"),
    "remove push subscription": ("contact_method", D, "device.endpoint"),
}
# Deleting some objects deletes others with them, each recorded as deleted too.
CASCADES = {"delete schedule": "override"}
# Write rows that change no configuration: incidents, their paging and postmortems (with
# records of their own), alerts, test pages, signing out.
NOT_CONFIG = {
    "declare", "edit", "acknowledge", "acknowledge paging", "escalate", "snooze", "status",
    "severity", "assign role", "unassign role", "add note", "strike note", "resolve",
    "decline", "reopen", "merge", "acknowledge by link", "snooze by link", "send a test page",
    "page someone", "page someone form", "send a test page form", "declare form", "note form",
    "status form", "severity form", "assign form", "unassign form", "acknowledge button",
    "escalate button", "snooze button", "reopen button", "strike form", "edit form",
    "merge form", "log out", "start postmortem", "save postmortem", "request review",
    "approve", "publish", "add factor", "add action item", "add comment", "edit factor",
    "delete factor", "edit action item", "delete action item", "start postmortem form",
    "review form", "approve form", "publish form", "factor form", "action item form",
    "action item status form", "comment form", "highlight", "alertmanager hook",
    "grafana hook", "generic hook", "pagerduty enqueue",
}  # fmt: skip

WRITES = [e for e in ENDPOINTS if e.method != "get" and not e.read_only]


def doer(endpoint: Endpoint) -> str | None:
    """Someone the row lets through (None: it refuses everyone)."""
    return next(
        (who for who in ("admin", "responder", "viewer", "outsider")
         if is_allowed(endpoint, who)),
        None,
    )  # fmt: skip


def secrets_in_database() -> list[str]:
    """Every secret value Keel holds, as stored: none may appear in an entry."""
    found = list(ApiToken.objects.values_list("key_hash", flat=True))
    for key_hash, secret in Integration.objects.values_list("key_hash", "secret"):
        found += [key_hash, secret]
    found += ContactMethod.objects.values_list("secret", flat=True)
    found += ContactMethod.objects.filter(kind__in=URL_ADDRESS_KINDS).values_list(
        "address", flat=True
    )
    for endpoint, p256dh, auth in PushSubscription.objects.values_list(
        "endpoint", "p256dh", "auth"
    ):
        found += [endpoint, p256dh, auth]
    found += ChatChannel.objects.values_list("webhook_url", flat=True)
    found += Schedule.objects.values_list("calendar_token", flat=True)
    found += PersonalCalendar.objects.values_list("token", flat=True)
    found += User.objects.values_list("password", flat=True)
    return [value for value in found if value]


def config_entries():
    return AuditEntry.objects.exclude(action__in=[Action.SIGN_IN, Action.SIGN_IN_FAILED])


def test_every_write_row_is_classified():
    names = {e.name for e in WRITES if doer(e) is not None}
    unclassified = names - set(CONFIG) - NOT_CONFIG
    assert not unclassified, f"write rows neither in CONFIG nor NOT_CONFIG: {unclassified}"
    assert not (set(CONFIG) | NOT_CONFIG) - names, "rows that no longer exist"


def snapshots(object_type: str) -> dict[str, dict[str, Any]]:
    kind = BY_NAME[object_type]
    return {str(obj.pk): kind.snapshot(obj) for obj in kind.model.objects.all()}


def shown(object_type: str, key: str, value: Any, record: dict[str, Any]) -> Any:
    return BY_NAME[object_type].shown(key, value, record)


@pytest.mark.parametrize("endpoint", WRITES, ids=[e.name for e in WRITES])
def test_each_write_path_leaves_one_entry_per_object_changed(cast, endpoint):
    ctx = setup(cast, endpoint.status)
    who = doer(endpoint) or "outsider"
    user = cast.by_name(who)
    if endpoint.page:
        client = Client()
        client.force_login(user)
    else:
        client = api_client(user)
    ctx.user, ctx.client = user, client
    path, body = endpoint.path(ctx), endpoint.body(ctx)
    expected = CONFIG.get(endpoint.name)
    before = snapshots(expected[0]) if expected else {}
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    if endpoint.page:
        response = getattr(client, endpoint.method)(path, body)
    else:
        response = getattr(client, endpoint.method)(path, body, format="json")

    assert response.status_code == endpoint.expected[who]
    entries = list(config_entries().filter(pk__gt=last))
    if expected is None or doer(endpoint) is None:
        assert entries == [], f"{endpoint.name} is not configuration, yet: {entries}"
        return
    object_type, action, field = expected
    cascaded = [e for e in entries if e.object_type == CASCADES.get(endpoint.name)]
    assert all(e.action == D for e in cascaded)
    entries = [e for e in entries if e not in cascaded]
    assert len(entries) == 1, [(e.object_type, e.action, e.changes) for e in entries]
    entry = entries[0]
    assert (entry.object_type, entry.action) == (object_type, action)
    assert (entry.actor, entry.actor_id, entry.address) == (user.email, user.pk, "127.0.0.1")
    assert entry.via.startswith("API token keel_") != endpoint.page
    assert field in entry.changes, entry.changes
    after = snapshots(object_type).get(entry.object_id)
    was = before.get(entry.object_id)
    for key, (old, new) in entry.changes.items():
        if was is not None:
            assert old == shown(object_type, key, was.get(key), was), key
        if after is not None:
            assert str(new).removesuffix(" (changed)") == str(
                shown(object_type, key, after.get(key), after)
            ), key
    assert (was is None) == (action == C) and (after is None) == (action == D)
    text = json.dumps(entry.changes)
    leaked = [secret for secret in secrets_in_database() if secret in text]
    assert not leaked, f"secrets in the entry: {leaked}"
