from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidents.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import lifecycle
        from incidents.paging import reminders

        from . import hooks

        lifecycle.register_hook(hooks.start_postmortem_on_resolve)
        # Paging reminds the team once a resolved SEV1/SEV2's postmortem is overdue.
        reminders.register_postmortem_check(hooks.postmortem_still_due)
