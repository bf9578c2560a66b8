import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "churnops.settings.local")

app = Celery("churnops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
