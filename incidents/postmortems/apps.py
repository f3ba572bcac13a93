from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidents.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import lifecycle

        from . import hooks

        lifecycle.register_hook(hooks.start_postmortem_on_resolve)
