from django.urls import include, path
from rest_framework.routers import SimpleRouter

from incidents.oncall.api import ScheduleViewSet

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("services", views.ServiceViewSet, basename="service")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = [
    path("me/", views.me, name="me"),
    path("", include(router.urls)),
]
