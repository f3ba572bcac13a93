"""Error responses: JSON under /api/ (scripts read them), HTML in the site's own style
elsewhere (people read them: templates/404.html, 403.html, 500.html).

Every error under /api/ is JSON with a `detail` a person can act on, whichever layer
produced it: DRF views (incidents.api.errors.exception_handler), Django's handlers for
404/403/400/500 below, and ApiJsonErrorsMiddleware, which catches what happens outside a
view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a suspicious Host header, a debug page).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

TOO_BIG = (
    "The request body is too large: send at most {limit} bytes. Long text belongs in several notes."
)
MESSAGES = {
    400: "The request could not be understood: check its body, headers and query string.",
    403: "You may not do that.",
    404: "Nothing at {path}. See /api/docs/ for the endpoints.",
    405: "Method not allowed here. See /api/docs/ for the endpoints.",
    413: "The request body is too large.",
    500: "Something went wrong on our side. It has been logged.",
}


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def generic_error(request: HttpRequest, status: int) -> JsonResponse:
    """The answer when only the status is known (Django, not Keel, refused the request)."""
    if status in MESSAGES:
        return json_error(status, MESSAGES[status].format(path=request.path))
    try:
        return json_error(status, f"{HTTPStatus(status).phrase}.")
    except ValueError:
        return json_error(status, "The request failed.")


def error_for_exception(request: HttpRequest, exc: Exception) -> JsonResponse | None:
    """The JSON answer for an exception Django itself would turn into an error page."""
    if isinstance(exc, RequestDataTooBig):
        return json_error(413, TOO_BIG.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return generic_error(request, 400)
    if isinstance(exc, PermissionDenied):
        return json_error(403, str(exc) or MESSAGES[403])
    if isinstance(exc, Http404):
        return generic_error(request, 404)
    return None


class ApiJsonErrorsMiddleware:
    """Keeps /api/ answers JSON when the error comes from outside DRF's views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            wants_json(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return generic_error(request, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return error_for_exception(request, exc) if wants_json(request) else None


def bad_request(request, exception=None):
    if wants_json(request):
        return error_for_exception(request, exception) or generic_error(request, 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if wants_json(request):
        return json_error(403, str(exception or "") or MESSAGES[403])
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if wants_json(request):
        return generic_error(request, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if wants_json(request):
        return generic_error(request, 500)
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
