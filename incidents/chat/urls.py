from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .api import ChatChannelViewSet

app_name = "chat"

router = SimpleRouter(trailing_slash=True)
router.register("api/v1/chat-channels", ChatChannelViewSet, basename="chat-channel")

urlpatterns = [
    path("slack/commands", views.slash_command, name="slack-commands"),
    path("slack/actions", views.action, name="slack-actions"),
    path("chat/", views.channel_list, name="channels"),
    path("chat/<int:pk>/", views.channel_detail, name="channel"),
    path("chat/link/", views.start_link, name="link"),
    path("chat/unlink/", views.unlink, name="unlink"),
    *router.urls,
]
