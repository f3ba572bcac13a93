from django.urls import path, re_path

from . import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.declare, name="declare"),
    path("incidents/<str:ref>/", views.incident_detail, name="detail"),
    re_path(
        r"^incidents/(?P<ref>[^/]+)/(?P<action>{})/$".format("|".join(views.ACTIONS)),
        views.incident_action,
        name="action",
    ),
    path("services/", views.service_list, name="services"),
    path("services/<int:pk>/", views.service_detail, name="service"),
]
