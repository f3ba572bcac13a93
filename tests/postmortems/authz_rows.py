"""The postmortem app's rows of the authorization table (tests/authz_table.py adds them).

Each path function first brings the private incident's postmortem to the state the row
needs (the table calls it before taking the database snapshot)."""

from __future__ import annotations

from types import SimpleNamespace

from incidents.models import Incident
from incidents.postmortems import records, workflow
from incidents.postmortems.models import (
    ActionItem,
    Comment,
    EventHighlight,
    Factor,
    Postmortem,
    Review,
    ReviewDecision,
    Revision,
)

from ..authz_table import (
    CREATE,
    OPEN_TO_SIGNED_IN,
    PAGE_OPEN_TO_SIGNED_IN,
    PAGE_READ,
    PAGE_WRITE,
    READ,
    TEAM,
    WRITE,
    Endpoint,
)

SUMMARY = "Pooler saturation summary"
FACTOR = "Connection pool sized for last year's traffic"
ITEM = "Export pooler metrics"
COMMENT = "Add the queue graph here"
DELETE = {**WRITE, "responder": 204, "admin": 204}


def postmortem(c: SimpleNamespace) -> Postmortem:
    """The incident's postmortem with a summary, a factor, an action item owned by the
    responder and a comment (made once per test)."""
    incident = Incident.objects.get(pk=c.pk)
    found, created = workflow.open_postmortem(incident, None)
    if created:
        found.sections = {**found.sections, "summary": SUMMARY}
        found.save()
        actor = c.cast.responder
        records.add_factor(found, actor, category="technical", description=FACTOR)
        records.add_action_item(found, actor, title=ITEM, owner=actor)
        records.add_comment(found, actor, section="summary", body=COMMENT)
    return found


def ref(c: SimpleNamespace) -> str:
    postmortem(c)
    return c.ref


def in_review(c: SimpleNamespace) -> str:
    """In review, the responder the requested reviewer."""
    found = postmortem(c)
    workflow.request_review(found, c.cast.responder, [c.cast.responder])
    return c.ref


def approved(c: SimpleNamespace) -> str:
    found = postmortem(c)
    workflow.request_review(found, c.cast.responder, [c.cast.admin])
    workflow.approve(found, c.cast.admin, findings_acknowledged=True)
    return c.ref


def no_postmortem(c: SimpleNamespace) -> str:
    return c.ref


def factor_id(c: SimpleNamespace) -> int:
    return postmortem(c).factors.get().pk


def item_id(c: SimpleNamespace) -> int:
    return postmortem(c).action_items.get().pk


def pm(c: SimpleNamespace) -> Postmortem:
    return Postmortem.objects.get(incident_id=c.pk)


def exists(c: SimpleNamespace) -> bool:
    return Postmortem.objects.filter(incident_id=c.pk).exists()


def approved_by_someone(c: SimpleNamespace) -> bool:
    return pm(c).reviews.filter(decision=ReviewDecision.APPROVED).exists()


def note_seq(c: SimpleNamespace) -> int:
    return c.note_seq


api = "/api/v1/incidents/"
page = "/incidents/"
ENDPOINTS: list[Endpoint] = [
    # --- API
    Endpoint("postmortem", "get", lambda c: f"{api}{ref(c)}/postmortem/", READ,
             shows=lambda c: SUMMARY),
    Endpoint("start postmortem", "post", lambda c: f"{api}{no_postmortem(c)}/postmortem/",
             CREATE, effect=exists),
    Endpoint("save postmortem", "put", lambda c: f"{api}{ref(c)}/postmortem/", WRITE,
             body=lambda c: {"version": 1, "sections": {"lessons": "Pools need alerts"}},
             effect=lambda c: pm(c).sections["lessons"] == "Pools need alerts"),
    Endpoint("request review", "post", lambda c: f"{api}{ref(c)}/postmortem/review/", WRITE,
             body=lambda c: {"reviewers": ["admin@example.com"]},
             effect=lambda c: pm(c).status == "in_review"),
    Endpoint("approve", "post", lambda c: f"{api}{in_review(c)}/postmortem/approve/", WRITE,
             effect=approved_by_someone),
    Endpoint("publish", "post", lambda c: f"{api}{approved(c)}/postmortem/publish/", WRITE,
             body=lambda c: {"allow_empty": True}, effect=lambda c: pm(c).status == "published"),
    Endpoint("factors", "get", lambda c: f"{api}{ref(c)}/postmortem/factors/", READ,
             shows=lambda c: FACTOR),
    Endpoint("add factor", "post", lambda c: f"{api}{ref(c)}/postmortem/factors/", CREATE,
             body=lambda c: {"category": "process", "description": "No load test",
                             "evidence": [c.note_seq]},
             effect=lambda c: Factor.objects.filter(description="No load test").exists()),
    Endpoint("nested action items", "get", lambda c: f"{api}{ref(c)}/postmortem/action-items/",
             READ, shows=lambda c: ITEM),
    Endpoint("add action item", "post",
             lambda c: f"{api}{ref(c)}/postmortem/action-items/", CREATE,
             body=lambda c: {"title": "Load test", "owner": "admin@example.com",
                             "due_date": "2030-01-31", "priority": "high"},
             effect=lambda c: ActionItem.objects.filter(title="Load test").exists()),
    Endpoint("comments", "get", lambda c: f"{api}{ref(c)}/postmortem/comments/", READ,
             shows=lambda c: COMMENT),
    Endpoint("add comment", "post", lambda c: f"{api}{ref(c)}/postmortem/comments/", CREATE,
             body=lambda c: {"section": "impact", "body": "Numbers?"},
             effect=lambda c: Comment.objects.filter(body="Numbers?").exists()),
    Endpoint("factor", "get", lambda c: f"/api/v1/factors/{factor_id(c)}/", READ,
             shows=lambda c: FACTOR),
    Endpoint("edit factor", "patch", lambda c: f"/api/v1/factors/{factor_id(c)}/", WRITE,
             body=lambda c: {"category": "tooling"},
             effect=lambda c: Factor.objects.filter(category="tooling").exists()),
    Endpoint("delete factor", "delete", lambda c: f"/api/v1/factors/{factor_id(c)}/", DELETE,
             effect=lambda c: not Factor.objects.exists()),
    Endpoint("action items", "get", lambda c: f"/api/v1/action-items/?ref={ref(c)}",
             OPEN_TO_SIGNED_IN, shows=lambda c: ITEM, sees=frozenset(TEAM)),
    Endpoint("action item", "get", lambda c: f"/api/v1/action-items/{item_id(c)}/", READ,
             shows=lambda c: ITEM),
    Endpoint("edit action item", "patch", lambda c: f"/api/v1/action-items/{item_id(c)}/",
             WRITE, body=lambda c: {"status": "done"},
             effect=lambda c: ActionItem.objects.filter(status="done").exists()),
    Endpoint("delete action item", "delete",
             lambda c: f"/api/v1/action-items/{item_id(c)}/", DELETE,
             effect=lambda c: not ActionItem.objects.exists()),
    Endpoint("blameless check", "post", lambda c: "/api/v1/blameless/check",
             READ, read_only=True,
             body=lambda c: {"text": "It was human error.", "incident": c.ref},
             shows=lambda c: "human error"),
    # --- pages
    Endpoint("postmortem page", "get", lambda c: f"{page}{ref(c)}/postmortem/", PAGE_READ,
             page=True, shows=lambda c: SUMMARY),
    Endpoint("start postmortem form", "post",
             lambda c: f"{page}{no_postmortem(c)}/postmortem/start/", PAGE_WRITE, page=True,
             effect=exists),
    Endpoint("review form", "post", lambda c: f"{page}{ref(c)}/postmortem/review/",
             PAGE_WRITE, page=True, body=lambda c: {"reviewers": "admin@example.com"},
             effect=lambda c: pm(c).status == "in_review"),
    Endpoint("approve form", "post", lambda c: f"{page}{in_review(c)}/postmortem/approve/",
             PAGE_WRITE, page=True, effect=approved_by_someone),
    Endpoint("publish form", "post", lambda c: f"{page}{approved(c)}/postmortem/publish/",
             PAGE_WRITE, page=True, body=lambda c: {"anonymise": "on", "allow_empty": "on"},
             effect=lambda c: pm(c).status == "published" and pm(c).anonymised),
    Endpoint("factor form", "post", lambda c: f"{page}{ref(c)}/postmortem/factor/",
             PAGE_WRITE, page=True,
             body=lambda c: {"category": "process", "description": "Runbook out of date",
                             "evidence": str(c.note_seq)},
             effect=lambda c: Factor.objects.filter(description="Runbook out of date").exists()),
    Endpoint("action item form", "post", lambda c: f"{page}{ref(c)}/postmortem/item/",
             PAGE_WRITE, page=True,
             body=lambda c: {"title": "Update runbook", "priority": "low",
                             "owner": "responder@example.com"},
             effect=lambda c: ActionItem.objects.filter(title="Update runbook").exists()),
    Endpoint("action item status form", "post",
             lambda c: f"{page}{ref(c)}/postmortem/item-status/", PAGE_WRITE, page=True,
             body=lambda c: {"item": item_id(c), "status": "wont_do"},
             effect=lambda c: ActionItem.objects.filter(status="wont_do").exists()),
    Endpoint("comment form", "post", lambda c: f"{page}{ref(c)}/postmortem/comment/",
             PAGE_WRITE, page=True, body=lambda c: {"section": "lucky", "body": "Low traffic"},
             effect=lambda c: Comment.objects.filter(body="Low traffic").exists()),
    Endpoint("export", "get", lambda c: f"{page}{ref(c)}/postmortem/export.md", PAGE_READ,
             page=True, shows=lambda c: SUMMARY),
    Endpoint("highlight", "post", lambda c: f"{page}{c.ref}/events/{c.note_seq}/highlight/",
             PAGE_WRITE, page=True,
             effect=lambda c: EventHighlight.objects.filter(
                 event__incident_id=c.pk, event__seq=c.note_seq).exists()),
    Endpoint("preview", "post", lambda c: "/postmortems/preview/", PAGE_READ, page=True,
             read_only=True, body=lambda c: {"text": "**bold** human error", "incident": c.ref},
             shows=lambda c: "<strong>bold</strong>"),
    Endpoint("factors page", "get", lambda c: f"/postmortems/factors/?x={ref(c)}",
             PAGE_OPEN_TO_SIGNED_IN, page=True, shows=lambda c: FACTOR, sees=frozenset(TEAM)),
    Endpoint("open action items page", "get", lambda c: f"/postmortems/action-items/?x={ref(c)}",
             PAGE_OPEN_TO_SIGNED_IN, page=True, shows=lambda c: ITEM, sees=frozenset(TEAM)),
    Endpoint("my action items page", "get",
             lambda c: f"/postmortems/action-items/mine/?x={ref(c)}", PAGE_OPEN_TO_SIGNED_IN,
             page=True, shows=lambda c: ITEM, sees=frozenset({"responder"})),
]  # fmt: skip


def snapshot_rows() -> dict[str, list]:
    """The app's tables, for the table's "a refused request changes nothing" check."""
    return {
        "postmortems": list(Postmortem.objects.order_by("pk").values()),
        "reviews": list(Review.objects.order_by("pk").values()),
        "factors": list(Factor.objects.order_by("pk").values()),
        "factor_events": list(Factor.events.through.objects.order_by("pk").values()),
        "action_items": list(ActionItem.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "highlights": list(EventHighlight.objects.order_by("pk").values()),
        "revisions": list(Revision.objects.order_by("pk").values()),
    }
