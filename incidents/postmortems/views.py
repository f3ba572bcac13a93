"""Browser pages: the postmortem (editor while a draft or in review, read-only once
published), its workflow and records as form posts, the Markdown export, highlights from
the room, the live preview, and the lists across incidents."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.permissions import (
    can_approve_postmortem,
    can_edit,
    can_write_postmortem,
    get_incident_for,
)
from incidents import lifecycle
from incidents.markdown import render_markdown

from . import blameless, records, workflow
from .export import as_markdown, document
from .forms import (
    ActionItemForm,
    ActionStatusForm,
    ApproveForm,
    CommentForm,
    FactorForm,
    PublishForm,
    ReviewForm,
)
from .models import ActionStatus, Postmortem, ReviewDecision, Section

MAX_PREVIEW = blameless.MAX_TEXT


def _postmortem(incident) -> Postmortem | None:
    return Postmortem.objects.select_related("incident").filter(incident=incident).first()


@login_required
def postmortem_page(request: HttpRequest, ref: str) -> HttpResponse:
    return _page(request, get_incident_for(request.user, ref))


def _page(request: HttpRequest, incident, status: int = 200, **extra) -> HttpResponse:
    postmortem = _postmortem(incident)
    context = {"incident": incident, "postmortem": postmortem,
               "can_edit": can_edit(request.user, incident)}  # fmt: skip
    if postmortem is None:
        return render(request, "postmortems/missing.html", context)
    reviews = list(postmortem.reviews.select_related("reviewer"))
    requested = {r.reviewer_id for r in reviews}
    findings = workflow.findings(postmortem)
    comments = list(postmortem.comments.select_related("author"))
    context.update(
        doc=document(postmortem),
        can_write=can_write_postmortem(request.user, incident, postmortem.is_published),
        can_approve=can_approve_postmortem(request.user, incident, requested),
        reviews=reviews,
        approved=[
            r
            for r in reviews
            if r.decision == ReviewDecision.APPROVED and r.approved_version == postmortem.version
        ],
        findings=findings,
        comments={key: [c for c in comments if c.section == key] for key in Section.values},
        sections_json=json.dumps(postmortem.sections),
        factor_form=FactorForm(),
        item_form=ActionItemForm(postmortem=postmortem),
        review_form=ReviewForm(),
        approve_form=ApproveForm(),
        publish_form=PublishForm(),
        revisions=postmortem.revisions.select_related("author")[:50],
        can_comment=not postmortem.is_published
        and (can_edit(request.user, incident) or request.user.pk in requested),
        action_statuses=ActionStatus.choices,
        prompts=workflow.section_prompts(),
        empty_sections=[(key, Section(key).label) for key in workflow.empty_sections(postmortem)],
        **extra,
    )
    return render(request, "postmortems/page.html", context, status=status)


@login_required
@require_POST
def start(request: HttpRequest, ref: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref, edit=True)
    workflow.open_postmortem(incident, request.user)
    return redirect("postmortems:page", incident.ref)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{form.fields[field].label or field}: "
        messages.error(request, f"{label}{' '.join(errors)}")


def _review(request, postmortem):
    form = ReviewForm(request.POST, user=request.user)
    if form.is_valid():
        workflow.request_review(postmortem, request.user, form.cleaned_data["reviewers"])
        messages.success(request, "Review requested.")
    return form


def _approve(request, postmortem):
    form = ApproveForm(request.POST)
    if form.is_valid():
        workflow.approve(postmortem, request.user, form.cleaned_data["findings_reviewed"])
        messages.success(request, "Approved.")
    return form


def _publish(request, postmortem):
    form = PublishForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.publish(postmortem, request.user, data["anonymise"], data["allow_empty"])
        except workflow.EmptySections as empty:
            # Not an error: the page asks whether to publish with these sections empty.
            return _page(request, postmortem.incident, 409, confirm_empty=[
                (key, Section(key).label) for key in empty.sections
            ], confirm_anonymise=data["anonymise"])  # fmt: skip
        messages.success(request, "Published.")
    return form


def _factor(request, postmortem):
    form = FactorForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        records.add_factor(postmortem, request.user, category=data["category"],
                           description=data["description"], evidence=data["evidence"])  # fmt: skip
    return form


def _item(request, postmortem):
    form = ActionItemForm(request.POST, postmortem=postmortem, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        records.add_action_item(
            postmortem, request.user, title=data["title"], owner=data["owner"],
            due_date=data["due_date"], priority=data["priority"], link=data["link"],
            factors=[f.pk for f in data["factors"]],
        )  # fmt: skip
    return form


def _item_status(request, postmortem):
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        item = postmortem.action_items.filter(pk=form.cleaned_data["item"]).first()
        if item is None:
            raise Http404("No such action item on this postmortem.")
        records.update_action_item(item, request.user, {"status": form.cleaned_data["status"]})
    return form


def _comment(request, postmortem):
    form = CommentForm(request.POST)
    if form.is_valid():
        records.add_comment(postmortem, request.user, **form.cleaned_data)
    return form


ACTIONS: dict[str, Callable] = {
    "review": _review, "approve": _approve, "publish": _publish, "factor": _factor,
    "item": _item, "item-status": _item_status, "comment": _comment,
}  # fmt: skip


@login_required
@require_POST
def postmortem_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref)
    postmortem = _postmortem(incident)
    if postmortem is None:
        raise Http404(f"{incident.ref} has no postmortem yet.")
    try:
        form = ACTIONS[action](request, postmortem)
        if isinstance(form, HttpResponse):
            return form
    except lifecycle.LifecycleError as exc:
        # Refused, as the incident page's actions are: the page again, saying why, with a
        # status that says so too (409 when the state does not allow it, 400 otherwise).
        messages.error(request, exc.message)
        return _refused(request, incident, 409 if isinstance(exc, lifecycle.Conflict) else 400)
    if form is not None and form.errors:
        _form_errors(request, form)
        return _refused(request, incident, 400)
    back = request.POST.get("next", "")
    if back.startswith("/postmortems/") and "//" not in back:
        return redirect(back)
    return redirect("postmortems:page", incident.ref)


def _refused(request: HttpRequest, incident, status: int) -> HttpResponse:
    return _page(request, incident, status)


@login_required
def export_markdown(request: HttpRequest, ref: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref)
    postmortem = _postmortem(incident)
    if postmortem is None:
        raise Http404(f"{incident.ref} has no postmortem yet.")
    response = HttpResponse(as_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    name = slugify(f"postmortem-{incident.ref}")
    response["Content-Disposition"] = f'attachment; filename="{name}.md"'
    return response


@login_required
@require_POST
def highlight(request: HttpRequest, ref: str, seq: int) -> HttpResponse:
    incident = get_incident_for(request.user, ref, edit=True)
    try:
        workflow.highlight(incident, request.user, seq)
    except lifecycle.LifecycleError as exc:
        messages.error(request, exc.message)
    return redirect(incident.get_absolute_url() + f"#event-{seq}")


@login_required
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """The editor's live preview: sanitised HTML and the checker's findings."""
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: 100,000 nested lists
            return JsonResponse({"detail": 'Send JSON: {"text": ...}.'}, status=400)
    else:
        payload = request.POST.dict()
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return JsonResponse({"detail": "text must be a string."}, status=400)
    if len(text) > MAX_PREVIEW:
        return JsonResponse({"detail": f"The text is too long to preview: the limit is "
                             f"{MAX_PREVIEW} characters."}, status=413)  # fmt: skip
    ref = payload.get("incident")
    incident = get_incident_for(request.user, ref) if isinstance(ref, str) and ref else None
    found = workflow.check_text(text, incident)
    return JsonResponse({"html": render_markdown(text), "findings": [f.__dict__ for f in found]})
