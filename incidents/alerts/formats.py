"""What each sender posts, turned into one normalised form. Pure Python, no Django.

One parser per sender. Each takes the decoded JSON body and returns normalised alerts, or
raises FormatError naming the field that is wrong. Unknown fields are ignored everywhere,
as senders add fields over time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_ALERTS_PER_BODY = 1000


class Action:
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class NormalisedAlert:
    """One alert, whoever sent it. `severity` is the sender's word (a `severity` label,
    PagerDuty's severity); the integration's mapping turns it into SEV1..SEV4."""

    action: str  # Action.*
    dedup_key: str
    summary: str = ""
    severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    source_url: str = ""
    group_key: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


class FormatError(ValueError):
    """The body is not what the sender's format says it should be."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = f"{field}: {message}"


# --- Small strict readers -------------------------------------------------------------------


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(name, f"must be a JSON object, not {_type(value)}")
    return value


def _text(value: Any, name: str, *, required: bool = False, max_length: int | None = None) -> str:
    if value is None:
        if required:
            raise FormatError(name, "is required")
        return ""
    if not isinstance(value, str):
        raise FormatError(name, f"must be a string, not {_type(value)}")
    if required and not value.strip():
        raise FormatError(name, "is required")
    if max_length is not None and len(value) > max_length:
        raise FormatError(name, f"is {len(value)} characters; at most {max_length}")
    return value


def _string_map(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    mapping = _object(value, name)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise FormatError(f"{name}.{key}", f"must be a string, not {_type(item)}")
    return dict(mapping)


def _type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(name, f"must be an array, not {_type(value)}")
    if len(value) > MAX_ALERTS_PER_BODY:
        raise FormatError(name, f"has {len(value)} items; at most {MAX_ALERTS_PER_BODY}")
    return value


def labels_fingerprint(labels: dict[str, str]) -> str:
    """A stable key for an alert that came without a fingerprint (Alertmanager < 0.19):
    its label set, as Alertmanager's own fingerprint is."""
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- Alertmanager and Grafana ---------------------------------------------------------------


def _alertmanager_style(body: Any, *, extra: tuple[str, ...] = ()) -> list[NormalisedAlert]:
    body = _object(body, "body")
    alerts = _list(body.get("alerts"), "alerts")
    group_key = _text(body.get("groupKey"), "groupKey")
    common_labels = _string_map(body.get("commonLabels"), "commonLabels")
    common_annotations = _string_map(body.get("commonAnnotations"), "commonAnnotations")
    _text(body.get("status"), "status")
    out = []
    for index, raw in enumerate(alerts):
        where = f"alerts[{index}]"
        alert = _object(raw, where)
        status = _text(alert.get("status"), f"{where}.status", required=True)
        if status not in ("firing", "resolved"):
            raise FormatError(f"{where}.status", f"must be firing or resolved, not {status!r}")
        labels = _string_map(alert.get("labels"), f"{where}.labels")
        annotations = _string_map(alert.get("annotations"), f"{where}.annotations")
        fingerprint = _text(alert.get("fingerprint"), f"{where}.fingerprint", max_length=255)
        for name in ("startsAt", "endsAt", "generatorURL", *extra):
            if name in alert and alert[name] is not None and not isinstance(alert[name], str):
                raise FormatError(f"{where}.{name}", f"must be a string, not {_type(alert[name])}")
        if not labels and not fingerprint:
            raise FormatError(f"{where}.labels", "an alert needs labels or a fingerprint")
        candidates = (
            annotations.get("summary"),
            annotations.get("description"),
            common_annotations.get("summary"),
            labels.get("alertname"),
            common_labels.get("alertname"),
        )
        summary = next((c.strip() for c in candidates if c and c.strip()), "Alert")
        out.append(
            NormalisedAlert(
                action=Action.TRIGGER if status == "firing" else Action.RESOLVE,
                dedup_key=fingerprint or labels_fingerprint(labels),
                summary=summary[:MAX_SUMMARY],
                severity=labels.get("severity", ""),
                labels=labels,
                source_url=alert.get("generatorURL") or "",
                group_key=group_key,
                payload=alert,
            )
        )
    return out


def parse_alertmanager(body: Any) -> list[NormalisedAlert]:
    """Alertmanager's webhook (version "4"): one group of alerts per request."""
    return _alertmanager_style(body)


def parse_grafana(body: Any) -> list[NormalisedAlert]:
    """Grafana's webhook contact point (version "1"): Alertmanager's shape plus orgId,
    title, state, message and per alert silenceURL, dashboardURL, panelURL, values."""
    if isinstance(body, dict):
        for name in ("title", "state", "message"):
            _text(body.get(name), name)
    alerts = _alertmanager_style(
        body, extra=("silenceURL", "dashboardURL", "panelURL", "valueString")
    )
    for index, alert in enumerate(alerts):
        values = alert.payload.get("values")
        if values is not None and not isinstance(values, dict):
            raise FormatError(f"alerts[{index}].values", f"must be an object, not {_type(values)}")
    return alerts


# --- PagerDuty Events API v2 ----------------------------------------------------------------

PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
PAGERDUTY_ACTIONS = (Action.TRIGGER, Action.ACKNOWLEDGE, Action.RESOLVE)


class PagerDutyInvalid(ValueError):
    """PagerDuty answers every problem it finds at once, as a list of messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_pagerduty(body: Any) -> tuple[str, NormalisedAlert]:
    """An Events API v2 event -> (routing_key, alert). Raises PagerDutyInvalid listing
    every problem, with PagerDuty's wording where it has one."""
    if not isinstance(body, dict):
        raise PagerDutyInvalid(["Event object must be a JSON object."])
    errors: list[str] = []
    routing_key = body.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key:
        errors.append("'routing_key' is missing or blank")
    elif len(routing_key) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = body.get("event_action")
    if action not in PAGERDUTY_ACTIONS:
        errors.append("'event_action' is missing or blank" if not action else
                      "'event_action' must be one of trigger, acknowledge, resolve")  # fmt: skip
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is too long (at most {MAX_DEDUP_KEY} characters)")
    if action in (Action.ACKNOWLEDGE, Action.RESOLVE) and not dedup_key:
        errors.append("'dedup_key' is missing or blank")

    payload = body.get("payload")
    summary = severity = ""
    labels: dict[str, str] = {}
    if action == Action.TRIGGER:
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            summary, severity, labels = _pagerduty_payload(payload, errors)
    for name in ("client", "client_url"):
        if body.get(name) is not None and not isinstance(body[name], str):
            errors.append(f"'{name}' must be a string")
    for name in ("links", "images"):
        if body.get(name) is not None and not isinstance(body[name], list):
            errors.append(f"'{name}' must be an array")
    if errors:
        raise PagerDutyInvalid(errors)
    client_url = body.get("client_url") or ""
    links = body.get("links") or []
    if not client_url and links and isinstance(links[0], dict):
        client_url = links[0].get("href") if isinstance(links[0].get("href"), str) else ""
    return routing_key, NormalisedAlert(
        action=action,
        dedup_key=dedup_key or uuid.uuid4().hex,
        summary=summary,
        severity=severity,
        labels=labels,
        source_url=client_url,
        payload=body,
    )


def _pagerduty_payload(payload: dict, errors: list[str]) -> tuple[str, str, dict[str, str]]:
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
        summary = ""
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is too long (at most {MAX_SUMMARY} characters)")
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append("'payload.source' is missing or blank")
    severity = payload.get("severity")
    if severity not in PAGERDUTY_SEVERITIES:
        errors.append("'payload.severity' must be one of critical, error, warning, info")
        severity = ""
    labels = {}
    for name in ("source", "component", "group", "class", "timestamp"):
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(f"'payload.{name}' must be a string")
        else:
            labels[name] = value
    details = payload.get("custom_details")
    if isinstance(details, dict):
        labels.update({k: v for k, v in details.items() if isinstance(v, str)})
    return summary, severity, labels


# --- Generic JSON ---------------------------------------------------------------------------

GENERIC_STATUSES = ("firing", "resolved")


def parse_generic(body: Any) -> NormalisedAlert:
    """Keel's own documented JSON:
    {"title", "dedup_key"?, "severity"?, "status"?: firing|resolved, "details"?, "links"?}.
    Without a dedup_key the title is the key, so repeats of one title fold together."""
    body = _object(body, "body")
    title = _text(body.get("title"), "title", required=True, max_length=MAX_SUMMARY)
    dedup_key = _text(body.get("dedup_key"), "dedup_key", max_length=MAX_DEDUP_KEY)
    severity = _text(body.get("severity"), "severity", max_length=50)
    status = _text(body.get("status"), "status") or "firing"
    if status not in GENERIC_STATUSES:
        raise FormatError("status", f"must be firing or resolved, not {status!r}")
    details = body.get("details")
    labels: dict[str, str] = {}
    if details is not None:
        details = _object(details, "details")
        labels = {k: v for k, v in details.items() if isinstance(v, str)}
    links = body.get("links")
    source_url = ""
    if links is not None:
        for index, link in enumerate(_list(links, "links")):
            if isinstance(link, str):
                source_url = source_url or link
            elif isinstance(link, dict) and isinstance(link.get("href"), str):
                source_url = source_url or link["href"]
            else:
                raise FormatError(f"links[{index}]", 'must be a URL or {"href", "text"}')
    return NormalisedAlert(
        action=Action.TRIGGER if status == "firing" else Action.RESOLVE,
        dedup_key=dedup_key or hashlib.sha256(title.encode()).hexdigest()[:32],
        summary=title,
        severity=severity,
        labels=labels,
        source_url=source_url,
        payload=body,
    )
