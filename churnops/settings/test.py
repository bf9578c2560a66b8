"""Test settings: fast hashers, locmem e-mail; the database and broker still come from the environment."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests always run tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
SCORING_CHUNK_SIZE = 50
LOGGING = {"version": 1, "disable_existing_loggers": False}
