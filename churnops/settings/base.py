"""Settings shared by every environment; values come from the environment via django-environ."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-churnops-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from the installed package: no CDN
    "axes",
    "customers",
    "scoring",
    "alerts",
    "interventions",
    "nightly",
    "reports",
    "demo",
    "webhooks",
]

MIDDLEWARE = [
    "churnops.middleware.RequestLocalesMiddleware",  # restores the thread's language and zone after each request
    "django.middleware.security.SecurityMiddleware",
    "churnops.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # the browser's language (or the switcher's cookie); UserPreferencesMiddleware below lets a profile's win
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "churnops.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: it turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "churnops.urls"

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
                "interventions.context_processors.notifications",
            ]
        },
    }
]

WSGI_APPLICATION = "churnops.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the demo server and an eager pipeline share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication -----------------------------------------------------------
# django-axes counts failed logins (page and Django admin) per username and address and locks that pair out
# for a while; the standalone backend only checks the lock, ModelBackend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Username and address together: a stranger cannot lock a colleague out, and a shared office address is not
# locked for everyone because one person forgot a password.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each language is named in itself, so that a person finds theirs whatever the page's language is now.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The project's catalog (pages, workflow, customers); scoring, reports, nightly and webhooks keep their own.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "interventions:queue"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="churnops@localhost")
# Where links in notification e-mails point (the address people open ChurnOps at).
CHURNOPS_BASE_URL = env("CHURNOPS_BASE_URL", default="http://127.0.0.1:8000")
# Who the team worked, and who was held out as control, between two moments: training leaves the first out of
# its labels and lets the second stand in for them (scoring.training.interventions_around). Named here because
# the work orders and alerts live a floor above scoring.
CHURNOPS_INTERVENTIONS = "interventions.selectors.interventions_between"

# Uploads above this are refused with a 400 instead of being buffered.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One handler for every refusal: service Refusals and Django errors become 400/403/404/409 with a `code`.
    "EXCEPTION_HANDLER": "churnops.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "churnops.parsers.SafeJSONParser",  # NUL, unpaired surrogates and deep nesting refused with a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Plausible ranges for imported values (CSV and API); a value outside them is a bad row, not a customer.
IMPORT_MAX_MONEY = env.float("IMPORT_MAX_MONEY", default=1e12)  # lifetime value and event amounts
IMPORT_CONTRACT_YEARS = (
    env.int("IMPORT_CONTRACT_MIN_YEAR", default=1950),
    env.int("IMPORT_CONTRACT_MAX_YEAR", default=2100),
)
IMPORT_FUTURE_DAYS = env.int("IMPORT_FUTURE_DAYS", default=2)  # events and churn dates: clock skew, not 2099
IMPORT_MAX_ATTRIBUTE_CHARS = env.int("IMPORT_MAX_ATTRIBUTE_CHARS", default=2000)  # one extra column's value
# JSON bodies nested deeper than this are refused (our deepest accepted body, a policy, is 4 levels).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

SPECTACULAR_SETTINGS = {
    "TITLE": "ChurnOps API",
    "DESCRIPTION": "Customers, activity, alerts and retention work orders.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # the refusals (400/403/404/413) every operation can answer with, so that clients and schemathesis know them
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "churnops.core.openapi.add_error_responses",
    ],
    # Several models have a `status` or `kind` with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": "alerts.models.Alert.Status",
        "WorkOrderStatusEnum": "interventions.choices.WorkOrderStatus",
        "ScoreRunStatusEnum": "scoring.models.ScoreRun.Status",
        "ActionKindEnum": "interventions.choices.ActionKind",
        "EventKindEnum": "customers.choices.EventKind",
        "PolicyRoleEnum": "scoring.ml.policy.ROLES",
    },
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker configured: run every task eagerly in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30 * 60
CELERY_TASK_TIME_LIMIT = 35 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="churnops")
# With a Redis broker, web processes and workers share one cache (a worker computes a preview's exact counts, the
# page shows them): Redis at CACHE_URL, by default the broker's. The embedded default is one process: local memory.
CACHE_URL = env("CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULE = {
    "nightly-pipeline": {
        "task": "scoring.tasks.nightly_run_task",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": 6 * 3600},
    },
    "sla-sweep": {
        "task": "interventions.tasks.sla_sweep_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Warnings and breaches held for the recipient's working hours go out once the hours begin.
    "notifications-release": {
        "task": "interventions.tasks.notifications_release_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Webhook deliveries whose backoff has run out, or whose message the broker lost, are sent again.
    "webhooks-retry": {
        "task": "webhooks.tasks.webhooks_retry_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "leave-reassign": {
        "task": "interventions.tasks.leave_reassign_task",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
}
CELERY_BEAT_SCHEDULE |= {
    # One digest e-mail per person before the working day: steps due today, new work orders, breaches.
    "daily-digest": {
        "task": "interventions.tasks.daily_digest_task",
        "schedule": crontab(hour=7, minute=15),
        "options": {"expires": 3 * 3600},
    }
}

# --- Outbound webhooks: a time-out and 5xx are retried with backoff 30 s × 2^n (capped at an hour), 8 attempts;
# an endpoint that failed every delivery for a day is switched off.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_DISABLE_AFTER_HOURS = env.float("WEBHOOK_DISABLE_AFTER_HOURS", default=24)

# Customers per scoring chunk: one chunk is one Celery task and one bulk write;
# 25k keeps a worker under ~300 MB (feature frame, model, one COPY buffer) and was faster than 10k at 1M
# customers (bench/README.md): fewer temporary tables and round trips per customer.
SCORING_CHUNK_SIZE = env.int("SCORING_CHUNK_SIZE", default=25_000)
# A run none of whose chunks started or finished for this long is stalled: its pending chunks are re-sent by the
# sweep (every minute). Well above the longest chunk (25k customers: under a minute, bench/README.md).
SCORING_STALL_SECONDS = env.int("SCORING_STALL_SECONDS", default=15 * 60)
# Months of nightly score history kept (scoring/score_writes.py): a year and the month before it, for the report's
# year-on-year views; older monthly partitions are dropped whole.
SCORE_HISTORY_MONTHS = env.int("SCORE_HISTORY_MONTHS", default=13)
# A date started while another date's run is active waits and asks again this often (runs never interleave).
SCORING_RUN_BUSY_RETRY_SECONDS = env.int("SCORING_RUN_BUSY_RETRY_SECONDS", default=60)
# Redis redelivers a task not acknowledged within this (acks_late: a task is acknowledged when it ends), so it
# must exceed the longest task: the hard time limit, plus a margin. Celery's default is an hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_BEAT_SCHEDULE |= {
    # Finish runs whose chord was lost, re-send the chunks of stalled runs.
    "score-runs-sweep": {
        "task": "scoring.tasks.runs_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # The score history's next months exist before any night needs them; months past the retention are dropped.
    "score-history-retention": {
        "task": "scoring.tasks.score_history_retention_task",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 12 * 3600},
    },
    # A night that failed is retried once, two hours after the nightly run.
    "nightly-retry": {
        "task": "scoring.tasks.nightly_retry_task",
        "schedule": crontab(hour=4, minute=0),
        "options": {"expires": 4 * 3600},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "celery.app.trace": {"level": "WARNING"}},
}

# --- Reports and model health ------------------------------------------------------
CELERY_BEAT_SCHEDULE |= {
    # Last week's outcome report (Monday to Sunday, TIME_ZONE), built once and e-mailed to admins and leads.
    "weekly-report": {
        "task": "reports.tasks.weekly_report_task",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
        "options": {"expires": 12 * 3600},
    },
    # Retrain on the 1st; the new model replaces the active one only if it validates at least as well.
    "monthly-retrain": {
        "task": "reports.tasks.monthly_retrain_task",
        "schedule": crontab(hour=3, minute=30, day_of_month=1),
        "options": {"expires": 20 * 3600},
    },
}
REPORT_TREND_WEEKS = env.int("REPORT_TREND_WEEKS", default=12)
# Drift alarm defaults (admins can change them on the report's alarm settings): a feature's PSI from 0.1 is a
# warning, from 0.25 an alarm, and the alarm fires only after that many weeks in a row.
REPORT_PSI_WARNING = env.float("REPORT_PSI_WARNING", default=0.1)
REPORT_PSI_ALARM = env.float("REPORT_PSI_ALARM", default=0.25)
REPORT_DRIFT_WEEKS = env.int("REPORT_DRIFT_WEEKS", default=2)
REPORT_AUC_MARGIN = env.float("REPORT_AUC_MARGIN", default=0.05)  # realised AUC this far below validation: retrain
REPORT_PRECISION_MARGIN = env.float("REPORT_PRECISION_MARGIN", default=0.10)
REPORT_SITE_URL = env("REPORT_SITE_URL", default="http://127.0.0.1:8000")  # links in the e-mailed report
