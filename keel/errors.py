"""Error pages: JSON under /api/ (scripts read them), HTML elsewhere (people read them)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"detail": f"Nothing at {request.path}. See /api/docs/ for the endpoints."},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Something went wrong on our side. It has been logged."}, status=500
        )
    return defaults.server_error(request)
