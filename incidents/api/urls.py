from django.urls import include, path
from rest_framework.routers import SimpleRouter

from incidents.oncall.api import ScheduleViewSet
from incidents.paging.api import ContactMethodViewSet, EscalationPolicyViewSet, page_someone
from incidents.paging.push_api import PushSubscriptionViewSet
from incidents.paging.reminder_api import ReminderIntervalsViewSet

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("services", views.ServiceViewSet, basename="service")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("contact-methods", ContactMethodViewSet, basename="contact-method")
router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")
router.register("push-subscriptions", PushSubscriptionViewSet, basename="push-subscription")
router.register("reminder-intervals", ReminderIntervalsViewSet, basename="reminder-intervals")

urlpatterns = [
    path("me/", views.me, name="me"),
    path("pages/", page_someone, name="page-someone"),
    path("", include(router.urls)),
]
