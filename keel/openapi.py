"""The OpenAPI schema's other doors: the alert hooks, Slack's request URLs, the calendar
feeds and the acknowledge links. They are plain Django views (each proves itself its own
way: a key in the path, a signature, a secret token), so drf-spectacular cannot see them;
this postprocessing hook describes them, so the schema tells senders what to send and
schemathesis (tests/test_schemathesis.py) checks their answers like every API answer."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"

_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_SLACK_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
_ANY_OBJECT = {"type": "object", "additionalProperties": True}
_PAGE = {"type": "string", "description": "An HTML page for the person who followed the link."}


def _content(schema: dict, *types: str) -> dict:
    return {"content": {t: {"schema": schema} for t in types}}


def _answers(ok: dict, errors: dict[str, dict]) -> dict[str, dict]:
    return {**ok, **errors}


def _hook_errors() -> dict[str, dict]:
    why = {
        "400": "Not JSON, or not the sender's format.",
        "401": "Grafana: the signature does not match.",
        "404": "No enabled integration has this key.",
        "405": "Only POST.",
        "413": "The body is larger than 512 KB.",
        "415": "Not JSON.",
        "429": "Too many requests for this integration; see Retry-After.",
        "503": "The database is unavailable; retry after Retry-After.",
    }
    # A key the URL resolver cannot route (one with a slash, say) gets the site's HTML 404.
    return {
        code: {"description": text, **_content(_DETAIL, JSON, *([HTML] if code == "404" else []))}
        for code, text in why.items()
    }


_ALERTMANAGER_BODY = {
    "type": "object",
    "required": ["alerts"],
    "properties": {
        "alerts": {"type": "array", "maxItems": 1000, "items": _ANY_OBJECT},
        "groupKey": {"type": "string"},
        "commonLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "externalURL": {"type": "string"},
    },
}
_GENERIC_BODY = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string", "maxLength": 1024},
        "dedup_key": {"type": "string", "maxLength": 255},
        "severity": {"type": "string", "maxLength": 50},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
        "links": {"type": "array", "items": {"type": "string"}},
    },
}
_PAGERDUTY_BODY = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 32, "maxLength": 32},
        "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "payload": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "maxLength": 1024},
                "source": {"type": "string"},
                "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
                "custom_details": _ANY_OBJECT,
            },
        },
    },
}
_ACCEPTED = {
    "type": "object",
    "properties": {
        "status": {"type": "string"},
        "alerts": {"type": "integer"},
        "incidents": {"type": "array", "items": {"type": "string"}},
        "dedup_keys": {"type": "array", "items": {"type": "string"}},
    },
}
_PD_ANSWER = {
    "type": "object",
    "properties": {
        "status": {"type": "string"},
        "message": {"type": "string"},
        "dedup_key": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
        "detail": {"type": "string"},
    },
}


def _hook(kind: str, title: str, body: dict) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"hooks_{kind}",
            "tags": ["hooks"],
            "summary": title,
            "description": "No login: the integration's key in the path is the credential. "
            "Values PostgreSQL cannot store (NUL, lone surrogates) are stored as U+FFFD.",
            "security": [{}],
            "parameters": [
                {
                    "name": "key",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The integration's 32-character key.",
                }
            ],
            "requestBody": {"required": True, **_content(body, JSON)},
            "responses": _answers(
                {"202": {"description": "Stored.", **_content(_ACCEPTED, JSON)}}, _hook_errors()
            ),
        }
    }


def _slack(operation: str, title: str, fields: dict[str, Any], ok: dict) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"slack_{operation}",
            "tags": ["chat"],
            "summary": title,
            "description": "Signed by Slack (X-Slack-Signature: v0 HMAC-SHA256 of "
            "`v0:{timestamp}:{body}` with SLACK_SIGNING_SECRET; 5-minute window).",
            "security": [{}],
            "parameters": [
                {"name": "X-Slack-Signature", "in": "header", "schema": {"type": "string"}},
                {"name": "X-Slack-Request-Timestamp", "in": "header", "schema": {"type": "string"}},
            ],
            "requestBody": {
                "required": True,
                **_content({"type": "object", "properties": fields}, FORM),
            },
            "responses": {
                "200": ok,
                "400": {
                    "description": "Not a payload Keel understands.",
                    **_content(_SLACK_ERROR, JSON, HTML),
                },
                "401": {
                    "description": "Not signed by the workspace.",
                    **_content(_SLACK_ERROR, JSON),
                },
                "503": {
                    "description": "SLACK_SIGNING_SECRET is not set.",
                    **_content(_SLACK_ERROR, JSON),
                },
            },
        }
    }


def _feed(who: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"calendar_{who}",
            "tags": ["schedules"],
            "summary": f"The {who}'s on-call calendar (iCalendar); the token is the key.",
            "security": [{}],
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "Shifts from 14 days ago to 90 days ahead.",
                    **_content({"type": "string"}, "text/calendar"),
                },
                "404": {"description": "No such calendar (or revoked).", **_content(_PAGE, HTML)},
            },
        }
    }


def _ack_answers() -> dict[str, dict]:
    return {
        "200": {"description": "The incident and an Acknowledge button (GET), or the "
                "outcome (POST).", **_content(_PAGE, HTML)},
        "404": {"description": "Not a valid link.", **_content(_PAGE, HTML)},
        "410": {"description": "Expired, or already used.", **_content(_PAGE, HTML)},
    }  # fmt: skip


def _ack() -> dict[str, Any]:
    token = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
    common = {"tags": ["paging"], "security": [{}], "parameters": [token]}
    return {
        "get": {**common, "operationId": "ack_link_show", "responses": _ack_answers(),
                "summary": "Shows the page; changes nothing (mail scanners follow links)."},
        "post": {**common, "operationId": "ack_link_acknowledge", "responses": _ack_answers(),
                 "summary": "Acknowledges the page: signed, expiring, single use; no login."},
    }  # fmt: skip


def add_other_doors(result: dict, generator, request, public) -> dict:
    """drf-spectacular POSTPROCESSING_HOOKS entry: add the non-DRF endpoints."""
    command_fields = {name: {"type": "string"} for name in (
        "token", "team_id", "channel_id", "user_id", "command", "text", "response_url",
        "trigger_id")}  # fmt: skip
    paths = result.setdefault("paths", {})
    paths.update({
        "/hooks/alertmanager/{key}/": _hook("alertmanager", "Alertmanager webhook",
                                            _ALERTMANAGER_BODY),
        "/hooks/grafana/{key}/": _hook("grafana", "Grafana contact point (webhook)",
                                       _ALERTMANAGER_BODY),
        "/hooks/generic/{key}/": _hook("generic", "Plain JSON alerts", _GENERIC_BODY),
        "/v2/enqueue": {"post": {
            "operationId": "hooks_pagerduty", "tags": ["hooks"], "security": [{}],
            "summary": "PagerDuty Events API v2 (the integration key is the routing_key)",
            "requestBody": {"required": True, **_content(_PAGERDUTY_BODY, JSON)},
            "responses": {
                "202": {"description": "Event processed.", **_content(_PD_ANSWER, JSON)},
                "400": {"description": "Invalid event.", **_content(_PD_ANSWER, JSON)},
                "404": {"description": "Unknown routing key.", **_content(_PD_ANSWER, JSON)},
                **{code: answer for code, answer in _hook_errors().items()
                   if code in ("405", "413", "415", "429", "503")},
            },
        }},
        "/slack/commands": _slack("commands", "The /incident slash command", command_fields,
                                  {"description": "The reply, as Slack shows it.",
                                   **_content(_ANY_OBJECT, JSON)}),
        "/slack/actions": _slack("actions", "Button clicks", {"payload": {"type": "string"}},
                                 {"description": "Taken; the message updates later.",
                                  **_content({"type": "string", "maxLength": 0}, "text/plain")}),
        "/calendars/schedule/{token}.ics": _feed("schedule"),
        "/calendars/person/{token}.ics": _feed("person"),
        "/page/ack/{token}/": _ack(),
    })  # fmt: skip
    return result
