from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, pages, views

app_name = "alerts"

router = SimpleRouter(trailing_slash=True)
router.register("integrations", api.IntegrationViewSet, basename="integration")
router.register("maintenance-windows", api.MaintenanceWindowViewSet, basename="maintenance")

urlpatterns = [
    path("hooks/alertmanager/<str:key>/", views.alertmanager, name="alertmanager"),
    path("hooks/grafana/<str:key>/", views.grafana, name="grafana"),
    path("hooks/generic/<str:key>/", views.generic, name="generic"),
    # PagerDuty's own path, so a client only needs its base URL changed.
    path("v2/enqueue", views.pagerduty, name="pagerduty"),
    path("api/v1/", include(router.urls)),
    path("incidents/<str:ref>/alerts/", pages.incident_panel, name="incident-panel"),
    path("services/<int:pk>/integrations/", pages.create_integration, name="create"),
    path(
        "services/<int:pk>/integrations/<int:integration_id>/rotate/",
        pages.rotate_integration,
        name="rotate",
    ),
    path(
        "services/<int:pk>/integrations/<int:integration_id>/toggle/",
        pages.toggle_integration,
        name="toggle",
    ),
    path("services/<int:pk>/maintenance/", pages.start_maintenance, name="maintenance"),
    path(
        "services/<int:pk>/maintenance/<int:window_id>/end/",
        pages.end_maintenance,
        name="end_maintenance",
    ),
]
