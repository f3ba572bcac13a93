from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Inbound alerts: monitoring systems post to a hook, Keel folds them into incidents."""

    name = "incidents.alerts"
    label = "alerts"
    verbose_name = "Inbound alerts"
    default_auto_field = "django.db.models.BigAutoField"
