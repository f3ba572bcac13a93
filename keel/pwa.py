"""Keel as an installable app: the web app manifest and the service worker, both at the
site's root (the worker's scope is the whole site). Public: a browser fetches them without
a session, and neither says anything about anyone (the worker caches nothing; it shows the
pages pushed to the device and acts on their buttons: templates/pwa/sw.js)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

THEME = "#1f4e79"  # static/img/keel.svg's


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "id": "/",
        "name": "Keel",
        "short_name": "Keel",
        "description": "Incident response: declare, page, coordinate, learn.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("img/icon-512-maskable.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
            {"src": static("img/keel.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }  # fmt: skip
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(request, "pwa/sw.js", content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on navigation; never let a cache hide one.
    response["Cache-Control"] = "no-cache"
    return response
