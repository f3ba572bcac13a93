from django.urls import path

from . import views

app_name = "paging"

urlpatterns = [
    path("page/ack/<str:token>/", views.acknowledge, name="ack"),
]
