"""Test settings: fast hashers, locmem e-mail; the database and broker still come from the environment."""

import os

from .base import *  # noqa: F403

# Two OpenMP threads per process on two cores thrash as soon as anything else runs (PERF_NOTES).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests always run tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests count the team queue's totals on every load, unless a test turns the short cache on itself.
QUEUE_TEAM_TOTALS_SECONDS = 0
SCORING_CHUNK_SIZE = 50
LOGGING = {"version": 1, "disable_existing_loggers": False}
