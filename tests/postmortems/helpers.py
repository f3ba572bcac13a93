"""Shared by the postmortem tests: a resolved SEV2 incident with a seeded timeline."""

from __future__ import annotations

from django.test import TestCase

from accounts.models import User
from incidents import lifecycle
from incidents.models import Incident, IncidentRole, Severity
from incidents.postmortems import workflow
from incidents.postmortems.models import Postmortem

from ..helpers import Cast, declare


def seeded_incident(cast: Cast, **fields) -> Incident:
    """Declared by the responder (commander), the admin as scribe, a note, an alert, a
    severity change, a highlighted note, resolved (the SEV2 hook drafts the postmortem)."""
    cast.responder.display_name = "Priya Nair"
    cast.responder.save()
    cast.admin.display_name = "Tom Becker"
    cast.admin.save()
    incident = declare(cast, severity=fields.pop("severity", Severity.SEV2), **fields)
    lifecycle.assign_role(incident, cast.responder, IncidentRole.SCRIBE, cast.admin)
    lifecycle.add_note(incident, cast.responder, "Error rate on checkout at 30%.")
    lifecycle.record(incident, None, "alert", "HighErrorRate firing", {"alert": 1})
    noted = lifecycle.add_note(incident, cast.admin, "Rolled back release 2024.11.3.")
    workflow.highlight(incident, cast.responder, noted.seq)
    lifecycle.set_severity(incident, cast.responder, Severity.SEV1)
    # After-commit hooks run when the transaction commits; tests run inside one.
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.resolve(incident, cast.responder, "Error rate back to baseline.")
    incident.refresh_from_db()
    return incident


def postmortem_of(incident: Incident) -> Postmortem:
    return Postmortem.objects.get(incident=incident)


def publishable(postmortem: Postmortem, author: User, reviewer: User) -> Postmortem:
    workflow.request_review(postmortem, author, [reviewer])
    workflow.approve(postmortem, reviewer, findings_acknowledged=True)
    postmortem.refresh_from_db()
    return postmortem
