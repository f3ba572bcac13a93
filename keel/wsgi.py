"""WSGI entry point (HTTP only; the live room needs the ASGI app)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")

application = get_wsgi_application()
