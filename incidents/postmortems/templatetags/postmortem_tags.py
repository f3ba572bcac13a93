"""The postmortem panel on the incident page (the core template includes it in one line)."""

from __future__ import annotations

from django import template

from accounts.permissions import can_edit

from .. import blameless, workflow
from ..models import ActionStatus, EventHighlight, Postmortem

register = template.Library()


@register.inclusion_tag("postmortems/_panel_body.html", takes_context=True)
def postmortem_panel(context, incident) -> dict:
    user = context.get("user")
    postmortem = Postmortem.objects.filter(incident=incident).first()
    open_items = (
        postmortem.action_items.filter(status=ActionStatus.OPEN).count() if postmortem else 0
    )
    return {
        "incident": incident,
        "postmortem": postmortem,
        "open_items": open_items,
        "can_edit": user is not None and can_edit(user, incident),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, []) if isinstance(mapping, dict) else []


@register.inclusion_tag("postmortems/_note_findings.html")
def note_findings(event, incident) -> dict:
    """The checker on a timeline note: its findings under the note. The incident's people
    and the admin's phrases are looked up once per page (kept on the incident object)."""
    if event.kind != "note" or not event.body or event.struck_at:
        return {"findings": []}
    cached = getattr(incident, "_blameless_context", None)
    if cached is None:
        cached = (workflow.people_words(incident), workflow.extra_rules())
        incident._blameless_context = cached
    people, extra = cached
    return {"findings": blameless.check(event.body, people, extra)}


@register.simple_tag
def is_highlighted(event, incident) -> bool:
    """Was this event highlighted for the postmortem? One query per page (kept on the
    incident object)."""
    seqs = getattr(incident, "_highlighted_seqs", None)
    if seqs is None:
        seqs = set(
            EventHighlight.objects.filter(event__incident_id=incident.pk).values_list(
                "event__seq", flat=True
            )
        )
        incident._highlighted_seqs = seqs
    return event.seq in seqs
