"""Normalised alerts -> Alert rows and incidents, the same way for every sender.

- A firing alert whose key already has a firing Alert counts on that row; its incident's
  timeline hears about repeats at most once per ALERTS_REPEAT_WINDOW seconds (an
  "alert repeated, N times so far" event), while the row keeps the exact count. Timeline events are
  append-only, so "one event per window" is how repeats stay readable.
- A new key opens an incident (status triggered, declared by the system) on the
  integration's service, or joins the open incident where an alert of the same
  Alertmanager group (groupKey) is still firing.
  While the service is in maintenance the alert is stored and counted but opens nothing;
  if it is still firing when maintenance is over, its next repeat opens the incident.
- A resolve marks the alert resolved and says so on the timeline; when the last firing
  alert of an alert-opened incident resolves, the timeline says so, and the incident
  resolves itself if the opening integration says so.
- Acknowledge (PagerDuty) acknowledges a triggered incident. Acknowledge or resolve for a
  key with no firing alert is accepted and dropped, as PagerDuty does.

Incidents change only through incidents/lifecycle/. Concurrent deliveries of one new key
race on the unique constraint over firing alerts; the loser retries and counts on the
winner's row, so one key never makes two alerts or two incidents. Rows are locked in the
one order of incidents/locking.py (alert, integration, ref counter, incident), and a
transaction PostgreSQL picks as a deadlock victim anyway is redone, not answered with 503.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from incidents import lifecycle, locking
from incidents.models import REF_PREFIX, EventKind, Incident, Severity, Status

from .formats import Action, NormalisedAlert
from .models import Alert, AlertStatus, Integration, MaintenanceWindow, hash_key

DEFAULT_SEVERITY_MAP = {
    "critical": Severity.SEV1,
    "sev1": Severity.SEV1,
    "error": Severity.SEV2,
    "high": Severity.SEV2,
    "sev2": Severity.SEV2,
    "warning": Severity.SEV3,
    "warn": Severity.SEV3,
    "sev3": Severity.SEV3,
    "info": Severity.SEV4,
    "low": Severity.SEV4,
    "sev4": Severity.SEV4,
}
MAX_INCIDENT_LABELS = 50
CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class Outcome:
    dedup_key: str
    alert_id: int | None  # None when the event was dropped (or, on the hot path, not looked up)
    incident_ref: str | None = None


def repeat_window() -> timedelta:
    return timedelta(seconds=getattr(settings, "ALERTS_REPEAT_WINDOW", 300))


def map_severity(integration: Integration, word: str) -> str:
    """The integration's own mapping first, then the usual words, then its default."""
    word = (word or "").strip().lower()
    custom = {str(k).lower(): v for k, v in (integration.severity_map or {}).items()}
    return custom.get(word) or DEFAULT_SEVERITY_MAP.get(word) or integration.default_severity


def ingest(integration: Integration, alerts: list[NormalisedAlert]) -> list[Outcome]:
    return [ingest_one(integration, alert) for alert in alerts]


def ingest_one(
    integration: Integration,
    alert: NormalisedAlert,
    *,
    want_ref: bool = True,
    hot_path: bool = True,
) -> Outcome:
    """Store one alert and apply it. `want_ref=False` (PagerDuty, whose answer names no
    incident) saves a query on the hot path; `hot_path=False` when the caller has already
    tried count_repeat_by_key."""
    if alert.action == Action.TRIGGER:
        counted = None
        if hot_path:
            counted = _count_repeat(
                {"integration": integration}, alert, map_severity(integration, alert.severity),
                want_ref,
            )  # fmt: skip
        return counted or _with_retries(_fire, integration, alert)
    if alert.action == Action.RESOLVE:
        return _resolve(integration, alert)
    return _acknowledge(integration, alert)


def count_repeat_by_key(kind: str, raw_key: str, alert: NormalisedAlert) -> Outcome | None:
    """The hot path before the integration is even loaded: a repeat of a firing alert
    under an enabled integration with this key, counted by one UPDATE (its severity stays as
    last mapped). None when that is not the case; then look the integration up and call
    ingest_one(..., hot_path=False)."""
    if alert.action != Action.TRIGGER:
        return None
    filters = {
        "integration__key_hash": hash_key(raw_key),
        "integration__kind": kind,
        "integration__enabled": True,
    }
    return _count_repeat(filters, alert, None, want_ref=False)


def _with_retries(step, integration: Integration, alert: NormalisedAlert) -> Outcome:
    for attempt in range(CONFLICT_RETRIES):
        try:
            return locking.atomic_with_retries(step, integration, alert)
        except IntegrityError:
            # Another delivery of the same new key committed first: count on its row.
            if attempt == CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _locked_firing(integration: Integration, dedup_key: str) -> Alert | None:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(integration=integration, dedup_key=dedup_key, status=AlertStatus.FIRING)
        .first()
    )


def _in_maintenance(integration: Integration, now: datetime) -> bool:
    return MaintenanceWindow.objects.active(now).filter(service_id=integration.service_id).exists()


def _current_incident(alert: Alert) -> Incident | None:
    """The open incident the alert belongs to, following one merge."""
    incident = alert.incident
    if incident is not None and incident.status == Status.MERGED and incident.merged_into_id:
        incident = Incident.objects.get(pk=incident.merged_into_id)
    return incident if incident is not None and incident.is_open else None


# --- Firing -----------------------------------------------------------------------------------


def _count_repeat(
    filters: dict, n: NormalisedAlert, severity: str | None, want_ref: bool
) -> Outcome | None:
    """The hot path, a storm of repeats: when the key's firing alert belongs to an open
    incident and its timeline heard of a repeat within the window, count it with one
    UPDATE (atomic by itself; no lock held across round trips). Anything else -> None, and
    the locked path below decides."""
    now = timezone.now()
    changes = {
        "count": F("count") + 1,
        "last_seen": now,
        "summary": n.summary[:1024] or "Alert",
        "labels": n.labels,
        "payload": n.payload,
        "source_url": n.source_url[:2000],
    }
    if severity is not None:
        changes["severity"] = severity
    firing = Alert.objects.firing().filter(dedup_key=n.dedup_key, **filters)
    counted = firing.filter(
        repeat_posted_at__gt=now - repeat_window(),
        incident__status__in=Status.open_values(),
    ).update(**changes)
    if not counted:
        return None
    if not want_ref:
        return Outcome(n.dedup_key, None)
    row = firing.values_list("pk", "incident__number").first()
    if row is None:  # resolved in between: it was counted all the same
        return Outcome(n.dedup_key, None)
    return Outcome(n.dedup_key, row[0], f"{REF_PREFIX}{row[1]}" if row[1] else None)


def _fire(integration: Integration, n: NormalisedAlert) -> Outcome:
    now = timezone.now()
    alert = _locked_firing(integration, n.dedup_key)
    if alert is not None and alert.incident_id is not None and _current_incident(alert) is None:
        # People closed the incident while the sender still reports the problem: that alert
        # ends there, and this report starts afresh (PagerDuty does the same).
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.save(update_fields=["status", "resolved_at"])
        alert = None
    if alert is None:
        return _new_alert(integration, n, now)

    alert.count += 1
    alert.last_seen = now
    alert.summary = n.summary[:1024] or alert.summary
    alert.severity = map_severity(integration, n.severity)
    alert.labels = n.labels
    alert.payload = n.payload
    alert.source_url = n.source_url[:2000]
    fields = ["count", "last_seen", "summary", "severity", "labels", "payload", "source_url"]
    incident = _current_incident(alert) if alert.incident_id else None
    if incident is None and alert.incident_id is None and not _in_maintenance(integration, now):
        # It kept firing through a maintenance window that is now over.
        alert.in_maintenance = False
        incident = _open_or_join(integration, alert, n)
        fields += ["in_maintenance", "incident", "opened_incident"]
    elif incident is not None:
        if incident.pk != alert.incident_id:
            alert.incident = incident
            fields.append("incident")
        if alert.repeat_posted_at is None or now - alert.repeat_posted_at >= repeat_window():
            lifecycle.record(
                incident,
                None,
                EventKind.ALERT,
                f"Alert repeated, {alert.count} times so far: {alert.summary}",
                _event_data(alert, "repeated", count=alert.count),
            )
            alert.repeat_posted_at = now
            fields.append("repeat_posted_at")
    alert.save(update_fields=fields)
    return Outcome(n.dedup_key, alert.pk, incident.ref if incident else None)


def _new_alert(integration: Integration, n: NormalisedAlert, now: datetime) -> Outcome:
    with transaction.atomic():  # a savepoint: a lost race rolls back only the insert
        alert = Alert.objects.create(
            integration=integration,
            dedup_key=n.dedup_key,
            status=AlertStatus.FIRING,
            summary=n.summary[:1024] or "Alert",
            severity=map_severity(integration, n.severity),
            labels=n.labels,
            source_url=n.source_url[:2000],
            group_key=n.group_key[:1000],
            first_seen=now,
            last_seen=now,
            payload=n.payload,
        )
    if _in_maintenance(integration, now):
        alert.in_maintenance = True
        alert.save(update_fields=["in_maintenance"])
        return Outcome(n.dedup_key, alert.pk, None)
    incident = _open_or_join(integration, alert, n)
    alert.save(update_fields=["incident", "opened_incident"])
    return Outcome(n.dedup_key, alert.pk, incident.ref)


def _open_or_join(integration: Integration, alert: Alert, n: NormalisedAlert) -> Incident:
    """Join the open incident of the alert's Alertmanager group while some alert of the
    group still fires there, or open one. (Once all its alerts resolved, a new firing is a
    new occurrence, and gets its own incident even if people left the old one open.)"""
    incident = None
    if alert.group_key:
        # One group's alerts may arrive in concurrent requests: decide one at a time. FOR NO
        # KEY UPDATE of this row alone, so that the foreign-key checks of other transactions
        # (FOR KEY SHARE on the integration and its service) never wait for it; see
        # incidents/locking.py. get() also drops the ordering by service, which would join
        # (and lock) the service row.
        Integration.objects.select_for_update(no_key=True, of=("self",)).only("pk").get(
            pk=integration.pk
        )
        sibling = (
            Alert.objects.filter(
                integration=integration,
                group_key=alert.group_key,
                status=AlertStatus.FIRING,
                incident__status__in=Status.open_values(),
            )
            .exclude(pk=alert.pk)
            .select_related("incident")
            .order_by("-pk")
            .first()
        )
        incident = sibling.incident if sibling else None
    if incident is None:
        service = integration.service
        incident = lifecycle.declare(
            None,
            title=alert.summary.strip()[: lifecycle.MAX_TITLE] or "Alert",
            severity=alert.severity,
            team=service.team,
            services=[service],
            labels=_incident_labels(n.labels),
            data={"alert": alert.pk, "integration": integration.pk, "kind": integration.kind},
        )
        alert.opened_incident = True
    alert.incident = incident
    lifecycle.record(
        incident,
        None,
        EventKind.ALERT,
        f"Alert fired: {alert.summary}",
        _event_data(alert, "fired"),
    )
    return incident


def _incident_labels(labels: dict[str, str]) -> dict[str, str]:
    """The alert's labels in the shape lifecycle accepts (short keys, short text values)."""
    out = {}
    for key, value in labels.items():
        if len(out) == MAX_INCIDENT_LABELS:
            break
        if isinstance(key, str) and 0 < len(key) <= 100 and isinstance(value, str):
            out[key] = value[: lifecycle.MAX_LABEL_LENGTH]
    return out


def _event_data(alert: Alert, action: str, **extra) -> dict:
    return {
        "action": action,
        "alert": alert.pk,
        "dedup_key": alert.dedup_key,
        "integration": alert.integration_id,
        "source_url": alert.source_url,
        **extra,
    }


# --- Resolving and acknowledging --------------------------------------------------------------


def _resolve(integration: Integration, n: NormalisedAlert) -> Outcome:
    return locking.atomic_with_retries(_resolve_locked, integration, n)


def _resolve_locked(integration: Integration, n: NormalisedAlert) -> Outcome:
    now = timezone.now()
    alert = _locked_firing(integration, n.dedup_key)
    if alert is None:
        return Outcome(n.dedup_key, None)  # nothing firing under that key: dropped
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.last_seen = now
    alert.payload = n.payload or alert.payload
    alert.save(update_fields=["status", "resolved_at", "last_seen", "payload"])
    incident = _current_incident(alert) if alert.incident_id else None
    if incident is None:
        return Outcome(n.dedup_key, alert.pk, None)
    lifecycle.record(
        incident, None, EventKind.ALERT, f"Alert resolved: {alert.summary}",
        _event_data(alert, "resolved", count=alert.count),
    )  # fmt: skip
    _after_resolve(incident)
    return Outcome(n.dedup_key, alert.pk, incident.ref)


def _after_resolve(incident: Incident) -> None:
    # Two alerts of one incident resolving at once must not both think the other is still
    # firing: lock the incident row (read only; lifecycle does the writing) to take turns.
    Incident.objects.select_for_update(no_key=True, of=("self",)).only("pk").get(pk=incident.pk)
    if Alert.objects.firing().filter(incident=incident).exists():
        return
    opener = (
        Alert.objects.filter(incident=incident, opened_incident=True)
        .select_related("integration")
        .first()
    )
    if opener is None:
        return  # a person declared it; alerts only joined
    resolves_itself = opener.integration.auto_resolve
    lifecycle.record(
        incident,
        None,
        EventKind.ALERT,
        "All alerts resolved." + ("" if resolves_itself else " The incident stays open."),
        {"action": "all_resolved"},
    )
    incident.refresh_from_db()
    if resolves_itself and incident.is_open:
        lifecycle.resolve(incident, None, "Resolved by itself: every alert resolved.")


def _acknowledge(integration: Integration, n: NormalisedAlert) -> Outcome:
    alert = (
        Alert.objects.firing()
        .select_related("incident")
        .filter(integration=integration, dedup_key=n.dedup_key)
        .first()
    )
    incident = _current_incident(alert) if alert and alert.incident_id else None
    if alert is None:
        return Outcome(n.dedup_key, None)
    if incident is not None and incident.status == Status.TRIGGERED:
        # Acknowledged meanwhile, by a person or another delivery: nothing left to do.
        with contextlib.suppress(lifecycle.Conflict):
            locking.atomic_with_retries(lifecycle.acknowledge, incident, None)
    return Outcome(n.dedup_key, alert.pk, incident.ref if incident else None)
