"""The configuration document: one YAML document describing teams and what hangs off them.

`export_config` writes it, `apply_config` reads it, and every importer produces it. People
are named by email everywhere; schedules and policies by name within their team; teams by
slug. Secrets never appear (integration keys, webhook URLs of chat channels, signing
secrets); an integration listed here that Keel does not have yet is created, and its new
URL or routing key is reported once.

    version: 1
    people:                      # matched by email; created only on request (inactive)
      - {email, name?, time_zone?}
    teams:
      - name: Payments
        slug: payments           # the key: a team is matched by slug
        description?: ""
        source?: "pagerduty:PT4KHLK"
        members: [{email, role: admin | responder | viewer}]
        reminder_intervals?: {sev1: 15, sev2: 30, sev3: null, sev4: null}
        schedules:
          - name: Primary
            source?: "pagerduty:PI7DH85"
            time_zone: Europe/Berlin
            layers:              # as the API's schedule layers; the last one is on top
              - {name?, participants: [email, ...], shift_length: 1, shift_unit: weeks,
                 handoff_time: "09:00", start_date: "2026-11-02",
                 restrictions?: [{days: [mon, ...], start: "09:00", end: "17:00"}]}
            overrides: [{user: email, start: ISO 8601, end: ISO 8601}]
        escalation_policies:
          - name: Default
            source?: "pagerduty:PANZZEQ"
            repeat: 0
            steps: [{delay_minutes: 5, targets: [{user: email} | {schedule: name}
                                                 | {team: slug}]}]
        services:
          - name: checkout
            source?: "pagerduty:PIJ90N7"
            description?: ""
            escalation_policy?: Default
            integrations: [{kind: alertmanager | grafana | pagerduty | generic, name?,
                            source?}]
            maintenance?: [{start, end, reason?}]
        chat_channels?: [{name?, events: [...]}]   # the webhook URL is a secret: not exported
    notes:                       # what could not be mapped exactly, and what was done instead
      - {object: "schedule Primary", reason: "...", instead: "..."}

`source` is "<tool>:<id>": apply remembers it, so importing again updates the object it
created before (even after a rename at the source) instead of making a second one.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

VERSION = 1


class Note(TypedDict):
    object: str  # what it is about, as a person would name it: "schedule Primary (Payments)"
    reason: str  # why it could not be mapped exactly
    instead: str  # what Keel did instead


Document = dict[str, Any]


class SourceShift(TypedDict):
    """One stretch of one person on call at the source, for the comparison after an import."""

    email: str
    start: str  # ISO 8601 with offset
    end: str


class ScheduleShifts(TypedDict):
    schedule: str  # the schedule's name in the document
    team: str  # its team's slug
    source: str  # "<tool>:<id>"
    shifts: list[SourceShift]
    note: NotRequired[str]
