from django.urls import path

from . import feeds, views

app_name = "oncall"

urlpatterns = [
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/<int:pk>/", views.schedule_detail, name="detail"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="edit"),
    path("schedules/<int:pk>/overrides/", views.add_override, name="add-override"),
    path(
        "schedules/<int:pk>/overrides/<int:override_pk>/delete/",
        views.delete_override,
        name="delete-override",
    ),
    path("schedules/<int:pk>/take/", views.take_shift, name="take"),
    path("schedules/<int:pk>/calendar/revoke/", views.revoke_calendar, name="revoke-calendar"),
    path("schedules/my-calendar/", views.new_my_calendar, name="my-calendar"),
    path("calendars/schedule/<str:token>.ics", feeds.schedule_feed, name="schedule-feed"),
    path("calendars/person/<str:token>.ics", feeds.person_feed, name="person-feed"),
]
