from django.apps import AppConfig


class ImportingConfig(AppConfig):
    """Moving in from other on-call tools, and Keel's configuration as code."""

    name = "incidents.importing"
    label = "importing"
    verbose_name = "Importing and configuration as code"
    default_auto_field = "django.db.models.BigAutoField"
