"""The authorization table's rows for inbound alerts (joined into tests/authz_table.py).

Integrations, alerts and maintenance of a service are seen by its team and changed by its
responders and admins; the hooks take no login at all (the key is the credential), so
every person, anonymous included, gets the same answer there."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from incidents.alerts.models import Alert, Integration, Kind, MaintenanceWindow
from incidents.models import Incident

from .helpers import make_integration, payload


def integration(ctx: SimpleNamespace, kind: str = Kind.ALERTMANAGER) -> Integration:
    """The team service's integration of `kind`, made on first use; its key in ctx.keys."""
    keys = ctx.__dict__.setdefault("keys", {})
    if kind not in keys:
        made, keys[kind] = make_integration_for(ctx, kind)
        ctx.__dict__.setdefault("integrations", {})[kind] = made.pk
    return Integration.objects.get(pk=ctx.integrations[kind])


def make_integration_for(ctx: SimpleNamespace, kind: str):
    from incidents.models import Service

    return make_integration(Service.objects.get(pk=ctx.service), kind, name=f"Ops {kind}")


def key(ctx: SimpleNamespace, kind: str) -> str:
    integration(ctx, kind)
    return ctx.keys[kind]


def window(ctx: SimpleNamespace) -> MaintenanceWindow:
    existing = MaintenanceWindow.objects.filter(reason="authz window").first()
    if existing:
        return existing
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        service_id=ctx.service, starts_at=now, ends_at=now + timedelta(hours=1),
        reason="authz window",
    )  # fmt: skip


def ended(ctx: SimpleNamespace) -> bool:
    return MaintenanceWindow.objects.get(reason="authz window").ends_at <= timezone.now()


def rotated(ctx: SimpleNamespace) -> bool:
    return integration(ctx).key_rotated_at is not None


def incident_alert(ctx: SimpleNamespace) -> str:
    """An alert on the table's private incident; the path of the room's alerts panel."""
    if not Alert.objects.filter(dedup_key="authz-alert").exists():
        now = timezone.now()
        Alert.objects.create(
            integration=integration(ctx), dedup_key="authz-alert", status="firing",
            summary="Disk almost full", severity="SEV2",
            incident=Incident.objects.get(number=Incident.number_from_ref(ctx.ref)),
            first_seen=now, last_seen=now,
        )  # fmt: skip
    return f"/incidents/{ctx.ref}/alerts/"


def alert_stored(dedup_key: str):
    return lambda ctx: Alert.objects.filter(dedup_key=dedup_key).exists()


def rows(Endpoint, expected: dict) -> list:
    """The rows, built with the table's own Endpoint class and status maps."""
    e = SimpleNamespace(**expected)
    everyone_202 = dict.fromkeys(e.PEOPLE, 202)
    page_manage = {**e.PAGE_OPEN_TO_SIGNED_IN, "viewer": 403, "outsider": 403,
                   "responder": 302, "admin": 302}  # fmt: skip
    api = "/api/v1/integrations/"
    mw = "/api/v1/maintenance-windows/"
    return [
        # --- the API
        Endpoint("list integrations", "get", lambda c: (integration(c), api)[1],
                 e.OPEN_TO_SIGNED_IN, shows=lambda c: "Ops alertmanager",
                 sees=frozenset(e.TEAM)),
        Endpoint("create integration", "post", lambda c: api,
                 {**e.CREATE, "viewer": 400, "outsider": 400},
                 body=lambda c: {"service": c.service, "kind": "grafana", "name": "New grafana"},
                 effect=lambda c: Integration.objects.filter(name="New grafana").exists()),
        Endpoint("integration detail", "get", lambda c: f"{api}{integration(c).pk}/", e.READ,
                 shows=lambda c: "Ops alertmanager"),
        Endpoint("edit integration", "patch", lambda c: f"{api}{integration(c).pk}/", e.WRITE,
                 body=lambda c: {"enabled": False},
                 effect=lambda c: not integration(c).enabled),
        Endpoint("rotate integration key", "post",
                 lambda c: f"{api}{integration(c).pk}/rotate/", e.WRITE, effect=rotated),
        Endpoint("list maintenance windows", "get", lambda c: (window(c), mw)[1],
                 e.OPEN_TO_SIGNED_IN, shows=lambda c: "authz window", sees=frozenset(e.TEAM)),
        Endpoint("start maintenance", "post", lambda c: mw,
                 {**e.CREATE, "viewer": 400, "outsider": 400},
                 body=lambda c: {"service": c.service, "reason": "deploy",
                                 "ends_at": (timezone.now() + timedelta(hours=1)).isoformat()},
                 effect=lambda c: MaintenanceWindow.objects.filter(reason="deploy").exists()),
        Endpoint("maintenance window detail", "get", lambda c: f"{mw}{window(c).pk}/", e.READ,
                 shows=lambda c: "authz window"),
        Endpoint("end maintenance", "post", lambda c: f"{mw}{window(c).pk}/end/", e.WRITE,
                 effect=ended),
        # --- the hooks: the key is the credential, whoever holds it
        Endpoint("alertmanager hook", "post",
                 lambda c: f"/hooks/alertmanager/{key(c, Kind.ALERTMANAGER)}/", everyone_202,
                 body=lambda c: payload("alertmanager_firing"),
                 effect=alert_stored("1a30ba71cca2921f")),
        Endpoint("grafana hook", "post",
                 lambda c: f"/hooks/grafana/{key(c, Kind.GRAFANA)}/", everyone_202,
                 body=lambda c: payload("grafana_firing"),
                 effect=alert_stored("c6eadffa33fcdf37")),
        Endpoint("generic hook", "post",
                 lambda c: f"/hooks/generic/{key(c, Kind.GENERIC)}/", everyone_202,
                 body=lambda c: payload("generic_firing"), effect=alert_stored("db-1-disk")),
        Endpoint("pagerduty enqueue", "post", lambda c: (key(c, Kind.PAGERDUTY), "/v2/enqueue")[1],
                 everyone_202,
                 body=lambda c: payload("pagerduty_trigger", routing_key=c.keys[Kind.PAGERDUTY]),
                 effect=alert_stored("samplekeyhere")),
        # --- the room's alerts panel: whoever sees the incident
        Endpoint("incident alerts panel", "get", incident_alert, e.PAGE_READ, page=True,
                 shows=lambda c: "Disk almost full"),
        # --- the service page
        Endpoint("service page", "get", lambda c: (integration(c), f"/services/{c.service}/")[1],
                 e.PAGE_OPEN_TO_SIGNED_IN, page=True, shows=lambda c: "Ops alertmanager",
                 sees=frozenset(e.TEAM)),
        Endpoint("add integration form", "post",
                 lambda c: f"/services/{c.service}/integrations/", page_manage, page=True,
                 body=lambda c: {"kind": "generic", "name": "From the page",
                                 "default_severity": "SEV3"},
                 effect=lambda c: Integration.objects.filter(name="From the page").exists()),
        Endpoint("rotate key button", "post",
                 lambda c: f"/services/{c.service}/integrations/{integration(c).pk}/rotate/",
                 page_manage, page=True, effect=rotated),
        Endpoint("disable integration button", "post",
                 lambda c: f"/services/{c.service}/integrations/{integration(c).pk}/toggle/",
                 page_manage, page=True, effect=lambda c: not integration(c).enabled),
        Endpoint("start maintenance form", "post",
                 lambda c: f"/services/{c.service}/maintenance/", page_manage, page=True,
                 body=lambda c: {"minutes": 30, "reason": "page window"},
                 effect=lambda c: MaintenanceWindow.objects.filter(reason="page window").exists()),
        Endpoint("end maintenance button", "post",
                 lambda c: f"/services/{c.service}/maintenance/{window(c).pk}/end/",
                 page_manage, page=True, effect=ended),
    ]  # fmt: skip
