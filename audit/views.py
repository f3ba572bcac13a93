"""The audit log page: staff see every entry, team admins their teams' entries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Team

from .access import admin_team_ids, entries_for
from .filters import AuditFilter

PAGE_SIZE = 50


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = entries_for(request.user)
    filters = AuditFilter(request.GET or None, queryset=entries)
    listed = filters.qs if filters.is_bound and filters.is_valid() else entries
    if filters.is_bound and not filters.is_valid():
        listed = entries.none()
    teams = Team.objects.order_by("name")
    if not request.user.is_staff:
        teams = teams.filter(pk__in=admin_team_ids(request.user))
    page = Paginator(listed.order_by("-at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    team_names = dict(Team.objects.values_list("pk", "name"))
    rows = [(entry, team_names.get(entry.team_id, "")) for entry in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {"filters": filters, "page": page, "rows": rows, "teams": teams,
         "query": query.urlencode()},
    )  # fmt: skip
