from django.db import models


class WeeklyReport(models.Model):
    """The outcome report of one ISO week, frozen when built; only an explicit rebuild changes it."""

    week = models.CharField(max_length=8, unique=True)  # "2026-W47"
    week_start = models.DateField(unique=True)  # its Monday
    data = models.JSONField()
    model_version = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_at = models.DateTimeField()
    build_count = models.PositiveIntegerField(default=1)
    emailed_at = models.DateTimeField(null=True, blank=True)
    health_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self):
        return f"weekly report {self.week}"
