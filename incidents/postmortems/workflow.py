"""The one way postmortems change: create, save sections (optimistic concurrency), request
review, approve, publish; highlight an event. Each checks the actor through
accounts.permissions and records the steps people should see on the incident's timeline
through incidents.lifecycle.record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import (
    can_approve_postmortem,
    can_edit,
    can_write_postmortem,
    may_review_postmortem,
)
from incidents import lifecycle
from incidents.lifecycle import Conflict, LifecycleError
from incidents.models import EventKind, Incident, TimelineEvent

from . import blameless, draft
from .anonymise import anonymiser, role_labels
from .models import (
    MAX_SECTION,
    BlamePhrase,
    EventHighlight,
    Postmortem,
    PostmortemStatus,
    Review,
    ReviewDecision,
    Revision,
    Section,
    SectionTemplate,
)

MAX_REVIEWERS = 20
SUMMARY_TOLD = 1000  # characters of the summary in the "published" event


class StaleVersion(Conflict):
    """A save that edited an older version: the current text goes back with the 409."""

    def __init__(self, postmortem: Postmortem, edited: int) -> None:
        super().__init__(
            f"Someone saved this postmortem after you opened it (you edited version "
            f"{edited}, the current one is {postmortem.version}). Merge your text with "
            "theirs and save again."
        )
        self.postmortem = postmortem


class EmptySections(Conflict):
    """Publishing with sections nobody wrote: refused until the person confirms."""

    def __init__(self, sections: list[str]) -> None:
        names = ", ".join(Section(key).label for key in sections)
        super().__init__(
            f"These sections are empty: {names}. Write them, or confirm that the postmortem "
            "is to be published with them empty."
        )
        self.sections = sections


# --- Reading helpers -----------------------------------------------------------------------


def incident_people(incident: Incident) -> list[User]:
    """The people of an incident: its role holders and everyone who wrote on its timeline."""
    people = {a.user_id: a.user for a in incident.role_list}
    authors = User.objects.filter(
        pk__in=TimelineEvent.objects.filter(incident=incident, author__isnull=False).values(
            "author"
        )
    )
    for user in authors:
        people.setdefault(user.pk, user)
    return list(people.values())


def people_words(incident: Incident) -> list[str]:
    """Names and emails the checker treats as people."""
    words: list[str] = []
    for user in incident_people(incident):
        words += [user.email, user.name]
        if user.display_name:
            words.append(user.display_name)
    return words


def extra_rules() -> list[blameless.Rule]:
    return [
        blameless.Rule.phrase(p.phrase, p.reason, p.suggestion)
        for p in BlamePhrase.objects.filter(active=True)
    ]


def findings(postmortem: Postmortem) -> list[dict[str, Any]]:
    """The checker's open findings, per section."""
    incident = postmortem.incident
    people, extra = people_words(incident), extra_rules()
    found = []
    for key, label, text in postmortem.section_items():
        for finding in blameless.check(text, people, extra):
            found.append({"section": key, "section_label": label, **finding.__dict__})
    return found


def section_prompts() -> dict[str, str]:
    """The hint shown in each empty section (the admins' SectionTemplate, or the default)."""
    return draft.prompts(dict(SectionTemplate.objects.values_list("section", "text")))


def empty_sections(postmortem: Postmortem) -> list[str]:
    """The sections nobody wrote, in order. Contributing factors and action items count as
    written when they are recorded as records, even with no prose around them."""
    records = {
        Section.FACTORS: postmortem.factors.exists(),
        Section.ACTIONS: postmortem.action_items.exists(),
    }
    return [
        key
        for key, _label, text in postmortem.section_items()
        if not text.strip() and not records.get(key, False)
    ]


def check_text(text: str, incident: Incident | None) -> list[blameless.Finding]:
    people = people_words(incident) if incident is not None else []
    return blameless.check(text, people, extra_rules())


# --- Creating and saving -------------------------------------------------------------------


def open_postmortem(incident: Incident, actor: User | None) -> tuple[Postmortem, bool]:
    """The incident's postmortem, created (pre-filled) if it has none. Safe to call twice."""
    if actor is not None and not can_edit(actor, incident):
        raise PermissionDenied(f"You may not start the postmortem of {incident.ref}.")
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing, False
    incident = Incident.objects.for_list().get(pk=incident.pk)
    events = list(incident.events.select_related("author").order_by("seq"))
    highlighted = set(
        EventHighlight.objects.filter(event__incident=incident).values_list("event_id", flat=True)
    )
    sections = draft.prefill(incident, events, highlighted)
    with transaction.atomic():
        postmortem, created = Postmortem.objects.get_or_create(
            incident=incident,
            defaults={"sections": sections, "created_by": actor, "updated_by": actor},
        )
        if created:
            Revision.objects.create(
                postmortem=postmortem, version=1, sections=sections, author=actor
            )
    if created:
        lifecycle.record(incident, actor, EventKind.POSTMORTEM, "Postmortem draft created.",
                         {"postmortem": "draft"})  # fmt: skip
    return postmortem, created


def _clean_sections(sections: Any) -> dict[str, str]:
    if not isinstance(sections, dict):
        raise LifecycleError("sections must be an object of section name to Markdown.",
                             field="sections")  # fmt: skip
    unknown = sorted(set(sections) - set(Section.values))
    if unknown:
        raise LifecycleError(
            f"Unknown section {unknown[0]!r}; the sections are: {', '.join(Section.values)}.",
            field="sections",
        )
    for key, text in sections.items():
        if not isinstance(text, str):
            raise LifecycleError(f"Section {key!r} must be text.", field="sections")
        if len(text) > MAX_SECTION:
            raise LifecycleError(
                f"Section {key!r} is {len(text)} characters long; the limit is {MAX_SECTION}.",
                field="sections",
            )
    return sections


def save_sections(postmortem: Postmortem, actor: User, version: Any, sections: Any) -> Postmortem:
    """Save the sections given (others stay as they are). `version` is the version the
    person edited: if someone saved since, nothing is written and StaleVersion is raised."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise LifecycleError("version must be the number of the version you edited.",
                             field="version")  # fmt: skip
    sections = _clean_sections(sections)
    with transaction.atomic():
        locked = (
            Postmortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)
        )
        if not can_write_postmortem(actor, locked.incident, locked.is_published):
            if locked.is_published:
                raise Conflict("This postmortem is published: it is read-only.")
            raise PermissionDenied("Only responders may edit this postmortem.")
        if version != locked.version:
            raise StaleVersion(locked, version)
        merged = {**locked.sections, **sections}
        if merged != locked.sections:
            locked.sections = merged
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.updated_by = actor
            locked.save(update_fields=["sections", "version", "updated_at", "updated_by"])
            Revision.objects.create(
                postmortem=locked, version=locked.version, sections=merged, author=actor
            )
    return locked


# --- Review and publishing -----------------------------------------------------------------


def _locked(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)


def request_review(postmortem: Postmortem, actor: User, reviewers: Iterable[User]) -> Postmortem:
    reviewers = list(dict.fromkeys(reviewers))
    if not reviewers:
        raise LifecycleError("Name at least one reviewer.", field="reviewers")
    if len(reviewers) > MAX_REVIEWERS:
        raise LifecycleError(f"At most {MAX_REVIEWERS} reviewers.", field="reviewers")
    with transaction.atomic():
        locked = _locked(postmortem)
        incident = locked.incident
        if not can_write_postmortem(actor, incident, locked.is_published):
            if locked.is_published:
                raise Conflict("This postmortem is already published.")
            raise PermissionDenied("Only responders may request a review.")
        for reviewer in reviewers:
            if not may_review_postmortem(reviewer, incident):
                raise LifecycleError(
                    f"{reviewer.email} cannot review: reviewers must be able to work on "
                    f"{incident.ref}.",
                    field="reviewers",
                )
        for reviewer in reviewers:
            Review.objects.get_or_create(
                postmortem=locked, reviewer=reviewer, defaults={"requested_by": actor}
            )
        locked.status = PostmortemStatus.IN_REVIEW
        locked.save(update_fields=["status"])
    names = ", ".join(r.name for r in reviewers)
    lifecycle.record(incident, actor, EventKind.POSTMORTEM,
                     f"Postmortem in review (reviewers: {names}).",
                     {"postmortem": "in_review"})  # fmt: skip
    return locked


def approve(postmortem: Postmortem, actor: User, findings_acknowledged: bool = False) -> Review:
    """A requested reviewer (or a team admin) approves the current version. With open
    findings, `findings_acknowledged` records that they read them and accept the text."""
    with transaction.atomic():
        locked = _locked(postmortem)
        requested = set(locked.reviews.values_list("reviewer_id", flat=True))
        if not can_approve_postmortem(actor, locked.incident, requested):
            raise PermissionDenied("Only a requested reviewer or a team admin may approve.")
        if locked.status != PostmortemStatus.IN_REVIEW:
            raise Conflict(f"The postmortem is {locked.get_status_display().lower()}: only "
                           "one in review can be approved.")  # fmt: skip
        review, _ = Review.objects.get_or_create(postmortem=locked, reviewer=actor)
        review.decision = ReviewDecision.APPROVED
        review.approved_version = locked.version
        review.findings_acknowledged = bool(findings_acknowledged)
        review.decided_at = timezone.now()
        review.save()
    return review


def publish(
    postmortem: Postmortem, actor: User, anonymise: bool = False, allow_empty: bool = False
) -> Postmortem:
    """Publish the approved version. With sections left empty, EmptySections is raised
    (naming them) unless `allow_empty`: the person has been asked and confirmed."""
    with transaction.atomic():
        locked = _locked(postmortem)
        incident = locked.incident
        if not can_write_postmortem(actor, incident, locked.is_published):
            if locked.is_published:
                raise Conflict("This postmortem is already published.")
            raise PermissionDenied("Only responders may publish a postmortem.")
        approvals = list(
            locked.reviews.filter(decision=ReviewDecision.APPROVED, approved_version=locked.version)
        )
        if not approvals:
            raise Conflict("Publishing needs at least one reviewer's approval of the current "
                           "version.")  # fmt: skip
        open_findings = findings(locked)
        if open_findings and not any(r.findings_acknowledged for r in approvals):
            raise Conflict(
                f"The checker has {len(open_findings)} open finding(s): reword them, or a "
                'reviewer must approve with "reviewed" ticked to accept them as they stand.'
            )
        empty = empty_sections(locked)
        if empty and not allow_empty:
            raise EmptySections(empty)
        text = dict(locked.sections)
        if anonymise:
            text = {key: anonymise_for(incident, locked)(value) for key, value in text.items()}
        locked.status = PostmortemStatus.PUBLISHED
        locked.anonymised = bool(anonymise)
        locked.published_sections = text
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save()
    # What others are told (chat posts it): the published summary and where to read it.
    told = {"postmortem": "published", "summary": text.get("summary", "")[:SUMMARY_TOLD],
            "url": reverse("postmortems:page", args=[incident.ref])}  # fmt: skip
    lifecycle.record(incident, actor, EventKind.POSTMORTEM, "Postmortem published.", told)
    return locked


def everyone_named(incident: Incident, postmortem: Postmortem) -> list[User]:
    """Everyone the postmortem could name: the incident's people, reviewers, action item
    owners, comment authors and editors."""
    people = {u.pk: u for u in incident_people(incident)}
    ids = set(postmortem.reviews.values_list("reviewer_id", flat=True))
    ids |= set(postmortem.action_items.exclude(owner=None).values_list("owner_id", flat=True))
    ids |= set(postmortem.comments.exclude(author=None).values_list("author_id", flat=True))
    ids |= set(postmortem.revisions.exclude(author=None).values_list("author_id", flat=True))
    ids |= {i for i in (postmortem.created_by_id, postmortem.published_by_id) if i}
    for user in User.objects.filter(pk__in=ids - set(people)):
        people[user.pk] = user
    if incident.team_id:
        for user in User.objects.filter(memberships__team_id=incident.team_id):
            people.setdefault(user.pk, user)
    return list(people.values())


def anonymise_for(incident: Incident, postmortem: Postmortem):
    users = everyone_named(incident, postmortem)
    return anonymiser(users, role_labels(incident, users))


# --- Highlights from the room ----------------------------------------------------------------


def highlight(incident: Incident, actor: User, seq: Any) -> EventHighlight:
    """Mark a timeline event for the postmortem; the room sees it live."""
    if not can_edit(actor, incident):
        raise PermissionDenied(f"You may not change {incident.ref}.")
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise LifecycleError("seq must be an event number.", field="seq") from None
    event = TimelineEvent.objects.filter(incident=incident, seq=seq).first()
    if event is None:
        raise LifecycleError(f"{incident.ref} has no event #{seq}.", field="seq")
    mark, created = EventHighlight.objects.get_or_create(event=event, defaults={"by": actor})
    if created:
        lifecycle.record(incident, actor, EventKind.POSTMORTEM,
                         f"Highlighted [event #{seq}](#event-{seq}) for the postmortem.",
                         {"highlight": seq})  # fmt: skip
    return mark
