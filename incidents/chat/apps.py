from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "incidents.chat"
    label = "chat"
    verbose_name = "Chat (Slack-style)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import lifecycle

        from . import notify

        lifecycle.register_hook(notify.on_change)
