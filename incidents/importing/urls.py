from django.urls import path

from . import pages

app_name = "importing"

urlpatterns = [
    path("settings/import/", pages.start, name="start"),
    path("settings/import/plan/", pages.plan, name="plan"),
    path("settings/import/apply/", pages.apply, name="apply"),
]
