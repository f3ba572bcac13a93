from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Connect the recorder to every tracked model and to sign-ins (recorder.py).
        from . import recorder

        recorder.connect()
