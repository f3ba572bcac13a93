from django.urls import path

from . import pages, phone_hooks, policy_pages, reminder_pages, views

app_name = "paging"

urlpatterns = [
    path("page/ack/<str:token>/", views.acknowledge, name="ack"),
    path("hooks/twilio/sms/", phone_hooks.twilio_sms, name="twilio-sms"),
    path("hooks/twilio/voice/", phone_hooks.twilio_voice, name="twilio-voice"),
    path("hooks/twilio/status/", phone_hooks.twilio_status, name="twilio-status"),
    path("hooks/sms-gateway/", phone_hooks.sms_gateway_hook, name="sms-gateway"),
    path("incidents/<str:ref>/page-someone/", pages.page_someone, name="page-someone"),
    path("incidents/<str:ref>/paging/", pages.paging_status, name="status"),
    path("incidents/<str:ref>/paging/now/", pages.paging_now, name="now"),
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
    path(
        "paging/contact-methods/<int:pk>/verify/",
        pages.verify_contact_method,
        name="verify-contact-method",
    ),
    path("paging/contact-methods/<int:pk>/rules/", pages.add_rule, name="add-rule"),
    path(
        "paging/contact-methods/<int:pk>/rules/<int:rule_pk>/remove/",
        pages.remove_rule,
        name="remove-rule",
    ),
    path("paging/services/<int:pk>/policy/", pages.service_policy, name="service-policy"),
    path("paging/policies/", policy_pages.policies, name="policies"),
    path("paging/policies/new/", policy_pages.policy_new, name="policy-new"),
    path("paging/policies/<int:pk>/edit/", policy_pages.policy_edit, name="policy-edit"),
    path("paging/policies/<int:pk>/delete/", policy_pages.policy_delete, name="policy-delete"),
    path("paging/reminders/", reminder_pages.reminders, name="reminders"),
    path(
        "paging/reminders/<int:team_id>/",
        reminder_pages.save_reminders,
        name="save-reminders",
    ),
]
