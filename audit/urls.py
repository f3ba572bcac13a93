from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .api import AuditEntryViewSet

app_name = "audit"

router = SimpleRouter(trailing_slash=True)
router.register("api/v1/audit", AuditEntryViewSet, basename="audit")

urlpatterns = [
    path("audit/", views.audit_log, name="log"),
    *router.urls,
]
