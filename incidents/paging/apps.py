from django.apps import AppConfig


class PagingConfig(AppConfig):
    name = "incidents.paging"
    label = "paging"
    verbose_name = "Paging and escalation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import lifecycle
        from incidents.api.serializers import register_service_extension

        from . import control, extensions, hooks

        lifecycle.register_hook(hooks.on_change)
        lifecycle.register_pager(control.state)
        register_service_extension(extensions.ESCALATION_POLICY)
