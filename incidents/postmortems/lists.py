"""Across incidents: contributing factors (so recurring ones stand out) and action items
(mine, and all open ones). Only incidents the person may see count."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.models import Incident, Service

from .forms import ActionStatusForm, FactorFilterForm
from .models import ActionItem, Factor, FactorCategory

PAGE_SIZE = 50


@login_required
def factor_list(request: HttpRequest) -> HttpResponse:
    form = FactorFilterForm(request.GET or None)
    factors = Factor.objects.filter(
        postmortem__incident__in=Incident.objects.visible_to(request.user)
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["category"]:
            factors = factors.filter(category=data["category"])
        if data["service"]:
            factors = factors.filter(postmortem__incident__services=data["service"])
        if data["start"]:
            factors = factors.filter(postmortem__incident__detected_at__date__gte=data["start"])
        if data["end"]:
            factors = factors.filter(postmortem__incident__detected_at__date__lte=data["end"])
    factors = factors.distinct()
    by_month: dict = defaultdict(dict)
    for row in (
        factors.annotate(month=TruncMonth("postmortem__incident__detected_at"))
        .values("month", "category")
        .annotate(count=Count("pk", distinct=True))
        .order_by("month")
    ):
        by_month[row["month"]][row["category"]] = row["count"]
    totals = dict(factors.values_list("category").annotate(count=Count("pk", distinct=True)))
    labels = dict(FactorCategory.choices)
    categories = [(key, labels[key], totals.get(key, 0)) for key in FactorCategory.values]
    rows = [(month, [counts.get(key, 0) for key in FactorCategory.values])
            for month, counts in sorted(by_month.items())]  # fmt: skip
    listed = factors.select_related("postmortem__incident").order_by("-created_at", "-pk")
    return render(
        request,
        "postmortems/factors.html",
        {
            "form": form,
            "categories": categories,
            "rows": rows,
            "page": Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page")),
            "services": Service.objects.order_by("name"),
        },
    )


def _items_page(request: HttpRequest, items, title: str, mine: bool) -> HttpResponse:
    items = items.select_related("owner", "postmortem__incident").order_by("due_date", "pk")
    return render(
        request,
        "postmortems/action_items.html",
        {
            "title": title,
            "mine": mine,
            "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
            "status_form": ActionStatusForm(),
        },
    )


@login_required
def my_action_items(request: HttpRequest) -> HttpResponse:
    items = ActionItem.objects.visible_to(request.user).open().filter(owner=request.user)
    return _items_page(request, items, "My action items", True)


@login_required
def open_action_items(request: HttpRequest) -> HttpResponse:
    items = ActionItem.objects.visible_to(request.user).open()
    return _items_page(request, items, "All open action items", False)
