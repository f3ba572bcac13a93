"""Error pages: JSON under /api/ (scripts read them), HTML in the site's own style elsewhere
(people read them: templates/404.html, 403.html, 500.html)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": f"Nothing at {request.path}. See /api/docs/ for the endpoints."},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": str(exception or "") or "You may not do that."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Something went wrong on our side. It has been logged."}, status=500
        )
    return defaults.server_error(request)


class SiteNotFoundMiddleware:
    """While DEBUG is on (as under `make run`), Django answers a 404 with its debug page,
    which lists every URL pattern of the site. Show the site's own 404 page instead, unless
    DEBUG_404_PAGE asks for the debug one. Without DEBUG this does nothing: Django uses
    handler404 (not_found above) itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not settings.DEBUG_404_PAGE
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return not_found(request)
        return response
