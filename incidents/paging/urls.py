from django.urls import path

from . import pages, reminder_pages, views

app_name = "paging"

urlpatterns = [
    path("page/ack/<str:token>/", views.acknowledge, name="ack"),
    path("incidents/<str:ref>/page-someone/", pages.page_someone, name="page-someone"),
    path("paging/contact-methods/", pages.add_contact_method, name="add-contact-method"),
    path(
        "paging/contact-methods/<int:pk>/remove/",
        pages.remove_contact_method,
        name="remove-contact-method",
    ),
    path(
        "paging/contact-methods/<int:pk>/test/",
        pages.test_contact_method,
        name="test-contact-method",
    ),
    path("paging/services/<int:pk>/policy/", pages.service_policy, name="service-policy"),
    path("paging/policies/", pages.policies, name="policies"),
    path("paging/reminders/", reminder_pages.reminders, name="reminders"),
    path(
        "paging/reminders/<int:team_id>/",
        reminder_pages.save_reminders,
        name="save-reminders",
    ),
]
