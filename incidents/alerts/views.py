"""The hooks senders post to. No session, no CSRF: the key in the URL (or PagerDuty's
routing_key) is the credential. Every answer is a clear 2xx or 4xx; 503 only when the
database failed (senders retry on 5xx, not on 4xx); never 500.

Order of checks: method, size (413), content type (415), JSON (400), key (404), signature
(401), rate (429), format (400), then the alerts are stored before the 2xx answer.
PagerDuty's key is in the body, so there the format comes first (400), then the rate (429),
then the key (404).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, DataError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from incidents import parsing

from . import formats, ingest, ratelimit
from .models import Integration, Kind, hash_key

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024  # PagerDuty's limit; far above what Alertmanager or Grafana send
JSON_TYPES = ("application/json", "text/plain", "")
# Grafana may sign `timestamp:body`; a signed timestamp older than this is a replay.
SIGNATURE_MAX_AGE = 300
# Grafana lets the contact point name its timestamp header; the README says to use the
# first, the second is accepted too.
TIMESTAMP_HEADERS = ("X-Grafana-Alerting-Timestamp", "X-Grafana-Alerting-Signature-Timestamp")
DB_RETRY_AFTER = "30"


class Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _read_json(request: HttpRequest) -> Any:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        raise Refusal(413, f"The body is larger than {MAX_BODY // 1024} KB.")
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Refusal(413, f"The body is larger than {MAX_BODY // 1024} KB.")
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise Refusal(415, f"Send JSON (Content-Type: application/json), not {content_type}.")
    request._keel_raw_body = body
    try:
        # Cleaned, not refused: a NUL or a lone surrogate in one label must not lose the
        # alert (PostgreSQL cannot store either; the sender would retry a 5xx forever).
        return parsing.cleaned(json.loads(body))
    except (ValueError, RecursionError) as exc:
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise Refusal(400, f"The body is not valid JSON: {message}.") from None


def _check_rate(key_hash: str) -> None:
    wait = ratelimit.retry_after(key_hash)
    if wait is not None:
        raise Refusal(
            429,
            f"More than {ratelimit.limit_per_minute()} requests a minute for this integration; "
            f"retry in {wait} s.",
            {"Retry-After": str(wait)},
        )


def _check_grafana_signature(request: HttpRequest, integration: Integration) -> None:
    if not integration.secret:
        return
    given = request.headers.get("X-Grafana-Alerting-Signature", "")
    body: bytes = request._keel_raw_body
    timestamp = next((request.headers[h] for h in TIMESTAMP_HEADERS if h in request.headers), "")
    signed = f"{timestamp}:".encode() + body if timestamp else body
    expected = hmac.new(integration.secret.encode(), signed, hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given.strip().lower(), expected):
        raise Refusal(401, "The X-Grafana-Alerting-Signature does not match this body.")
    if timestamp:
        try:
            age = abs(time.time() - float(timestamp))
        except ValueError:
            raise Refusal(401, "The signature timestamp is not a number.") from None
        if age > SIGNATURE_MAX_AGE:
            raise Refusal(401, "The signature timestamp is too old (or in the future).")


def _answer(request: HttpRequest, handle: Callable[[], JsonResponse]) -> JsonResponse:
    if request.method != "POST":
        response = JsonResponse({"detail": "POST alerts here."}, status=405)
        response["Allow"] = "POST"
        return response
    try:
        return handle()
    except Refusal as refusal:
        response = JsonResponse({"detail": refusal.message}, status=refusal.status)
        for name, value in refusal.headers.items():
            response[name] = value
        return response
    except DataError as error:
        # A value the database refuses (a NUL character in a string, say): the sender's
        # input, so a 4xx it will not retry forever.
        first_line = str(error).splitlines()[0] if str(error) else "invalid value"
        return JsonResponse(
            {"detail": f"The alert has a value the database cannot store: {first_line}."},
            status=400,
        )
    except DatabaseError:
        log.exception("alert not stored: database error")
        response = JsonResponse(
            {"detail": "The alert could not be stored; retry later."}, status=503
        )
        response["Retry-After"] = DB_RETRY_AFTER
        return response


def _hook(kind: str, parse: Callable[[Any], list[formats.NormalisedAlert]]):
    @csrf_exempt
    def view(request: HttpRequest, key: str) -> JsonResponse:
        def handle() -> JsonResponse:
            body = _read_json(request)
            integration = Integration.by_key(key, kind)
            if integration is None:
                raise Refusal(404, "No enabled integration has this key.")
            if kind == Kind.GRAFANA:
                _check_grafana_signature(request, integration)
            _check_rate(integration.key_hash)
            try:
                alerts = parse(body)
            except formats.FormatError as error:
                raise Refusal(400, error.message) from None
            outcomes = ingest.ingest(integration, alerts)
            return JsonResponse(
                {
                    "status": "accepted",
                    "alerts": len(outcomes),
                    "incidents": sorted({o.incident_ref for o in outcomes if o.incident_ref}),
                    "dedup_keys": [o.dedup_key for o in outcomes],
                },
                status=202,
            )

        return _answer(request, handle)

    view.__name__ = f"{kind}_hook"
    return view


alertmanager = _hook(Kind.ALERTMANAGER, formats.parse_alertmanager)
grafana = _hook(Kind.GRAFANA, formats.parse_grafana)
generic = _hook(Kind.GENERIC, lambda body: [formats.parse_generic(body)])


def _pagerduty_invalid(message: str, errors: list[str], status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": message, "errors": errors}, status=status
    )


@csrf_exempt
def pagerduty(request: HttpRequest) -> JsonResponse:
    """PagerDuty Events API v2, answered as PagerDuty answers."""

    def handle() -> JsonResponse:
        try:
            body = _read_json(request)
        except Refusal as refusal:
            if refusal.status == 400:
                return _pagerduty_invalid("Event object is invalid", [refusal.message])
            raise
        try:
            routing_key, alert = formats.parse_pagerduty(body)
        except formats.PagerDutyInvalid as invalid:
            return _pagerduty_invalid("Event object is invalid", invalid.errors)
        _check_rate(hash_key(routing_key))
        # An alert storm is mostly repeats: count those before loading anything else.
        outcome = ingest.count_repeat_by_key(Kind.PAGERDUTY, routing_key, alert)
        if outcome is None:
            integration = Integration.by_key(routing_key, Kind.PAGERDUTY)
            if integration is None:
                return _pagerduty_invalid(
                    "Unknown routing key",
                    ["'routing_key' is not an enabled Keel integration key"],
                    status=404,
                )
            outcome = ingest.ingest_one(integration, alert, want_ref=False, hot_path=False)
        return JsonResponse(
            {"status": "success", "message": "Event processed", "dedup_key": outcome.dedup_key},
            status=202,
        )

    return _answer(request, handle)
