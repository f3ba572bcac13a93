from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health, pwa

handler400 = "keel.errors.bad_request"
handler403 = "keel.errors.permission_denied"
handler404 = "keel.errors.not_found"
handler500 = "keel.errors.server_error"

admin.site.site_header = "Keel administration"
admin.site.site_title = "Keel administration"
admin.site.index_title = "Teams, people, incidents and their records"

# Swagger UI: the split view serves its start-up script as a file (script-src stays 'self');
# the UI sets inline styles as it draws, so this one page allows inline style.
api_docs = csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:list", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("accounts.allauth_urls")),
    path("api/v1/", include("incidents.postmortems.api_urls")),
    path("api/v1/", include("incidents.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("", include("incidents.chat.urls")),
    path("", include("incidents.oncall.urls")),
    path("", include("incidents.postmortems.urls")),
    path("", include("incidents.paging.urls")),
    path("", include("incidents.urls")),
    path("", include("incidents.alerts.urls")),
    path("", include("incidents.importing.urls")),
    path("", include("audit.urls")),
]
