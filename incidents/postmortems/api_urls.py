from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("factors", api.FactorViewSet, basename="factor")
router.register("action-items", api.ActionItemViewSet, basename="action-item")

INCIDENT = "incidents/<str:ref>/postmortem/"

urlpatterns = [
    path(INCIDENT, api.postmortem, name="postmortem"),
    path(INCIDENT + "review/", api.request_review, name="postmortem-review"),
    path(INCIDENT + "approve/", api.approve, name="postmortem-approve"),
    path(INCIDENT + "publish/", api.publish, name="postmortem-publish"),
    path(INCIDENT + "factors/", api.factors, name="postmortem-factors"),
    path(INCIDENT + "action-items/", api.action_items, name="postmortem-action-items"),
    path(INCIDENT + "comments/", api.comments, name="postmortem-comments"),
    path("blameless/check", api.check, name="blameless-check"),
    *router.urls,
]
