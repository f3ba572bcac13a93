from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            access,  # noqa: F401  (tells live connections when access may have ended)
            adapters,  # noqa: F401  (applies a provider's groups at every sign-in)
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
        )
