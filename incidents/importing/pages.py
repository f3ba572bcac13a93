"""The staff import page: choose a source and give its token, see the plan, apply it, see
the report, the new integrations' URLs and keys (this once) and the on-call comparison.

The token is used while planning and never kept: the plan step reads the whole account
and the source's own on-call for the coming weeks, keeps that reading (no secrets) in the
session, and the apply step applies exactly that reading."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import engine
from .busy import ImportBusy
from .client import SourceError
from .registry import available, load_source
from .run import SourceReading, apply_reading, client_for, read_source
from .sources.base import Account
from .validate import DocumentError

READING = "importing:reading"  # the session key of the plan waiting for its Apply


def staff_only(view):
    @login_required
    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only staff may import from another on-call tool.")
        return view(request, *args, **kwargs)

    return checked


class ImportForm(forms.Form):
    source = forms.ChoiceField(label="Move in from")
    url = forms.URLField(
        label="API URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Leave empty for the vendor's own (give yours for an EU account or a "
        "self-hosted Grafana OnCall).",
    )
    token = forms.CharField(
        label="API token",
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="A read-only token. Used to read the account now; never stored.",
    )
    create_users = forms.BooleanField(
        label="Create people Keel does not have (inactive, until someone activates them)",
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sources = dict(available(settings.IMPORT_SOURCES))
        self.fields["source"].choices = [
            (name, getattr(source, "title", name)) for name, source in self.sources.items()
        ]


def _form_page(request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    return render(request, "importing/start.html", {"form": form}, status=status)


@staff_only
def start(request: HttpRequest) -> HttpResponse:
    return _form_page(request, ImportForm())


@never_cache
@staff_only
@require_POST
def plan(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    name, create_users = form.cleaned_data["source"], form.cleaned_data["create_users"]
    source = load_source(name)
    now = timezone.now()
    try:
        client = client_for(source, form.cleaned_data["token"], form.cleaned_data["url"] or None)
        reading = read_source(source, client, now=now)
        report = engine.plan(
            reading.account.document, create_users=create_users, now=now, actor=request.user
        )
    except SourceError as problem:
        form.add_error(None, str(problem))
        return _form_page(request, form, status=400)
    except DocumentError as problem:
        form.add_error(None, f"The {name} account could not be turned into Keel's terms: "
                       + " ".join(problem.problems))  # fmt: skip
        return _form_page(request, form, status=400)
    plan_id = secrets.token_urlsafe(12)
    request.session[READING] = {
        "plan": plan_id,
        "source": name,
        "create_users": create_users,
        "document": reading.account.document,
        "expected": reading.expected,
        "start": reading.start.isoformat(),
        "end": reading.end.isoformat(),
    }
    return render(request, "importing/plan.html", _plan_context(request.session[READING], report))


def _plan_context(stored: dict, report: engine.Report) -> dict:
    return {
        "report": report,
        "source": stored["source"],
        "plan": stored["plan"],
        "create_users": stored["create_users"],
        "start": datetime.fromisoformat(stored["start"]),
        "end": datetime.fromisoformat(stored["end"]),
    }


@never_cache  # the page shows integration keys, once: no cache may keep a copy
@staff_only
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(READING)
    if not stored or stored["plan"] != request.POST.get("plan"):
        messages.error(
            request, "That plan is no longer waiting (applied already, or replaced by a newer "
            "one): read the source again.",
        )  # fmt: skip
        return redirect("importing:start")
    reading = SourceReading(
        Account(document=stored["document"]),
        datetime.fromisoformat(stored["start"]),
        datetime.fromisoformat(stored["end"]),
        stored["expected"],
    )
    try:
        result = apply_reading(reading, create_users=stored["create_users"], actor=request.user)
    except ImportBusy as busy:
        # The plan stays waiting: the person presses Apply again once the other one ends.
        report = engine.plan(reading.account.document, create_users=stored["create_users"],
                             now=reading.start, actor=request.user)  # fmt: skip
        messages.error(request, str(busy))
        return render(request, "importing/plan.html", _plan_context(stored, report), status=409)
    del request.session[READING]
    return render(request, "importing/done.html", {"result": result, "source": stored["source"]})
