from django.urls import path, re_path

from . import lists, views

app_name = "postmortems"

urlpatterns = [
    path("incidents/<str:ref>/postmortem/", views.postmortem_page, name="page"),
    path("incidents/<str:ref>/postmortem/start/", views.start, name="start"),
    path("incidents/<str:ref>/postmortem/export.md", views.export_markdown, name="export"),
    re_path(
        r"^incidents/(?P<ref>[^/]+)/postmortem/(?P<action>{})/$".format("|".join(views.ACTIONS)),
        views.postmortem_action,
        name="action",
    ),
    path("incidents/<str:ref>/events/<int:seq>/highlight/", views.highlight, name="highlight"),
    path("postmortems/preview/", views.preview, name="preview"),
    path("postmortems/factors/", lists.factor_list, name="factors"),
    path("postmortems/action-items/", lists.open_action_items, name="action_items"),
    path("postmortems/action-items/mine/", lists.my_action_items, name="my_action_items"),
]
